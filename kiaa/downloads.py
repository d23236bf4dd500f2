"""Serving stored files (papers, evidence, report exports) after their view has asked who may."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

FILE_MISSING = "The file of this paper is missing from storage."


def serve_file(
    file: FieldFile, *, name: str, content_type: str, missing: str = FILE_MISSING
) -> FileResponse:
    """A stored file as a download under its original name, never rendered by the browser."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404(missing) from None
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Files behind the barrier must not linger in shared caches or run as a page if opened.
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
