"""Declarations of intent to bid: drafted by a chief officer, decided by the trustee board.

Lifecycle (DESIGN.md): draft -> awaiting_board -> declared / rejected; then withdrawn,
submitted, won, lost. Declaring makes the intent public, finds the conflicts, opens the
withdrawals and recomputes the barrier, all in the board's deciding vote's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from bids import permissions as can
from bids import rules
from bids.links import declaration_url
from bids.models import Declaration, NamedPartner, StepBack, Tender
from bids.services import papers
from bids.services.withdrawals import withdrawals_end_for, withdrawals_sync
from bids.snapshot import snapshot, snapshots
from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, BoardDecision, User
from kiaa.permissions import roles_of
from kiaa.services.alliances import not_active
from kiaa.services.decisions import decision_cancel_open, decision_open
from kiaa.services.notifications import notify

Status = Declaration.Status
Capacity = Declaration.Capacity
SUBJECT = Declaration._meta.label_lower  # as decision_open names its subject

NOT_YOUR_AGENCY = "Only the agency's chief officer can declare or answer for its bids."
OTHER_ALLIANCE = "That agency is not in this alliance."
TENDER_NOT_OPEN = "This tender is {status}: it takes no new declarations."
ALREADY_DECLARING = "{agency} already has a declaration for this tender: withdraw it first."
STEPPED_BACK = "{agency} has recorded that it is stepping back from this tender."
BAD_CAPACITY = "Bid alone, as the lead of a consortium, or as a partner named in another bid."
LEAD_NEEDS_PARTNERS = "A consortium bid names at least one partner."
SOLE_HAS_NO_PARTNERS = "A sole bid names no partners: bid as a consortium's lead instead."
PARTNER_TWICE = "Each partner is named once."
PARTNER_IS_LEAD = "The lead does not name itself as a partner."
BAD_SHARE = "A partner's proposed share is more than 0% and at most 100%."
SHARES_TOO_LARGE = "The partners' shares add up to {total}%: the lead keeps part of the work."
NEEDS_LEAD = "Choose the bid you are named in."
ONLY_PARTNERS_NAME_A_LEAD = "Only a partner's declaration names the bid it joins."
PARTNERS_NAME_NOBODY = "A partner in another member's bid names no partners of its own."
LEAD_ELSEWHERE = "That bid is not for this tender."
LEAD_NOT_LIVE = "That bid has been {status}: it can no longer take partners."
NOT_NAMED = "{lead} has not named {agency} in its bid: ask its chief officer to name you first."
NOT_AWAITING = "This naming has already been answered."
BAD_TRANSITION = "This declaration is {current}; it cannot become {target}."
LEAD_MARKS_SUBMITTED = "The lead of the bid marks it submitted, for the whole team."
NAMES_ONLY_IN_DRAFT = "Partners are named while the declaration is a draft."


@dataclass(frozen=True)
class Naming:
    """A partner the lead names, with the share of the work proposed for it."""

    agency: Agency
    share_pct: Decimal


def _record(
    actor: User | None,
    verb: str,
    declaration: Declaration,
    payload: dict[str, object] | None = None,
) -> None:
    """The audit event of a change to a declaration, in the caller's transaction."""
    audit.record(
        alliance=declaration.alliance,
        actor=actor,
        verb=verb,
        target=declaration,
        agency=declaration.agency,
        payload=payload,
    )


def move(declaration: Declaration, target: str) -> None:
    """Change the status if the current one allows it (409 otherwise)."""
    if target not in Declaration.ALLOWED_TRANSITIONS[Status(declaration.status)]:
        raise DomainError(
            BAD_TRANSITION.format(
                current=declaration.get_status_display().lower(),
                target=Status(target).label.lower(),
            ),
            Code.CONFLICT,
        )
    declaration.status = target
    if target in (Status.REJECTED, Status.WITHDRAWN, Status.WON, Status.LOST):
        declaration.closed_at = timezone.now()
    declaration.save(update_fields=["status", "closed_at", "closing_reason", "declared_at"])


