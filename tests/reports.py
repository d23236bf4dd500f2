"""What the report tests share: exporting a report as a person and reading the file back."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader

from kiaa.models import Alliance, ReportExport, User
from kiaa.services import reports


@dataclass
class Exported:
    export: ReportExport
    content: bytes

    @property
    def reader(self) -> PdfReader:
        return PdfReader(io.BytesIO(self.content))

    @property
    def pages(self) -> int:
        return len(self.reader.pages)

    @property
    def text(self) -> str:
        """Every page's words, spaces collapsed (text extraction breaks lines where it likes)."""
        return " ".join(" ".join((page.extract_text() or "").split()) for page in self.reader.pages)

    def page_text(self, number: int) -> str:
        return " ".join((self.reader.pages[number - 1].extract_text() or "").split())

    @property
    def rows(self) -> list[list[str]]:
        """A CSV export's rows, header first."""
        return list(csv.reader(io.StringIO(self.content.decode("utf-8"))))


def export(
    person: User, alliance: Alliance, kind: str, *, format: str = "pdf", **params: Any
) -> Exported:
    """Request the report as the person and draw it at once (the task's work, called directly,
    unless a committed request already ran it through eager Celery)."""
    queued = reports.report_request(
        actor=person, alliance=alliance, kind=kind, format=format, params=params
    )
    done = reports.report_render(export_id=queued.pk) or ReportExport.objects.get(pk=queued.pk)
    assert done.status == ReportExport.Status.READY, done.failure
    with done.file.open("rb") as handle:
        return Exported(done, handle.read())
