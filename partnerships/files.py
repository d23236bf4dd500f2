"""What may be uploaded: a short list of office and image formats, checked by content (filetype),
not by the name the browser sends, and a size limit."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

# Extension -> the MIME type we serve it as. Text has no signature: it must decode as UTF-8.
ALLOWED = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "png": "image/png",
    "jpg": "image/jpeg",
    "txt": "text/plain",
    "csv": "text/csv",
}
TEXT = {"txt", "csv"}
NOT_ALLOWED = "Upload a PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, text or CSV file."
MISMATCH = "The file's contents are not a {ext} file, whatever its name says."
TOO_BIG = "The file is {size:.1f} MB; the limit is {limit} MB."
EMPTY = "The file is empty."


@dataclass(frozen=True)
class Checked:
    extension: str
    content_type: str


def check_upload(upload: UploadedFile) -> Checked | str:
    """The file's real type, or the message that says why it is refused."""
    limit = settings.DOCUMENT_MAX_MB
    if upload.size is None or upload.size == 0:
        return EMPTY
    if upload.size > limit * 1024 * 1024:
        return TOO_BIG.format(size=upload.size / 1024 / 1024, limit=limit)
    name = (upload.name or "").lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    extension = "jpg" if extension == "jpeg" else extension
    if extension not in ALLOWED:
        return NOT_ALLOWED
    head = upload.read(8192)
    upload.seek(0)
    if extension in TEXT:
        return (
            Checked(extension, ALLOWED[extension])
            if _is_text(upload)
            else MISMATCH.format(ext=extension)
        )
    kind = filetype.guess(head)
    if kind is None or kind.extension != extension:
        return MISMATCH.format(ext=extension.upper())
    return Checked(extension, ALLOWED[extension])


def _is_text(upload: UploadedFile) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()  # a character may straddle two chunks
    try:
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)
    return True
