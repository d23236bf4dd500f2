"""A dispute built the way members build one: a partnership, rival bids, a breach the detectors
find, a dispute filed about it and taken on by the CVS's arbiter. Pages, API and service tests
start from here, each going on to the step they test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from bids.models import Declaration, Tender
from disputes.models import Breach, Dispute, Ruling, Submission
from disputes.services import disputes, evidence, rulings
from disputes.services.breaches import breaches_detect
from kiaa.models import Protocol, Role, User
from kiaa.services.protocol import protocol_settings_update
from partnerships.models import Document, Partnership
from tests.conftest import World
from tests.factories import PersonFactory, grant
from tests.factories.bids import declare, make_tender
from tests.factories.core import _platform_admin
from tests.factories.partnerships import chief_of, debt_advice_network, upload


@dataclass
class Story:
    world: World
    network: Partnership  # lead and partner work together in debt advice
    tender: Tender
    lead_bid: Declaration
    partner_bid: Declaration  # the rival bid: both withdraw from the network
    breach: Breach  # the partner worked in the network while withdrawn from it
    paper: Document  # the partner's paper in the network (a partnership paper: members see it)
    complainant: User  # the lead's chief officer
    respondent: User  # the partner's chief officer
    arbiter: User  # an arbiter of the CVS, independent of both


def rival_bids(world: World) -> Story:
    """Lead and partner share a network, bid against each other, and the partner keeps working
    in the network while withdrawn: the detectors flag it. Nothing is disputed yet."""
    network = debt_advice_network(world.lead, world.partner)
    tender = make_tender(world.alliance, title="Debt advice 2027", areas=("debt-advice",))
    lead_bid = declare(tender, world.lead)
    partner_bid = declare(tender, world.partner)
    respondent = chief_of(world.partner)
    paper = upload(
        respondent, world.partner, sensitivity="partnership", partnership=network, title="Rota"
    )
    breaches_detect(alliance=world.alliance)
    breach = Breach.objects.get(
        kind=Breach.Kind.WORKED_DURING_WITHDRAWAL, agency=world.partner, partnership=network
    )
    arbiter = PersonFactory(username="cvs.arbiter")
    grant(arbiter, Role.ARBITER, world.cvs)
    return Story(
        world,
        network,
        tender,
        lead_bid,
        partner_bid,
        breach,
        paper,
        chief_of(world.lead),
        respondent,
        arbiter,
    )


def filed(world: World) -> tuple[Story, Dispute]:
    """The lead files a dispute with the partner about the breach."""
    story = rival_bids(world)
    dispute = disputes.dispute_file(
        actor=story.complainant,
        alliance=world.alliance,
        complainant=world.lead,
        respondent=world.partner,
        subject=Dispute.Subject.BREACH,
        breach=story.breach,
        summary="Partner Housing kept working in the network while bidding against us.",
    )
    return story, dispute


def accepted(world: World) -> tuple[Story, Dispute]:
    """…and the CVS's arbiter takes it on: evidence within a week, the ruling within two."""
    story, dispute = filed(world)
    today = timezone.localdate()
    dispute = disputes.dispute_accept(
        actor=story.arbiter,
        dispute=dispute,
        evidence_due_on=today + timedelta(days=7),
        ruling_due_on=today + timedelta(days=14),
    )
    return story, dispute


@dataclass
class Evidence:
    shared_by_lead: Submission
    private_to_arbiter: Submission  # the lead's, for the arbiter only
    shared_by_partner: Submission
    from_arbiter: Submission


def with_evidence(world: World) -> tuple[Story, Dispute, Evidence]:
    """…and both sides give evidence, the lead some for the arbiter only."""
    story, dispute = accepted(world)
    add = evidence.submission_add
    given = Evidence(
        shared_by_lead=add(
            actor=story.complainant, dispute=dispute, statement="They uploaded the rota."
        ),
        private_to_arbiter=add(
            actor=story.complainant,
            dispute=dispute,
            statement="Our pricing depends on this; please keep it confidential.",
            visibility=Submission.Visibility.ARBITER,
        ),
        shared_by_partner=add(
            actor=story.respondent,
            dispute=dispute,
            statement="The rota was routine and gave us no advantage.",
            paper_ids=[story.paper.pk],
        ),
        from_arbiter=add(
            actor=story.arbiter, dispute=dispute, statement="Both parties: send the MoU too."
        ),
    )
    dispute.refresh_from_db()
    return story, dispute, given


def expulsion_ordered(world: World) -> tuple[Story, Dispute, Ruling]:
    """…and the arbiter rules on it: the partner is to be expelled (the authority a review of
    the breach needs where the protocol expels by ruling)."""
    story, dispute = accepted(world)
    ruling = rulings.ruling_publish(
        actor=story.arbiter,
        dispute=dispute,
        findings="Partner Housing worked in the network throughout its withdrawal.",
        decision="Partner Housing ceases to be a member.",
        sanction=Breach.Sanction.EXPULSION,
        sanctioned_agency=world.partner,
    )
    return story, dispute, ruling


def expulsion_by(world: World, by: str) -> None:
    """The alliance's protocol expels by a ruling, or by the other member boards' vote."""
    protocol = Protocol.objects.get(alliance=world.alliance)
    protocol_settings_update(
        actor=_platform_admin(world.alliance),
        alliance=world.alliance,
        board_approval_kinds=protocol.board_approval_kinds,
        minimum_quorum=protocol.minimum_quorum,
        expulsion_by=by,
    )


def another_dispute(story: Story) -> Dispute:
    """A second dispute between the same two agencies, about a general matter."""
    return disputes.dispute_file(
        actor=story.complainant,
        alliance=story.world.alliance,
        complainant=story.world.lead,
        respondent=story.world.partner,
        subject=Dispute.Subject.GENERAL,
        summary="Something else.",
    )
