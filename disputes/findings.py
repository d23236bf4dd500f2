"""What the breach detectors share: the scope of a run, a finding, and a detector's shape.

A detector only finds; `disputes.services.breaches` records what it found, once per
situation (a Finding's key), so running a detector twice changes nothing. Each detector reads
one dimension of a Scope (the tenders, partnerships or papers an event touched, or all of
them in the periodic reconcile), with a few set-based queries whatever the alliance's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kiaa.models import Alliance

Ids = frozenset[int] | None  # None: every one in the alliance


@dataclass(frozen=True)
class Scope:
    """What one run looks at: ids per dimension (None = all), and the alliance's own duties."""

    tenders: Ids = frozenset()
    partnerships: Ids = frozenset()
    documents: Ids = frozenset()
    alliance: bool = False

    def ids(self, dimension: str) -> Ids:
        return getattr(self, dimension)  # type: ignore[no-any-return]

    def covers(self, dimension: str) -> bool:
        if dimension == "alliance":
            return self.alliance
        ids = self.ids(dimension)
        return ids is None or bool(ids)


EVERYTHING = Scope(tenders=None, partnerships=None, documents=None, alliance=True)


@dataclass(frozen=True)
class Finding:
    """One situation the protocol forbids, as a Breach would record it."""

    kind: str
    key: str
    summary: str
    occurred_at: datetime
    agency_id: int | None = None
    tender_id: int | None = None
    partnership_id: int | None = None
    declaration_id: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


Detect = Callable[[Alliance, Scope, datetime], Iterable[Finding]]


@dataclass(frozen=True)
class Detector:
    kind: str
    dimension: str  # "tenders", "partnerships", "documents" or "alliance"
    ongoing: bool
    detect: Detect


def within(queryset: QuerySet[Any], field_name: str, ids: Ids) -> QuerySet[Any]:
    """Narrow a queryset to the scope's ids (all when the scope is everything)."""
    return queryset if ids is None else queryset.filter(**{f"{field_name}__in": ids})


def when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%-d %B %Y, %H:%M}"


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
