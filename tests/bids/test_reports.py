"""The bids app's reports: the declarations register (PDF and CSV) and a tender's conflict map.

State is built through the services; each report is requested and drawn as its requester
(tests/reports.py), so what it shows is what their selectors give them: never another
agency's draft, never a rival bid's papers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bids import report_forms, reports
from bids.models import Declaration, Tender
from bids.services import declarations, outcomes
from bids.services.declarations import Naming
from kiaa.errors import Code, DomainError, FieldErrors
from kiaa.models import Agency, User
from kiaa.permissions import roles_of
from kiaa.reports import kinds
from kiaa.reports.content import day
from kiaa.services.reports import NOT_OFFERED
from partnerships.models import Partnership
from tests.conftest import World
from tests.factories import AgencyFactory
from tests.factories.bids import bid_paper, declare, draft, make_tender
from tests.factories.partnerships import (
    approve_open_decisions,
    board_of,
    chief_of,
    debt_advice_network,
)
from tests.pages import html, page, signed_in
from tests.reports import export

pytestmark = pytest.mark.django_db

REGISTER, MAP = reports.REGISTER, reports.CONFLICT_MAP
SUMMARY = "We undercut the incumbent's price by twelve per cent"


@dataclass
class Bidding:
    """Lead Advice (with Partner Housing) and Rival Debt Line bid for one debt-advice tender;
    Lead Advice and Rival Debt Line share the debt advice network; Northside steps back."""

    tender: Tender
    network: Partnership
    lead_bid: Declaration
    partner_bid: Declaration
    rival_bid: Declaration
    northside: Agency


@pytest.fixture
def bidding(world: World, chief_officer: User, competitor: User) -> Bidding:
    network = debt_advice_network(world.lead, world.competitor)
    tender = make_tender(
        world.alliance, areas=("debt-advice",), reference="KV-2026-01", title="Debt advice"
    )
    lead_bid = _declare_with_summary(tender, world.lead, partners={world.partner: 30})
    partner_bid = declare(tender, world.partner, lead=lead_bid)
    rival_bid = declare(tender, world.competitor)
    bid_paper(lead_bid, title="Lead pricing model")
    bid_paper(rival_bid, title="Rival delivery plan")
    northside = AgencyFactory(alliance=world.alliance, name="Northside Law Centre")
    outcomes.step_back_record(
        actor=chief_of(northside),
        tender=tender,
        agency=northside,
        reason="The incumbent serves the area well",
    )
    return Bidding(tender, network, lead_bid, partner_bid, rival_bid, northside)


def _declare_with_summary(
    tender: Tender, agency: Agency, partners: dict[Agency, int]
) -> Declaration:
    """A lead's declared bid with a summary, which no report may show (names only)."""
    board_of(agency)
    bid = declarations.declaration_draft(
        actor=chief_of(agency),
        tender=tender,
        agency=agency,
        capacity="lead",
        summary=SUMMARY,
        partners=[Naming(a, Decimal(share)) for a, share in partners.items()],
    )
    declarations.declaration_submit_for_approval(actor=chief_of(agency), declaration=bid)
    approve_open_decisions(agency)
    return bid


def refused(person: User, alliance: Any, kind: str, **params: Any) -> DomainError:
    """The refusal of a request: nothing is queued."""
    with pytest.raises(DomainError) as caught:
        export(person, alliance, kind, **params)
    return caught.value


# ----------------------------------------------------------------------------- the register


def test_the_register_shows_each_tenders_bids_boards_conflicts_withdrawals_and_step_backs(
    world: World, bidding: Bidding, admin: User
):
    other = make_tender(world.alliance, reference="KV-2026-02", title="Housing advice")
    outcomes.step_back_record(
        actor=chief_of(world.partner), tender=other, agency=world.partner, reason="No capacity"
    )
    today = day(timezone.now())

    register = export(admin, world.alliance, REGISTER)

    assert register.pages == 2  # the second tender starts a page rather than split
    words = register.text
    assert "Declarations register" in words and "Every tender; every agency" in words
    assert "Declarations: 3" in words and "Step-backs: 2" in words
    assert words.index("KV-2026-01: Debt advice") < words.index("KV-2026-02: Housing")
    assert "Lead, with Partner Housing (confirmed)" in words
    assert "Partner in Lead Advice's bid" in words and "Sole bidder" in words
    assert f"Approved on {today} (2 approvals of 2 votes cast; quorum" in words
    assert "Rival Debt Line has also declared for KV-2026-01" in words
    assert f"Debt advice network: from {today} until the bidding ends, in force" in words
    assert f"Stepped back on {today} Why: The incumbent serves the area well" in words
    assert "Why: No capacity" in words
    assert "undercut" not in words  # the register says who and when, not what they bid


