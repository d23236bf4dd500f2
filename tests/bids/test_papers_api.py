"""Bid papers, TUPE information and withdrawals over the API: `documents/` and `withdrawals/`
with their bid side (the tender and declaration), behind the barrier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bids.models import Declaration, Tender
from bids.services import papers
from kiaa.models import User
from kiaa.services.alliances import agency_update
from partnerships.models import BarrierAttempt, Document, DocumentAccess, Partnership
from partnerships.services import documents, mou, withdrawals
from tests.api import api_url, tolerant
from tests.conftest import World, api_as
from tests.factories import AgencyFactory, ServiceAreaFactory
from tests.factories.bids import bid_paper, declare, make_tender, staff_of
from tests.factories.core import _platform_admin
from tests.factories.partnerships import (
    PDF,
    chief_of,
    debt_advice_network,
    draft_mou,
    make_partnership,
    upload,
)
from tests.pages import page

pytestmark = pytest.mark.django_db


def pdf(name: str = "bid.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass
class Race:
    """Lead Advice and Partner Housing share a debt-advice network; both declare for a
    debt-advice tender (withdrawals open), and the competitor declares too."""

    world: World
    network: Partnership
    tender: Tender
    lead_bid: Declaration
    partner_bid: Declaration
    rival_bid: Declaration


@pytest.fixture
def race(world, chief_officer, trustee, partner, competitor) -> Race:
    network = debt_advice_network(world.lead, world.partner)
    tender = make_tender(
        world.alliance,
        areas=("debt-advice",),
        title="Debt advice service",
        incumbent_agency=world.cvs,
    )
    return Race(
        world,
        network,
        tender,
        declare(tender, world.lead),
        declare(tender, world.partner),
        declare(tender, world.competitor),
    )


# --- Withdrawals ------------------------------------------------------------------------------


def test_withdrawals_name_the_tender_and_the_declaration_that_opened_them(race, arbiter):
    client = api_as(arbiter)
    listed = client.get(api_url("withdrawal-list")).json()
    assert listed["count"] == 2
    by_agency = {w["agency"]: w for w in listed["results"]}
    assert set(by_agency) == {race.world.lead.pk, race.world.partner.pk}
    lead = by_agency[race.world.lead.pk]
    assert (lead["tender"], lead["declaration"], lead["partnership"], lead["status"]) == (
        race.tender.pk,
        race.lead_bid.pk,
        race.network.pk,
        "active",
    )
    assert by_agency[race.world.partner.pk]["declaration"] == race.partner_bid.pk
    detail = client.get(api_url("withdrawal-detail", pk=lead["id"])).json()
    assert detail == lead
    by_tender = client.get(api_url("withdrawal-list"), {"tender": race.tender.pk}).json()
    assert by_tender["count"] == 2
    by_bid = client.get(api_url("withdrawal-list"), {"declaration": race.lead_bid.pk}).json()
    assert [w["agency"] for w in by_bid["results"]] == [race.world.lead.pk]


def test_a_withdrawal_filter_by_a_tender_of_another_alliance_is_a_400(race, arbiter):
    other = make_tender(race.world.other_alliance)
    response = tolerant(arbiter).get(api_url("withdrawal-list"), {"tender": other.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["tender"]


# --- Bid papers -------------------------------------------------------------------------------


def test_a_bid_paper_shared_over_the_api_is_the_teams_and_hidden_from_a_rival(
    race, chief_officer, competitor
):
    response = api_as(chief_officer).post(
        api_url("declaration-papers", pk=race.lead_bid.pk),
        {"title": "Pricing model", "file": pdf()},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["declaration"], data["tender"], data["sensitivity"]) == (
        race.lead_bid.pk,
        race.tender.pk,
        "commercial",
    )
    assert (data["owner_agency"], data["partnership"]) == (race.world.lead.pk, None)
    own = api_as(chief_officer).get(api_url("document-detail", pk=data["id"]))
    assert own.json() == data
    rival = tolerant(competitor)
    assert rival.get(api_url("document-detail", pk=data["id"])).status_code == 404
    assert rival.get(api_url("document-download", pk=data["id"])).status_code == 404
    listed = rival.get(api_url("document-list")).json()
    assert data["id"] not in {d["id"] for d in listed["results"]}


def test_documents_post_with_a_declaration_shares_a_bid_paper(race, competitor):
    response = api_as(competitor).post(
        api_url("document-list"),
        {
            "title": "Method statement",
            "sensitivity": "commercial",
            "declaration": race.rival_bid.pk,
            "file": pdf(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["declaration"], response.json()["tender"]) == (
        race.rival_bid.pk,
        race.tender.pk,
    )
    document = Document.objects.get(pk=response.json()["id"])
    assert document.tender_paper.declaration_id == race.rival_bid.pk


def test_a_bid_paper_for_a_rivals_bid_or_in_a_partnership_is_refused(
    race, chief_officer, competitor
):
    client = tolerant(competitor)
    rivals = client.post(
        api_url("document-list"),
        {
            "title": "Plan",
            "sensitivity": "commercial",
            "declaration": race.lead_bid.pk,
            "file": pdf(),
        },
        format="multipart",
    )
    assert rivals.status_code == 403
    both = tolerant(chief_officer).post(
        api_url("document-list"),
        {
            "title": "Plan",
            "sensitivity": "commercial",
            "declaration": race.lead_bid.pk,
            "partnership": race.network.pk,
            "file": pdf(),
        },
        format="multipart",
    )
    assert both.status_code == 400
    assert list(both.json()) == ["partnership"]
    unknown = client.post(
        api_url("document-list"),
        {"title": "Plan", "sensitivity": "commercial", "declaration": "x", "file": pdf()},
        format="multipart",
    )
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["declaration"]
    papers_of_rival = client.post(
        api_url("declaration-papers", pk=race.lead_bid.pk),
        {"title": "Plan", "file": pdf()},
        format="multipart",
    )
    assert papers_of_rival.status_code == 403
    assert not Document.objects.exists()


def test_the_document_list_shows_each_papers_bid_and_partnership_papers_none(race, chief_officer):
    paper = bid_paper(race.lead_bid)
    upload(chief_officer, race.world.lead, title="Network minutes", partnership=race.network)
    listed = api_as(chief_officer).get(api_url("document-list")).json()["results"]
    bids = {d["title"]: (d["declaration"], d["tender"]) for d in listed}
    assert bids[paper.title] == (race.lead_bid.pk, race.tender.pk)
    assert bids["Network minutes"] == (None, None)


# --- TUPE information -------------------------------------------------------------------------


def test_the_incumbent_shares_tupe_information_and_releases_it_to_the_bidders(
    race, arbiter, competitor
):
    cvs_staff = staff_of(race.world.cvs)
    shared = api_as(cvs_staff).post(
        api_url("tender-tupe", pk=race.tender.pk),
        {"title": "Staff list", "file": pdf("tupe.pdf")},
        format="multipart",
    )
    assert shared.status_code == 201, shared.json()
    assert (shared.json()["tender"], shared.json()["declaration"]) == (race.tender.pk, None)
    hidden = tolerant(competitor).get(api_url("document-detail", pk=shared.json()["id"]))
    assert hidden.status_code == 404
    staff_release = tolerant(cvs_staff).post(api_url("tender-tupe-release", pk=race.tender.pk))
    assert staff_release.status_code == 403
    released = api_as(chief_of(race.world.cvs)).post(
        api_url("tender-tupe-release", pk=race.tender.pk)
    )
    assert released.status_code == 201
    assert released.json()["tender"] == race.tender.pk
    seen = api_as(competitor).get(api_url("document-detail", pk=shared.json()["id"]))
    assert seen.status_code == 200
    again = tolerant(chief_of(race.world.cvs)).post(
        api_url("tender-tupe-release", pk=race.tender.pk)
    )
    assert again.status_code == 409


def test_only_the_incumbent_shares_tupe_information(race, competitor):
    response = tolerant(competitor).post(
        api_url("tender-tupe", pk=race.tender.pk),
        {"title": "Staff list", "file": pdf("tupe.pdf")},
        format="multipart",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": papers.NOT_INCUMBENT}
    assert not Document.objects.exists()


# --- A paper's timeline -----------------------------------------------------------------------


def timeline(user: User, document: Document, **extra: Any) -> Any:
    return tolerant(user).get(api_url("document-timeline", pk=document.pk), **extra)


def page_status(user: User, document: Document) -> int:
    client = Client()
    client.force_login(user)
    return client.get(page("document-timeline", pk=document.pk)).status_code


TIMELINE_PERSONAS = ("chief_officer", "trustee", "partner", "competitor", "arbiter", "admin")
# The lead's bid paper is its own (the rivals never see it); the alliance-wide one every member
# sees, but only the agency that shared it and the arbiter read who opened it (403).
TIMELINE_EXPECTED = {  # chief trustee partner rival arbiter admin
    "bid paper":        (200,  200,    404,    404,  200,    404),
    "alliance paper":   (200,  200,    403,    403,  200,    403),
}  # fmt: skip


@pytest.mark.parametrize("paper", list(TIMELINE_EXPECTED))
def test_each_persona_gets_the_timeline_status_the_page_gives_them(paper, race, request, outsider):
    lead = race.world.lead
    document = (
        bid_paper(race.lead_bid)
        if paper == "bid paper"
        else upload(chief_of(lead), lead, title="Annual report")
    )
    for persona, expected in zip(TIMELINE_PERSONAS, TIMELINE_EXPECTED[paper], strict=True):
        user = request.getfixturevalue(persona)
        response = timeline(user, document)
        assert response.status_code == expected, (persona, response.content)
        assert page_status(user, document) == expected, persona
        if expected >= 400:
            assert set(response.json()) == {"detail"}
    assert timeline(outsider, document).status_code == 404


def test_the_arbiter_reads_who_could_see_a_bid_paper_and_who_opened_it(
    race, chief_officer, arbiter
):
    document = bid_paper(race.lead_bid)
    api_as(chief_officer).get(api_url("document-download", pk=document.pk))
    signed_in = Client()
    signed_in.force_login(chief_officer)
    signed_in.get(page("document-detail", pk=document.pk))
    response = timeline(arbiter, document)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["document"], data["title"], data["sensitivity"]) == (
        document.pk,
        "Pricing model",
        "commercial",
    )
    # The arbiter is no member of the bid: it reads the evidence but may not open the paper.
    assert data["can_open"] is False
    assert data["audience_now"] == [race.world.lead.pk]
    audience = [e for e in data["events"] if e["kind"] == "audience"]
    assert [(e["agency"], e["granted"]) for e in audience] == [(race.world.lead.pk, True)]
    assert all(e["person"] is None and e["action"] is None for e in audience)
    opened = [e for e in data["events"] if e["kind"] == "access"]
    assert [(e["person"]["username"], e["action"], e["channel"]) for e in opened] == [
        ("chief", "download", "api"),
        ("chief", "view", "page"),
    ]
    assert all(e["agency"] == race.world.lead.pk and e["granted"] is None for e in opened)
    times = [e["at"] for e in data["events"]]
    assert times == sorted(times)
    assert not BarrierAttempt.objects.exists()
    assert not DocumentAccess.objects.filter(person=arbiter).exists()


def test_the_agency_that_shared_a_paper_reads_its_timeline_and_may_open_it(race, trustee):
    document = bid_paper(race.lead_bid)
    data = timeline(trustee, document).json()
    assert data["can_open"] is True
    assert data["audience_now"] == [race.world.lead.pk]


def test_a_partner_that_withdrew_shows_as_losing_sight_of_the_consortiums_paper(
    world, chief_officer, arbiter
):
    consortium = make_partnership(world.lead, world.partner, kind="consortium", name="Debt bid")
    draft_mou(consortium)
    mou.undertaking_acknowledge(actor=chief_officer, partnership=consortium)
    document = upload(
        chief_officer, world.lead, title="Pricing", sensitivity="commercial", partnership=consortium
    )
    withdrawals.withdrawal_start(
        actor=None, partnership=consortium, agency=world.partner, reason="Bidding against the lead"
    )
    data = timeline(arbiter, document).json()
    audience = [(e["agency"], e["granted"]) for e in data["events"] if e["kind"] == "audience"]
    assert sorted(audience[:2]) == sorted([(world.lead.pk, True), (world.partner.pk, True)])
    assert audience[2:] == [(world.partner.pk, False)]
    assert data["audience_now"] == [world.lead.pk]


def test_a_rival_asking_for_a_bid_papers_timeline_gets_what_a_missing_paper_gets(race, competitor):
    document = bid_paper(race.lead_bid)
    hidden = timeline(competitor, document)
    missing = tolerant(competitor).get(api_url("document-timeline", pk=document.pk + 1000))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    attempt = BarrierAttempt.objects.get()
    assert (attempt.person, attempt.document, attempt.agency) == (
        competitor,
        document,
        race.world.competitor,
    )
    assert (attempt.action, attempt.channel) == ("timeline", "api")


@pytest.mark.parametrize("pk", ["abc", "-1", "99999999999999999999999"])
def test_a_timeline_named_by_a_bad_id_is_a_404(pk, race, arbiter):
    url = f"/api/v1/a/{race.world.alliance.slug}/documents/{pk}/timeline/"
    assert tolerant(arbiter).get(url).status_code == 404


def test_another_alliances_paper_has_no_timeline_here_even_for_the_arbiter(race, arbiter):
    other = upload(chief_of(race.world.other_agency), race.world.other_agency, title="Far")
    assert timeline(arbiter, other).status_code == 404


# alliance, roles, held agencies; the selector's roles, the paper, its audience changes and its
# openings (people and agencies selected with them); whether the caller may open it
TIMELINE_QUERIES = 8


@pytest.mark.parametrize("size", [3, 30])
def test_a_timeline_takes_the_same_few_queries_however_long_it_is(
    size, race, chief_officer, arbiter, django_assert_max_num_queries
):
    document = bid_paper(race.lead_bid)
    for _ in range(size):
        documents.document_access_record(
            person=chief_officer, document=document, action="view", channel="api"
        )
    with django_assert_max_num_queries(TIMELINE_QUERIES):
        response = timeline(arbiter, document)
    opened = [e for e in response.json()["events"] if e["kind"] == "access"]
    assert len(opened) == size
    assert all(e["person"]["username"] == "chief" for e in opened)


# --- Query counts -----------------------------------------------------------------------------

# alliance, roles, held agencies; count, page (bids and their papers selected with the rows);
# the barrier's reads of who the person is
WITHDRAWAL_LIST_QUERIES = 6
DOCUMENT_LIST_QUERIES = 12


def grow(world: World, n: int) -> None:
    """n more tenders on which the lead and a partner of its network compete, each sharing a
    bid paper; the network has its own paper too."""
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice", slug="debt-advice")
    admin = _platform_admin(world.alliance)
    agency_update(actor=admin, agency=world.lead, service_areas=["debt-advice"])
    for i in range(n):
        other = AgencyFactory(alliance=world.alliance, name=f"Grown {i:03}")
        agency_update(actor=admin, agency=other, service_areas=["debt-advice"])
        network = make_partnership(world.lead, other, name=f"Network {i}", areas=("debt-advice",))
        draft_mou(network)
        mou.undertaking_acknowledge(actor=chief_of(world.lead), partnership=network)
        upload(chief_of(world.lead), world.lead, title=f"Minutes {i}", partnership=network)
        tender = make_tender(world.alliance, areas=("debt-advice",))
        bid_paper(declare(tender, world.lead), title=f"Pricing {i}")
        declare(tender, other)


@pytest.mark.parametrize("size", [2, 6])
def test_withdrawals_and_papers_take_the_same_few_queries_at_any_size(
    size, world, chief_officer, django_assert_max_num_queries
):
    grow(world, size)
    client = api_as(chief_officer)
    with django_assert_max_num_queries(WITHDRAWAL_LIST_QUERIES):
        withdrawals = client.get(api_url("withdrawal-list"), {"page_size": 200}).json()
    assert withdrawals["count"] == 2 * size
    assert all(w["tender"] and w["declaration"] for w in withdrawals["results"])
    with django_assert_max_num_queries(DOCUMENT_LIST_QUERIES):
        documents = client.get(api_url("document-list"), {"page_size": 200}).json()
    titles = {d["title"]: d["tender"] for d in documents["results"]}
    assert sum(tender is not None for tender in titles.values()) == size
    assert sum(tender is None for tender in titles.values()) == size