@transaction.atomic
def declaration_draft(
    *,
    actor: User,
    tender: Tender,
    agency: Agency,
    capacity: str,
    summary: str = "",
    partners: Sequence[Naming] = (),
    lead_declaration: Declaration | None = None,
) -> Declaration:
    """A chief officer drafts the agency's intent to bid; a named partner's draft confirms the naming."""
    _check_may_declare(actor, tender, agency)
    # The tender's row serialises declarations on it: of two drafts at once, the second sees
    # the first and gets a clear answer (the unique index is the backstop).
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    _check_open_to(tender, agency)
    named = _check_capacity(tender, agency, capacity, partners, lead_declaration)
    try:
        with transaction.atomic():
            declaration = Declaration.objects.create(
                alliance_id=tender.alliance_id,
                tender=tender,
                agency=agency,
                capacity=capacity,
                lead_declaration=lead_declaration if capacity == Capacity.PARTNER else None,
                summary=summary.strip(),
                drafted_by=actor,
                created_at=timezone.now(),
            )
    except IntegrityError:
        raise DomainError(ALREADY_DECLARING.format(agency=agency.name), Code.CONFLICT) from None
    _name_partners(actor, declaration, partners)
    _record(
        actor,
        "declaration.drafted",
        declaration,
        payload={
            "tender": tender.reference,
            "capacity": capacity,
            "lead_declaration": lead_declaration.pk if lead_declaration else None,
            "partners": {str(n.agency.pk): str(n.share_pct) for n in partners},
        },
    )
    if named is not None:
        _answer(actor, named, NamedPartner.Status.CONFIRMED)
    return declaration


def _check_may_declare(actor: User, tender: Tender, agency: Agency) -> None:
    if agency.alliance_id != tender.alliance_id:
        raise DomainError(OTHER_ALLIANCE, field="agency")
    # Standing first: a suspended agency's chief officer is told why, not that they hold no role.
    if agency.status != Agency.Status.ACTIVE:
        raise DomainError(_inactive(agency), Code.CONFLICT, field="agency")
    if not can.can_declare_for(roles_of(actor, tender.alliance), agency_id=agency.pk):
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN)


def _inactive(agency: Agency) -> str:
    return not_active(agency, what="bid")


def _check_open_to(tender: Tender, agency: Agency) -> None:
    if tender.status != Tender.Status.OPEN:
        raise DomainError(
            TENDER_NOT_OPEN.format(status=tender.get_status_display().lower()), Code.CONFLICT
        )
    live = Declaration.objects.filter(tender=tender, agency=agency, status__in=Declaration.LIVE)
    if live.exists():
        raise DomainError(ALREADY_DECLARING.format(agency=agency.name), Code.CONFLICT)
    if StepBack.objects.filter(tender=tender, agency=agency).exists():
        raise DomainError(STEPPED_BACK.format(agency=agency.name), Code.CONFLICT)


def _check_capacity(
    tender: Tender,
    agency: Agency,
    capacity: str,
    partners: Sequence[Naming],
    lead: Declaration | None,
) -> NamedPartner | None:
    """The bid's shape is consistent; for a partner, the naming it confirms."""
    if capacity not in Capacity.values:
        raise DomainError(BAD_CAPACITY, field="capacity")
    if capacity == Capacity.SOLE and partners:
        raise DomainError(SOLE_HAS_NO_PARTNERS, field="named_partners")
    if capacity == Capacity.LEAD:
        check_namings(agency, partners)
    if capacity != Capacity.PARTNER:
        if lead is not None:
            raise DomainError(ONLY_PARTNERS_NAME_A_LEAD, field="lead_declaration")
        return None
    if partners:
        raise DomainError(PARTNERS_NAME_NOBODY, field="named_partners")
    if lead is None:
        raise DomainError(NEEDS_LEAD, field="lead_declaration")
    if lead.tender_id != tender.pk or lead.capacity != Capacity.LEAD:
        raise DomainError(LEAD_ELSEWHERE, field="lead_declaration")
    if lead.status not in Declaration.LIVE:
        status = lead.get_status_display().lower()
        raise DomainError(LEAD_NOT_LIVE.format(status=status), Code.CONFLICT)
    naming = NamedPartner.objects.filter(
        declaration=lead, agency=agency, status=NamedPartner.Status.NAMED
    ).first()
    if naming is None:
        raise DomainError(
            NOT_NAMED.format(lead=lead.agency.name, agency=agency.name),
            Code.CONFLICT,
            field="lead_declaration",
        )
    return naming


