"""The whole story of a dispute, as the protocol tells it: partners bid against each other, one
keeps working in the partnership, the detectors flag it, the other files a dispute, the CVS
arbitrates (a conflicted arbiter is refused), both sides give evidence, the arbiter rules, one
party implements at once and the other only after a reminder and a breach."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import selectors
from disputes.models import Breach, Dispute, Submission
from disputes.services import disputes, evidence, rulings
from disputes.services.breaches import breaches_detect
from kiaa import audit
from kiaa.errors import DomainError
from kiaa.models import AuditEvent, Notification, Role
from kiaa.services.reminders import reminders_send_for
from tests.conftest import World
from tests.disputes.story import rival_bids
from tests.factories import PersonFactory, grant

pytestmark = pytest.mark.django_db


def texts(person, dispute) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        e.submission.statement
        for e in selectors.submission_list_for(person=person, dispute=dispute)
    ]


def test_a_dispute_runs_from_rival_bids_to_a_closed_ruling(world: World) -> None:
    story = rival_bids(world)
    assert story.breach.status == Breach.Status.OPEN
    today = timezone.localdate()

    dispute = disputes.dispute_file(
        actor=story.complainant,
        alliance=world.alliance,
        complainant=world.lead,
        respondent=world.partner,
        subject=Dispute.Subject.BREACH,
        breach=story.breach,
        summary="Partner Housing kept working in the network while bidding against us.",
    )
    story.breach.refresh_from_db()
    assert story.breach.status == Breach.Status.UNDER_REVIEW
    assert Notification.objects.filter(recipient=story.respondent, verb="dispute.filed").exists()
    assert Notification.objects.filter(recipient=story.arbiter, verb="dispute.filed").exists()

    # A CVS arbiter who also sits on the respondent's board is refused, and told why.
    conflicted = PersonFactory(username="conflicted")
    grant(conflicted, Role.ARBITER, world.cvs)
    grant(conflicted, Role.TRUSTEE, world.partner)
    with pytest.raises(DomainError, match="holds a role in Partner Housing, a party"):
        disputes.dispute_accept(
            actor=conflicted,
            dispute=dispute,
            evidence_due_on=today + timedelta(days=7),
            ruling_due_on=today + timedelta(days=14),
        )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.FILED and dispute.arbiter is None

    dispute = disputes.dispute_accept(
        actor=story.arbiter,
        dispute=dispute,
        evidence_due_on=today + timedelta(days=7),
        ruling_due_on=today + timedelta(days=14),
    )
    assert dispute.status == Dispute.Status.ACCEPTED

    add = evidence.submission_add
    add(actor=story.complainant, dispute=dispute, statement="They uploaded the rota.")
    add(
        actor=story.complainant,
        dispute=dispute,
        statement="Our margins are in this: arbiter only.",
        visibility=Submission.Visibility.ARBITER,
    )
    add(actor=story.respondent, dispute=dispute, statement="Routine work, no advantage.")
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.EVIDENCE
    assert "Our margins are in this: arbiter only." in texts(story.arbiter, dispute)
    assert "Our margins are in this: arbiter only." in texts(story.complainant, dispute)
    assert "Our margins are in this: arbiter only." not in texts(story.respondent, dispute)
    assert "Routine work, no advantage." in texts(story.complainant, dispute)

    due = today + timedelta(days=3)
    ruling = rulings.ruling_publish(
        actor=story.arbiter,
        dispute=dispute,
        findings="Partner Housing uploaded to the network while withdrawn from it.",
        decision="The breach is upheld. Both parties restate their withdrawal arrangements.",
        actions=[
            rulings.ActionSpec(world.lead, "Circulate the withdrawal note to staff.", due),
            rulings.ActionSpec(world.partner, "Remove the rota and confirm in writing.", due),
        ],
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.RULED
    lead_action, partner_action = ruling.actions.order_by("agency__name")
    assert lead_action.agency == world.lead

    rulings.action_confirm(actor=story.complainant, action=lead_action, note="Sent on Monday.")
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.RULED  # the partner has still to act

    # The due date passes: the partner is reminded, and nothing is flagged yet.
    after_due = timezone.now() + timedelta(days=4)
    reminders_send_for(alliance=world.alliance, now=after_due)
    overdue = Notification.objects.filter(recipient=story.respondent, verb="reminder.overdue")
    assert overdue.filter(title__contains=f"dispute #{dispute.pk}").exists()
    assert not Notification.objects.filter(
        recipient=story.complainant, verb="reminder.overdue", title__contains="ruling"
    ).exists()
    breaches_detect(alliance=world.alliance, now=after_due)
    unimplemented = Breach.objects.filter(kind=Breach.Kind.RULING_NOT_IMPLEMENTED)
    assert not unimplemented.exists()

    # A reminder period later still undone: the protocol is breached.
    later = after_due + timedelta(days=7)
    breaches_detect(alliance=world.alliance, now=later)
    breach = unimplemented.get()
    assert breach.agency == world.partner and breach.evidence["dispute"] == dispute.pk

    rulings.action_confirm(actor=story.respondent, action=partner_action)
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.CLOSED and dispute.closed_at is not None
    breaches_detect(alliance=world.alliance, now=later)
    breach.refresh_from_db()
    assert breach.cleared_at is not None  # put right late; the breach stands for review

    verbs = set(AuditEvent.objects.filter(alliance=world.alliance).values_list("verb", flat=True))
    assert {
        "dispute.filed",
        "dispute.accepted",
        "dispute.submission_added",
        "ruling.published",
        "action.confirmed",
        "dispute.closed",
        "breach.detected",
    } <= verbs
    assert audit.verify(world.alliance) is None
