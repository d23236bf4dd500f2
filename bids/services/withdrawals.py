"""A bidder's withdrawals from partnership working: opened on declaring, ended with the bid.

The withdrawals themselves are the partnerships app's (the barrier reads them); a BidWithdrawal
says which declaration opened each, so they end when the bid does: at once when it is withdrawn
or lost, after the award's grace period when it wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bids import rules
from bids.links import declaration_url
from bids.models import BidWithdrawal, Declaration
from bids.snapshot import snapshot
from kiaa import audit
from kiaa.models import User
from kiaa.services.notifications import notify
from partnerships.models import Partnership, PartnershipMember, Withdrawal
from partnerships.services import withdrawals as partnership_withdrawals

REASON = "Bidding for {reference} ({title})"


def withdrawals_sync(
    *, actor: User | None, unit: Declaration, found: rules.Snapshot | None = None
) -> None:
    """Each competing declaration of a bid is withdrawn from exactly the partnerships the rules
    name now: opened where newly needed, ended where no longer (the team grew to cover one).
    `found` is the tender's snapshot when the caller has just read it."""
    lead_id = unit.lead_declaration_id or unit.pk
    competing = list(
        Declaration.objects.filter(Q(pk=lead_id) | Q(lead_declaration_id=lead_id))
        .filter(status__in=Declaration.COMPETING)
        .select_related("tender", "agency", "alliance")
        .order_by("pk")
    )
    if not competing:
        return
    found = found or snapshot(competing[0].tender)
    for declaration in competing:
        needed = set(rules.withdrawals_needed(found, found.bid(declaration.pk)))
        links = list(
            BidWithdrawal.objects.filter(
                declaration=declaration, closed_at__isnull=True
            ).select_related("withdrawal")
        )
        held = {link.withdrawal.partnership_id for link in links}
        stale = [link for link in links if link.withdrawal.partnership_id not in needed]
        if stale:
            _end(actor, stale)
        if needed - held:
            _open(actor, declaration, sorted(needed - held))


def withdrawals_sync_on_join(actor: User, member: PartnershipMember) -> None:
    """An agency joined a partnership: every bid its members are making is synced again, so a
    bidder steps back at once from a partnership it joins whose work overlaps its tender, and
    so do its rivals already inside (clause 5). Registered with partnerships.joins."""
    members = member.partnership.members.filter(status=PartnershipMember.Status.ACTIVE)
    bids = Declaration.objects.filter(
        alliance_id=member.alliance_id,
        agency_id__in=members.values("agency_id"),
        status__in=Declaration.COMPETING,
    ).order_by("pk")
    synced: set[int] = set()
    for declaration in bids:
        unit = declaration.lead_declaration_id or declaration.pk
        if unit not in synced:  # one sync covers a lead and its partners' declarations
            synced.add(unit)
            withdrawals_sync(actor=actor, unit=declaration)


def _open(actor: User | None, declaration: Declaration, partnership_ids: list[int]) -> None:
    partnerships = list(Partnership.objects.filter(pk__in=partnership_ids).order_by("name"))
    tender = declaration.tender
    opened = partnership_withdrawals.withdrawals_open(
        actor=actor,
        agency=declaration.agency,
        partnerships=partnerships,
        reason=REASON.format(reference=tender.reference, title=tender.title)[:300],
    )
    BidWithdrawal.objects.bulk_create(
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
    return _end(actor, links, at)


def _end(actor: User | None, links: list[BidWithdrawal], at: datetime | None = None) -> int:
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