def check_namings(lead: Agency, partners: Sequence[Naming]) -> None:
    """A consortium names distinct member agencies, each with a share, leaving the lead some."""
    if not partners:
        raise DomainError(LEAD_NEEDS_PARTNERS, field="named_partners")
    agencies = [n.agency.pk for n in partners]
    if len(set(agencies)) != len(agencies):
        raise DomainError(PARTNER_TWICE, field="named_partners")
    if lead.pk in agencies:
        raise DomainError(PARTNER_IS_LEAD, field="named_partners")
    for naming in partners:
        if naming.agency.alliance_id != lead.alliance_id:
            raise DomainError(OTHER_ALLIANCE, field="named_partners")
        if naming.agency.status != Agency.Status.ACTIVE:
            raise DomainError(_inactive(naming.agency), Code.CONFLICT, field="named_partners")
        if not Decimal(0) < naming.share_pct <= Decimal(100):
            raise DomainError(BAD_SHARE, field="named_partners")
    total = sum((n.share_pct for n in partners), Decimal(0))
    if total >= 100:
        raise DomainError(
            SHARES_TOO_LARGE.format(total=format(total.normalize(), "f")), field="named_partners"
        )


def _name_partners(actor: User, declaration: Declaration, partners: Sequence[Naming]) -> None:
    if not partners:
        return
    now = timezone.now()
    NamedPartner.objects.bulk_create(
        NamedPartner(
            alliance_id=declaration.alliance_id,
            declaration=declaration,
            agency=n.agency,
            proposed_share_pct=n.share_pct,
            named_by=actor,
            named_at=now,
        )
        for n in partners
    )
    tender, lead = declaration.tender, declaration.agency
    notify(
        alliance=declaration.alliance,
        agencies=[n.agency for n in partners],
        verb="declaration.partner_named",
        title=f"{lead.name} names you in its bid for {tender.reference}",
        body=(
            f"{lead.name} proposes to bid for {tender.title} with your agency as a partner. "
            "Nobody is in a bid without knowing: confirm or decline on the declaration's page."
        ),
        url=declaration_url(declaration),
    )


@transaction.atomic
def named_partner_decline(*, actor: User, naming: NamedPartner) -> NamedPartner:
    """The named agency says no: it is not in the bid."""
    if not can.can_declare_for(roles_of(actor, naming.alliance), agency_id=naming.agency_id):
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN)
    naming = NamedPartner.objects.select_for_update().get(pk=naming.pk)
    if naming.status != NamedPartner.Status.NAMED:
        raise DomainError(NOT_AWAITING, Code.CONFLICT)
    _answer(actor, naming, NamedPartner.Status.DECLINED)
    return naming


def _answer(actor: User, naming: NamedPartner, answer: str) -> None:
    naming.status, naming.answered_by, naming.answered_at = answer, actor, timezone.now()
    naming.save(update_fields=["status", "answered_by", "answered_at"])
    lead = naming.declaration
    audit.record(
        alliance=naming.alliance,
        actor=actor,
        verb=f"declaration.partner_{answer}",
        target=lead,
        agency=naming.agency,
        payload={"agency": naming.agency.name},
    )
    notify(
        alliance=naming.alliance,
        agencies=[lead.agency_id],
        verb=f"declaration.partner_{answer}",
        title=f"{naming.agency.name} has {answer} being named in your bid for "
        f"{lead.tender.reference}",
        url=declaration_url(lead),
    )
    # A partner joining or leaving the team changes who sees the bid's papers, and which
    # partnerships the team's declared members must step back from.
    withdrawals_sync(actor=actor, unit=lead)
    papers.reconcile_tender(lead.tender)


