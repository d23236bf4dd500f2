"""The breaches API, held to API.md: who reads which breach, the payload, filters, pagination
and query counts. Reviewing a breach comes with its own endpoint and tests."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from disputes.models import Breach
from tests.api import PERSONAS, api_url, is_field_error, tolerant
from tests.conftest import World, api_as
from tests.disputes.conftest import Breaches
from tests.factories.disputes import BreachFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "kind",
    "summary",
    "agency",
    "tender",
    "partnership",
    "declaration",
    "occurred_at",
    "detected_at",
    "cleared_at",
    "evidence",
    "status",
    "sanction",
    "review_note",
    "reviewed_at",
    "reviewed_by",
    "ruling",
    "motion",
}


def ids(response: Any) -> set[int]:
    return {b["id"] for b in response.json()["results"]}


def visible(b: Breaches, persona: str) -> set[int] | None:
    """What each persona's list holds (None: the alliance is not theirs, 404)."""
    return {
        "chief_officer": {b.lead.pk},
        "trustee": {b.lead.pk},
        "partner": set(),  # staff answer for no breach: an empty list, not a refusal
        "competitor": {b.rival.pk},
        "arbiter": {b.lead.pk, b.rival.pk, b.alliance.pk},
        "admin": {b.lead.pk, b.rival.pk, b.alliance.pk},
        "outsider": None,
    }[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_lists_only_the_breaches_they_may_see(
    persona: str, breaches: Breaches, request: Any
):
    response = tolerant(request.getfixturevalue(persona)).get(api_url("breach-list"))
    expected = visible(breaches, persona)
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert ids(response) == expected


# A breach each persona may not see is missing (404), never forbidden.
READS = {  # chief, trustee, partner, rival, arbiter, admin, outsider
    "lead":      (200,   200,    404,     404,   200,     200,   404),
    "rival":     (404,   404,    404,     200,   200,     200,   404),
    "alliance":  (404,   404,    404,     404,   200,     200,   404),
    "elsewhere": (404,   404,    404,     404,   404,     404,   404),
}  # fmt: skip


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", READS)
def test_each_persona_reads_a_breach_or_gets_404(
    which: str, persona: str, breaches: Breaches, request: Any
):
    breach = getattr(breaches, which)
    client = tolerant(request.getfixturevalue(persona))
    response = client.get(api_url("breach-detail", pk=breach.pk))
    assert response.status_code == READS[which][PERSONAS.index(persona)]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_register_is_read_only_here(method: str, breaches: Breaches, admin: Any):
    client = tolerant(admin)
    assert getattr(client, method)(api_url("breach-list"), {}, format="json").status_code == 405
    detail = api_url("breach-detail", pk=breaches.lead.pk)
    assert getattr(client, method)(detail, {}, format="json").status_code == 405


def test_anonymous_clients_get_401(breaches: Breaches):
    assert APIClient().get(api_url("breach-list")).status_code == 401
    assert APIClient().get(api_url("breach-detail", pk=breaches.lead.pk)).status_code == 401


@pytest.mark.parametrize("pk", ["abc", "-1", "99999999999999999999999"])
def test_a_malformed_id_is_404_not_500(pk: str, breaches: Breaches, admin: Any):
    assert tolerant(admin).get(api_url("breach-detail", pk=pk)).status_code == 404


def test_a_breach_reads_as_api_md_says(breaches: Breaches, chief_officer: Any):
    body = api_as(chief_officer).get(api_url("breach-detail", pk=breaches.lead.pk)).json()
    assert set(body) == FIELDS
    assert body["kind"] == "late_declaration"
    assert body["agency"] == breaches.world.lead.pk
    assert body["tender"] == breaches.tender.pk
    assert body["partnership"] == breaches.partnership.pk
    assert body["declaration"] == breaches.lead_draft.pk
    assert body["status"] == "open"
    assert body["sanction"] == ""
    assert body["cleared_at"] is None
    assert body["detected_at"] == "2026-03-02T09:00:00Z"
    assert body["evidence"]["days_late"] == 2
    assert body["evidence"]["details"][0] == "The declaration came two days late."


def test_a_declaration_the_reader_may_not_see_is_not_named(breaches: Breaches, admin: Any):
    """The lead's draft is its own: the admin reads the breach without the draft's id."""
    body = api_as(admin).get(api_url("breach-detail", pk=breaches.lead.pk)).json()
    assert body["declaration"] is None
    assert body["tender"] == breaches.tender.pk


def test_a_reviewed_and_put_right_breach_says_so(breaches: Breaches, arbiter: Any):
    client = api_as(arbiter)
    rival = client.get(api_url("breach-detail", pk=breaches.rival.pk)).json()
    assert rival["cleared_at"] == "2026-03-05T12:00:00Z"
    reviewed = client.get(api_url("breach-detail", pk=breaches.alliance.pk)).json()
    assert (reviewed["agency"], reviewed["status"], reviewed["sanction"]) == (
        None,
        "upheld",
        "warning",
    )


# --- Filters and pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "which"),
    [
        ({"kind": "mou_unsigned"}, {"rival"}),
        ({"status": "upheld"}, {"alliance"}),
        ({"status": "open"}, {"lead", "rival"}),
        ({"status": "open", "kind": "late_declaration"}, {"lead"}),
    ],
)
def test_the_filters_narrow_the_list(
    params: dict[str, str], which: set[str], breaches: Breaches, arbiter: Any
):
    response = api_as(arbiter).get(api_url("breach-list"), params)
    assert ids(response) == {getattr(breaches, w).pk for w in which}


