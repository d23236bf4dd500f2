"""A report as a PDF: its sections laid out in parts, the front matter, and the page furniture.

WeasyPrint lays out about five to ten pages a second on one core, so a long register is split
between processes (`chunk`) by weight and the parts are joined with pikepdf. Whatever needs
the whole document is added after the join: the contents page (each section's first page is
known once its part is laid out) and, stamped over every page, the running header (alliance,
title, generation time), "page N of M" and the audit-chain hash the report was read at, so a
printed copy can be matched to the trail. Keeping that furniture out of the parts also keeps
WeasyPrint's margin boxes, which are slow, off the long pages.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

from kiaa.reports import chunk
from kiaa.reports.content import Report, Section

Progress = Callable[[int], None]  # percent done, 0-100

# Reports at least this heavy (about 25 table rows a page) get a contents page; lighter ones
# open with their title block on the first page of the text.
CONTENTS_FROM_SECTIONS = 4
CONTENTS_FROM_WEIGHT = 60
# A report light enough to lay out here rather than pay a child process's start (~0.5 s).
INLINE_WEIGHT = 400
# The heaviest part a child lays out at once. WeasyPrint keeps a part's whole layout (about
# 2 MB a page) until it is written, so a child draws its share as several parts in turn, and
# reuses the memory of one for the next, rather than holding its whole share at once.
PART_WEIGHT = 200
RENDER_TIMEOUT_SECONDS = 180


@dataclass(frozen=True)
class Meta:
    """What the page furniture and title block say about this copy."""

    alliance: str
    title: str
    scope: str
    generated_at: datetime  # local time
    requested_by: str
    audit_seq: int
    audit_hash: str


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int


def render(
    report: Report, meta: Meta, *, progress: Progress | None = None, processes: int | None = None
) -> Rendered:
    """Lay the report out and join it into one PDF; `progress` hears each part as it is done."""
    tell = progress or (lambda _: None)
    workers = processes if processes is not None else settings.REPORT_RENDER_PROCESSES
    front_matter = _has_contents(report)
    each = max(1, math.ceil(report.weight / (max(workers, 1) * PART_WEIGHT)))
    groups = split(report.sections, parts=workers * each) if workers > 1 else []
    groups = groups or [list(report.sections)]
    htmls = [
        _body_html(report, meta, group, title_block=not front_matter and index == 0)
        for index, group in enumerate(groups)
    ]
    parts = _lay_out_all(htmls, workers, tell)
    front = _front(report, meta, groups, parts) if front_matter else None
    pdf = _join(report, meta, groups, parts, front)
    tell(100)
    return pdf


def split(sections: list[Section], *, parts: int) -> list[list[Section]]:
    """Sections in order, in up to `parts` groups of about equal weight, or one in all when
    the report is light enough to lay out here."""
    total = sum(section.weight for section in sections)
    if parts <= 1 or total <= INLINE_WEIGHT:
        return [list(sections)] if sections else []
    target = total / parts
    groups: list[list[Section]] = [[]]
    weight = 0
    for section in sections:
        if groups[-1] and weight + section.weight / 2 > target and len(groups) < parts:
            groups.append([])
            weight = 0
        groups[-1].append(section)
        weight += section.weight
    return groups


def _has_contents(report: Report) -> bool:
    return len(report.sections) >= CONTENTS_FROM_SECTIONS or report.weight >= CONTENTS_FROM_WEIGHT


def _section_html(section: Section, meta: Meta) -> SafeString:
    return mark_safe(  # noqa: S308 - rendered by our template, which escapes what it shows
        render_to_string(section.template, {**section.context, "section": section, "meta": meta})
    )


def _body_html(report: Report, meta: Meta, group: list[Section], *, title_block: bool) -> str:
    return render_to_string(
        "reports/body.html",
        {
            "report": report,
            "meta": meta,
            "title_block": title_block,
            "sections": [(section, _section_html(section, meta)) for section in group],
        },
    )


def _lay_out_all(htmls: list[str], workers: int, tell: Progress) -> list[chunk.Part]:
    """Each part laid out: here when there is one, else by `workers` child processes at once,
    each taking its run of consecutive parts in turn."""
    if len(htmls) == 1:
        tell(20)
        return [chunk.lay_out(htmls[0])]
    each = math.ceil(len(htmls) / workers)
    shares = [htmls[start : start + each] for start in range(0, len(htmls), each)]
    done: list[int] = []

    def one(share: list[str]) -> list[chunk.Part]:
        parts = _in_child(share)
        done.append(1)
        tell(10 + 80 * len(done) // len(shares))
        return parts

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [part for parts in pool.map(one, shares) for part in parts]


def _in_child(htmls: list[str]) -> list[chunk.Part]:
    with tempfile.TemporaryDirectory(prefix="kiaa-report-") as folder:
        outs = [Path(folder) / f"part-{index}.pdf" for index in range(len(htmls))]
        finished = subprocess.run(  # noqa: S603 - our own module, run by this interpreter
            [sys.executable, "-m", "kiaa.reports.chunk", *map(str, outs)],
            input=json.dumps(htmls).encode(),
            capture_output=True,
            timeout=RENDER_TIMEOUT_SECONDS,
            check=False,
            cwd=settings.BASE_DIR,
        )
        if finished.returncode != 0:
            raise RuntimeError(f"A report part failed to render: {finished.stderr.decode()[-500:]}")
        told = json.loads(finished.stdout)
        return [
            chunk.Part(out.read_bytes(), one["pages"], one["anchors"])
            for out, one in zip(outs, told, strict=True)
        ]


def _front(
    report: Report, meta: Meta, groups: list[list[Section]], parts: list[chunk.Part]
) -> chunk.Part:
    """The title block and the contents, numbered from the parts' page counts.

    The numbers depend on how long the front itself is, so it is laid out again in the rare
    case a guess at its length was wrong.
    """
    # The title block takes about a third of the first page, a contents line about 1/40th.
    guess = 1 + (sum(len(group) for group in groups) + 15) // 40
    for _ in range(3):
        entries = _contents(groups, parts, offset=guess)
        front = chunk.lay_out(
            render_to_string(
                "reports/front.html", {"report": report, "meta": meta, "contents": entries}
            )
        )
        if front.pages == guess:
            return front
        guess = front.pages
    return front


def _contents(
    groups: list[list[Section]], parts: list[chunk.Part], *, offset: int
) -> list[tuple[Section, int]]:
    """Each section with the number of its first page in the joined document."""
    entries: list[tuple[Section, int]] = []
    for group, part in zip(groups, parts, strict=True):
        for section in group:
            entries.append((section, offset + part.anchors.get(section.anchor, 0) + 1))
        offset += part.pages
    return entries


def _join(
    report: Report,
    meta: Meta,
    groups: list[list[Section]],
    parts: list[chunk.Part],
    front: chunk.Part | None,
) -> Rendered:
    joined = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(p.pdf)) for p in ([front] if front else []) + parts]
    for source in sources:
        joined.pages.extend(source.pages)
    total = len(joined.pages)
    stamp = pikepdf.open(io.BytesIO(chunk.lay_out(_stamp_html(meta, total)).pdf))
    for page, furniture in zip(joined.pages, stamp.pages, strict=True):
        page.add_overlay(furniture, pikepdf.Rectangle(0, 0, *_size(page)))
    _outline(joined, _contents(groups, parts, offset=front.pages if front else 0))
    _describe(joined, report, meta)
    out = io.BytesIO()
    joined.save(out)
    for source in [*sources, stamp]:
        source.close()
    return Rendered(out.getvalue(), total)


def _size(page: pikepdf.Page) -> tuple[float, float]:
    box = page.mediabox
    return float(box[2]), float(box[3])


def _stamp_html(meta: Meta, pages: int) -> str:
    generated = date_format(meta.generated_at, "j M Y H:i T")
    return render_to_string(
        "reports/stamp.html",
        {
            "header": css_string(f"{meta.alliance} · {meta.title}"),
            "generated": css_string(f"Generated {generated}"),
            "filing": css_string(f"Audit trail #{meta.audit_seq} · {meta.audit_hash[:16]}"),
            "pages": range(pages),
        },
    )


def css_string(text: str) -> SafeString:
    """Text as a quoted CSS string for `content:`, safe inside a <style> element.

    HTML escaping does not apply inside <style>, so quotes, backslashes, line breaks and the
    characters that could close the element are written as CSS escapes instead.
    """
    escaped = "".join(f"\\{ord(c):x} " if c in '\\"<>&' or ord(c) < 32 else c for c in text)
    return mark_safe(f'"{escaped}"')  # noqa: S308 - every unsafe character is escaped above


def _outline(pdf: pikepdf.Pdf, entries: list[tuple[Section, int]]) -> None:
    """Bookmarks to each section, for readers on screen."""
    with pdf.open_outline() as outline:
        outline.root.extend(
            pikepdf.OutlineItem(section.heading, number - 1) for section, number in entries
        )


def _describe(pdf: pikepdf.Pdf, report: Report, meta: Meta) -> None:
    info: dict[str, Any] = {
        "/Title": f"{report.title}: {meta.scope}" if meta.scope else report.title,
        "/Author": meta.alliance,
        "/Subject": f"Audit trail event #{meta.audit_seq}, hash {meta.audit_hash}",
        "/Creator": "KIAA governance",
    }
    for key, value in info.items():
        pdf.docinfo[key] = value
