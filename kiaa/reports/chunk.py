"""Lays out one part of a report with WeasyPrint: in this process, or as a child process.

A long report is drawn in parts by several processes at once, because WeasyPrint's layout
runs on one core. A child is a plain interpreter started with
`python -m kiaa.reports.chunk OUT...` (not multiprocessing: Celery's pool workers are daemons
and may not fork children of their own); it reads a JSON list of the parts' HTML on stdin,
lays them out one after the other (so one part's memory serves the next), writes each PDF to
its OUT and prints, as JSON, each part's page count and the page each anchor landed on.
Nothing here needs Django set up, so a child starts in about half a second.
"""

from __future__ import annotations

import gc
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
    told = []
    for out, html in zip(sys.argv[1:], json.loads(sys.stdin.read()), strict=True):
        part = lay_out(html)
        with open(out, "wb") as handle:
            handle.write(part.pdf)
        told.append({"pages": part.pages, "anchors": part.anchors})
        del part
        gc.collect()  # the layout's cycles, before the next part needs the memory
    json.dump(told, sys.stdout)


if __name__ == "__main__":
    main()
