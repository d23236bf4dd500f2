"""Due dates, contributed by each app: the reminders and the calendar feeds read them here.

An app registers a provider that lists its due dates for one alliance in a window of time
(a tender's deadlines, a withdrawal's end, a vote waiting for a trustee...). The core never
imports the apps (DESIGN.md: dependencies point one way); it asks the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from kiaa.models import Alliance, User


@dataclass(frozen=True)
class Due:
    """Something due on a date, and the people it is due from (or who must know of it)."""

    key: str  # stable within the alliance: "tender:12:submission"; the calendar's UID
    kind: str  # "deadline", "withdrawal", "review", "vote", ...
    title: str  # plain English, the calendar entry's summary: "Submission deadline: ..."
    due_at: datetime  # aware; for a span (a withdrawal), when it ends
    url: str  # the page where it is dealt with (a path)
    recipients: frozenset[int]  # user ids
    starts_at: datetime | None = None  # a span's start (a withdrawal in force)
    all_day: bool = False  # a date rather than a moment (a review date)
    # Still to be done: only outstanding dues are reminded (and reminded when overdue).
    outstanding: bool = True
    remind_overdue: bool = True  # whether passing the date without it being done is reminded
    description: str = ""


# (alliance, start, end) -> the dues whose date falls in [start, end)
Provider = Callable[[Alliance, datetime, datetime], Iterable[Due]]

_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Add (or replace, on a second ready()) an app's provider of due dates."""
    _providers[name] = provider


def dues(alliance: Alliance, *, start: datetime, end: datetime) -> list[Due]:
    """Every due date of the alliance in [start, end), in date order."""
    found = [due for provider in _providers.values() for due in provider(alliance, start, end)]
    return sorted(found, key=lambda due: (due.due_at, due.key))


def dues_for(person: User, alliance: Alliance, *, start: datetime, end: datetime) -> list[Due]:
    """The due dates in [start, end) that concern this person."""
    return [due for due in dues(alliance, start=start, end=end) if person.pk in due.recipients]