def test_the_register_as_csv_has_a_header_and_a_row_per_declaration_and_step_back(
    world: World, bidding: Bidding, admin: User
):
    rows = export(admin, world.alliance, REGISTER, format="csv", tender=bidding.tender.pk).rows

    assert rows[0] == reports.HEADER
    by_agency = {row[3]: row for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == ["declaration"] * 3 + ["step-back"]
    assert set(by_agency) == {
        "Lead Advice",
        "Partner Housing",
        "Rival Debt Line",
        "Northside Law Centre",
    }
    rival = by_agency["Rival Debt Line"]
    assert rival[1:3] == ["KV-2026-01", "Debt advice"]
    assert rival[4:7] == ["Sole bidder", "", "Declared"]
    assert rival[7].startswith(timezone.localdate().isoformat())
    assert rival[8].startswith("Approved on")
    assert "Lead Advice has also declared for KV-2026-01" in rival[9]
    assert rival[10].startswith("Debt advice network: from")
    assert by_agency["Partner Housing"][4:6] == ["Partner", "Lead Advice"]
    assert by_agency["Northside Law Centre"][6:] == [
        "Stepped back",
        by_agency["Northside Law Centre"][7],
        "",
        "",
        "",
        "The incumbent serves the area well",
    ]


def test_a_chief_officer_exports_only_their_own_agencys_register(
    world: World, bidding: Bidding, chief_officer: User
):
    for params in ({"agency": world.competitor.pk}, {}):
        error = refused(chief_officer, world.alliance, REGISTER, format="csv", **params)
        assert error.code == Code.FORBIDDEN
        assert error.message == report_forms.REGISTER_NOT_YOURS

    rows = export(chief_officer, world.alliance, REGISTER, format="csv", agency=world.lead.pk).rows

    assert [row[3] for row in rows[1:]] == ["Lead Advice"]


def test_a_tender_or_agency_of_another_alliance_is_not_one_of_the_choices(
    world: World, admin: User
):
    elsewhere = make_tender(world.other_alliance, reference="EL-01")
    with pytest.raises(FieldErrors) as register:
        export(admin, world.alliance, REGISTER, tender=elsewhere.pk, agency=world.other_agency.pk)
    assert set(register.value.errors) == {"tender", "agency"}
    assert "not one of the available choices" in register.value.errors["tender"][0]
    with pytest.raises(FieldErrors) as conflict_map:
        export(admin, world.alliance, MAP, tender=elsewhere.pk)
    assert set(conflict_map.value.errors) == {"tender"}


def test_a_period_keeps_the_declarations_and_step_backs_made_in_it(
    world: World, bidding: Bidding, admin: User
):
    today, tomorrow = timezone.localdate(), timezone.localdate() + timedelta(days=1)

    within = export(admin, world.alliance, REGISTER, format="csv", date_from=today, date_to=today)
    later = export(admin, world.alliance, REGISTER, format="csv", date_from=tomorrow)

    assert len(within.rows) == 5 and "made " in within.export.scope
    assert later.rows == [reports.HEADER]
    with pytest.raises(FieldErrors) as reversed_period:
        export(admin, world.alliance, REGISTER, date_from=tomorrow, date_to=today)
    assert reversed_period.value.errors == {"date_to": [report_forms.DATES_REVERSED]}


def test_barrier_the_competitors_register_omits_the_leads_draft(
    world: World, chief_officer: User, competitor: User, admin: User
):
    tender = make_tender(world.alliance, reference="KV-2026-03", title="Welfare rights")
    lead_draft = draft(tender, world.lead)
    declare(tender, world.competitor)

    theirs = export(competitor, world.alliance, REGISTER, agency=world.competitor.pk)
    admins = export(admin, world.alliance, REGISTER, format="csv", tender=tender.pk)
    leads = export(chief_officer, world.alliance, REGISTER, format="csv", agency=world.lead.pk)

    # Not as a declarant, nor in the rules' findings for the competitor's own bid.
    assert "Rival Debt Line" in theirs.text and "Lead Advice" not in theirs.text
    assert [row[3] for row in admins.rows[1:]] == ["Rival Debt Line"]
    assert [row[3] for row in leads.rows[1:]] == ["Lead Advice"]
    assert leads.rows[1][6] == lead_draft.get_status_display() == "Draft"


@pytest.mark.parametrize("size", [2, 5])
def test_building_the_register_makes_the_same_queries_at_any_size(
    world: World, admin: User, django_assert_max_num_queries: Any, size: int
):
    debt_advice_network(world.lead, world.competitor)
    for _ in range(size):
        tender = make_tender(world.alliance, areas=("debt-advice",))
        lead = declare(tender, world.lead, partners={world.partner: 20})
        declare(tender, world.partner, lead=lead)
        declare(tender, world.competitor)
        outcomes.step_back_record(
            actor=chief_of(world.cvs), tender=tender, agency=world.cvs, reason="We arbitrate"
        )
    kind = kinds.get(REGISTER)
    assert kind is not None
    roles = roles_of(admin, world.alliance)
    form = kind.form({}, person=admin, alliance=world.alliance, roles=roles)
    assert form.is_valid()

    with django_assert_max_num_queries(18):
        built = kind.build(person=admin, alliance=world.alliance, roles=roles, params={})

    assert len(built.sections) == size
    assert built.table is not None and len(built.table.rows) == 4 * size
    assert any(row[10] for row in built.table.rows)  # withdrawals


# ----------------------------------------------------------------------------- the conflict map


def test_the_conflict_map_shows_the_bids_shared_partnerships_withdrawals_and_who_sees_what(
    world: World, bidding: Bidding, chief_officer: User
):
    conflict_map = export(chief_officer, world.alliance, MAP, tender=bidding.tender.pk)

    assert conflict_map.pages == 3  # the title and contents, then the map
    words = conflict_map.text
    assert "Tender conflict map" in words and "Tender KV-2026-01: Debt advice" in words
    assert "Bid team" in words and "Lead Advice, Partner Housing" in words
    assert "Debt advice network Network Lead Advice (lead), Rival Debt Line" in words
    assert (
        "Rival Debt Line cannot see Debt advice network's commercially sensitive papers "
        "until its bid ends" in words
    )
    assert (
        "Lead Advice's bid papers are open to its bid team only: Lead Advice, Partner Housing."
        in words
    )
    assert "Rival Debt Line's bid papers are open to its bid team only: Rival Debt Line." in words
    assert "Northside Law Centre The incumbent serves the area well" in words
    assert "Lead pricing model Bid paper (Lead Advice's bid) Lead Advice" in words
    assert "undercut" not in words  # no declaration summaries


def test_barrier_the_competitors_conflict_map_omits_the_leads_bid_papers(
    world: World, bidding: Bidding, chief_officer: User, competitor: User
):
    leads = export(chief_officer, world.alliance, MAP, tender=bidding.tender.pk).text
    theirs = export(competitor, world.alliance, MAP, tender=bidding.tender.pk).text

    assert "Lead pricing model" in leads and "Rival delivery plan" not in leads
    assert "Lead pricing model" not in theirs and "Rival delivery plan" in theirs


def test_a_chief_officer_maps_only_a_tender_their_agency_has_a_declaration_for(
    world: World, bidding: Bidding, chief_officer: User, arbiter: User, admin: User
):
    elsewhere = make_tender(world.alliance, reference="KV-2026-09")
    error = refused(chief_officer, world.alliance, MAP, tender=elsewhere.pk)
    assert (error.code, error.message) == (Code.FORBIDDEN, report_forms.MAP_NOT_YOURS)
    error = refused(arbiter, world.alliance, MAP, tender=bidding.tender.pk)
    assert (error.code, error.message) == (Code.FORBIDDEN, NOT_OFFERED)
    with pytest.raises(FieldErrors) as missing:
        export(admin, world.alliance, MAP)
    assert set(missing.value.errors) == {"tender"}
    error = refused(admin, world.alliance, MAP, format="csv", tender=bidding.tender.pk)
    assert error.field == "format"


# ----------------------------------------------------------------------------- the links


def test_the_pages_link_to_the_exports_their_reader_may_take(
    client: Client, world: World, bidding: Bidding, chief_officer: User, partner: User
):
    tender_page = page("tender-detail", pk=bidding.tender.pk)
    map_link = f"{reverse('report-new', args=['home', MAP])}?tender={bidding.tender.pk}"
    register_link = reverse("report-new", args=["home", REGISTER])
    signed_in(client, chief_officer)
    assert map_link in html(client.get(tender_page))
    assert f'{register_link}?agency={world.lead.pk}"' in html(client.get(page("declarations")))
    # The request page takes the tender from the link.
    assert f'<option value="{bidding.tender.pk}" selected>' in html(client.get(map_link))
    # Not a tender the lead has a declaration for: its map would be refused, so no link.
    elsewhere = make_tender(world.alliance, reference="KV-2026-09")
    assert "/reports/new/" not in html(client.get(page("tender-detail", pk=elsewhere.pk)))
    signed_in(client, partner)  # staff export nothing
    assert "/reports/new/" not in html(client.get(tender_page))
    assert "/reports/new/" not in html(client.get(page("declarations")))
