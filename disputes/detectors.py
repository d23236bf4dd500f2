"""Breach detectors: each reads the facts of one alliance and says which breaches exist now.

The bid detectors live in `disputes/bid_detectors.py`; the partnership, paper and alliance
ones here, with the registry of all of them (DETECTORS) that the breach service runs.

Some situations are history (a late declaration stays late); others are a state that can be
put right (an MoU signed late). Only the second kind are `ongoing`: when such a situation no
longer holds, its breach is marked cleared, never closed; the review decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from bids.models import BidWithdrawal
from disputes.bid_detectors import bid_candy, late_declaration, rival_consortia, undeclared_bid
from disputes.findings import EVERYTHING, Detector, Finding, Ids, Scope, midnight, when, within
from disputes.models import Breach, RequiredAction
from kiaa.models import Alliance, Protocol, ProtocolVersion
from partnerships.models import (
    BarrierAttempt,
    Document,
    DocumentAccess,
    MouSignature,
    MouVersion,
    Partnership,
    PartnershipMember,
    Withdrawal,
)

__all__ = ["DETECTORS", "EVERYTHING", "Finding", "Scope"]

Kind = Breach.Kind
# The most activity rows one breach's evidence lists; the counts are always complete.
EVIDENCE_ROWS = 20

# -- Partnerships ---------------------------------------------------------------------------


def worked_during_withdrawal(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """An agency kept working in a partnership it had withdrawn from to compete (clause 5)."""
    scoped = within(Withdrawal.objects.for_alliance(alliance), "partnership_id", scope.partnerships)
    spans = [
        _Span(*row)
        for row in scoped.values_list("pk", "partnership_id", "agency_id", "starts_at", "ends_at")
    ]
    if not spans:
        return
    activity = _activity(alliance, spans, scope.partnerships)
    # A large alliance has had thousands of withdrawals: only those broken are read whole.
    withdrawals = list(
        scoped.filter(pk__in=list(activity)).select_related("agency", "partnership").order_by("pk")
    )
    tenders = dict(
        BidWithdrawal.objects.filter(withdrawal__in=withdrawals).values_list(
            "withdrawal_id", "tender__reference"
        )
    )
    for w in withdrawals:
        rows = sorted(activity.get(w.pk, []))
        if not rows:
            continue
        counts: dict[str, int] = defaultdict(int)
        for _, what in rows:
            counts[what.split(":")[0]] += 1
        bid = f" to bid for {tenders[w.pk]}" if w.pk in tenders else ""
        yield Finding(
            Kind.WORKED_DURING_WITHDRAWAL,
            f"withdrawal:{w.pk}",
            f"{w.agency.name} worked in {w.partnership.name} while withdrawn from it{bid} "
            f"({len(rows)} time{'s' if len(rows) != 1 else ''}).",
            rows[0][0],
            agency_id=w.agency_id,
            partnership_id=w.partnership_id,
            evidence={
                "withdrawal_started": w.starts_at.isoformat(),
                "counts": dict(sorted(counts.items())),
                "details": [f"{when(at)}: {what.split(':', 1)[1]}" for at, what in rows][
                    :EVIDENCE_ROWS
                ],
            },
        )


class _Span(NamedTuple):
    """A withdrawal's who, where and when: all `_activity` needs of it."""

    pk: int
    partnership_id: int
    agency_id: int
    starts_at: datetime
    ends_at: datetime | None