@transaction.atomic
def declaration_submit_for_approval(*, actor: User, declaration: Declaration) -> Declaration:
    """Put the draft to the agency's trustee board (clause 4: boards decide)."""
    declaration = _locked_for(actor, declaration)
    if declaration.tender.status != Tender.Status.OPEN:
        status = declaration.tender.get_status_display().lower()
        raise DomainError(TENDER_NOT_OPEN.format(status=status), Code.CONFLICT)
    move(declaration, Status.AWAITING_BOARD)
    decision_open(
        actor=actor,
        agency=declaration.agency,
        subject=declaration,
        question=_question(declaration),
    )
    _record(actor, "declaration.submitted_for_approval", declaration)
    return declaration


def _question(declaration: Declaration) -> str:
    tender = declaration.tender
    how = {
        Capacity.SOLE: "alone",
        Capacity.LEAD: "as the lead of a consortium",
        Capacity.PARTNER: "as a partner in "
        + (declaration.lead_declaration.agency.name if declaration.lead_declaration else "")
        + "'s bid",
    }[Capacity(declaration.capacity)]
    return f"Declare intent to bid for {tender.reference} ({tender.title}) {how}?"[:300]


def _locked_for(actor: User, declaration: Declaration) -> Declaration:
    if not can.can_manage_declaration(roles_of(actor, declaration.alliance), declaration):
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN)
    return (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("tender", "agency", "alliance")
        .get(pk=declaration.pk)
    )


def on_board_approved(decision: BoardDecision, actor: User) -> None:
    """The board said yes: the intent is declared, public, and its consequences follow."""
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("tender", "agency", "alliance")
        .get(pk=decision.subject_id)
    )
    declaration.declared_at = timezone.now()
    move(declaration, Status.DECLARED)
    found = snapshot(declaration.tender)
    findings = rules.findings(found, declaration.pk, declaration.declared_at)
    _record(
        actor,
        "declaration.declared",
        declaration,
        payload={"findings": sorted({f.kind for f in findings})},
    )
    withdrawals_sync(actor=actor, unit=declaration, found=found)
    papers.tupe_receive(declaration)
    papers.reconcile_tender(declaration.tender)
    _tell_declared(declaration, found)


def _tell_declared(declaration: Declaration, found: rules.Snapshot) -> None:
    """Openness: the incumbent and the agency's partners hear of it (clause 5)."""
    tender, agency = declaration.tender, declaration.agency
    partners = set().union(*(p.members for p in found.partnerships if agency.pk in p.members))
    told = (partners | {tender.incumbent_agency_id}) - {agency.pk, None}
    notify(
        alliance=declaration.alliance,
        agencies=[a for a in told if a is not None],
        verb="declaration.declared",
        title=f"{agency.name} has declared intent to bid for {tender.reference}",
        body=f"{agency.name} intends to bid for {tender.title} "
        f"({declaration.get_capacity_display().lower()}). The protocol asks members to be open "
        "about competing.",
        url=declaration_url(declaration),
    )


def on_board_rejected(decision: BoardDecision, actor: User) -> None:
    """The board said no: the agency does not bid, and leaves any bid it was named in."""
    declaration = Declaration.objects.select_for_update(of=("self",)).get(pk=decision.subject_id)
    move(declaration, Status.REJECTED)
    _record(actor, "declaration.rejected", declaration)
    _leave_bid(actor, declaration)
    _withdraw_partners(actor, declaration, "The lead's trustee board rejected the bid.")


@transaction.atomic
def declaration_withdraw(*, actor: User, declaration: Declaration, reason: str = "") -> Declaration:
    """The agency no longer bids; a lead's partners leave with it and withdrawals end now."""
    declaration = _locked_for(actor, declaration)
    withdraw(actor, declaration, reason.strip() or "Withdrawn by the agency.")
    return declaration


def withdraw(actor: User | None, declaration: Declaration, reason: str) -> None:
    """Withdraw a declaration (locked by the caller) and its partners' if it leads."""
    declaration.closing_reason = reason[:300]
    move(declaration, Status.WITHDRAWN)
    if actor is not None:
        decision_cancel_open(actor=actor, subject=declaration)
    _record(
        actor, "declaration.withdrawn", declaration, payload={"reason": declaration.closing_reason}
    )
    _leave_bid(actor, declaration)
    _withdraw_partners(actor, declaration, f"The lead withdrew: {reason}")


