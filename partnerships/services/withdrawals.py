"""Withdrawals: an agency steps back from partnership working while it competes (clause 5).

A withdrawal starts when it is recorded, never later, so the barrier is never behind it; it
ends now, or is given an end in the future that the periodic reconcile carries out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kiaa import audit, barrier
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, User
from partnerships.models import Document, Partnership, Withdrawal
from partnerships.services.documents import reconcile_partnership

WITHDRAWAL_OPEN = "That agency is already withdrawn from this partnership."
ENDS_BEFORE_NOW = "A withdrawal ends after it starts."
ALREADY_ENDED = "This withdrawal has already ended."


@transaction.atomic
def withdrawal_start(
    *,
    actor: User | None,
    partnership: Partnership,
    agency: Agency,
    reason: str,
    ends_at: datetime | None = None,
) -> Withdrawal:
    """An agency steps back from the partnership while it competes; it loses its commercial papers now."""
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise DomainError(ENDS_BEFORE_NOW, field="ends_at")
    if Withdrawal.objects.filter(partnership=partnership, agency=agency).active().exists():
        raise DomainError(WITHDRAWAL_OPEN, Code.CONFLICT)
    withdrawal = Withdrawal.objects.create(
        alliance_id=partnership.alliance_id,
        partnership=partnership,
        agency=agency,
        reason=reason,
        starts_at=now,
        ends_at=ends_at,
        created_by=actor,
    )
    audit.record(
        alliance=partnership.alliance,
        actor=actor,
        verb="withdrawal.started",
        target=withdrawal,
        agency=agency,
        payload={"partnership": partnership.pk, "reason": reason, "ends_at": ends_at},
    )
    reconcile_partnership(partnership)
    return withdrawal


@transaction.atomic
def withdrawals_open(
    *, actor: User | None, agency: Agency, partnerships: Sequence[Partnership], reason: str
) -> list[Withdrawal]:
    """Withdraw one agency from several partnerships at once (one bid declared), open-ended.

    The partnerships it is already withdrawn from are left as they are. One audit event and one
    reconcile for the lot, so declaring costs the same for an agency in 2 partnerships or 20.
    """
    already = set(
        Withdrawal.objects.filter(partnership__in=partnerships, agency=agency)
        .active()
        .values_list("partnership_id", flat=True)
    )
    now = timezone.now()
    created = Withdrawal.objects.bulk_create(
        Withdrawal(
            alliance_id=agency.alliance_id,
            partnership=p,
            agency=agency,
            reason=reason,
            starts_at=now,
            created_by=actor,
        )
        for p in partnerships
        if p.pk not in already
    )
    if created:
        audit.record(
            alliance=agency.alliance,
            actor=actor,
            verb="withdrawal.started",
            target=agency,
            agency=agency,
            payload={
                "withdrawals": [w.pk for w in created],
                "partnerships": [w.partnership_id for w in created],
                "reason": reason,
            },
        )
        reconcile_partnerships([w.partnership_id for w in created])
    return created


@transaction.atomic
def withdrawal_end(*, actor: User | None, withdrawal: Withdrawal) -> Withdrawal:
    """The bidding is over: the agency returns to partnership working and sees its papers again."""
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
    now = timezone.now()
    if withdrawal.ends_at is not None and withdrawal.ends_at <= now:
        raise DomainError(ALREADY_ENDED, Code.CONFLICT)
    withdrawal.ends_at = now
    withdrawal.save(update_fields=["ends_at"])
    audit.record(
        alliance=withdrawal.partnership.alliance,
        actor=actor,
        verb="withdrawal.ended",
        target=withdrawal,
        agency=withdrawal.agency,
    )
    reconcile_partnership(withdrawal.partnership)
    return withdrawal


@transaction.atomic
def withdrawals_end(
    *, actor: User | None, withdrawals: Sequence[Withdrawal], at: datetime | None = None
) -> list[Withdrawal]:
    """End these withdrawals now, or set their end for `at` (an award's grace period).

    Those already ended are left alone; the papers come back at once for an end now, and by the
    periodic reconcile for an end to come.
    """
    now = timezone.now()
    ends = now if at is None or at <= now else at
    ids = [w.pk for w in withdrawals]
    rows = list(
        Withdrawal.objects.select_for_update().filter(pk__in=ids).active(now).order_by("pk")
    )
    if not rows:
        return []
    Withdrawal.objects.filter(pk__in=[w.pk for w in rows]).update(ends_at=ends)
    for w in rows:
        w.ends_at = ends
    for agency_id in sorted({w.agency_id for w in rows}):
        theirs = [w for w in rows if w.agency_id == agency_id]
        audit.record(
            alliance=theirs[0].alliance,
            actor=actor,
            verb="withdrawal.ended" if ends == now else "withdrawal.end_set",
            target=theirs[0].agency,
            agency=theirs[0].agency,
            payload={"withdrawals": [w.pk for w in theirs], "ends_at": ends},
        )
    if ends == now:
        reconcile_partnerships([w.partnership_id for w in rows])
    return rows


def reconcile_partnerships(partnership_ids: list[int]) -> None:
    barrier.reconcile(Document.objects.filter(partnership_id__in=partnership_ids))