def _activity(
    alliance: Alliance, withdrawals: list[_Span], partnerships: Ids
) -> dict[int, list[tuple[datetime, str]]]:
    """Each withdrawal's activity by its agency in its partnership while it was in force
    (`partnerships`: the scope's, or None for all of them)."""
    found: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    pairs: dict[tuple[int, int], list[_Span]] = defaultdict(list)  # whose, where
    for w in withdrawals:
        pairs[(w.partnership_id, w.agency_id)].append(w)
    start = min(w.starts_at for w in withdrawals)

    # Only the acts done during some withdrawal of their agency come back from the database:
    # a large alliance's partnerships hold tens of thousands of papers and reads.
    def acts(model: Any, partnership: str, agency: str, at: str) -> QuerySet[Any]:
        during = _during_any(alliance, partnership, agency, at)
        since = model.objects.for_alliance(alliance).filter(during, **{f"{at}__gte": start})
        return within(since, partnership, partnerships)

    uploads = acts(Document, "partnership_id", "owner_agency_id", "created_at")
    opened = acts(DocumentAccess, "document__partnership_id", "agency_id", "at")
    signed = acts(MouSignature, "version__partnership_id", "agency_id", "signed_at")
    edited = acts(MouVersion, "partnership_id", "partnership__lead_agency_id", "created_at")
    events = [
        (p, a, at, f"upload:uploaded “{title}”")
        for p, a, at, title in uploads.values_list(
            "partnership_id", "owner_agency_id", "created_at", "title"
        )
    ]
    events += [
        (p, a, at, f"{action}:{action} “{title}”")
        for p, a, at, action, title in opened.values_list(
            "document__partnership_id", "agency_id", "at", "action", "document__title"
        )
    ]
    events += [
        (p, a, at, f"mou_signature:signed MoU version {n}")
        for p, a, at, n in signed.values_list(
            "version__partnership_id", "agency_id", "signed_at", "version__number"
        )
    ]
    events += [
        (p, a, at, f"mou_edit:edited the MoU (version {n})")
        for p, a, at, n in edited.values_list(
            "partnership_id", "partnership__lead_agency_id", "created_at", "number"
        )
    ]
    for partnership_id, agency_id, at, what in events:
        for w in pairs.get((partnership_id, agency_id), ()):
            if _during(w, at):
                found[w.pk].append((at, what))
    return found


def _during_any(alliance: Alliance, partnership: str, agency: str, at: str) -> Exists:
    """The act (its partnership, agency and time, named as lookups) fell in a withdrawal of
    that agency from that partnership: `_during` as a condition on the act's row."""
    return Exists(
        Withdrawal.objects.for_alliance(alliance).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=OuterRef(at)),
            partnership_id=OuterRef(partnership),
            agency_id=OuterRef(agency),
            starts_at__lte=OuterRef(at),
        )
    )


def _during(withdrawal: _Span, at: datetime) -> bool:
    return withdrawal.starts_at <= at and (withdrawal.ends_at is None or at < withdrawal.ends_at)


