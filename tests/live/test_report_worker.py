"""A long report drawn by a real Celery worker: its prefork child (a daemon, which may not fork
children of its own) lays the PDF out in plain child processes, committing progress as it goes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from disputes.models import Breach
from kiaa.models import ReportExport, User
from kiaa.reports import pdf
from kiaa.services import reports
from tests.conftest import World
from tests.factories.disputes import BreachFactory
from tests.live.conftest import PrivateRedis, Worker, wait_for

pytestmark = [pytest.mark.live_broker, pytest.mark.django_db(transaction=True)]
BREACHES = pdf.INLINE_WEIGHT + 20  # heavier than a report laid out in the worker itself


def test_a_worker_draws_a_long_report_in_parts_and_its_progress_is_seen_as_it_goes(
    world: World,
    admin: User,
    live_app: PrivateRedis,
    worker: Worker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    media = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(media))  # the worker's storage, read back from disk
    monkeypatch.setenv("REPORT_RENDER_PROCESSES", "2")
    for n in range(BREACHES):  # a section per status: sections are what the parts split
        status = Breach.Status.OPEN if n % 2 else Breach.Status.UNDER_REVIEW
        BreachFactory(
            agency=world.competitor, status=status, summary=f"Breach number {n} of the register."
        )
    worker.start()

    queued = reports.report_request(
        actor=admin, alliance=world.alliance, kind="breach_register", format="pdf", params={}
    )
    seen: set[int] = set()

    def drawn() -> ReportExport | None:
        export = ReportExport.objects.get(pk=queued.pk)
        seen.add(export.progress)
        return export if export.status in ("ready", "failed") else None

    done = wait_for(drawn, what="the worker to draw the register", timeout=90)
    assert done.status == "ready", done.failure
    # Committed while it ran, as each child's part came back: 62 % and 88 % for two parts
    # (a report laid out in the worker itself would show 43 %).
    assert seen & {62, 88} and 43 not in seen, sorted(seen)
    reader = PdfReader(io.BytesIO((media / done.file.name).read_bytes()))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert len(reader.pages) == done.pages > 5
    assert "Breach number 0 of" in text and f"Breach number {BREACHES - 1} of" in text
    assert f"Page {done.pages} of {done.pages}" in " ".join(text.split())
