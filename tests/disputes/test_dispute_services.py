"""The rules of filing, arbitrating, giving evidence and ruling, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from disputes import selectors
from disputes.models import Dispute, EvidenceFile, RequiredAction, Ruling, Submission
from disputes.services import disputes, evidence, rulings
from kiaa.errors import Code, DomainError
from kiaa.models import Role
from kiaa.services.alliances import agency_update
from tests.conftest import World
from tests.disputes.story import accepted, rival_bids
from tests.factories import AgencyFactory, PersonFactory, grant
from tests.factories.bids import bid_paper, declare
from tests.factories.core import _platform_admin
from tests.factories.partnerships import PDF, chief_of, make_partnership

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def file_general(world: World, **changes):  # type: ignore[no-untyped-def]
    fields = {
        "actor": chief_of(world.lead),
        "alliance": world.alliance,
        "complainant": world.lead,
        "respondent": world.partner,
        "subject": Dispute.Subject.GENERAL,
        "summary": "They missed three referral meetings.",
        **changes,
    }
    return disputes.dispute_file(**fields)


def accept(dispute: Dispute, arbiter):  # type: ignore[no-untyped-def]
    return disputes.dispute_accept(
        actor=arbiter,
        dispute=dispute,
        evidence_due_on=TODAY() + timedelta(days=7),
        ruling_due_on=TODAY() + timedelta(days=14),
    )


def test_an_agency_cannot_dispute_with_itself(world: World) -> None:
    with pytest.raises(DomainError, match="cannot be in dispute with itself"):
        file_general(world, respondent=world.lead)
    assert not Dispute.objects.exists()


def test_only_the_complainants_chief_officer_files(world: World, trustee) -> None:
    with pytest.raises(DomainError) as refused:
        file_general(world, actor=trustee)
    assert refused.value.code == Code.FORBIDDEN


def test_a_suspended_agency_files_nothing_but_is_still_a_respondent(world: World) -> None:
    admin = _platform_admin(world.alliance)
    chief = chief_of(world.partner)
    agency_update(actor=admin, agency=world.partner, status="suspended")
    world.partner.refresh_from_db()
    with pytest.raises(DomainError, match="may answer disputes about itself"):
        file_general(world, actor=chief, complainant=world.partner, respondent=world.lead)
    assert file_general(world).respondent == world.partner


def test_a_breach_disputed_must_concern_the_complainant(world: World) -> None:
    story = rival_bids(world)
    stranger = AgencyFactory(alliance=world.alliance, name="Unconnected Trust")
    with pytest.raises(DomainError, match="concerns your agency"):
        file_general(
            world,
            actor=chief_of(stranger),
            complainant=stranger,
            subject=Dispute.Subject.BREACH,
            breach=story.breach,
        )


def test_a_dispute_names_its_subject(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        file_general(world, subject=Dispute.Subject.PARTNERSHIP)
    assert refused.value.field == "partnership"
    network = make_partnership(world.lead, world.partner, name="Referral network")
    dispute = file_general(world, subject="partnership", partnership_id=network.pk)
    assert dispute.partnership == network


def test_an_arbiter_in_the_disputed_partnership_is_refused(world: World, arbiter) -> None:
    network = make_partnership(world.lead, world.partner, world.cvs, name="Referral network")
    dispute = file_general(world, subject="partnership", partnership_id=network.pk)
    with pytest.raises(DomainError, match="Home CVS is a member of Referral network"):
        accept(dispute, arbiter)


def test_an_arbiter_bidding_for_the_disputed_contract_is_refused(world: World) -> None:
    story = rival_bids(world)
    dispute = file_general(world, subject="declaration", declaration_id=story.partner_bid.pk)
    declare(story.tender, world.cvs)
    with pytest.raises(DomainError, match="has its own bid for"):
        accept(dispute, story.arbiter)


def test_when_the_cvs_is_a_party_the_admin_appoints_an_eligible_arbiter(
    world: World, admin
) -> None:
    dispute = file_general(world, respondent=world.cvs)
    cvs_arbiter = PersonFactory()
    grant(cvs_arbiter, Role.ARBITER, world.cvs)
    with pytest.raises(DomainError, match="The CVS is itself a party"):
        accept(dispute, cvs_arbiter)
    lender = AgencyFactory(alliance=world.alliance, name="Neutral Advice")
    person = PersonFactory(username="neutral")
    grant(person, Role.CHIEF_OFFICER, lender)
    appoint = {
        "actor": admin,
        "dispute": dispute,
        "arbiter": person,
        "agency": lender,
        "reason": "The CVS is the respondent.",
        "evidence_due_on": TODAY() + timedelta(days=7),
        "ruling_due_on": TODAY() + timedelta(days=14),
    }
    with pytest.raises(DomainError, match="not flagged as eligible"):
        disputes.dispute_appoint(**appoint)
    agency_update(actor=admin, agency=lender, may_arbitrate=True)
    lender.refresh_from_db()
    with pytest.raises(DomainError, match="Record why"):
        disputes.dispute_appoint(**{**appoint, "reason": " "})
    dispute = disputes.dispute_appoint(**appoint)
    assert (dispute.arbiter, dispute.arbiter_agency, dispute.status) == (person, lender, "accepted")
    assert dispute.appointment_reason == "The CVS is the respondent."


def test_an_appointment_is_only_for_when_the_cvs_cannot_arbitrate(world: World, admin) -> None:
    dispute = file_general(world)
    with pytest.raises(DomainError, match="only for when the CVS is a party"):
        disputes.dispute_appoint(
            actor=admin,
            dispute=dispute,
            arbiter=admin,
            agency=world.competitor,
            reason="Quicker",
            evidence_due_on=TODAY(),
            ruling_due_on=TODAY(),
        )


def test_deadlines_must_be_ahead_and_in_order(world: World, arbiter) -> None:
    dispute = file_general(world)
    with pytest.raises(DomainError) as refused:
        disputes.dispute_accept(
            actor=arbiter,
            dispute=dispute,
            evidence_due_on=TODAY() + timedelta(days=9),
            ruling_due_on=TODAY() + timedelta(days=2),
        )
    assert refused.value.field == "ruling_due_on"
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.FILED


def test_evidence_closes_on_its_deadline_for_the_parties(world: World) -> None:
    story, dispute = accepted(world)
    disputes.dispute_set_deadlines(
        actor=story.arbiter, dispute=dispute, evidence_due_on=TODAY(), ruling_due_on=TODAY()
    )
    Dispute.objects.filter(pk=dispute.pk).update(evidence_due_on=TODAY() - timedelta(days=1))
    with pytest.raises(DomainError, match="ask the arbiter to extend it"):
        evidence.submission_add(actor=story.respondent, dispute=dispute, statement="Late.")
    assert evidence.submission_add(actor=story.arbiter, dispute=dispute, statement="Noted.")


def test_a_bid_paper_given_as_evidence_stays_behind_the_barrier(world: World) -> None:
    story, dispute = accepted(world)
    paper = bid_paper(story.partner_bid, title="Our pricing")
    evidence.submission_add(
        actor=story.respondent, dispute=dispute, statement="See our pricing.", paper_ids=[paper.pk]
    )
    mine = selectors.submission_list_for(person=story.respondent, dispute=dispute)
    theirs = selectors.submission_list_for(person=story.complainant, dispute=dispute)
    assert [p.pk for p in mine[0].papers] == [paper.pk] and mine[0].hidden_papers == 0
    assert theirs[0].papers == [] and theirs[0].hidden_papers == 1


def test_a_party_points_only_to_papers_it_can_open(world: World) -> None:
    story, dispute = accepted(world)
    rival_paper = bid_paper(story.partner_bid, title="Their pricing")
    with pytest.raises(DomainError, match="papers you can open"):
        evidence.submission_add(
            actor=story.complainant, dispute=dispute, statement="x", paper_ids=[rival_paper.pk]
        )
    assert not Submission.objects.exists()


def test_evidence_files_are_checked_and_kept(world: World) -> None:
    story, dispute = accepted(world)
    bad = SimpleUploadedFile("notes.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(DomainError, match="not a PDF"):
        evidence.submission_add(
            actor=story.complainant, dispute=dispute, statement="x", files=[bad]
        )
    good = SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf")
    given = evidence.submission_add(
        actor=story.complainant, dispute=dispute, statement="Minutes.", files=[good]
    )
    kept = EvidenceFile.objects.get(submission=given)
    assert kept.original_name == "minutes.pdf" and kept.size == len(PDF)
    assert kept.file.read() == PDF


def rule(story, dispute, **changes):  # type: ignore[no-untyped-def]
    fields = {
        "actor": story.arbiter,
        "dispute": dispute,
        "findings": "Found.",
        "decision": "Decided.",
        "actions": [rulings.ActionSpec(story.world.partner, "Apologise.", TODAY())],
        **changes,
    }
    return rulings.ruling_publish(**fields)


def test_only_the_arbiter_rules_and_a_ruling_is_published_once(world: World) -> None:
    story, dispute = accepted(world)
    with pytest.raises(DomainError) as refused:
        rule(story, dispute, actor=story.complainant)
    assert refused.value.code == Code.FORBIDDEN
    rule(story, dispute)
    with pytest.raises(DomainError, match="publish a correction"):
        rule(story, dispute)
    assert Ruling.objects.count() == 1


def test_a_correction_is_a_new_linked_ruling_replacing_outstanding_actions(world: World) -> None:
    story, dispute = accepted(world)
    first = rule(story, dispute)
    corrected = rule(
        story,
        dispute,
        corrects=first,
        decision="Decided, with the right date.",
        actions=[rulings.ActionSpec(world.partner, "Apologise in writing.", TODAY())],
    )
    first.refresh_from_db()
    assert corrected.number == 2 and corrected.corrects == first
    assert first.decision == "Decided."  # the published text is never changed
    old = RequiredAction.objects.get(ruling=first)
    assert old.superseded_at is not None
    with pytest.raises(DomainError, match="replaced"):
        rulings.action_confirm(actor=story.respondent, action=old)
    with pytest.raises(DomainError, match="Correct the latest"):
        rule(story, dispute, corrects=first)


def test_actions_are_for_the_parties_and_due_from_today(world: World) -> None:
    story, dispute = accepted(world)
    with pytest.raises(DomainError, match="for the parties"):
        rule(story, dispute, actions=[rulings.ActionSpec(world.competitor, "x", TODAY())])
    with pytest.raises(DomainError, match="from today on"):
        rule(
            story,
            dispute,
            actions=[rulings.ActionSpec(world.partner, "x", TODAY() - timedelta(days=1))],
        )
    assert not Ruling.objects.exists()


def test_a_ruling_without_actions_closes_the_dispute(world: World) -> None:
    story, dispute = accepted(world)
    rule(story, dispute, actions=[])
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.CLOSED


def test_only_the_party_that_must_act_confirms(world: World) -> None:
    story, dispute = accepted(world)
    action = rule(story, dispute).actions.get()
    with pytest.raises(DomainError) as refused:
        rulings.action_confirm(actor=story.complainant, action=action)
    assert refused.value.code == Code.FORBIDDEN
    rulings.action_confirm(actor=story.respondent, action=action)
    with pytest.raises(DomainError, match="was confirmed on"):
        rulings.action_confirm(actor=story.respondent, action=action)


def test_the_complainant_withdraws_before_the_ruling_only(world: World) -> None:
    story, dispute = accepted(world)
    with pytest.raises(DomainError) as refused:
        disputes.dispute_withdraw(actor=story.respondent, dispute=dispute)
    assert refused.value.code == Code.FORBIDDEN
    rule(story, dispute)
    with pytest.raises(DomainError) as refused:
        disputes.dispute_withdraw(actor=story.complainant, dispute=dispute)
    assert refused.value.code == Code.CONFLICT
