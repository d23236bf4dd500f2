"""The reports pages: what a person may export, asking for one, following it, downloading it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kiaa.models import ReportExport, User
from kiaa.services import reports
from tests.conftest import World
from tests.kiaa.report_kind import NAME, NOT_YOURS
from tests.pages import html, main_nav, page, signed_in, text
from tests.reports import export

pytestmark = pytest.mark.usefixtures("people_kind")


def test_the_reports_page_offers_what_the_persons_roles_may_export(
    client: Client, world: World, admin: User, partner: User
) -> None:
    offered = text(signed_in(client, admin).get(page("reports")))
    assert "People by agency" in offered and "You have not exported a report yet" in offered
    staff = text(signed_in(Client(), partner).get(page("reports")))
    assert "People by agency" not in staff and "Your roles here do not include any reports" in staff


def test_asking_for_a_report_queues_it_and_its_page_follows_it_to_the_download(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    signed_in(client, admin)
    form = client.get(page("report-new", kind=NAME) + f"?agency={world.lead.pk}")
    assert f'<option value="{world.lead.pk}" selected>' in html(form)
    with django_capture_on_commit_callbacks(execute=True):  # eager Celery draws it on commit
        asked = client.post(
            page("report-new", kind=NAME), {"agency": world.lead.pk, "format": "pdf"}
        )
    made = ReportExport.objects.get()
    assert asked.status_code == 302 and asked.url == page("report-detail", pk=made.pk)
    shown = client.get(asked.url)
    assert "Download the PDF (1 page)" in text(shown) and 'http-equiv="refresh"' not in html(shown)
    download = client.get(page("report-download", pk=made.pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert "people-by-agency-" in download["Content-Disposition"]


def test_a_report_being_drawn_shows_its_progress_and_reloads_itself(
    client: Client, world: World, admin: User
) -> None:
    queued = reports.report_request(
        actor=admin, alliance=world.alliance, kind=NAME, format="pdf", params={}
    )
    ReportExport.objects.filter(pk=queued.pk).update(status="running", progress=40)
    shown = signed_in(client, admin).get(page("report-detail", pk=queued.pk))
    assert '<progress max="100" value="40"' in html(shown) and 'http-equiv="refresh"' in html(shown)
    assert "Being drawn" in text(shown)
    early = client.get(page("report-download", pk=queued.pk))
    assert early.status_code == 302  # back to its page, with the reason
    assert "not ready to download yet" in text(client.get(early.url))


def test_a_refusal_is_shown_on_the_form_and_nothing_is_queued(
    client: Client, world: World, competitor: User
) -> None:
    refused = signed_in(client, competitor).post(
        page("report-new", kind=NAME), {"agency": world.lead.pk, "format": "pdf"}
    )
    assert refused.status_code == 403 and NOT_YOURS in text(refused)
    bad = client.post(
        page("report-new", kind=NAME), {"agency": world.other_agency.pk, "format": "pdf"}
    )
    assert bad.status_code == 400 and "Select a valid choice" in text(bad)
    assert not ReportExport.objects.exists()


def test_nobody_else_opens_an_export_not_even_an_admin(
    client: Client, world: World, admin: User, chief_officer: User, outsider: User
) -> None:
    mine = export(chief_officer, world.alliance, NAME, agency=world.lead.pk).export
    for stranger in (admin, outsider):
        signed_in(client, stranger)
        assert client.get(page("report-detail", pk=mine.pk)).status_code == 404
        assert client.get(page("report-download", pk=mine.pk)).status_code == 404


def test_an_unknown_report_or_one_the_roles_do_not_include_is_refused(
    client: Client, world: World, partner: User
) -> None:
    signed_in(client, partner)
    assert client.get(page("report-new", kind="nonsense")).status_code == 404
    assert client.get(page("report-new", kind=NAME)).status_code == 403


def test_the_navigation_offers_reports_to_those_who_may_export_one(
    client: Client, world: World, admin: User, partner: User
) -> None:
    assert ">Reports</a>" in main_nav(signed_in(client, admin).get(page("dashboard")))
    assert ">Reports</a>" not in main_nav(signed_in(Client(), partner).get(page("dashboard")))
