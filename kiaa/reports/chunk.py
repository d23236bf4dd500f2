"""Lays out one part of a report with WeasyPrint: in this process, or as a child process.

A long report is drawn in parts at once, one process each, because WeasyPrint's layout runs
on one core. A child is a plain interpreter started with `python -m kiaa.reports.chunk OUT`
(not multiprocessing: Celery's pool workers are daemons and may not fork children of their
own); it reads the part's HTML on stdin, writes the PDF to OUT and prints, as JSON, how many
pages it made and the page each anchor landed on. Nothing here imports Django, so a child
starts in well under a second.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher


@dataclass(frozen=True)
class Part:
    pdf: bytes
    pages: int
    anchors: dict[str, int]  # anchor -> page index within the part (0-based)


def lay_out(html: str) -> Part:
    """The part's PDF, its page count and where each anchor is.

    Reports are drawn from our own templates with inline CSS and SVG: the fetcher refuses
    every URL but `data:`, so text a person typed can never make the renderer fetch a file
    or an address.
    """
    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    try:
        document = HTML(string=html, url_fetcher=fetcher).render()
    except FatalURLFetchingError as refused:  # a BaseException: it would pass `except Exception`
        raise ValueError(f"A report loads nothing from outside: {refused}") from None
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    return Part(document.write_pdf(), len(document.pages), anchors)


def main() -> None:
    out = sys.argv[1]
    part = lay_out(sys.stdin.read())
    with open(out, "wb") as handle:
        handle.write(part.pdf)
    json.dump({"pages": part.pages, "anchors": part.anchors}, sys.stdout)


if __name__ == "__main__":
    main()