def mou_unsigned(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """A member has not signed the partnership's current MoU within the protocol's days."""
    days = Protocol.objects.values_list("mou_signature_days", flat=True).get(alliance=alliance)
    partnerships = within(
        Partnership.objects.for_alliance(alliance).exclude(status=Partnership.Status.DISSOLVED),
        "pk",
        scope.partnerships,
    )
    current = {
        v.partnership_id: v
        for v in MouVersion.objects.filter(partnership__in=partnerships)
        .current()
        .only("pk", "partnership_id", "number", "created_at")
    }
    # Members who signed are left in the database: in a large alliance they are thousands.
    signed = MouSignature.objects.filter(
        version_id__in=[v.pk for v in current.values()],
        version__partnership_id=OuterRef("partnership_id"),
        agency_id=OuterRef("agency_id"),
    )
    members = (
        PartnershipMember.objects.filter(
            partnership_id__in=current, status=PartnershipMember.Status.ACTIVE
        )
        .exclude(Exists(signed))
        .select_related("agency", "partnership")
        .order_by("pk")
    )
    for member in members:
        version = current[member.partnership_id]
        since = max(version.created_at, member.joined_at or version.created_at)
        due = since + timedelta(days=days)
        if due > now:
            continue
        yield Finding(
            Kind.MOU_UNSIGNED,
            f"mou:{version.pk}:agency:{member.agency_id}",
            f"{member.agency.name} has not signed version {version.number} of the "
            f"{member.partnership.name} MoU, due by {when(due)}.",
            due,
            agency_id=member.agency_id,
            partnership_id=member.partnership_id,
            evidence={"version": version.number, "due": due.isoformat(), "days": days},
        )


# -- Papers and the alliance ---------------------------------------------------------------


def barrier_access_attempt(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """Someone asked for a paper the information barrier hides from them (clause 5)."""
    attempts = (
        within(BarrierAttempt.objects.for_alliance(alliance), "document_id", scope.documents)
        .values("agency_id", "agency__name", "document_id", "document__partnership_id")
        .annotate(times=Count("pk"), first=Min("at"), last=Max("at"))
        .order_by("document_id", "agency_id")
    )
    people = _attempt_people(alliance, scope)
    for row in attempts:
        agency_id, document_id = row["agency_id"], row["document_id"]
        who = row["agency__name"] or "A person with no agency role"
        # The paper's title stays out: it is hidden from the very people who will read this.
        yield Finding(
            Kind.BARRIER_ACCESS_ATTEMPT,
            f"attempt:{agency_id or 'none'}:{document_id}",
            f"{who} tried to open paper #{document_id}, which the information barrier hides "
            f"from them ({row['times']} time{'s' if row['times'] != 1 else ''}).",
            row["first"],
            agency_id=agency_id,
            partnership_id=row["document__partnership_id"],
            evidence={
                "document": document_id,
                "attempts": row["times"],
                "first": row["first"].isoformat(),
                "last": row["last"].isoformat(),
                "people": people.get((agency_id, document_id), []),
            },
        )


def _attempt_people(alliance: Alliance, scope: Scope) -> dict[tuple[int | None, int], list[str]]:
    rows = (
        within(BarrierAttempt.objects.for_alliance(alliance), "document_id", scope.documents)
        .values_list("agency_id", "document_id", "person__username", "channel", "action")
        .distinct()
        .order_by("person__username")
    )
    people: dict[tuple[int | None, int], list[str]] = defaultdict(list)
    for agency_id, document_id, username, channel, action in rows:
        line = f"{username} ({action}, {channel})"
        if line not in people[(agency_id, document_id)]:
            people[(agency_id, document_id)].append(line)
    return people


def protocol_review_overdue(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """The protocol's review date has passed without a new version (clause 8)."""
    current = ProtocolVersion.objects.for_alliance(alliance).order_by("-number").first()
    if current is None or current.review_due_on >= timezone.localdate(now):
        return
    yield Finding(
        Kind.PROTOCOL_REVIEW_OVERDUE,
        f"protocol-version:{current.pk}",
        f"Version {current.number} of the protocol was due for review on "
        f"{current.review_due_on:%-d %B %Y}, and no new version has been published.",
        midnight(current.review_due_on),
        evidence={"version": current.number, "review_due_on": current.review_due_on.isoformat()},
    )


def ruling_not_implemented(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """A party has not confirmed an action the arbiter's ruling required of it, a reminder
    period after its due date (clause 7: rulings are accepted and implemented by all parties)."""
    grace = Protocol.objects.values_list("reminder_days", flat=True).get(alliance=alliance)
    overdue = (
        RequiredAction.objects.for_alliance(alliance)
        .filter(
            confirmed_at__isnull=True,
            superseded_at__isnull=True,
            due_on__lt=timezone.localdate(now) - timedelta(days=grace),
        )
        .select_related("agency", "ruling")
        .order_by("pk")
    )
    for action in overdue:
        late = (timezone.localdate(now) - action.due_on).days
        yield Finding(
            Kind.RULING_NOT_IMPLEMENTED,
            f"action:{action.pk}",
            f"{action.agency.name} has not confirmed an action required by ruling "
            f"{action.ruling.number} in dispute #{action.dispute_id}, due on "
            f"{action.due_on:%-d %B %Y} ({late} days ago).",
            midnight(action.due_on + timedelta(days=1)),
            agency_id=action.agency_id,
            evidence={
                "details": [action.description],
                "dispute": action.dispute_id,
                "ruling": action.ruling.number,
                "due": action.due_on.isoformat(),
                "days_late": late,
            },
        )


DETECTORS: tuple[Detector, ...] = (
    Detector(Kind.UNDECLARED_BID, "tenders", ongoing=False, detect=undeclared_bid),
    Detector(Kind.RIVAL_CONSORTIA, "tenders", ongoing=True, detect=rival_consortia),
    Detector(Kind.LATE_DECLARATION, "tenders", ongoing=False, detect=late_declaration),
    Detector(Kind.BID_CANDY, "tenders", ongoing=True, detect=bid_candy),
    Detector(
        Kind.WORKED_DURING_WITHDRAWAL,
        "partnerships",
        ongoing=False,
        detect=worked_during_withdrawal,
    ),
    Detector(Kind.MOU_UNSIGNED, "partnerships", ongoing=True, detect=mou_unsigned),
    Detector(
        Kind.BARRIER_ACCESS_ATTEMPT, "documents", ongoing=False, detect=barrier_access_attempt
    ),
    Detector(
        Kind.PROTOCOL_REVIEW_OVERDUE, "alliance", ongoing=True, detect=protocol_review_overdue
    ),
    # Ongoing: a late confirmation puts it right (the breach stays for the review).
    Detector(Kind.RULING_NOT_IMPLEMENTED, "alliance", ongoing=True, detect=ruling_not_implemented),
)
