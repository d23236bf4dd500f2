"""Bid papers, TUPE information and withdrawals over the API: `documents/` and `withdrawals/`
with their bid side (the tender and declaration), behind the barrier."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bids.models import Declaration, Tender
from bids.services import papers
from kiaa.services.alliances import agency_update
from partnerships.models import Document, Partnership
from partnerships.services import mou
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