def test_the_agency_filter_narrows_what_the_reader_already_sees(
    breaches: Breaches, arbiter: Any, chief_officer: Any
):
    competitor = {"agency": breaches.world.competitor.pk}
    assert ids(api_as(arbiter).get(api_url("breach-list"), competitor)) == {breaches.rival.pk}
    assert ids(api_as(chief_officer).get(api_url("breach-list"), competitor)) == set()


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "nonsense"), ("status", "closed"), ("agency", "abc")],
)
def test_a_bad_filter_is_a_400_on_its_field(field: str, value: str, breaches: Breaches, admin: Any):
    response = tolerant(admin).get(api_url("breach-list"), {field: value})
    assert response.status_code == 400
    assert is_field_error(response.json(), field)


def test_another_alliances_agency_is_not_a_valid_filter(breaches: Breaches, admin: Any):
    response = tolerant(admin).get(
        api_url("breach-list"), {"agency": breaches.world.other_agency.pk}
    )
    assert response.status_code == 400
    assert is_field_error(response.json(), "agency")


def test_the_list_is_paginated_newest_first(world: World, arbiter: Any):
    made = [BreachFactory(agency=world.lead) for _ in range(5)]
    body = api_as(arbiter).get(api_url("breach-list"), {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5
    assert [b["id"] for b in body["results"]] == [made[4].pk, made[3].pk]
    assert "page=2" in body["next"]


# --- Query counts -----------------------------------------------------------------------------

LIST_QUERIES = 8


@pytest.mark.parametrize("size", [2, 8])
def test_the_list_takes_the_same_few_queries_at_any_size(
    size: int, world: World, chief_officer: Any, django_assert_max_num_queries: Any
):
    for n in range(size):
        BreachFactory(agency=world.lead, kind=Breach.Kind.BID_CANDY if n % 2 else "mou_unsigned")
    client = api_as(chief_officer)
    with django_assert_max_num_queries(LIST_QUERIES):
        body = client.get(api_url("breach-list"), {"page_size": 200}).json()
    assert body["count"] == size


def test_the_schema_documents_the_breaches_endpoints():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    base = "/api/v1/a/{alliance_slug}/"
    assert set(paths[f"{base}breaches/"]) == {"get"}
    assert set(paths[f"{base}breaches/{{id}}/"]) == {"get"}
    names = {p["name"] for p in paths[f"{base}breaches/"]["get"]["parameters"]}
    assert {"kind", "status", "agency", "page", "page_size"} <= names
