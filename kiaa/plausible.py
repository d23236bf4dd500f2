"""Dates a person can mean: deadlines, reviews and due days within 25 years of today.

A year mistyped (1428, 9999) is refused with a clear message, rather than stored to open a
breach in the fifteenth century or to overflow when the day is turned into a time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import formats, timezone

from kiaa.errors import DomainError

YEARS = 25
OUT_OF_RANGE = "Give a date between {start} and {end}."


def check_plausible(value: date | datetime | None, *, field: str) -> None:
    """Refuse a date or time more than 25 years either side of today (None passes)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    today = timezone.localdate()
    start, end = today - timedelta(days=YEARS * 365), today + timedelta(days=YEARS * 365)
    if not start <= day <= end:
        shown = {k: formats.date_format(d, "j F Y") for k, d in (("start", start), ("end", end))}
        raise DomainError(OUT_OF_RANGE.format(**shown), field=field)
