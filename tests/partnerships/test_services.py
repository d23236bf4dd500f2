"""Forming partnerships, vetting members, and the MoU, through the services."""

from __future__ import annotations

import pytest

from kiaa.errors import Code, DomainError
from kiaa.models import AuditEvent
from kiaa.services.alliances import agency_update
from partnerships.models import DueDiligenceCheck, MouSignature, Partnership, PartnershipMember
from partnerships.services import mou, partnerships
from tests.factories.partnerships import board_of, chief_of, draft_mou, join, make_partnership

pytestmark = pytest.mark.django_db
Status = PartnershipMember.Status


def test_a_network_forms_without_boards(world):
    network = make_partnership(world.lead, world.partner, kind="network")
    assert set(network.members.values_list("status", flat=True)) == {Status.ACTIVE}


def test_a_consortium_join_waits_for_the_board(world):
    consortium = make_partnership(world.lead, kind="consortium")
    board_of(world.partner)
    member = partnerships.member_invite(
        actor=chief_of(world.lead), partnership=consortium, agency=world.partner, role="partner"
    )
    partnerships.member_accept(actor=chief_of(world.partner), member=member)
    member.refresh_from_db()
    assert member.status == Status.AWAITING_BOARD


def test_only_the_leads_chief_officer_invites(world, competitor):
    network = make_partnership(world.lead, kind="network")
    with pytest.raises(DomainError) as refused:
        partnerships.member_invite(
            actor=competitor, partnership=network, agency=world.partner, role="partner"
        )
    assert refused.value.code == Code.FORBIDDEN


def test_only_the_invited_agencys_chief_officer_answers(world, competitor):
    network = make_partnership(world.lead, kind="network")
    member = partnerships.member_invite(
        actor=chief_of(world.lead), partnership=network, agency=world.partner, role="partner"
    )
    with pytest.raises(DomainError):
        partnerships.member_accept(actor=competitor, member=member)
    with pytest.raises(DomainError):
        partnerships.member_accept(actor=chief_of(world.lead), member=member)


def test_an_agency_cannot_be_invited_twice_but_may_return_after_leaving(world):
    network = make_partnership(world.lead, world.partner, kind="network")
    with pytest.raises(DomainError) as refused:
        partnerships.member_invite(
            actor=chief_of(world.lead), partnership=network, agency=world.partner, role="partner"
        )
    assert refused.value.code == Code.CONFLICT
    member = network.members.get(agency=world.partner)
    partnerships.member_leave(actor=chief_of(world.partner), member=member)
    again = partnerships.member_invite(
        actor=chief_of(world.lead), partnership=network, agency=world.partner, role="subcontractor"
    )
    assert (again.pk, again.status, again.role) == (member.pk, Status.INVITED, "subcontractor")


def test_accepting_twice_is_a_conflict(world):
    network = make_partnership(world.lead, world.partner, kind="network")
    member = network.members.get(agency=world.partner)
    with pytest.raises(DomainError) as refused:
        partnerships.member_accept(actor=chief_of(world.partner), member=member)
    assert refused.value.code == Code.CONFLICT


def test_the_lead_cannot_leave(world):
    network = make_partnership(world.lead, world.partner, kind="network")
    with pytest.raises(DomainError, match="dissolve"):
        partnerships.member_leave(
            actor=chief_of(world.lead), member=network.members.get(agency=world.lead)
        )


def test_a_suspended_agency_cannot_be_invited(world, admin):
    agency_update(actor=admin, agency=world.partner, status="suspended")
    world.partner.refresh_from_db()
    network = make_partnership(world.lead, kind="network")
    with pytest.raises(DomainError, match="active member agency"):
        partnerships.member_invite(
            actor=chief_of(world.lead), partnership=network, agency=world.partner, role="partner"
        )


def test_another_alliances_agency_cannot_be_invited(world):
    network = make_partnership(world.lead, kind="network")
    with pytest.raises(DomainError, match="not in this alliance"):
        partnerships.member_invite(
            actor=chief_of(world.lead),
            partnership=network,
            agency=world.other_agency,
            role="partner",
        )


