"""Races on the real PostgreSQL: each leaves one consistent outcome."""

from __future__ import annotations

import pytest

from bids.models import BidWithdrawal, Declaration
from bids.services import declarations
from bids.services.declarations import ALREADY_DECLARING
from kiaa import audit
from kiaa.errors import DomainError
from kiaa.models import AuditEvent, BoardDecision
from kiaa.services.alliances import agency_update
from kiaa.services.decisions import DECIDED, decision_vote
from partnerships.models import Withdrawal
from tests.concurrency import at_once
from tests.factories import AgencyFactory, AllianceFactory, ServiceAreaFactory
from tests.factories.bids import draft, make_tender
from tests.factories.core import _platform_admin
from tests.factories.partnerships import board_of, chief_of, make_partnership

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bidder():
    """An agency with a board of two, in a debt-advice network, and a debt-advice tender."""
    alliance = AllianceFactory(slug="race")
    ServiceAreaFactory(alliance=alliance, name="Debt advice", slug="debt-advice")
    agency, other = AgencyFactory(alliance=alliance), AgencyFactory(alliance=alliance)
    agency_update(actor=_platform_admin(alliance), agency=agency, service_areas=["debt-advice"])
    make_partnership(agency, other, areas=("debt-advice",))
    tender = make_tender(alliance, areas=("debt-advice",))
    return agency, tender


def test_two_trustees_voting_at_once_declare_once(bidder):
    agency, tender = bidder
    declaration = draft(tender, agency)
    declarations.declaration_submit_for_approval(actor=chief_of(agency), declaration=declaration)
    decision = BoardDecision.objects.get(subject_type="bids.declaration", subject_id=declaration.pk)
    first, second = board_of(agency)

    _, errors = at_once(
        lambda: decision_vote(actor=first, decision=decision, choice="approve"),
        lambda: decision_vote(actor=second, decision=decision, choice="approve"),
    )

    assert errors == []
    decision.refresh_from_db()
    declaration.refresh_from_db()
    assert decision.status == BoardDecision.Status.APPROVED
    assert decision.votes.count() == 2
    assert declaration.status == Declaration.Status.DECLARED
    verbs = list(AuditEvent.objects.filter(alliance=tender.alliance).values_list("verb", flat=True))
    assert verbs.count("decision.approved") == 1
    assert verbs.count("declaration.declared") == 1
    assert Withdrawal.objects.filter(agency=agency).count() == 1
    assert BidWithdrawal.objects.filter(declaration=declaration).count() == 1
    assert audit.verify(tender.alliance) is None


def test_a_trustee_voting_after_the_quorum_at_the_same_moment_is_told_it_is_decided(bidder):
    agency, tender = bidder
    first, second, third = board_of(agency, size=3)
    declaration = draft(tender, agency)
    declarations.declaration_submit_for_approval(actor=chief_of(agency), declaration=declaration)
    decision = BoardDecision.objects.get(subject_type="bids.declaration", subject_id=declaration.pk)
    decision_vote(actor=first, decision=decision, choice="approve")

    _, errors = at_once(
        lambda: decision_vote(actor=second, decision=decision, choice="approve"),
        lambda: decision_vote(actor=third, decision=decision, choice="reject"),
    )

    decision.refresh_from_db()
    declaration.refresh_from_db()
    # The rejection either came first (and the approval still carried it) or came after the
    # quorum and was told the board had decided; never two outcomes.
    assert [getattr(e, "message", e) for e in errors] in ([], [DECIDED])
    assert decision.status == BoardDecision.Status.APPROVED
    assert declaration.status == Declaration.Status.DECLARED
    assert Withdrawal.objects.filter(agency=agency).count() == 1
    assert audit.verify(tender.alliance) is None


def test_the_same_agency_declaring_twice_at_once_gets_one_declaration(bidder):
    agency, tender = bidder
    chief = chief_of(agency)
    board_of(agency)

    def declare() -> Declaration:
        return declarations.declaration_draft(
            actor=chief, tender=tender, agency=agency, capacity="sole"
        )

    results, errors = at_once(declare, declare)

    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], DomainError)
    assert errors[0].message == ALREADY_DECLARING.format(agency=agency.name)
    assert Declaration.objects.filter(tender=tender, agency=agency).count() == 1
    assert audit.verify(tender.alliance) is None
