"""The partnerships app's due dates: MoU reviews, and withdrawals starting and ending."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from kiaa.due_dates import chief_officers, day_start, in_window, people_of
from kiaa.models import Alliance
from kiaa.reminders import Due
from partnerships.models import MouVersion, Partnership, PartnershipMember, Withdrawal


def partnership_dues(alliance: Alliance, start: datetime, end: datetime) -> list[Due]:
    """MoU review dates and withdrawals starting or ending in [start, end), in five queries."""
    reviews = _reviews(alliance, start, end)
    members: dict[int, set[int]] = {r["partnership_id"]: set() for r in reviews}
    places = PartnershipMember.objects.filter(
        partnership_id__in=list(members), status=PartnershipMember.Status.ACTIVE
    ).values_list("partnership_id", "agency_id")
    for partnership_id, agency_id in places:
        members[partnership_id].add(agency_id)
    endings = list(
        Withdrawal.objects.for_alliance(alliance)
        .filter(ends_at__gte=start, ends_at__lt=end)
        .values(
            "pk", "agency_id", "agency__name", "partnership__name", "starts_at", "ends_at", "reason"
        )
    )
    # A withdrawal in force until its bid ends has no end date yet: its start shows instead.
    open_ended = list(
        Withdrawal.objects.for_alliance(alliance)
        .filter(ends_at__isnull=True, starts_at__gte=start, starts_at__lt=end)
        .values("pk", "agency_id", "agency__name", "partnership__name", "starts_at")
    )
    withdrawn = {w["agency_id"] for w in endings} | {w["agency_id"] for w in open_ended}
    chiefs = chief_officers(alliance, {a for ids in members.values() for a in ids} | withdrawn)
    return [
        *(_review_due(alliance, r, members[r["partnership_id"]], chiefs) for r in reviews),
        *(_ending_due(alliance, w, chiefs[w["agency_id"]]) for w in endings),
        *(_start_due(alliance, w, chiefs[w["agency_id"]]) for w in open_ended),
    ]


def _reviews(alliance: Alliance, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The review dates of current MoUs (no newer version) of partnerships not dissolved."""
    rows = (
        MouVersion.objects.current()
        .for_alliance(alliance)
        .filter(
            review_due_on__gte=timezone.localdate(start), review_due_on__lte=timezone.localdate(end)
        )
        .exclude(partnership__status=Partnership.Status.DISSOLVED)
        .values("partnership_id", "partnership__name", "review_due_on")
    )
    return [r for r in rows if in_window(day_start(r["review_due_on"]), start, end)]


def _review_due(
    alliance: Alliance, row: dict[str, Any], agencies: set[int], chiefs: dict[int, set[int]]
) -> Due:
    pk = row["partnership_id"]
    return Due(
        key=f"partnership:{pk}:mou-review",
        kind="review",
        title=f"Review of the MoU of {row['partnership__name']}",
        due_at=day_start(row["review_due_on"]),
        url=reverse("partnership-mou", kwargs={"alliance_slug": alliance.slug, "pk": pk}),
        recipients=people_of(chiefs, agencies),
        all_day=True,
        description="The members agreed to look at their memorandum of understanding again.",
    )


def _ending_due(alliance: Alliance, row: dict[str, Any], chiefs: set[int]) -> Due:
    return Due(
        key=f"withdrawal:{row['pk']}:end",
        kind="withdrawal",
        title=f"{row['agency__name']}'s withdrawal from {row['partnership__name']} ends",
        due_at=row["ends_at"],
        starts_at=row["starts_at"],
        url=reverse("withdrawals", kwargs={"alliance_slug": alliance.slug}),
        recipients=frozenset(chiefs),
        # News, not a task: nobody has to do anything for it to end, so a passed end is not
        # reminded; the barrier gives the papers back by itself.
        remind_overdue=False,
        # The reason names the bid: an agency bidding twice has two withdrawals to tell apart.
        description=f"{row['reason']}. When it ends the agency returns to the partnership's "
        "working and papers.",
    )


def _start_due(alliance: Alliance, row: dict[str, Any], chiefs: set[int]) -> Due:
    return Due(
        key=f"withdrawal:{row['pk']}:start",
        kind="withdrawal",
        title=f"{row['agency__name']} withdrawn from {row['partnership__name']} while it bids",
        due_at=row["starts_at"],
        url=reverse("withdrawals", kwargs={"alliance_slug": alliance.slug}),
        recipients=frozenset(chiefs),
        # Something that happened, for the calendar: nothing to do, so nothing to remind.
        outstanding=False,
        remind_overdue=False,
        description="It stays withdrawn until its bid ends; the end then shows here.",
    )
