"""A register as CSV: UTF-8, one header row, and no cell a spreadsheet would run as a formula.

Spreadsheets treat a cell that starts with = + - @ (or a tab or carriage return, which some
strip before looking) as a formula, so text an agency typed ("=HYPERLINK(...)") could run on
the reader's machine. Such cells are written with a leading apostrophe, which spreadsheets
show as text and do not display (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kiaa.reports.content import Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One value as the text of a cell: dates in ISO form, numbers as they are, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return str(value)  # a negative amount stays a number, not text
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render(table: Table) -> bytes:
    """The table as CSV bytes (UTF-8, CRLF line ends as RFC 4180 has them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(name) for name in table.header])
    for row in table.rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue().encode("utf-8")
