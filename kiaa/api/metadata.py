"""What OPTIONS answers: the view's name, description and formats, without DRF's per-method
"actions", which would run every write's permission check against a body that was never sent."""

from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


class Metadata(SimpleMetadata):
    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        return {}
