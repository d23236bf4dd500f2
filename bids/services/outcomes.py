"""How a tender ends for its bidders: stepping back, the award (or cancellation), allocations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from bids import permissions as can
from bids.links import declaration_url, tender_url
from bids.models import Allocation, Declaration, NamedPartner, StepBack, Tender
from bids.services import papers
from bids.services.declarations import move, withdraw
from bids.services.tenders import NOT_ADMIN
from bids.services.tenders import move as move_tender
from bids.services.withdrawals import withdrawals_end_for
from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, Protocol, User
from kiaa.permissions import roles_of
from kiaa.services.decisions import decision_cancel_open
from kiaa.services.notifications import notify

Status = Declaration.Status

WINNER_ELSEWHERE = "The winning bid must be a declared bid for this tender."
WINNER_IS_PARTNER = "Award the contract to the bid's lead, not to one of its partners."
WINNER_NOT_DECLARED = "Only a declared or submitted bid can win; this one is {status}."
AWARD_IN_FUTURE = "The award date cannot be in the future."
NOT_YOUR_AGENCY = "Only the agency's chief officer can record this."
REASON_REQUIRED = "Say why the agency is stepping back; the register shows it."
ALREADY_STEPPED_BACK = "{agency} has already stepped back from this tender."
STILL_DECLARING = "{agency} has a declaration for this tender: withdraw it before stepping back."
TENDER_DECIDED = "This tender is {status}."
NOT_THE_WINNING_LEAD = "Allocations are recorded by the lead of a bid that won."
NOT_A_PARTNER = "{agency} is not a confirmed partner in this bid."
BAD_AMOUNT = "Give the amount in whole pence, 0 or more."


@transaction.atomic
def step_back_record(*, actor: User, tender: Tender, agency: Agency, reason: str) -> StepBack:
    """The agency chooses not to bid (e.g. the incumbent is doing good work); the register shows it."""
    if not can.can_declare_for(roles_of(actor, tender.alliance), agency_id=agency.pk):
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN)
    if not reason.strip():
        raise DomainError(REASON_REQUIRED, field="reason")
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    if tender.status in (Tender.Status.AWARDED, Tender.Status.CANCELLED):
        status = tender.get_status_display().lower()
        raise DomainError(TENDER_DECIDED.format(status=status), Code.CONFLICT)
    live = Declaration.objects.filter(tender=tender, agency=agency, status__in=Declaration.LIVE)
    if live.exists():
        raise DomainError(STILL_DECLARING.format(agency=agency.name), Code.CONFLICT)
    if StepBack.objects.filter(tender=tender, agency=agency).exists():
        raise DomainError(ALREADY_STEPPED_BACK.format(agency=agency.name), Code.CONFLICT)
    step_back = StepBack.objects.create(
        alliance_id=tender.alliance_id,
        tender=tender,
        agency=agency,
        reason=reason.strip()[:500],
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit.record(
        alliance=tender.alliance,
        actor=actor,
        verb="tender.stepped_back",
        target=tender,
        agency=agency,
        payload={"reason": step_back.reason},
    )
    return step_back


@transaction.atomic
def tender_award(*, actor: User, tender: Tender, winner: Declaration, awarded_on: date) -> Tender:
    """The commissioner chose a bid: it wins, the rest lose, and the withdrawals run out."""
    if not can.can_manage_tender(roles_of(actor, tender.alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    move_tender(tender, Tender.Status.AWARDED)
    _check_winner(tender, winner, awarded_on)
    tender.winner, tender.awarded_on = winner, awarded_on
    tender.save(update_fields=["status", "winner", "awarded_on", "updated_at"])
    audit.record(
        alliance=tender.alliance,
        actor=actor,
        verb="tender.awarded",
        target=tender,
        agency=winner.agency,
        payload={"winner": winner.pk, "awarded_on": awarded_on},
    )
    bids = list(
        Declaration.objects.select_for_update(of=("self",))
        .filter(tender=tender, status__in=Declaration.LIVE)
        .select_related("agency", "tender", "alliance", "lead_declaration")
        .order_by("pk")
    )
    # The winning bid's declared members win; a partner whose board had not yet decided is
    # withdrawn with the losers' undecided drafts.
    winners = [
        d
        for d in bids
        if winner.pk in (d.pk, d.lead_declaration_id) and d.status in Declaration.COMPETING
    ]
    for declaration in bids:
        if declaration in winners:
            move(declaration, Status.WON)
        elif declaration.status in Declaration.COMPETING:
            move(declaration, Status.LOST)
        else:
            declaration.closing_reason = "The contract was awarded before the board decided."
            move(declaration, Status.WITHDRAWN)
            decision_cancel_open(actor=actor, subject=declaration)
    withdrawals_end_for(actor=actor, declarations=[d for d in bids if d not in winners])
    withdrawals_end_for(actor=actor, declarations=winners, at=_grace_end(tender, awarded_on))
    papers.reconcile_tender(tender)
    notify(
        alliance=tender.alliance,
        agencies={d.agency_id for d in bids},
        verb="tender.awarded",
        title=f"{tender.reference} has been awarded to {winner.agency.name}",
        url=tender_url(tender),
    )
    return tender


def _check_winner(tender: Tender, winner: Declaration, awarded_on: date) -> None:
    if winner.tender_id != tender.pk:
        raise DomainError(WINNER_ELSEWHERE, field="winner_declaration")
    if winner.capacity == Declaration.Capacity.PARTNER:
        raise DomainError(WINNER_IS_PARTNER, field="winner_declaration")
    if winner.status not in Declaration.COMPETING:
        status = winner.get_status_display().lower()
        raise DomainError(WINNER_NOT_DECLARED.format(status=status), field="winner_declaration")
    if awarded_on > timezone.localdate():
        raise DomainError(AWARD_IN_FUTURE, field="awarded_on")


def _grace_end(tender: Tender, awarded_on: date) -> datetime:
    """The winners' withdrawals last until the award plus the protocol's grace period."""
    days = Protocol.objects.values_list("withdrawal_grace_days", flat=True).get(
        alliance_id=tender.alliance_id
    )
    end = datetime.combine(awarded_on + timedelta(days=days), time.min)
    return timezone.make_aware(end)


@transaction.atomic
def tender_cancel(*, actor: User, tender: Tender, reason: str = "") -> Tender:
    """The commissioner cancelled: every bid is withdrawn and every withdrawal ends now."""
    if not can.can_manage_tender(roles_of(actor, tender.alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    move_tender(tender, Tender.Status.CANCELLED)
    tender.save(update_fields=["status", "updated_at"])
    audit.record(
        alliance=tender.alliance,
        actor=actor,
        verb="tender.cancelled",
        target=tender,
        payload={"reason": reason.strip()},
    )
    leads = Declaration.objects.select_for_update(of=("self",)).filter(
        tender=tender, status__in=Declaration.LIVE, lead_declaration__isnull=True
    )
    told = set()
    for declaration in leads.order_by("pk"):
        told |= {declaration.agency_id}
        withdraw(actor, declaration, f"The tender was cancelled. {reason}".strip())
    notify(
        alliance=tender.alliance,
        agencies=told
        | set(Declaration.objects.filter(tender=tender).values_list("agency_id", flat=True)),
        verb="tender.cancelled",
        title=f"{tender.reference} has been cancelled",
        body=reason.strip(),
        url=tender_url(tender),
    )
    return tender


@transaction.atomic
def allocation_record(
    *,
    actor: User,
    declaration: Declaration,
    agency: Agency,
    amount_pence: int,
    agreed_on: date,
    note: str = "",
) -> Allocation:
    """The lead of a won bid records funding passed to a named partner (no bid candy)."""
    if not can.can_manage_declaration(roles_of(actor, declaration.alliance), declaration):
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN)
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("agency", "tender", "alliance")
        .get(pk=declaration.pk)
    )
    if declaration.status != Status.WON or declaration.capacity == Declaration.Capacity.PARTNER:
        raise DomainError(NOT_THE_WINNING_LEAD, Code.CONFLICT)
    confirmed = NamedPartner.objects.filter(
        declaration=declaration, agency=agency, status=NamedPartner.Status.CONFIRMED
    )
    if not confirmed.exists():
        raise DomainError(NOT_A_PARTNER.format(agency=agency.name), field="agency")
    if amount_pence < 0:
        raise DomainError(BAD_AMOUNT, field="amount_pence")
    allocation = Allocation.objects.create(
        alliance_id=declaration.alliance_id,
        declaration=declaration,
        agency=agency,
        amount_pence=amount_pence,
        agreed_on=agreed_on,
        note=note.strip()[:300],
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit.record(
        alliance=declaration.alliance,
        actor=actor,
        verb="allocation.recorded",
        target=declaration,
        agency=agency,
        payload={"amount_pence": amount_pence, "agreed_on": agreed_on},
    )
    notify(
        alliance=declaration.alliance,
        agencies=[agency],
        verb="allocation.recorded",
        title=f"{declaration.agency.name} recorded an allocation to you under "
        f"{declaration.tender.reference}",
        url=declaration_url(declaration),
    )
    return allocation
