"""Reviewing a breach and what its sanction changes (clause 6): a suspended agency reads but
cannot act, declare or join; an expelled one sees nothing but the disputes about it, and only a
ruling or the member boards' vote can expel, never one person's click."""

from __future__ import annotations

import pytest
from django.test import Client

from bids.models import Declaration
from bids.services import declarations
from disputes.models import Breach, Dispute, ExpulsionMotion
from disputes.services import evidence, reviews, rulings
from kiaa import barrier
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, BoardDecision, Role
from kiaa.permissions import roles_of
from kiaa.services import protocol
from kiaa.services.alliances import agency_update
from kiaa.services.decisions import decision_vote
from partnerships.models import PartnershipMember
from partnerships.services import partnerships
from tests.conftest import World, api_as
from tests.disputes.story import accepted, expulsion_by, expulsion_ordered, rival_bids
from tests.factories import AgencyFactory, grant
from tests.factories.bids import draft, make_tender
from tests.factories.core import _platform_admin
from tests.factories.disputes import BreachFactory
from tests.factories.partnerships import board_of, chief_of, make_partnership, upload
from tests.pages import main_nav, page, text

pytestmark = pytest.mark.django_db
Sanction = Breach.Sanction


def board_decides(agency: Agency, motion: ExpulsionMotion, choice: str) -> None:
    """The agency's trustees vote on the motion until their board has decided."""
    decision = BoardDecision.objects.get(agency=agency, subject_id=motion.pk)
    for trustee in board_of(agency):
        decision.refresh_from_db()
        if decision.status == BoardDecision.Status.OPEN:
            decision_vote(actor=trustee, decision=decision, choice=choice)


def review(story, sanction: str, **extra):  # type: ignore[no-untyped-def]
    return reviews.breach_review(
        actor=story.arbiter,
        breach=story.breach,
        outcome=Breach.Status.UPHELD,
        note="Uploaded to the network while withdrawn from it.",
        sanction=sanction,
        **extra,
    )


def test_an_upheld_breach_with_a_warning_records_who_decided_and_why(world: World) -> None:
    story = rival_bids(world)
    breach = review(story, Sanction.WARNING)
    assert (breach.status, breach.sanction) == (Breach.Status.UPHELD, Sanction.WARNING)
    assert breach.reviewed_by == story.arbiter and breach.reviewed_at is not None
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE


def test_a_breach_is_reviewed_once(world: World) -> None:
    story = rival_bids(world)
    review(story, Sanction.NONE)
    with pytest.raises(DomainError) as refused:
        review(story, Sanction.WARNING)
    assert refused.value.code == Code.CONFLICT


def test_a_dismissed_breach_takes_no_sanction(world: World) -> None:
    story = rival_bids(world)
    with pytest.raises(DomainError, match="no sanction"):
        reviews.breach_review(
            actor=story.arbiter,
            breach=story.breach,
            outcome=Breach.Status.DISMISSED,
            note="Routine.",
            sanction=Sanction.WARNING,
        )
    story.breach.refresh_from_db()
    assert story.breach.status == Breach.Status.OPEN


def test_only_the_cvs_arbiter_or_an_admin_reviews(world: World, competitor, admin) -> None:
    story = rival_bids(world)
    with pytest.raises(DomainError) as refused:
        reviews.breach_review(
            actor=competitor, breach=story.breach, outcome="upheld", note="x", sanction="none"
        )
    assert refused.value.code == Code.FORBIDDEN
    breach = reviews.breach_review(
        actor=admin, breach=story.breach, outcome="dismissed", note="Routine work."
    )
    assert breach.status == Breach.Status.DISMISSED