def check_everything(partnership: Partnership, agency, outcome: str = "met") -> None:
    for item in DueDiligenceCheck.Item.values:
        partnerships.check_record(
            actor=chief_of(partnership.lead_agency),
            partnership=partnership,
            agency=agency,
            item=item,
            outcome=outcome,
        )


def test_a_consortium_is_confirmed_only_when_every_member_passes_every_check(world):
    consortium = make_partnership(world.lead, world.partner, kind="consortium")
    with pytest.raises(DomainError) as refused:
        partnerships.partnership_confirm(actor=chief_of(world.lead), partnership=consortium)
    assert refused.value.code == Code.CONFLICT
    assert "Partner Housing — safeguarding policy" in refused.value.message
    check_everything(consortium, world.lead)
    check_everything(consortium, world.partner)
    partnerships.check_record(
        actor=chief_of(world.lead),
        partnership=consortium,
        agency=world.partner,
        item="financial_viability",
        outcome="not_met",
        note="Reserves below 3 months",
    )
    with pytest.raises(DomainError, match="financial viability"):
        partnerships.partnership_confirm(actor=chief_of(world.lead), partnership=consortium)
    partnerships.check_record(
        actor=chief_of(world.lead),
        partnership=consortium,
        agency=world.partner,
        item="financial_viability",
        outcome="met",
    )
    confirmed = partnerships.partnership_confirm(actor=chief_of(world.lead), partnership=consortium)
    assert confirmed.status == Partnership.Status.CONFIRMED
    assert AuditEvent.objects.filter(verb="partnership.checked").count() == 16


def test_a_partnership_needs_two_members_to_be_confirmed(world):
    network = make_partnership(world.lead, kind="network")
    with pytest.raises(DomainError, match="at least two"):
        partnerships.partnership_confirm(actor=chief_of(world.lead), partnership=network)


def test_dissolving_ends_every_membership(world):
    network = make_partnership(world.lead, world.partner, kind="network")
    partnerships.partnership_dissolve(actor=chief_of(world.lead), partnership=network)
    assert set(network.members.values_list("status", flat=True)) == {Status.LEFT}


def test_every_mou_change_is_a_version_and_needs_signing_again(world):
    consortium = make_partnership(world.lead, world.partner, kind="consortium")
    first = draft_mou(consortium)
    trustee = board_of(world.partner)[0]
    mou.mou_sign(actor=trustee, partnership=consortium, agency=world.partner)
    assert mou.unsigned_members(consortium) == [world.lead]
    second = draft_mou(consortium, costs="Costs are shared in proportion to each member's share.")
    assert (first.number, second.number) == (1, 2)
    assert set(mou.unsigned_members(consortium)) == {world.lead, world.partner}
    mou.mou_sign(actor=trustee, partnership=consortium, agency=world.partner)
    assert MouSignature.objects.filter(agency=world.partner).count() == 2


def test_saving_the_same_text_is_not_a_new_version(world):
    consortium = make_partnership(world.lead, world.partner, kind="consortium")
    draft_mou(consortium)
    with pytest.raises(DomainError, match="Nothing has changed"):
        draft_mou(consortium)


def test_only_trustees_of_active_members_sign(world, chief_officer):
    consortium = make_partnership(world.lead, kind="consortium")
    draft_mou(consortium)
    with pytest.raises(DomainError) as refused:
        mou.mou_sign(actor=chief_officer, partnership=consortium, agency=world.lead)
    assert refused.value.code == Code.FORBIDDEN
    with pytest.raises(DomainError, match="active members"):
        mou.mou_sign(actor=board_of(world.partner)[0], partnership=consortium, agency=world.partner)


def test_an_empty_section_is_refused(world):
    consortium = make_partnership(world.lead, kind="consortium")
    with pytest.raises(DomainError) as refused:
        draft_mou(consortium, transparency="  ")
    assert refused.value.field == "transparency"


def test_only_members_give_the_undertaking(world, competitor):
    consortium = make_partnership(world.lead, world.partner, kind="consortium")
    draft_mou(consortium)
    consortium.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        mou.undertaking_acknowledge(actor=competitor, partnership=consortium)
    assert refused.value.code == Code.FORBIDDEN
    join(consortium, world.competitor)
    assert (
        mou.undertaking_acknowledge(actor=competitor, partnership=consortium).person == competitor
    )
