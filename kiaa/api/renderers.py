"""Renderers shared by the API's file downloads."""

from typing import Any

from rest_framework import renderers


class AnyMedia(renderers.BaseRenderer):
    """Lets a client that asks for the file's own type (Accept: application/pdf) have it."""

    media_type = "*/*"
    format = ""

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data