def test_suspended_agency_reads_but_cannot_declare_join_vote_or_share(world: World) -> None:
    story = rival_bids(world)
    # A question already before the partner's board when it is suspended.
    waiting = draft(make_tender(world.alliance, title="Waiting contract"), world.partner)
    declarations.declaration_submit_for_approval(actor=story.respondent, declaration=waiting)
    decision = BoardDecision.objects.get(agency=world.partner, status=BoardDecision.Status.OPEN)
    review(story, Sanction.SUSPENSION)
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.SUSPENDED
    chief = story.respondent
    roles = roles_of(chief, world.alliance)
    assert roles.has(Role.CHIEF_OFFICER, world.partner)
    assert not roles.acts(Role.CHIEF_OFFICER, world.partner)

    tender = make_tender(world.alliance, title="Another contract")
    with pytest.raises(DomainError, match="Partner Housing is suspended"):
        declarations.declaration_draft(
            actor=chief, tender=tender, agency=world.partner, capacity="sole"
        )
    assert not Declaration.objects.filter(tender=tender).exists()

    other = make_partnership(world.competitor, name="Competitor's network")
    with pytest.raises(DomainError, match="suspended"):
        partnerships.member_invite(
            actor=chief_of(world.competitor),
            partnership=other,
            agency=world.partner,
            role="partner",
        )
    with pytest.raises(DomainError) as refused:
        upload(chief, world.partner, title="Anything")
    assert refused.value.code == Code.FORBIDDEN
    # Its trustees no longer decide for it: the question waits until the suspension is lifted.
    with pytest.raises(DomainError) as refused:
        decision_vote(actor=board_of(world.partner)[0], decision=decision, choice="approve")
    assert refused.value.code == Code.FORBIDDEN

    # Reading stays: its chief officer still sees the network and its own bid.
    client = Client()
    client.force_login(chief)
    network = client.get(page("partnership-detail", pk=story.network.pk))
    assert network.status_code == 200
    assert "Partner Housing is suspended under the alliance's protocol" in text(network)
    assert client.get(page("declaration-detail", pk=story.partner_bid.pk)).status_code == 200


def test_a_suspended_agency_still_answers_a_dispute_about_itself(world: World) -> None:
    story, dispute = accepted(world)
    review(story, Sanction.SUSPENSION)
    given = evidence.submission_add(
        actor=story.respondent, dispute=dispute, statement="We accept the finding."
    )
    assert given.agency == world.partner


def test_an_admin_cannot_expel_by_editing_the_agency(world: World, admin) -> None:
    with pytest.raises(DomainError) as refused:
        agency_update(actor=admin, agency=world.partner, status=Agency.Status.EXPELLED)
    assert refused.value.code == Code.CONFLICT


def test_expulsion_needs_a_ruling_that_orders_it(world: World) -> None:
    story, dispute = accepted(world)
    with pytest.raises(DomainError, match="published ruling"):
        review(story, Sanction.EXPULSION)
    mild = rulings.ruling_publish(
        actor=story.arbiter, dispute=dispute, findings="Upheld.", decision="A warning."
    )
    with pytest.raises(DomainError, match="does not order"):
        review(story, Sanction.EXPULSION, ruling=mild)
    story.breach.refresh_from_db()
    world.partner.refresh_from_db()
    assert story.breach.status == Breach.Status.UNDER_REVIEW
    assert world.partner.status == Agency.Status.ACTIVE


def expel_by_ruling(world: World):  # type: ignore[no-untyped-def]
    story, dispute, ruling = expulsion_ordered(world)
    review(story, Sanction.EXPULSION, ruling=ruling)
    return story, dispute


def test_expelled_agency_loses_its_bids_partnerships_and_papers(world: World) -> None:
    story, _ = expel_by_ruling(world)
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.EXPELLED
    story.partner_bid.refresh_from_db()
    assert story.partner_bid.status == Declaration.Status.WITHDRAWN
    places = PartnershipMember.objects.filter(agency=world.partner)
    assert set(places.values_list("status", flat=True)) == {PartnershipMember.Status.LEFT}
    assert not barrier.visible_to(story.respondent, world.alliance).exists()
    # History is kept: its own paper is still there, for the others who may see it.
    assert story.paper.__class__.objects.filter(pk=story.paper.pk).exists()


