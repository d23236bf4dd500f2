"""The PDF pipeline: title block or contents page, the furniture stamped on every page, the
parallel layout, and real fonts on the page."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pypdf import PdfReader

from kiaa.reports import chunk, pdf
from kiaa.reports.content import Report, Section

HASH = "3f9a" * 16
META = pdf.Meta(
    alliance="Kirkvale Advice Alliance",
    title="People by agency",
    scope="Every agency",
    generated_at=datetime(2026, 12, 2, 9, 30, tzinfo=ZoneInfo("Europe/London")),
    requested_by="Alex Admin",
    audit_seq=42,
    audit_hash=HASH,
)


def people(sections: int, rows: int) -> Report:
    return Report(
        title="People by agency",
        scope="Every agency",
        sections=[
            Section(
                anchor=f"agency-{n}",
                heading=f"Agency number {n}",
                template="tests/people.html",
                context={"rows": [(f"Person {n}.{r}", "Trustee") for r in range(rows)]},
                weight=rows,
            )
            for n in range(sections)
        ],
    )


def read(rendered: pdf.Rendered) -> list[str]:
    reader = PdfReader(io.BytesIO(rendered.pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def test_a_short_report_opens_with_its_title_block_and_every_page_carries_the_furniture() -> None:
    rendered = pdf.render(people(2, 25), META, processes=1)
    pages = read(rendered)
    assert rendered.pages == len(pages) >= 2
    assert "People by agency" in pages[0] and "Requested by: Alex Admin" in pages[0]
    assert "Contents" not in pages[0]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Kirkvale Advice Alliance · People by agency" in text
        assert "Generated 2 Dec 2026 09:30 GMT" in text
        assert f"Audit trail #42 · {HASH[:16]}" in text
    assert HASH in pages[0].replace(" ", "")  # the whole hash in the filing note


def test_a_long_report_has_a_contents_page_whose_numbers_point_at_the_sections() -> None:
    rendered = pdf.render(people(5, 30), META, processes=1)
    pages = read(rendered)
    assert "Contents" in pages[0]
    reader = PdfReader(io.BytesIO(rendered.pdf))
    outline = {item.title: reader.get_destination_page_number(item) for item in reader.outline}
    assert list(outline) == [f"Agency number {n}" for n in range(5)]
    for heading, index in outline.items():
        assert heading in pages[index]
        assert f"{heading} {index + 1}" in pages[0]  # the contents line: heading, then its page


@pytest.mark.parametrize(("part_weight", "parts"), [(200, 2), (40, 6)])
def test_the_parts_laid_out_in_child_processes_join_into_the_same_document(
    monkeypatch: pytest.MonkeyPatch, part_weight: int, parts: int
) -> None:
    report = people(6, 30)
    alone = pdf.render(report, META, processes=1)
    monkeypatch.setattr(pdf, "INLINE_WEIGHT", 10)
    monkeypatch.setattr(pdf, "PART_WEIGHT", part_weight)  # 6 parts: 3 in turn in each child
    laid_out: list[int] = []
    real = pdf._in_child
    monkeypatch.setattr(pdf, "_in_child", lambda htmls: laid_out.append(len(htmls)) or real(htmls))
    heard: list[int] = []
    joined = pdf.render(report, META, processes=2, progress=heard.append)
    # Each part starts on a page of its own, so the breaks may differ, never the rows.
    assert rows_in(read(joined)) == rows_in(read(alone)) != []
    assert joined.pages >= alone.pages
    pages = read(joined)
    reader = PdfReader(io.BytesIO(joined.pdf))
    for item in reader.outline:  # numbered across the parts, as the contents page says
        index = reader.get_destination_page_number(item)
        assert item.title in pages[index] and f"{item.title} {index + 1}" in pages[0]
    assert heard == sorted(heard) and heard[-1] == 100 and len(heard) >= 3
    assert sorted(laid_out) == [parts // 2, parts // 2]  # two children, the parts shared


def rows_in(pages: list[str]) -> list[str]:
    return re.findall(r"Person \d+\.\d+", " ".join(pages))


def test_sections_are_split_in_order_by_weight_and_never_cut() -> None:
    sections = people(7, 1).sections
    weighted = [
        Section(s.anchor, s.heading, s.template, s.context, weight=w)
        for s, w in zip(sections, [300, 300, 50, 50, 200, 100, 300], strict=True)
    ]
    groups = pdf.split(weighted, parts=2)
    assert [s for g in groups for s in g] == weighted
    assert [sum(s.weight for s in g) for g in groups] == [650, 650]
    assert pdf.split(weighted[:1], parts=4) == [weighted[:1]]  # light: laid out here, whole


def test_text_in_the_furniture_cannot_break_out_of_its_style_sheet() -> None:
    hostile = pdf.Meta(**{**META.__dict__, "alliance": 'Ba"d </style><h1>Alliance\\'})
    text = " ".join(read(pdf.render(people(1, 2), hostile, processes=1)))
    assert 'Ba"d </style><h1>Alliance\\ · People by agency' in text
    assert pdf.css_string('a"b</style>') == '"a\\22 b\\3c /style\\3e "'


def test_the_renderer_fetches_nothing_from_outside(tmp_path: Path) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    with pytest.raises(ValueError, match="loads nothing from outside"):
        chunk.lay_out(f'<link rel="stylesheet" href="file://{secret}"><p>Hello</p>')


def poppler(tool: str) -> str:
    """A poppler-utils tool: .ci/run installs them; elsewhere the test says what is missing."""
    found = shutil.which(tool)
    if found is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"{tool} (poppler-utils) missing")
    return str(found)


def test_page_one_renders_to_an_image_with_real_embedded_fonts(tmp_path: Path) -> None:
    rendered = pdf.render(people(2, 10), META, processes=1)
    source = tmp_path / "report.pdf"
    source.write_bytes(rendered.pdf)
    subprocess.run(
        [
            poppler("pdftoppm"),
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            str(source),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    dark = sum(1 for value in image.get_flattened_data() if value < 128)
    assert image.size[0] > 300 and dark > 500  # words on the page, not a blank sheet
    fonts = subprocess.run(
        [poppler("pdffonts"), str(source)], capture_output=True, text=True, check=True
    )
    assert "DejaVu-Sans" in fonts.stdout
    assert all(" yes " in line for line in fonts.stdout.splitlines()[2:])  # all embedded
