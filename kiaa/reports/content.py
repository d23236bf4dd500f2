"""What a report kind builds: plain data the renderers lay out, read through the requester's
selectors so a report never shows what its requester could not see in the browser."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone


def day(value: date | datetime | None) -> str:
    """A date as a trustee reads it ("2 Dec 2026"); a moment on the alliance's clock."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return formats.date_format(value, "j M Y")


@dataclass(frozen=True)
class Section:
    """One part of the report under its own heading, drawn by its template.

    `weight` is roughly how many table rows it holds: long reports are split between render
    processes by weight, and a section is never split.
    """

    anchor: str  # unique within the report: the table of contents points at it
    heading: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    weight: int = 1


@dataclass(frozen=True)
class Table:
    """The register as rows: the CSV export, one header row then one row per entry."""

    header: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Report:
    """A report as its kind built it: the title block, the sections and (for a register) the
    table. `facts` are the few lines under the title that say what it covers."""

    title: str
    scope: str
    sections: list[Section]
    facts: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None
    empty: str = ""  # what the report says when it has no sections

    @property
    def weight(self) -> int:
        return sum(section.weight for section in self.sections)
