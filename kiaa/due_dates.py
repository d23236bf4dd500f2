"""The alliance core's due dates: the protocol's review date and trustee votes still awaited.

Also the small helpers every app's provider shares (an all-day date as a moment, the chief
officers of agencies), so each provider reads a handful of rows whatever the alliance's size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from kiaa import decisions
from kiaa.models import Alliance, BoardDecision, BoardVote, Membership, ProtocolVersion, Role
from kiaa.reminders import Due
from kiaa.services.notifications import admins_of

# A board question no app gives a deadline for (joining a partnership, say) should be answered
# within a week of being asked: most boards can vote by email or meet within that time, and a
# date fixed from the asking never moves, so nobody is reminded twice as time passes.
VOTE_WITHIN = timedelta(days=7)


def day_start(day: date) -> datetime:
    """An all-day due date as the moment its day begins, in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def in_window(moment: datetime, start: datetime, end: datetime) -> bool:
    return start <= moment < end


def chief_officers(alliance: Alliance, agency_ids: Iterable[int]) -> dict[int, set[int]]:
    """The active chief officers of each agency (by agency id), in one query."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = (
        Membership.objects.for_alliance(alliance)
        .filter(agency_id__in=set(agency_ids), role=Role.CHIEF_OFFICER, user__is_active=True)
        .values_list("agency_id", "user_id")
    )
    for agency_id, user_id in rows:
        found[agency_id].add(user_id)
    return found


def people_of(found: dict[int, set[int]], agency_ids: Iterable[int]) -> frozenset[int]:
    """Everyone `found` (people by agency) holds for these agencies."""
    return frozenset(person for agency_id in agency_ids for person in found.get(agency_id, ()))


def alliance_dues(alliance: Alliance, start: datetime, end: datetime) -> list[Due]:
    """The core's due dates in [start, end): the protocol's review and votes awaited."""
    return [*protocol_review(alliance, start, end), *votes_awaited(alliance, start, end)]


def protocol_review(alliance: Alliance, start: datetime, end: datetime) -> list[Due]:
    """The review date of the protocol version in force (clause 8), due from the alliance admins."""
    # The newest version is the one in force; adopting a newer one is the review, and its own
    # review date replaces this one, so the current version's date is outstanding until then.
    version = ProtocolVersion.objects.for_alliance(alliance).order_by("-number").first()
    if version is None or not in_window(day_start(version.review_due_on), start, end):
        return []
    admins = admins_of(alliance)
    return [
        Due(
            key=f"protocol:{version.number}:review",
            kind="review",
            title=f"Review of the protocol (version {version.number})",
            due_at=day_start(version.review_due_on),
            url=reverse("protocol", kwargs={"alliance_slug": alliance.slug}),
            recipients=frozenset(admins),
            all_day=True,
            description="Adopt a reviewed version of the protocol: its review date is set.",
        )
    ]


def votes_awaited(alliance: Alliance, start: datetime, end: datetime) -> list[Due]:
    """Each open board question, due from the board's eligible trustees who have not voted."""
    open_ones = list(
        BoardDecision.objects.for_alliance(alliance)
        .filter(status=BoardDecision.Status.OPEN)
        .select_related("agency")
        .order_by("pk")
    )
    due_by = decisions.answer_by(open_ones, within=VOTE_WITHIN)
    open_ones = [d for d in open_ones if in_window(due_by[d.pk], start, end)]
    eligible = decisions.voters(open_ones)
    voted: dict[int, set[int]] = defaultdict(set)
    votes = BoardVote.objects.filter(decision__in=open_ones).values_list(
        "decision_id", "trustee_id"
    )
    for decision_id, trustee_id in votes:
        voted[decision_id].add(trustee_id)
    return [
        Due(
            key=f"decision:{d.pk}:vote",
            kind="vote",
            title=f"Trustee vote for {d.agency.name}: {d.question}",
            due_at=due_by[d.pk],
            url=reverse("decision-detail", kwargs={"alliance_slug": alliance.slug, "pk": d.pk}),
            recipients=frozenset(eligible[d.pk] - voted[d.pk]),
            description="Your board has been asked this question and your vote is awaited.",
        )
        for d in open_ones
    ]
