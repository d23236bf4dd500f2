"""A bidder's withdrawals from partnership working: opened on declaring, ended with the bid.

The withdrawals themselves are the partnerships app's (the barrier reads them); a BidWithdrawal
says which declaration opened each, so they end when the bid does: at once when it is withdrawn
or lost, after the award's grace period when it wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from bids import rules
from bids.links import declaration_url
from bids.models import BidWithdrawal, Declaration
from kiaa import audit
from kiaa.models import User
from kiaa.services.notifications import notify
from partnerships.models import Partnership, PartnershipMember, Withdrawal
from partnerships.services import withdrawals as partnership_withdrawals

REASON = "Bidding for {reference} ({title})"


def withdrawals_open_for(
    *, actor: User | None, declaration: Declaration, snapshot: rules.Snapshot
) -> list[BidWithdrawal]:
    """Withdraw the declaring agency from each partnership the rules say it must leave for now."""
    needed = rules.withdrawals_needed(snapshot, snapshot.bid(declaration.pk))
    partnerships = list(Partnership.objects.filter(pk__in=needed).order_by("name"))
    tender = declaration.tender
    opened = partnership_withdrawals.withdrawals_open(
        actor=actor,
        agency=declaration.agency,
        partnerships=partnerships,
        reason=REASON.format(reference=tender.reference, title=tender.title)[:300],
    )
    links = BidWithdrawal.objects.bulk_create(
        BidWithdrawal(
            alliance_id=declaration.alliance_id,
            withdrawal=w,
            declaration=declaration,
            tender_id=declaration.tender_id,
        )
        for w in opened
    )
    if opened:
        _tell_opened(declaration, [w.partnership for w in opened])
    return links


def _tell_opened(declaration: Declaration, partnerships: list[Partnership]) -> None:
    names = ", ".join(p.name for p in partnerships)
    agency, tender = declaration.agency, declaration.tender
    url = declaration_url(declaration)
    notify(
        alliance=declaration.alliance,
        agencies=[agency],
        verb="withdrawal.started",
        title=f"{agency.name} has stepped back from {names} while it bids for {tender.reference}",
        body=(
            f"While {agency.name} competes for {tender.title}, it is withdrawn from partnership "
            f"working in {names} and does not see their commercially sensitive papers. "
            "They come back when the bid ends."
        ),
        url=url,
    )
    others = (
        PartnershipMember.objects.filter(
            partnership__in=partnerships, status=PartnershipMember.Status.ACTIVE
        )
        .exclude(agency=agency)
        .values_list("agency_id", flat=True)
    )
    notify(
        alliance=declaration.alliance,
        agencies=set(others),
        verb="withdrawal.started",
        title=f"{agency.name} has withdrawn from {names} while it bids for {tender.reference}",
        body=(
            f"{agency.name} has declared for {tender.title} and steps back from partnership "
            f"working in {names}: it no longer sees their commercially sensitive papers until "
            "its bid ends."
        ),
        url=url,
    )


def withdrawals_end_for(
    *, actor: User | None, declarations: Sequence[Declaration], at: datetime | None = None
) -> int:
    """End the withdrawals these declarations opened: now, or at `at` (an award's grace)."""
    links = list(
        BidWithdrawal.objects.filter(
            declaration__in=declarations, closed_at__isnull=True
        ).select_related("withdrawal")
    )
    if not links:
        return 0
    ended = partnership_withdrawals.withdrawals_end(
        actor=actor, withdrawals=[link.withdrawal for link in links], at=at
    )
    if ended and ended[0].ends_at is not None and ended[0].ends_at <= timezone.now():
        _closed(links)
    return len(ended)


@transaction.atomic
def withdrawals_close_due() -> int:
    """Carry out the withdrawals whose end has come by the clock: papers back, people told."""
    now = timezone.now()
    due = list(
        BidWithdrawal.objects.select_for_update(of=("self",))
        .filter(closed_at__isnull=True, withdrawal__ends_at__lte=now)
        .select_related("withdrawal")
        .order_by("pk")
    )
    if not due:
        return 0
    for link in due:
        audit.record(
            alliance=link.withdrawal.alliance,
            actor=None,
            verb="withdrawal.ended",
            target=link.withdrawal,
            agency=link.withdrawal.agency,
            payload={"declaration": link.declaration_id, "ends_at": link.withdrawal.ends_at},
        )
    partnership_withdrawals.reconcile_partnerships([link.withdrawal.partnership_id for link in due])
    _closed(due)
    return len(due)


def _closed(links: list[BidWithdrawal]) -> None:
    """Mark them carried out, and tell each agency and its partners that the papers are back."""
    now = timezone.now()
    BidWithdrawal.objects.filter(pk__in=[link.pk for link in links]).update(closed_at=now)
    by_declaration: dict[int, list[Withdrawal]] = {}
    for link in links:
        by_declaration.setdefault(link.declaration_id, []).append(link.withdrawal)
    declarations = Declaration.objects.select_related("agency", "tender", "alliance").in_bulk(
        list(by_declaration)
    )
    for declaration_id, withdrawals in by_declaration.items():
        declaration = declarations[declaration_id]
        partner_ids = {w.partnership_id for w in withdrawals}
        names = ", ".join(
            Partnership.objects.filter(pk__in=partner_ids)
            .order_by("name")
            .values_list("name", flat=True)
        )
        members = PartnershipMember.objects.filter(
            partnership_id__in=partner_ids, status=PartnershipMember.Status.ACTIVE
        ).values_list("agency_id", flat=True)
        notify(
            alliance=declaration.alliance,
            agencies=set(members) | {declaration.agency_id},
            verb="withdrawal.ended",
            title=f"{declaration.agency.name} is back in partnership working in {names}",
            body=(
                f"The bid for {declaration.tender.reference} is over for {declaration.agency.name}: "
                f"its withdrawal from {names} has ended and it sees their papers again."
            ),
            url=declaration_url(declaration),
        )
