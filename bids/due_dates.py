"""The bids app's due dates: a tender's deadlines, and when a board should decide a declaration."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse

from bids.models import Declaration, Tender
from kiaa.due_dates import chief_officers, in_window, people_of
from kiaa.models import Alliance, BoardDecision
from kiaa.reminders import Due

Status = Declaration.Status
UNDECIDED = (Status.DRAFT, Status.AWAITING_BOARD)
BIDDING = (Declaration.Capacity.SOLE, Declaration.Capacity.LEAD)


def tender_dues(alliance: Alliance, start: datetime, end: datetime) -> list[Due]:
    """Open tenders' deadlines in [start, end), each due from the agencies it concerns."""
    tenders = list(
        Tender.objects.for_alliance(alliance)
        .filter(status=Tender.Status.OPEN)
        .filter(
            Q(eoi_deadline__gte=start, eoi_deadline__lt=end)
            | Q(submission_deadline__gte=start, submission_deadline__lt=end)
        )
        .values("pk", "reference", "title", "eoi_deadline", "submission_deadline")
    )
    undecided, to_submit = _concerned([t["pk"] for t in tenders])
    agencies = {a for found in (undecided, to_submit) for ids in found.values() for a in ids}
    chiefs = chief_officers(alliance, agencies)
    found: list[Due] = []
    for t in tenders:
        url = reverse("tender-detail", kwargs={"alliance_slug": alliance.slug, "pk": t["pk"]})
        if t["eoi_deadline"] and in_window(t["eoi_deadline"], start, end):
            found.append(_eoi_due(t, url, people_of(chiefs, undecided[t["pk"]])))
        if t["submission_deadline"] and in_window(t["submission_deadline"], start, end):
            found.append(_submission_due(t, url, people_of(chiefs, to_submit[t["pk"]])))
    return found


def _concerned(tender_ids: list[int]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """By tender: agencies whose declaration awaits its board, and bidders yet to submit."""
    undecided: dict[int, set[int]] = defaultdict(set)
    to_submit: dict[int, set[int]] = defaultdict(set)
    live = Declaration.objects.filter(
        tender_id__in=tender_ids, status__in=[*UNDECIDED, Status.DECLARED]
    ).values_list("tender_id", "agency_id", "status", "capacity")
    for tender_id, agency_id, status, capacity in live:
        if status in UNDECIDED:
            undecided[tender_id].add(agency_id)
        elif capacity in BIDDING:  # the lead marks the bid submitted for its partners
            to_submit[tender_id].add(agency_id)
    return undecided, to_submit


def _eoi_due(tender: dict[str, Any], url: str, recipients: frozenset[int]) -> Due:
    return Due(
        key=f"tender:{tender['pk']}:eoi",
        kind="deadline",
        title=f"Expression-of-interest deadline: {tender['reference']} ({tender['title']})",
        due_at=tender["eoi_deadline"],
        url=url,
        recipients=recipients,
        # Still remindable once passed: the undecided declaration is now late (bids/rules.py
        # flags it), and the board still has to decide it or the chief officer to withdraw it.
        remind_overdue=True,
        description="Your agency's declaration for this tender is still awaiting its board.",
    )


def _submission_due(tender: dict[str, Any], url: str, recipients: frozenset[int]) -> Due:
    return Due(
        key=f"tender:{tender['pk']}:submission",
        kind="deadline",
        title=f"Submission deadline: {tender['reference']} ({tender['title']})",
        due_at=tender["submission_deadline"],
        url=url,
        recipients=recipients,
        # A bid cannot go in after the deadline, so there is nothing left to remind of.
        remind_overdue=False,
        description="Your agency has declared for this tender: mark the bid submitted once it has gone in.",
    )


def declaration_answer_by(decisions: list[BoardDecision]) -> dict[int, datetime]:
    """When a board should decide a declaration: the tender's first deadline after the asking.

    Declaring comes before expressing interest (a declaration after the EOI deadline is late,
    bids/rules.py); if that had passed when the board was asked, the submission deadline is the
    last moment the decision is of use. With neither ahead, the core's week applies.
    """
    deadlines = {
        pk: (eoi, submission)
        for pk, eoi, submission in Declaration.objects.filter(
            pk__in=[d.subject_id for d in decisions]
        ).values_list("pk", "tender__eoi_deadline", "tender__submission_deadline")
    }
    found: dict[int, datetime] = {}
    for decision in decisions:
        ahead = [
            moment
            for moment in deadlines.get(decision.subject_id, (None, None))
            if moment is not None and moment > decision.opened_at
        ]
        if ahead:
            found[decision.pk] = min(ahead)
    return found
