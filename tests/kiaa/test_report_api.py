"""Report exports over the API: 202 then progress, the download, and the same refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from kiaa.models import ReportExport, User
from kiaa.services import reports
from tests.api import api_url, tolerant
from tests.conftest import World, api_as
from tests.kiaa.report_kind import NAME, NOT_YOURS
from tests.reports import export

pytestmark = pytest.mark.usefixtures("people_kind")


def test_a_request_is_accepted_and_followed_to_its_file(
    world: World, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_as(admin)
    with django_capture_on_commit_callbacks(execute=False):
        asked = client.post(
            api_url("report-list"),
            {"kind": NAME, "params": {"agency": world.lead.pk}},
            format="json",
        )
    assert asked.status_code == 202
    assert (asked.json()["status"], asked.json()["download"]) == ("queued", None)
    reports.report_render(export_id=asked.json()["id"])
    shown = client.get(api_url("report-detail", pk=asked.json()["id"])).json()
    assert shown["status"] == "ready" and shown["progress"] == 100 and shown["pages"] == 1
    assert shown["scope"] == "Lead Advice" and len(shown["audit_hash"]) == 64
    assert shown["download"].endswith(f"/reports/{shown['id']}/download/")
    got = client.get(shown["download"])
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"


def test_choices_may_be_given_beside_the_kind_and_a_csv_is_csv(
    world: World, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_as(admin)
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(
            api_url("report-list"),
            {"kind": NAME, "format": "csv", "agency": world.lead.pk},
            format="json",
        )
    assert asked.status_code == 202
    made = ReportExport.objects.get()
    assert made.params == {"agency": world.lead.pk} and made.status == "ready"
    got = client.get(api_url("report-download", pk=made.pk))
    assert got["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(got.streaming_content).startswith(b"Agency,Person,Role")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"kind": "nonsense"}, {"kind"}),
        ({"kind": NAME, "format": "docx"}, {"format"}),
        ({"kind": NAME, "params": {"agency": "x"}}, {"agency"}),
        ({"kind": NAME, "params": "not an object"}, {"params"}),
        ({}, {"kind"}),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_queues_nothing(
    world: World, admin: User, body: dict[str, Any], errors: set[str]
) -> None:
    asked = tolerant(admin).post(api_url("report-list"), body, format="json")
    assert asked.status_code == 400 and set(asked.json()) == errors
    assert not ReportExport.objects.exists()


def test_a_report_the_roles_do_not_allow_is_a_403(
    world: World, competitor: User, partner: User
) -> None:
    refused = api_as(competitor).post(
        api_url("report-list"), {"kind": NAME, "params": {"agency": world.lead.pk}}, format="json"
    )
    assert refused.status_code == 403 and refused.json() == {"detail": NOT_YOURS}
    staff = api_as(partner).post(api_url("report-list"), {"kind": NAME}, format="json")
    assert staff.status_code == 403


def test_exports_are_their_requesters_own_and_another_alliance_sees_none(
    world: World, admin: User, chief_officer: User, outsider: User
) -> None:
    mine = export(chief_officer, world.alliance, NAME, agency=world.lead.pk).export
    assert [
        e["id"] for e in api_as(chief_officer).get(api_url("report-list")).json()["results"]
    ] == [mine.pk]
    assert api_as(admin).get(api_url("report-list")).json()["count"] == 0
    for stranger in (admin, outsider):
        client = api_as(stranger)
        assert client.get(api_url("report-detail", pk=mine.pk)).status_code == 404
        assert client.get(api_url("report-download", pk=mine.pk)).status_code == 404


def test_a_file_not_yet_drawn_is_a_409(world: World, admin: User) -> None:
    queued = reports.report_request(
        actor=admin, alliance=world.alliance, kind=NAME, format="pdf", params={}
    )
    early = api_as(admin).get(api_url("report-download", pk=queued.pk))
    assert early.status_code == 409 and early.json() == {"detail": reports.NOT_READY}


@pytest.mark.parametrize("exports", [2, 12])
def test_the_list_costs_the_same_few_queries_however_many_exports(
    world: World, admin: User, exports: int, django_assert_max_num_queries: Any
) -> None:
    ReportExport.objects.bulk_create(
        ReportExport(
            alliance=world.alliance, requested_by=admin, kind=NAME, requested_at=timezone.now()
        )
        for _ in range(exports)
    )
    client = api_as(admin)
    with django_assert_max_num_queries(6):
        listed = client.get(api_url("report-list"))
    assert listed.json()["count"] == exports
