"""The arbiter's ruling and its implementation (clause 7: accepted and implemented by all parties).

A ruling is published once and never edited; a correction is a new ruling linked to the one it
corrects, whose outstanding actions it replaces with its own. Each party confirms each action
required of it; the dispute closes when none is outstanding. Overdue actions are reminded
(disputes.due_dates) and then flagged as `ruling_not_implemented` (disputes.detectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from disputes import permissions as can
from disputes.models import Breach, Dispute, RequiredAction, Ruling
from disputes.services.disputes import (
    _locked,
    move,
    record,
    tell_arbiter,
    tell_parties,
)
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, User
from kiaa.permissions import roles_of
from kiaa.plausible import check_plausible
from kiaa.services.notifications import admins_of, notify_people

Status = Dispute.Status
Sanction = Breach.Sanction

NOT_THE_ARBITER = "Only this dispute's arbiter publishes its ruling."
NOT_READY = "This dispute is {status}: it cannot be ruled on now."
ALREADY_RULED = "This dispute has a ruling: publish a correction of it instead."
NOTHING_TO_CORRECT = "There is no ruling to correct yet."
CORRECT_THE_LATEST = "Correct the latest ruling (ruling {number})."
FINDINGS_REQUIRED = "Record the findings."
DECISION_REQUIRED = "Record the decision."
ACTION_NOT_FOR_PARTY = "Required actions are for the parties to the dispute."
ACTION_DESCRIPTION = "Say what each required action is."
ACTION_DATE_PASSED = "Give each required action a due date from today on."
SANCTION_NEEDS_BREACH = "A ruling orders a sanction only on a breach it rules on."
SANCTION_ON_BREACH_AGENCY = "The sanction is for {agency}, the agency in breach."
BAD_SANCTION = "Choose a sanction: none, warning, suspension or expulsion."
NOT_YOUR_ACTION = "Only the chief officer of the party that must act confirms it is done."
ALREADY_CONFIRMED = "This action was confirmed on {at:%-d %B %Y}."
SUPERSEDED = "A corrected ruling replaced this action."


@dataclass(frozen=True)
class ActionSpec:
    """One action the ruling requires of a party, by a date."""

    agency: Agency
    description: str
    due_on: date


def _check_ruling(
    dispute: Dispute,
    findings: str,
    decision: str,
    actions: Sequence[ActionSpec],
    sanction: str,
    sanctioned: Agency | None,
) -> None:
    if not findings.strip():
        raise DomainError(FINDINGS_REQUIRED, field="findings")
    if not decision.strip():
        raise DomainError(DECISION_REQUIRED, field="decision")
    today = timezone.localdate()
    for action in actions:
        if action.agency.pk not in dispute.parties:
            raise DomainError(ACTION_NOT_FOR_PARTY, field="actions")
        if not action.description.strip():
            raise DomainError(ACTION_DESCRIPTION, field="actions")
        if action.due_on < today:
            raise DomainError(ACTION_DATE_PASSED, field="actions")
        check_plausible(action.due_on, field="actions")
    if sanction not in Sanction.values:
        raise DomainError(BAD_SANCTION, field="sanction")
    if sanction != Sanction.NONE:
        breach = dispute.breach
        if breach is None or breach.agency_id is None:
            raise DomainError(SANCTION_NEEDS_BREACH, field="sanction")
        if sanctioned is None or sanctioned.pk != breach.agency_id:
            agency = breach.agency.name  # type: ignore[union-attr]
            raise DomainError(SANCTION_ON_BREACH_AGENCY.format(agency=agency), field="sanction")


def _corrected(dispute: Dispute, corrects: Ruling | None) -> Ruling | None:
    """The ruling a new one corrects: none for the first, else the latest."""
    latest = dispute.rulings.order_by("-number").first()
    if corrects is None:
        if latest is not None:
            raise DomainError(ALREADY_RULED, Code.CONFLICT)
        if dispute.status not in (Status.ACCEPTED, Status.EVIDENCE):
            status = dispute.get_status_display().lower()
            raise DomainError(NOT_READY.format(status=status), Code.CONFLICT)
        return None
    if latest is None:
        raise DomainError(NOTHING_TO_CORRECT, Code.CONFLICT)
    if corrects.pk != latest.pk:
        raise DomainError(CORRECT_THE_LATEST.format(number=latest.number), Code.CONFLICT)
    if dispute.status not in (Status.RULED, Status.CLOSED):
        raise DomainError(
            NOT_READY.format(status=dispute.get_status_display().lower()), Code.CONFLICT
        )
    return latest


@transaction.atomic
def ruling_publish(
    *,
    actor: User,
    dispute: Dispute,
    findings: str,
    decision: str,
    actions: Sequence[ActionSpec] = (),
    sanction: str = Sanction.NONE,
    sanctioned_agency: Agency | None = None,
    corrects: Ruling | None = None,
) -> Ruling:
    """The arbiter publishes the ruling (or a correction of it) to both parties; it is final."""
    dispute = _locked(dispute)
    if dispute.arbiter_id != actor.pk:
        raise DomainError(NOT_THE_ARBITER, Code.FORBIDDEN)
    previous = _corrected(dispute, corrects)
    _check_ruling(dispute, findings, decision, actions, sanction, sanctioned_agency)
    now = timezone.now()
    number = (dispute.rulings.aggregate(n=Max("number"))["n"] or 0) + 1
    ruling = Ruling.objects.create(
        alliance_id=dispute.alliance_id,
        dispute=dispute,
        number=number,
        corrects=previous,
        findings=findings.strip(),
        decision=decision.strip(),
        sanction=sanction,
        sanctioned_agency=sanctioned_agency if sanction != Sanction.NONE else None,
        published_by=actor,
        published_at=now,
    )
    superseded = 0
    if previous is not None:
        superseded = RequiredAction.objects.filter(
            ruling=previous, confirmed_at__isnull=True, superseded_at__isnull=True
        ).update(superseded_at=now)
    made = RequiredAction.objects.bulk_create(
        RequiredAction(
            alliance_id=dispute.alliance_id,
            ruling=ruling,
            dispute=dispute,
            agency=a.agency,
            description=a.description.strip(),
            due_on=a.due_on,
        )
        for a in actions
    )
    move(dispute, Status.RULED if made else Status.CLOSED)
    if not made:
        dispute.closing_reason = "The ruling requires no action."
    dispute.save(update_fields=["status", "closed_at", "closing_reason"])
    record(
        actor,
        "ruling.published",
        dispute,
        target=ruling,
        number=number,
        corrects=previous.number if previous else None,
        findings=ruling.findings,
        decision=ruling.decision,
        sanction=sanction,
        sanctioned_agency=sanctioned_agency.pk if sanctioned_agency else None,
        actions=[[a.agency.pk, a.description.strip(), a.due_on] for a in actions],
        superseded_actions=superseded,
    )
    words = "A corrected ruling" if previous else "The ruling"
    tell_parties(
        dispute, verb="ruling.published", title=f"{words} in dispute #{dispute.pk} is published"
    )
    notify_people(
        alliance=dispute.alliance,
        people=admins_of(dispute.alliance),
        verb="ruling.published",
        title=f"{words} in dispute #{dispute.pk} is published",
    )
    return ruling


@transaction.atomic
def action_confirm(*, actor: User, action: RequiredAction, note: str = "") -> RequiredAction:
    """The acting party confirms a required action is done; the last one closes the dispute."""
    dispute = _locked(action.dispute)
    action = RequiredAction.objects.select_for_update().select_related("agency").get(pk=action.pk)
    if not can.can_confirm_action(roles_of(actor, dispute.alliance), action):
        raise DomainError(NOT_YOUR_ACTION, Code.FORBIDDEN)
    if action.superseded_at is not None:
        raise DomainError(SUPERSEDED, Code.CONFLICT)
    if action.confirmed_at is not None:
        raise DomainError(ALREADY_CONFIRMED.format(at=action.confirmed_at), Code.CONFLICT)
    action.confirmed_at, action.confirmed_by = timezone.now(), actor
    action.confirmation_note = note.strip()
    action.save(update_fields=["confirmed_at", "confirmed_by", "confirmation_note"])
    late = action.confirmed_at.date() > action.due_on
    record(
        actor,
        "action.confirmed",
        dispute,
        target=action,
        agency=action.agency.name,
        due_on=action.due_on,
        late=late,
        note=action.confirmation_note,
    )
    title = f"{action.agency.name} confirmed an action in dispute #{dispute.pk}"
    tell_arbiter(dispute, verb="action.confirmed", title=title, body=action.description[:300])
    others = [a for a in dispute.parties if a != action.agency_id]
    tell_parties(dispute, only=others[0], verb="action.confirmed", title=title)
    outstanding = RequiredAction.objects.filter(
        dispute=dispute, confirmed_at__isnull=True, superseded_at__isnull=True
    )
    if dispute.status == Status.RULED and not outstanding.exists():
        move(dispute, Status.CLOSED)
        dispute.closing_reason = "Every action the ruling required is confirmed."
        dispute.save(update_fields=["status", "closed_at", "closing_reason"])
        record(actor, "dispute.closed", dispute, reason=dispute.closing_reason)
        tell_parties(dispute, verb="dispute.closed", title=f"Dispute #{dispute.pk} is closed")
    return action