def _withdraw_partners(actor: User | None, lead: Declaration, reason: str) -> None:
    """A bid that ends for its lead ends for the partners in it."""
    partners = lead.partner_declarations.filter(status__in=Declaration.LIVE)
    for partner in partners.select_for_update():
        withdraw(actor, partner, reason)


def _leave_bid(actor: User | None, declaration: Declaration) -> None:
    """What ends with a declaration: its withdrawals, and a partner's place in the bid team."""
    withdrawals_end_for(actor=actor, declarations=[declaration])
    lead = declaration.lead_declaration
    if lead is not None:
        NamedPartner.objects.filter(declaration=lead, agency=declaration.agency_id).update(
            status=NamedPartner.Status.DECLINED, answered_at=timezone.now()
        )
        notify(
            alliance=declaration.alliance,
            agencies=[lead.agency_id],
            verb="declaration.partner_left",
            title=f"{declaration.agency.name} is no longer a partner in your bid for "
            f"{declaration.tender.reference}",
            body=f"Its declaration is now {declaration.get_status_display().lower()}.",
            url=declaration_url(lead),
        )
        withdrawals_sync(actor=actor, unit=lead)  # a smaller team may need to step back again
    papers.reconcile_tender(declaration.tender)


@transaction.atomic
def declaration_mark_submitted(*, actor: User, declaration: Declaration) -> Declaration:
    """The bid went in to the commissioner; the lead marks it for the whole team."""
    declaration = _locked_for(actor, declaration)
    if declaration.capacity == Capacity.PARTNER:
        raise DomainError(LEAD_MARKS_SUBMITTED, Code.CONFLICT)
    move(declaration, Status.SUBMITTED)
    for partner in declaration.partner_declarations.filter(status=Status.DECLARED):
        move(partner, Status.SUBMITTED)
    _record(actor, "declaration.submitted", declaration)
    return declaration


def conflicted_trustees(agency: Agency, declaration_id: int) -> dict[int, str]:
    """For the board's vote: the agency's trustees who sit on a rival declarant's board."""
    question = (agency.pk, declaration_id)
    return conflicted_trustees_many([question]).get(question, {})


def conflicted_trustees_many(
    questions: list[tuple[int, int]],
) -> dict[tuple[int, int], dict[int, str]]:
    """conflicted_trustees for many votes of one alliance, read together (reminders ask them all)."""
    ids = [declaration_id for _, declaration_id in questions]
    found = {d.pk: d for d in Declaration.objects.filter(pk__in=ids).select_related("tender")}
    read = snapshots({d.tender_id: d.tender for d in found.values()}.values())
    conflicts: dict[tuple[int, int], dict[int, str]] = {}
    for agency_id, declaration_id in questions:
        if declaration_id in found:
            facts = read[found[declaration_id].tender_id]
            conflicts[(agency_id, declaration_id)] = rules.conflicted_trustees(
                facts, facts.bid(declaration_id)
            )
    return conflicts


def value_pence(declaration_id: int) -> int | None:
    """What the contract is worth, for standing orders that ask the full board above a value."""
    return (
        Declaration.objects.filter(pk=declaration_id)
        .values_list("tender__value_pence", flat=True)
        .first()
    )


def decision_link(decision: BoardDecision) -> str | None:
    declaration = Declaration.objects.select_related("alliance").filter(pk=decision.subject_id)
    found = declaration.first()
    return declaration_url(found) if found else None


@transaction.atomic
def declarations_end_for_expelled(*, actor: User, agency: Agency, reason: str) -> int:
    """An expelled agency's live bids are withdrawn (it ceases to be a member); returns how many."""
    live = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("alliance", "tender", "agency", "lead_declaration")
        .filter(agency=agency, status__in=Declaration.LIVE)
        .order_by("pk")
    )
    ended = 0
    for declaration in live:
        declaration.refresh_from_db(fields=["status"])  # a lead's withdrawal may have taken it
        if declaration.status in Declaration.LIVE:
            withdraw(actor, declaration, reason)
            ended += 1
    return ended
