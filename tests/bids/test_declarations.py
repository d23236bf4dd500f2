"""Declarations through the services: who may do what, the lifecycle, boards, papers, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bids.models import Allocation, Declaration, NamedPartner, StepBack, Tender, TupeReceipt
from bids.services import declarations, outcomes, papers, tenders
from bids.services.declarations import Naming
from kiaa import barrier
from kiaa.errors import Code, DomainError
from kiaa.models import BoardDecision, Protocol, Role
from kiaa.services.decisions import decision_vote
from kiaa.services.protocol import standing_orders_update
from tests.factories import PersonFactory, grant
from tests.factories.bids import (
    bid_paper,
    confirm,
    declare,
    draft,
    make_tender,
    naming,
    tupe_paper,
)
from tests.factories.core import _platform_admin
from tests.factories.partnerships import board_of, chief_of

pytestmark = pytest.mark.django_db


def seen(agency, alliance):
    person = chief_of(agency)
    return set(barrier.visible_to(person, alliance).values_list("title", flat=True))


def decision_about(declaration):
    return BoardDecision.objects.get(
        subject_type="bids.declaration", subject_id=declaration.pk, status="open"
    )


def draft_as_lead(tender, lead, partners):
    """The lead's chief officer drafts a consortium bid naming the partners (not a factory:
    these calls are the ones under test)."""
    return declarations.declaration_draft(
        actor=chief_of(lead), tender=tender, agency=lead, capacity="lead", partners=partners
    )


@dataclass
class Team:
    """A declared consortium bid: the lead named the partner (30%), which declared in it."""

    tender: Tender
    lead: Declaration
    partner: Declaration


@pytest.fixture
def team(world) -> Team:
    tender = make_tender(world.alliance)
    lead = declare(tender, world.lead, partners={world.partner: 30})
    return Team(tender, lead, declare(tender, world.partner, lead=lead))


# --- drafting ----------------------------------------------------------------------------------


def test_only_the_agencys_chief_officer_drafts_its_declaration(world, competitor):
    tender = make_tender(world.alliance)
    with pytest.raises(DomainError) as refusal:
        declarations.declaration_draft(
            actor=competitor, tender=tender, agency=world.lead, capacity="sole"
        )
    assert refusal.value.code == Code.FORBIDDEN
    assert not Declaration.objects.exists()


def test_an_agency_has_one_live_declaration_per_tender(world):
    tender = make_tender(world.alliance)
    draft(tender, world.lead)
    with pytest.raises(DomainError, match="already has a declaration") as refusal:
        draft(tender, world.lead)
    assert refusal.value.code == Code.CONFLICT


def test_after_withdrawing_the_agency_may_declare_again(world):
    tender = make_tender(world.alliance)
    first = draft(tender, world.lead)
    declarations.declaration_withdraw(actor=chief_of(world.lead), declaration=first)
    assert draft(tender, world.lead).status == Declaration.Status.DRAFT


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({}, "names at least one partner"),
        ({"partner": 0}, "more than 0%"),
        ({"partner": 60, "competitor": 40}, "add up to 100%"),
    ],
)
def test_a_consortium_bid_names_partners_with_sensible_shares(world, shares, message):
    tender = make_tender(world.alliance)
    board_of(world.lead)
    partners = [Naming(getattr(world, k), Decimal(v)) for k, v in shares.items()]
    with pytest.raises(DomainError, match=message):
        draft_as_lead(tender, world.lead, partners)
    assert not Declaration.objects.exists()


def test_a_lead_cannot_name_itself_or_an_agency_of_another_alliance(world):
    tender = make_tender(world.alliance)
    for agency, message in ((world.lead, "does not name itself"), (world.other_agency, "not in")):
        with pytest.raises(DomainError, match=message):
            draft_as_lead(tender, world.lead, [Naming(agency, Decimal(20))])


def test_nobody_is_in_a_bid_team_without_confirming(world):
    tender = make_tender(world.alliance)
    partner_chief = chief_of(world.partner)
    lead = draft(tender, world.lead, partners={world.partner: 30})
    assert naming(lead, world.partner).status == NamedPartner.Status.NAMED
    assert "names you" in partner_chief.notifications.get().title
    confirm(lead, world.partner)
    assert naming(lead, world.partner).status == NamedPartner.Status.CONFIRMED


def test_an_agency_not_named_cannot_join_a_bid_as_partner(world):
    tender = make_tender(world.alliance)
    lead = draft(tender, world.lead, partners={world.partner: 30})
    with pytest.raises(DomainError, match="has not named"):
        confirm(lead, world.competitor)


def test_a_named_partner_can_decline(world):
    tender = make_tender(world.alliance)
    lead = draft(tender, world.lead, partners={world.partner: 30})
    declarations.named_partner_decline(
        actor=chief_of(world.partner), naming=naming(lead, world.partner)
    )
    assert naming(lead, world.partner).status == NamedPartner.Status.DECLINED
    with pytest.raises(DomainError, match="already been answered"):
        declarations.named_partner_decline(
            actor=chief_of(world.partner), naming=naming(lead, world.partner)
        )


def test_a_closed_tender_takes_no_declarations(world):
    tender = make_tender(world.alliance)
    tenders.tender_close(actor=_platform_admin(world.alliance), tender=tender)
    with pytest.raises(DomainError, match="closed for submissions"):
        draft(tender, world.lead)


def test_an_agency_that_stepped_back_does_not_declare(world):
    tender = make_tender(world.alliance)
    outcomes.step_back_record(
        actor=chief_of(world.lead),
        tender=tender,
        agency=world.lead,
        reason="The incumbent is doing good work",
    )
    assert StepBack.objects.get().reason == "The incumbent is doing good work"
    with pytest.raises(DomainError, match="stepping back"):
        draft(tender, world.lead)


def test_stepping_back_needs_a_reason_and_no_live_declaration(world):
    tender = make_tender(world.alliance)
    with pytest.raises(DomainError, match="Say why"):
        outcomes.step_back_record(
            actor=chief_of(world.lead), tender=tender, agency=world.lead, reason=" "
        )
    draft(tender, world.lead)
    with pytest.raises(DomainError, match="withdraw it before"):
        outcomes.step_back_record(
            actor=chief_of(world.lead), tender=tender, agency=world.lead, reason="Changed mind"
        )


# --- the lifecycle ------------------------------------------------------------------------------


def test_illegal_transitions_are_refused_with_a_conflict(world):
    tender = make_tender(world.alliance)
    bid = draft(tender, world.lead)
    with pytest.raises(DomainError, match="draft; it cannot become bid submitted") as refusal:
        declarations.declaration_mark_submitted(actor=chief_of(world.lead), declaration=bid)
    assert refusal.value.code == Code.CONFLICT
    declarations.declaration_withdraw(actor=chief_of(world.lead), declaration=bid)
    with pytest.raises(DomainError, match="withdrawn; it cannot become withdrawn"):
        declarations.declaration_withdraw(actor=chief_of(world.lead), declaration=bid)


def test_submitting_puts_the_question_to_the_board_and_withdrawing_cancels_it(world):
    tender = make_tender(world.alliance)
    bid = draft(tender, world.lead)
    declarations.declaration_submit_for_approval(actor=chief_of(world.lead), declaration=bid)
    decision = decision_about(bid)
    assert "Declare intent to bid" in decision.question
    declarations.declaration_withdraw(actor=chief_of(world.lead), declaration=bid)
    decision.refresh_from_db()
    assert decision.status == BoardDecision.Status.CANCELLED


def test_a_lead_marks_the_bid_submitted_for_its_team(world, team):
    lead, partner = team.lead, team.partner
    with pytest.raises(DomainError, match="lead of the bid marks it"):
        declarations.declaration_mark_submitted(actor=chief_of(world.partner), declaration=partner)
    declarations.declaration_mark_submitted(actor=chief_of(world.lead), declaration=lead)
    partner.refresh_from_db()
    assert partner.status == Declaration.Status.SUBMITTED


def test_withdrawing_a_lead_withdraws_its_partners(world, team):
    lead, partner = team.lead, team.partner
    declarations.declaration_withdraw(actor=chief_of(world.lead), declaration=lead, reason="No")
    partner.refresh_from_db()
    assert partner.status == Declaration.Status.WITHDRAWN
    assert "lead withdrew" in partner.closing_reason


# --- boards -----------------------------------------------------------------------------------


def test_a_trustee_on_a_rival_declarants_board_is_excluded_with_the_reason(world):
    tender = make_tender(world.alliance)
    declare(tender, world.competitor)
    shared = PersonFactory()
    grant(shared, Role.TRUSTEE, world.lead)
    grant(shared, Role.TRUSTEE, world.competitor)
    board_of(world.lead, size=3)  # the shared trustee and two more
    bid = draft(tender, world.lead)
    declarations.declaration_submit_for_approval(actor=chief_of(world.lead), declaration=bid)
    decision = decision_about(bid)
    with pytest.raises(DomainError, match="Also a trustee of Rival Debt Line") as refusal:
        decision_vote(actor=shared, decision=decision, choice="approve")
    assert refusal.value.code == Code.FORBIDDEN


def test_a_chief_officer_who_is_a_trustee_votes_only_where_the_protocol_allows(world):
    tender = make_tender(world.alliance)
    chief = chief_of(world.lead)
    grant(chief, Role.TRUSTEE, world.lead)
    board_of(world.lead, size=3)
    bid = draft(tender, world.lead)
    declarations.declaration_submit_for_approval(actor=chief, declaration=bid)
    with pytest.raises(DomainError, match="Chief officer of Lead Advice"):
        decision_vote(actor=chief, decision=decision_about(bid), choice="approve")
    Protocol.objects.filter(alliance=world.alliance).update(chief_officers_may_vote=True)
    decision_vote(actor=chief, decision=decision_about(bid), choice="approve")


def test_standing_orders_ask_the_whole_board_for_a_large_contract(world):
    tender = make_tender(world.alliance, value_pence=50_000_000)
    trustees = board_of(world.lead, size=4)
    standing_orders_update(
        actor=chief_of(world.lead),
        agency=world.lead,
        minimum_votes=None,
        full_board_above_pence=10_000_000,
        bar_chief_officers=False,
    )
    bid = draft(tender, world.lead)
    declarations.declaration_submit_for_approval(actor=chief_of(world.lead), declaration=bid)
    decision = decision_about(bid)
    assert decision.quorum == 4
    assert "every eligible trustee" in decision.rule and "£100,000" in decision.rule
    for trustee in trustees[:3]:
        decision_vote(actor=trustee, decision=decision, choice="approve")
    bid.refresh_from_db()
    assert bid.status == Declaration.Status.AWAITING_BOARD  # a majority is not enough here
    decision_vote(actor=trustees[3], decision=decision, choice="approve")
    bid.refresh_from_db()
    assert bid.status == Declaration.Status.DECLARED


def test_standing_orders_cannot_loosen_the_alliances_quorum(world):
    with pytest.raises(DomainError, match="only tighten"):
        standing_orders_update(
            actor=chief_of(world.lead),
            agency=world.lead,
            minimum_votes=1,
            full_board_above_pence=None,
            bar_chief_officers=False,
        )


# --- papers -----------------------------------------------------------------------------------


def test_bid_papers_reach_the_team_and_never_a_rival_bidder(world):
    tender = make_tender(world.alliance)
    lead = declare(tender, world.lead, partners={world.partner: 30})
    bid_paper(lead, title="Our pricing")
    assert "Our pricing" in seen(world.lead, world.alliance)
    assert "Our pricing" not in seen(world.partner, world.alliance)  # not confirmed yet
    confirm(lead, world.partner)
    assert "Our pricing" in seen(world.partner, world.alliance)
    declare(tender, world.competitor)
    assert "Our pricing" not in seen(world.competitor, world.alliance)
    assert "Our pricing" not in seen(world.cvs, world.alliance)


def test_a_partner_that_leaves_the_bid_loses_its_papers(world):
    tender = make_tender(world.alliance)
    lead = declare(tender, world.lead, partners={world.partner: 30})
    partner = confirm(lead, world.partner)
    bid_paper(lead, title="Our pricing")
    declarations.declaration_withdraw(actor=chief_of(world.partner), declaration=partner)
    assert "Our pricing" not in seen(world.partner, world.alliance)


def test_only_the_team_shares_bid_papers(world):
    tender = make_tender(world.alliance)
    lead = declare(tender, world.lead)
    with pytest.raises(DomainError, match="bid team"):
        papers.bid_paper_upload(
            actor=chief_of(world.competitor),
            declaration=lead,
            agency=world.competitor,
            title="Sneaky",
            upload=SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )


def test_tupe_information_reaches_every_declared_bidder_at_once_and_not_before(world):
    tender = make_tender(world.alliance, incumbent_agency=world.cvs)
    declare(tender, world.lead)
    draft(tender, world.partner)  # not yet declared: no receipt
    tupe_paper(tender, title="Staff list")
    assert "Staff list" in seen(world.cvs, world.alliance)
    assert "Staff list" not in seen(world.lead, world.alliance)
    release = papers.tupe_release(actor=chief_of(world.cvs), tender=tender)
    assert "Staff list" in seen(world.lead, world.alliance)
    assert "Staff list" not in seen(world.partner, world.alliance)
    receipt = TupeReceipt.objects.get(tender=tender)
    assert (receipt.agency, receipt.received_at) == (world.lead, release.released_at)
    declare(tender, world.competitor)
    assert "Staff list" in seen(world.competitor, world.alliance)
    assert TupeReceipt.objects.filter(tender=tender).count() == 2
    with pytest.raises(DomainError, match="released on"):
        papers.tupe_release(actor=chief_of(world.cvs), tender=tender)


def test_only_the_incumbent_fills_the_tupe_room(world):
    tender = make_tender(world.alliance, incumbent_agency=world.cvs)
    with pytest.raises(DomainError, match="incumbent"):
        papers.tupe_paper_upload(
            actor=chief_of(world.lead),
            tender=tender,
            title="Fake",
            upload=SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
    with pytest.raises(DomainError, match="Upload the TUPE information"):
        papers.tupe_release(actor=chief_of(world.cvs), tender=tender)


# --- outcomes ---------------------------------------------------------------------------------


def test_the_award_goes_to_a_declared_lead_not_a_partner_or_a_draft(world, team):
    tender, lead, partner = team.tender, team.lead, team.partner
    admin = _platform_admin(world.alliance)
    pending = draft(tender, world.competitor)
    today = timezone.localdate()
    with pytest.raises(DomainError, match="lead, not to one of its partners"):
        outcomes.tender_award(actor=admin, tender=tender, winner=partner, awarded_on=today)
    with pytest.raises(DomainError, match="this one is draft"):
        outcomes.tender_award(actor=admin, tender=tender, winner=pending, awarded_on=today)
    with pytest.raises(DomainError, match="future"):
        outcomes.tender_award(
            actor=admin, tender=tender, winner=lead, awarded_on=today + timedelta(days=1)
        )
    outcomes.tender_award(actor=admin, tender=tender, winner=lead, awarded_on=today)
    statuses = dict(Declaration.objects.values_list("agency__name", "status"))
    assert statuses == {
        "Lead Advice": "won",
        "Partner Housing": "won",
        "Rival Debt Line": "withdrawn",
    }


def test_only_an_admin_awards(world):
    tender = make_tender(world.alliance)
    lead = declare(tender, world.lead)
    with pytest.raises(DomainError) as refusal:
        outcomes.tender_award(
            actor=chief_of(world.lead), tender=tender, winner=lead, awarded_on=timezone.localdate()
        )
    assert refusal.value.code == Code.FORBIDDEN


def test_cancelling_a_tender_withdraws_every_bid(world):
    tender = make_tender(world.alliance)
    declare(tender, world.lead)
    draft(tender, world.competitor)
    outcomes.tender_cancel(actor=_platform_admin(world.alliance), tender=tender, reason="No budget")
    assert set(Declaration.objects.values_list("status", flat=True)) == {"withdrawn"}
    with pytest.raises(DomainError, match="cancelled; it cannot become"):
        tenders.tender_close(actor=_platform_admin(world.alliance), tender=tender)


def test_the_lead_of_a_won_bid_records_allocations_to_confirmed_partners(world, team):
    tender, lead = team.tender, team.lead
    today = timezone.localdate()

    def allocate(agency, pence):
        return outcomes.allocation_record(
            actor=chief_of(world.lead),
            declaration=lead,
            agency=agency,
            amount_pence=pence,
            agreed_on=today,
        )

    with pytest.raises(DomainError, match="bid that won"):
        allocate(world.partner, 100)
    outcomes.tender_award(
        actor=_platform_admin(world.alliance), tender=tender, winner=lead, awarded_on=today
    )
    with pytest.raises(DomainError, match="not a confirmed partner"):
        allocate(world.competitor, 100)
    allocate(world.partner, 2_500_000)
    assert Allocation.objects.get().amount_pence == 2_500_000


def test_the_register_refuses_a_second_tender_with_the_same_reference(world):
    make_tender(world.alliance, reference="KBC-1")
    with pytest.raises(DomainError, match="already has a tender with the reference kbc-1"):
        make_tender(world.alliance, reference="kbc-1")


def test_the_eoi_deadline_comes_before_the_submission_deadline(world):
    now = timezone.now()
    with pytest.raises(DomainError, match="comes before"):
        make_tender(world.alliance, eoi_deadline=now + timedelta(days=9), submission_deadline=now)


def test_a_lead_whose_board_rejects_takes_its_partners_out_of_the_bid(world):
    tender = make_tender(world.alliance)
    lead = draft(tender, world.lead, partners={world.partner: 30})
    partner = declare(tender, world.partner, lead=lead)
    declarations.declaration_submit_for_approval(actor=chief_of(world.lead), declaration=lead)
    first, _ = board_of(world.lead)
    decision_vote(actor=first, decision=decision_about(lead), choice="reject")
    partner.refresh_from_db()
    assert partner.status == Declaration.Status.WITHDRAWN
    assert "board rejected" in partner.closing_reason