def test_expelled_agency_sees_nothing_but_its_disputes(world: World) -> None:
    story, dispute = expel_by_ruling(world)
    roles = roles_of(story.respondent, world.alliance)
    assert roles.only_expelled
    client = Client()
    client.force_login(story.respondent)
    landing = client.get(page("dashboard"))
    assert landing.status_code == 200
    assert "Partner Housing is no longer a member of this alliance" in text(landing)
    assert "Partnerships" not in main_nav(landing) and "Disputes" in main_nav(landing)
    assert client.get(page("dispute-detail", pk=dispute.pk)).status_code == 200
    assert client.get(page("partnership-detail", pk=story.network.pk)).status_code == 404
    assert client.get(page("documents")).status_code == 404
    assert client.get(page("breaches")).status_code == 404
    api = api_as(story.respondent)
    assert api.get("/api/v1/a/home/partnerships/").status_code == 404
    assert api.get("/api/v1/a/home/documents/").status_code == 404


def test_expulsion_by_members_vote_carries_with_a_majority_of_boards(world: World) -> None:
    story = rival_bids(world)
    expulsion_by(world, "members_vote")
    board_of(world.competitor)  # lead and competitor have boards; the CVS has none
    breach = review(story, Sanction.EXPULSION)
    motion = ExpulsionMotion.objects.get(breach=breach)
    assert breach.sanction == "" and motion.boards == 2
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE  # nothing until the boards decide

    for agency in (world.lead, world.competitor):
        board_decides(agency, motion, "approve")
    motion.refresh_from_db()
    world.partner.refresh_from_db()
    breach.refresh_from_db()
    assert motion.status == ExpulsionMotion.Status.CARRIED
    assert world.partner.status == Agency.Status.EXPELLED
    assert breach.sanction == Sanction.EXPULSION


def test_a_motion_fails_once_a_majority_can_no_longer_approve(world: World) -> None:
    story = rival_bids(world)
    expulsion_by(world, "members_vote")
    extra = AgencyFactory(alliance=world.alliance, name="Third Advice")
    for agency in (world.competitor, extra):
        board_of(agency)
    review(story, Sanction.EXPULSION)
    motion = ExpulsionMotion.objects.get(breach=story.breach)
    assert motion.boards == 3  # two must approve
    board_decides(world.lead, motion, "reject")
    motion.refresh_from_db()
    assert motion.status == ExpulsionMotion.Status.OPEN  # two boards may still carry it
    board_decides(world.competitor, motion, "reject")
    motion.refresh_from_db()
    assert motion.status == ExpulsionMotion.Status.FAILED
    last = BoardDecision.objects.get(agency=extra, subject_id=motion.pk)
    assert last.status == BoardDecision.Status.CANCELLED
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE


def test_a_trustee_of_the_agency_facing_expulsion_does_not_vote_on_it(world: World) -> None:
    story = rival_bids(world)
    protocol.protocol_settings_update(
        actor=_platform_admin(world.alliance),
        alliance=world.alliance,
        board_approval_kinds=["consortium"],
        minimum_quorum=1,
        expulsion_by="members_vote",
    )
    dual = board_of(world.lead)[0]
    grant(dual, Role.TRUSTEE, world.partner)
    review(story, Sanction.EXPULSION)
    motion = ExpulsionMotion.objects.get(breach=story.breach)
    decision = BoardDecision.objects.get(agency=world.lead, subject_id=motion.pk)
    with pytest.raises(DomainError, match="facing expulsion"):
        decision_vote(actor=dual, decision=decision, choice="approve")


def test_the_cvs_arbiter_does_not_review_a_breach_by_the_cvs(world: World, admin) -> None:
    story = rival_bids(world)
    own = BreachFactory(agency=world.cvs, summary="The CVS has not signed the MoU.")
    with pytest.raises(DomainError, match="admin reviews it instead"):
        reviews.breach_review(actor=story.arbiter, breach=own, outcome="dismissed", note="x")
    assert reviews.breach_review(actor=admin, breach=own, outcome="dismissed", note="Signed.")
    assert Dispute.objects.count() == 0
