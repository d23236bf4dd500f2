"""The disputes app's due dates: evidence from each party, the arbiter's ruling, and each action a
ruling requires. Reminders and calendar feeds read them through kiaa.reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Q

from disputes.links import dispute_url
from disputes.models import Dispute, RequiredAction, Submission
from kiaa import reminders
from kiaa.due_dates import chief_officers, day_start, people_of
from kiaa.models import Alliance
from kiaa.reminders import Due

TAKING_EVIDENCE = (Dispute.Status.ACCEPTED, Dispute.Status.EVIDENCE)


def dispute_dues(alliance: Alliance, start: datetime, end: datetime) -> list[Due]:
    """The disputes' dates in [start, end): evidence, rulings and required actions."""
    # All-day dates: a day's moment falls in the window when its day does.
    first, last = (start - timedelta(days=1)).date(), end.date()
    return [*_stage_dues(alliance, first, last), *_action_dues(alliance, first, last)]


def _stage_dues(alliance: Alliance, first: date, last: date) -> list[Due]:
    disputes = list(
        Dispute.objects.for_alliance(alliance)
        .filter(status__in=TAKING_EVIDENCE)
        .filter(Q(evidence_due_on__range=(first, last)) | Q(ruling_due_on__range=(first, last)))
        .select_related("alliance")
        .order_by("pk")
    )
    if not disputes:
        return []
    given: dict[int, set[int]] = {d.pk: set() for d in disputes}
    for dispute_id, agency_id in Submission.objects.filter(
        dispute__in=disputes, by_arbiter=False
    ).values_list("dispute_id", "agency_id"):
        given[dispute_id].add(agency_id)
    chiefs = chief_officers(alliance, {a for d in disputes for a in d.parties})
    found = []
    for d in disputes:
        if d.evidence_due_on is not None:
            silent = [a for a in d.parties if a not in given[d.pk]]
            found.append(
                Due(
                    key=f"dispute:{d.pk}:evidence",
                    kind="deadline",
                    title=f"Evidence due in dispute #{d.pk}",
                    due_at=day_start(d.evidence_due_on),
                    url=dispute_url(d),
                    recipients=people_of(chiefs, silent),
                    all_day=True,
                    # Evidence closes on the day: nothing is left to remind of once it has passed.
                    remind_overdue=False,
                    description="Give your agency's statement and evidence to the arbiter.",
                )
            )
        if d.ruling_due_on is not None and d.arbiter_id is not None:
            found.append(
                Due(
                    key=f"dispute:{d.pk}:ruling",
                    kind="deadline",
                    title=f"Ruling due in dispute #{d.pk}",
                    due_at=day_start(d.ruling_due_on),
                    url=dispute_url(d),
                    recipients=frozenset({d.arbiter_id}),
                    all_day=True,
                    description="Publish your ruling, or move the date and tell the parties.",
                )
            )
    return found


def _action_dues(alliance: Alliance, first: date, last: date) -> list[Due]:
    actions = list(
        RequiredAction.objects.for_alliance(alliance)
        .filter(due_on__range=(first, last), superseded_at__isnull=True)
        .select_related("dispute__alliance")
        .order_by("pk")
    )
    if not actions:
        return []
    chiefs = chief_officers(alliance, {a.agency_id for a in actions})
    return [
        Due(
            key=f"action:{a.pk}",
            kind="deadline",
            title=f"Action required by the ruling in dispute #{a.dispute_id}",
            due_at=day_start(a.due_on),
            url=dispute_url(a.dispute),
            recipients=people_of(chiefs, [a.agency_id]),
            all_day=True,
            outstanding=a.confirmed_at is None,
            description=a.description[:500],
        )
        for a in actions
    ]


def register() -> None:
    """Add the provider to the registry (from the app's ready)."""
    reminders.register("disputes", dispute_dues)
