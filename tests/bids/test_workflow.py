"""The protocol's core story, end to end through the services.

Two partners in a debt-advice partnership both declare for the same debt-advice tender:
withdrawals open, each loses the other's commercial papers, the contract is awarded,
the withdrawals end and access returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bids.models import BidWithdrawal, Declaration, Tender
from bids.services import outcomes, withdrawals
from kiaa import audit, barrier
from kiaa.models import BoardDecision, Notification, Protocol, User
from partnerships.models import Partnership, Withdrawal
from partnerships.services import mou
from tests.factories.bids import declare, make_tender
from tests.factories.core import _platform_admin
from tests.factories.partnerships import (
    chief_of,
    debt_advice_network,
    draft_mou,
    join,
    upload,
)

pytestmark = pytest.mark.django_db


def seen_by(person, alliance):
    return set(barrier.visible_to(person, alliance).values_list("title", flat=True))


@dataclass
class Story:
    world: Any
    network: Partnership
    tender: Tender
    lead_chief: User
    partner_chief: User


@pytest.fixture
def story(world):
    """Lead Advice and Partner Housing share a debt-advice network with an MoU and papers."""
    network = debt_advice_network(world.lead, world.partner)
    draft_mou(network)
    lead_chief, partner_chief = chief_of(world.lead), chief_of(world.partner)
    for person in (lead_chief, partner_chief):
        mou.undertaking_acknowledge(actor=person, partnership=network)
    kinds = {"sensitivity": "commercial", "partnership": network}
    upload(lead_chief, world.lead, title="Lead pricing", **kinds)
    upload(partner_chief, world.partner, title="Partner pricing", **kinds)
    upload(
        lead_chief,
        world.lead,
        title="Network minutes",
        sensitivity="partnership",
        partnership=network,
    )
    tender = make_tender(world.alliance, areas=("debt-advice",), title="Debt advice service")
    return Story(world, network, tender, lead_chief, partner_chief)


def test_two_partners_who_compete_lose_each_others_commercial_papers_until_the_award(story):
    world = story.world
    network = story.network
    tender = story.tender
    lead_chief = story.lead_chief
    partner_chief = story.partner_chief
    everything = {"Lead pricing", "Partner pricing", "Network minutes"}
    assert seen_by(lead_chief, world.alliance) == everything

    lead_bid = declare(tender, world.lead)
    rival_bid = declare(tender, world.partner)

    assert lead_bid.status == rival_bid.status == Declaration.Status.DECLARED
    open_withdrawals = Withdrawal.objects.filter(partnership=network).active()
    assert {w.agency for w in open_withdrawals} == {world.lead, world.partner}
    assert BidWithdrawal.objects.filter(declaration__in=[lead_bid, rival_bid]).count() == 2
    assert seen_by(lead_chief, world.alliance) == {"Network minutes"}
    assert seen_by(partner_chief, world.alliance) == {"Network minutes"}

    outcomes.tender_award(
        actor=_platform_admin(world.alliance),
        tender=tender,
        winner=lead_bid,
        awarded_on=timezone.localdate(),
    )
    lead_bid.refresh_from_db()
    rival_bid.refresh_from_db()
    assert (lead_bid.status, rival_bid.status) == ("won", "lost")
    # The loser is back at once; the winner waits out the grace period.
    assert seen_by(partner_chief, world.alliance) == everything
    assert seen_by(lead_chief, world.alliance) == {"Network minutes"}

    later = timezone.now() + timedelta(days=15)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        assert withdrawals.withdrawals_close_due() == 1
        assert withdrawals.withdrawals_close_due() == 0  # idempotent
        assert seen_by(lead_chief, world.alliance) == everything
    assert audit.verify(world.alliance) is None


def test_declaring_tells_the_partners_and_the_withdrawn_agency_what_changed(story):
    world = story.world
    tender = story.tender
    lead_chief = story.lead_chief
    partner_chief = story.partner_chief
    declare(tender, world.lead)
    told = Notification.objects.filter(verb="withdrawal.started")
    assert {n.recipient for n in told} == {lead_chief, partner_chief}
    assert all("Debt advice network" in n.title for n in told)
    declared = Notification.objects.get(verb="declaration.declared")
    assert declared.recipient == partner_chief


def test_a_withdrawn_declaration_ends_its_withdrawals_at_once(story):
    world = story.world
    tender = story.tender
    lead_chief = story.lead_chief
    bid = declare(tender, world.lead)
    assert seen_by(lead_chief, world.alliance) == {"Network minutes"}
    from bids.services.declarations import declaration_withdraw

    declaration_withdraw(actor=lead_chief, declaration=bid, reason="Not enough capacity")
    assert "Partner pricing" in seen_by(lead_chief, world.alliance)
    assert not Withdrawal.objects.filter(agency=world.lead).active().exists()


def test_a_board_that_rejects_keeps_the_agency_in_partnership_working(story):
    world = story.world
    tender = story.tender
    lead_chief = story.lead_chief
    from bids.services.declarations import declaration_submit_for_approval
    from kiaa.services.decisions import decision_vote
    from tests.factories.bids import draft
    from tests.factories.partnerships import board_of

    bid = draft(tender, world.lead)
    declaration_submit_for_approval(actor=lead_chief, declaration=bid)
    decision = BoardDecision.objects.get(subject_type="bids.declaration", subject_id=bid.pk)
    first, _second = board_of(world.lead)
    decision_vote(actor=first, decision=decision, choice="reject", note="Too risky")
    bid.refresh_from_db()
    assert bid.status == Declaration.Status.REJECTED
    assert not Withdrawal.objects.filter(agency=world.lead).exists()


def test_grace_period_comes_from_the_protocol(story):
    world = story.world
    tender = story.tender
    lead_chief = story.lead_chief
    Protocol.objects.filter(alliance=world.alliance).update(withdrawal_grace_days=0)
    bid = declare(tender, world.lead)
    outcomes.tender_award(
        actor=_platform_admin(world.alliance),
        tender=tender,
        winner=bid,
        awarded_on=timezone.localdate(),
    )
    assert Tender.objects.get(pk=tender.pk).status == "awarded"
    assert "Partner pricing" in seen_by(lead_chief, world.alliance)


def test_a_bidder_that_joins_an_overlapping_partnership_steps_back_from_it_at_once(story):
    """Declaring first and joining later must not get round clause 5: the join withdraws it."""
    world = story.world
    bid = declare(story.tender, world.competitor)
    assert not Withdrawal.objects.filter(agency=world.competitor).exists()

    join(story.network, world.competitor)
    rival_chief = chief_of(world.competitor)
    mou.undertaking_acknowledge(actor=rival_chief, partnership=story.network)

    withdrawal = Withdrawal.objects.filter(agency=world.competitor).active().get()
    assert withdrawal.partnership == story.network
    assert BidWithdrawal.objects.get(withdrawal=withdrawal).declaration == bid
    # It works in the network (its minutes) but sees none of the members' pricing.
    assert seen_by(rival_chief, world.alliance) == {"Network minutes"}
    assert audit.verify(world.alliance) is None


def test_when_a_rival_bidder_joins_the_members_already_bidding_step_back_too(story):
    world = story.world
    lead_bid = declare(story.tender, world.lead, partners={world.partner: 30})
    declare(story.tender, world.partner, lead=lead_bid)
    assert not Withdrawal.objects.filter(partnership=story.network).active()  # one bid team

    declare(story.tender, world.competitor)
    join(story.network, world.competitor)

    withdrawn = Withdrawal.objects.filter(partnership=story.network).active()
    assert {w.agency for w in withdrawn} == {world.lead, world.partner, world.competitor}
    assert BidWithdrawal.objects.filter(declaration=lead_bid, closed_at__isnull=True).count() == 1
    assert seen_by(story.lead_chief, world.alliance) == {"Network minutes"}
