"""Trustee board decisions: the quorum, immutable votes, and outcomes that happen exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kiaa.errors import Code, DomainError
from kiaa.models import BoardDecision, Role
from kiaa.services import decisions
from kiaa.services.protocol import protocol_settings_update
from partnerships.models import PartnershipMember
from partnerships.services import partnerships
from tests.factories import AgencyFactory, PersonFactory, grant
from tests.factories.partnerships import board_of, chief_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_join(world):
    """Partner Housing has accepted to join a consortium: its board must decide."""
    board_of(world.lead)
    trustees = board_of(world.partner, size=3)
    consortium = partnerships.partnership_propose(
        actor=chief_of(world.lead),
        alliance=world.alliance,
        name="C",
        kind="consortium",
        lead_agency=world.lead,
    )
    for decision in BoardDecision.objects.filter(agency=world.lead):
        for trustee in board_of(world.lead):
            decision.refresh_from_db()
            if decision.status == "open":
                decisions.decision_vote(actor=trustee, decision=decision, choice="approve")
    member = partnerships.member_invite(
        actor=chief_of(world.lead), partnership=consortium, agency=world.partner, role="partner"
    )
    partnerships.member_accept(actor=chief_of(world.partner), member=member)
    decision = BoardDecision.objects.get(agency=world.partner, status="open")
    return member, decision, trustees


def status_of(member):
    member.refresh_from_db()
    return member.status


def test_three_trustees_need_two_approvals(pending_join):
    member, decision, trustees = pending_join
    assert decision.quorum == 2
    decisions.decision_vote(actor=trustees[0], decision=decision, choice="approve")
    assert status_of(member) == PartnershipMember.Status.AWAITING_BOARD
    decisions.decision_vote(actor=trustees[1], decision=decision, choice="approve", note="Good fit")
    assert status_of(member) == PartnershipMember.Status.ACTIVE
    decision.refresh_from_db()
    assert decision.status == "approved" and decision.decided_at is not None


def test_the_board_rejects_once_approval_can_no_longer_reach_the_quorum(pending_join):
    member, decision, trustees = pending_join
    decisions.decision_vote(actor=trustees[0], decision=decision, choice="reject")
    assert status_of(member) == PartnershipMember.Status.AWAITING_BOARD
    decisions.decision_vote(actor=trustees[1], decision=decision, choice="reject")
    assert status_of(member) == PartnershipMember.Status.DECLINED


def test_a_vote_cannot_be_cast_twice_or_changed(pending_join):
    _, decision, trustees = pending_join
    decisions.decision_vote(actor=trustees[0], decision=decision, choice="approve")
    with pytest.raises(DomainError) as refused:
        decisions.decision_vote(actor=trustees[0], decision=decision, choice="reject")
    assert refused.value.code == Code.CONFLICT
    assert list(decision.votes.values_list("choice", flat=True)) == ["approve"]


def test_only_the_agencys_trustees_vote(pending_join, world, chief_officer):
    _, decision, _ = pending_join
    for outsider in (chief_of(world.partner), board_of(world.lead)[0]):
        with pytest.raises(DomainError) as refused:
            decisions.decision_vote(actor=outsider, decision=decision, choice="approve")
        assert refused.value.code == Code.FORBIDDEN


def test_a_decided_question_takes_no_more_votes(pending_join):
    _, decision, trustees = pending_join
    for trustee in trustees[:2]:
        decisions.decision_vote(actor=trustee, decision=decision, choice="approve")
    with pytest.raises(DomainError, match="already been made"):
        decisions.decision_vote(actor=trustees[2], decision=decision, choice="approve")


def test_a_board_too_small_to_decide_is_told_so(world):
    lone = AgencyFactory(alliance=world.alliance, name="Lone Trust")
    grant(PersonFactory(), Role.TRUSTEE, lone)
    with pytest.raises(DomainError, match="has 1 trustee"):
        partnerships.partnership_propose(
            actor=chief_of(lone),
            alliance=world.alliance,
            name="Solo",
            kind="consortium",
            lead_agency=lone,
        )


def test_the_alliance_sets_which_kinds_need_its_boards(world, admin):
    protocol_settings_update(
        actor=admin, alliance=world.alliance, board_approval_kinds=["network"], minimum_quorum=3
    )
    board_of(world.lead, size=3)
    network = partnerships.partnership_propose(
        actor=chief_of(world.lead),
        alliance=world.alliance,
        name="N",
        kind="network",
        lead_agency=world.lead,
    )
    decision = BoardDecision.objects.get(agency=world.lead)
    assert decision.quorum == 3
    consortium = partnerships.partnership_propose(
        actor=chief_of(world.lead),
        alliance=world.alliance,
        name="C",
        kind="consortium",
        lead_agency=world.lead,
    )
    assert consortium.members.get().status == "active"
    assert network.members.get().status == "awaiting_board"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_trustees_voting_at_once_decide_exactly_once(pending_join):
    member, decision, trustees = pending_join
    gate = threading.Barrier(2)
    errors: list[BaseException] = []

    def vote(trustee):
        try:
            gate.wait()
            decisions.decision_vote(actor=trustee, decision=decision, choice="approve")
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(t,)) for t in trustees[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert status_of(member) == "active"
    from kiaa.models import AuditEvent

    assert (
        AuditEvent.objects.filter(verb="partnership.joined", payload__decision=decision.pk).count()
        == 1
    )
