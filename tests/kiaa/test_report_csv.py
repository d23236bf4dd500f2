"""CSV exports: UTF-8 with a header row, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from kiaa.reports import spreadsheet
from kiaa.reports.content import Table

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def read(table: Table) -> list[list[str]]:
    return list(csv.reader(io.StringIO(spreadsheet.render(table).decode("utf-8"), newline="")))


@given(st.lists(st.lists(st.text(), min_size=3, max_size=3), max_size=8))
def test_no_text_cell_starts_a_formula_and_the_words_survive(rows: list[list[str]]) -> None:
    read_back = read(Table(["Agency", "Note", "Status"], rows))
    assert read_back[0] == ["Agency", "Note", "Status"]
    assert len(read_back) == len(rows) + 1
    for written, cells in zip(rows, read_back[1:], strict=True):
        for value, cell in zip(written, cells, strict=True):
            assert not cell.startswith(DANGEROUS)
            # Defused cells keep every character after the apostrophe.
            assert cell == (f"'{value}" if value.startswith(DANGEROUS) else value)


def test_a_formula_an_agency_typed_is_shown_as_text() -> None:
    rows = read(Table(["Agency"], [['=HYPERLINK("http://evil.example","Click")'], ["@SUM(A1)"]]))
    assert rows[1:] == [['\'=HYPERLINK("http://evil.example","Click")'], ["'@SUM(A1)"]]


def test_numbers_dates_and_names_in_any_script_are_written_plainly() -> None:
    body = spreadsheet.render(
        Table(["Agency", "Amount", "On"], [["Cymdeithas Tai Gŵyr", -1250, date(2026, 12, 2)]])
    )
    assert body.decode("utf-8").splitlines() == [
        "Agency,Amount,On",
        "Cymdeithas Tai Gŵyr,-1250,2026-12-02",
    ]
    assert not body.startswith(b"\xef\xbb\xbf")  # plain UTF-8, no byte-order mark
