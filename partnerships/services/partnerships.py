"""Forming partnerships: proposing, inviting, joining and leaving (with trustee approval), checks."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, Alliance, BoardDecision, Protocol, User
from kiaa.permissions import roles_of
from kiaa.services.alliances import not_active, service_areas_named
from kiaa.services.decisions import decision_cancel_open, decision_open
from partnerships import joins
from partnerships import permissions as can
from partnerships.models import (
    DueDiligenceCheck,
    Partnership,
    PartnershipMember,
    PartnershipServiceArea,
)
from partnerships.services.documents import reconcile_partnership

Status = PartnershipMember.Status

NOT_YOUR_AGENCY = "Only the chief officer of the lead agency can propose a partnership it leads."
NOT_LEAD = "Only the lead agency's chief officer can do this."
NOT_FOR_AGENCY = "Only that agency's chief officer can answer for it."
NAME_TAKEN = "This alliance already has a partnership with that name."
OTHER_ALLIANCE = "That agency is not in this alliance."
ALREADY_MEMBER = "That agency is already invited to or in this partnership."
NOT_FORMING = "This partnership is {status}: its membership can no longer change this way."
BAD_TRANSITION = "This agency is {current}; it cannot become {target}."
LEAD_CANNOT_LEAVE = "The lead agency cannot leave; dissolve the partnership instead."
NOT_A_MEMBER = "That agency is not a member of this partnership."
CANNOT_CHECK = "Only the lead agency's chief officer or staff record due-diligence checks."
TOO_FEW_MEMBERS = "A partnership needs at least two active members to be confirmed."
CHECKS_MISSING = "Due-diligence checks are missing or not met: {missing}."
ALREADY_CONFIRMED = "This partnership is already {status}."

# The kinds whose members are vetted before the partnership is confirmed.
CHECKED_KINDS = {Partnership.Kind.CONSORTIUM, Partnership.Kind.PRIME_SUB}
SUBJECT = "partnerships.partnershipmember"


def _inactive(agency: Agency) -> str:
    return not_active(agency, what="join a partnership")


def needs_board(partnership: Partnership) -> bool:
    """Whether joining or leaving needs the agency's trustees (the alliance's protocol says)."""
    kinds = Protocol.objects.values_list("board_approval_kinds", flat=True).get(
        alliance_id=partnership.alliance_id
    )
    return partnership.kind in kinds


def _move(member: PartnershipMember, target: str) -> None:
    if target not in PartnershipMember.ALLOWED_TRANSITIONS[Status(member.status)]:
        raise DomainError(
            BAD_TRANSITION.format(
                current=member.get_status_display().lower(), target=Status(target).label.lower()
            ),
            Code.CONFLICT,
        )
    member.status = target
    now = timezone.now()
    if target == Status.ACTIVE and member.joined_at is None:
        member.joined_at = now
    if target == Status.LEFT:
        member.left_at = now
    member.save(update_fields=["status", "joined_at", "left_at"])


def _record(actor: User, verb: str, member: PartnershipMember, **payload: object) -> None:
    audit.record(
        alliance=member.partnership.alliance,
        actor=actor,
        verb=verb,
        target=member.partnership,
        agency=member.agency,
        payload={"agency": member.agency.name, "status": member.status, **payload},
    )


@transaction.atomic
def partnership_propose(
    *,
    actor: User,
    alliance: Alliance,
    name: str,
    kind: str,
    lead_agency: Agency,
    service_areas: Iterable[str] = (),
    description: str = "",
) -> Partnership:
    """A chief officer proposes a partnership led by their agency; the lead joins as its first member."""
    if lead_agency.alliance_id != alliance.pk:
        raise DomainError(OTHER_ALLIANCE, field="lead_agency")
    if not can.can_propose_partnership(roles_of(actor, alliance), lead_agency_id=lead_agency.pk):
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN)
    if kind not in Partnership.Kind.values:
        raise DomainError(f"Unknown kind: {kind}.", field="kind")
    if lead_agency.status != Agency.Status.ACTIVE:
        raise DomainError(_inactive(lead_agency), Code.CONFLICT, field="lead_agency")
    if Partnership.objects.for_alliance(alliance).filter(name__iexact=name.strip()).exists():
        raise DomainError(NAME_TAKEN, field="name")
    areas = service_areas_named(alliance, service_areas)
    now = timezone.now()
    partnership = Partnership.objects.create(
        alliance=alliance,
        name=name.strip(),
        kind=kind,
        lead_agency=lead_agency,
        description=description,
        created_by=actor,
        created_at=now,
    )
    PartnershipServiceArea.objects.bulk_create(
        PartnershipServiceArea(alliance=alliance, partnership=partnership, service_area=a)
        for a in areas
    )
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="partnership.proposed",
        target=partnership,
        agency=lead_agency,
        payload={
            "name": partnership.name,
            "kind": kind,
            "service_areas": sorted(a.slug for a in areas),
        },
    )
    lead = PartnershipMember.objects.create(
        alliance=alliance,
        partnership=partnership,
        agency=lead_agency,
        role=PartnershipMember.Role.LEAD,
        status=Status.INVITED,
        invited_by=actor,
        invited_at=now,
    )
    _join(actor, lead)
    return partnership


def _join(actor: User, member: PartnershipMember) -> None:
    """The agency said yes: straight in, or to its board where the protocol asks for approval."""
    if needs_board(member.partnership):
        _move(member, Status.AWAITING_BOARD)
        decision_open(
            actor=actor,
            agency=member.agency,
            subject=member,
            question=f"Join {member.partnership.name} as {member.get_role_display().lower()}?",
        )
        _record(actor, "partnership.join_requested", member)
    else:
        _move(member, Status.ACTIVE)
        _record(actor, "partnership.joined", member)
        _joined(actor, member)


@transaction.atomic
def member_invite(
    *, actor: User, partnership: Partnership, agency: Agency, role: str
) -> PartnershipMember:
    """The lead invites an agency as partner or subcontractor; its chief officer answers."""
    if not can.can_manage_partnership(roles_of(actor, partnership.alliance), partnership):
        raise DomainError(NOT_LEAD, Code.FORBIDDEN)
    if partnership.status == Partnership.Status.DISSOLVED:
        raise DomainError(NOT_FORMING.format(status="dissolved"), Code.CONFLICT)
    if agency.alliance_id != partnership.alliance_id:
        raise DomainError(OTHER_ALLIANCE, field="agency")
    if agency.status != Agency.Status.ACTIVE:
        raise DomainError(_inactive(agency), Code.CONFLICT, field="agency")
    if role not in (PartnershipMember.Role.PARTNER, PartnershipMember.Role.SUBCONTRACTOR):
        raise DomainError("Invite as partner or subcontractor.", field="role")
    member = (
        PartnershipMember.objects.select_for_update()
        .filter(partnership=partnership, agency=agency)
        .first()
    )
    if member is not None and member.status not in (Status.LEFT, Status.DECLINED):
        raise DomainError(ALREADY_MEMBER, Code.CONFLICT, field="agency")
    now = timezone.now()
    if member is None:
        member = PartnershipMember(
            alliance=partnership.alliance, partnership=partnership, agency=agency
        )
    # Someone who left or declined may be invited again: the same place starts over.
    member.role, member.status, member.invited_by, member.invited_at = (
        role,
        Status.INVITED,
        actor,
        now,
    )
    member.joined_at = member.left_at = None
    member.save()
    _record(actor, "partnership.invited", member, role=role)
    return member


def _locked(pk: int) -> PartnershipMember:
    return (
        PartnershipMember.objects.select_for_update()
        .select_related("partnership", "agency")
        .get(pk=pk)
    )


@transaction.atomic
def member_accept(*, actor: User, member: PartnershipMember) -> PartnershipMember:
    """The invited agency's chief officer accepts (its board decides where the protocol says)."""
    member = _locked(member.pk)
    if member.agency.status != Agency.Status.ACTIVE:
        raise DomainError(_inactive(member.agency), Code.CONFLICT)
    if not can.can_answer_for(roles_of(actor, member.alliance), agency_id=member.agency_id):
        raise DomainError(NOT_FOR_AGENCY, Code.FORBIDDEN)
    if member.status != Status.INVITED:
        raise DomainError(
            BAD_TRANSITION.format(current=member.get_status_display().lower(), target="accepted"),
            Code.CONFLICT,
        )
    _join(actor, member)
    return member


@transaction.atomic
def member_decline(*, actor: User, member: PartnershipMember) -> PartnershipMember:
    """The invited agency says no (or withdraws its acceptance before its board decides)."""
    member = _locked(member.pk)
    if not can.can_answer_for(roles_of(actor, member.alliance), agency_id=member.agency_id):
        raise DomainError(NOT_FOR_AGENCY, Code.FORBIDDEN)
    _move(member, Status.DECLINED)
    decision_cancel_open(actor=actor, subject=member)
    _record(actor, "partnership.declined", member)
    return member


@transaction.atomic
def member_leave(*, actor: User, member: PartnershipMember) -> PartnershipMember:
    """An agency leaves (its board decides where the protocol says); its access ends when it has left."""
    member = _locked(member.pk)
    if not can.can_answer_for(roles_of(actor, member.alliance), agency_id=member.agency_id):
        raise DomainError(NOT_FOR_AGENCY, Code.FORBIDDEN)
    if member.role == PartnershipMember.Role.LEAD:
        raise DomainError(LEAD_CANNOT_LEAVE, Code.CONFLICT)
    if needs_board(member.partnership):
        _move(member, Status.LEAVING)
        decision_open(
            actor=actor,
            agency=member.agency,
            subject=member,
            question=f"Leave {member.partnership.name}?",
        )
        _record(actor, "partnership.leave_requested", member)
    else:
        _left(actor, member)
    return member


def _joined(actor: User, member: PartnershipMember) -> None:
    """A member is in: other apps react first (a bidder steps back at once, clause 5), then the
    barrier gives it the partnership's papers it may now see."""
    joins.joined(actor, member)
    reconcile_partnership(member.partnership)


def _left(actor: User, member: PartnershipMember) -> None:
    _move(member, Status.LEFT)
    _record(actor, "partnership.left", member)
    reconcile_partnership(member.partnership)


def on_board_approved(decision: BoardDecision, actor: User) -> None:
    """The board said yes: a pending join takes effect, or a pending departure does."""
    member = _locked(decision.subject_id)
    if member.status == Status.AWAITING_BOARD:
        _move(member, Status.ACTIVE)
        _record(actor, "partnership.joined", member, decision=decision.pk)
        _joined(actor, member)
    elif member.status == Status.LEAVING:
        _left(actor, member)


def on_board_rejected(decision: BoardDecision, actor: User) -> None:
    """The board said no: a join is declined; a departure is called off and the agency stays."""
    member = _locked(decision.subject_id)
    target = Status.DECLINED if member.status == Status.AWAITING_BOARD else Status.ACTIVE
    _move(member, target)
    _record(actor, "partnership.board_refused", member, decision=decision.pk)


@transaction.atomic
def check_record(
    *,
    actor: User,
    partnership: Partnership,
    agency: Agency,
    item: str,
    outcome: str,
    note: str = "",
) -> DueDiligenceCheck:
    """Record (or redo) one due-diligence check of one member, with who checked and when."""
    if not can.can_check(roles_of(actor, partnership.alliance), partnership):
        raise DomainError(CANNOT_CHECK, Code.FORBIDDEN)
    if item not in DueDiligenceCheck.Item.values:
        raise DomainError(f"Unknown check: {item}.", field="item")
    if outcome not in DueDiligenceCheck.Outcome.values:
        raise DomainError("Record the check as met or not met.", field="outcome")
    placed = partnership.members.filter(agency=agency).exclude(
        status__in=[Status.LEFT, Status.DECLINED]
    )
    if not placed.exists():
        raise DomainError(NOT_A_MEMBER, field="agency")
    check, _ = DueDiligenceCheck.objects.update_or_create(
        alliance=partnership.alliance,
        partnership=partnership,
        agency=agency,
        item=item,
        defaults={
            "outcome": outcome,
            "note": note.strip(),
            "checked_by": actor,
            "checked_at": timezone.now(),
        },
    )
    audit.record(
        alliance=partnership.alliance,
        actor=actor,
        verb="partnership.checked",
        target=partnership,
        agency=agency,
        payload={"item": item, "outcome": outcome, "note": check.note},
    )
    return check


def missing_checks(partnership: Partnership) -> list[str]:
    """Each active member's checklist items not yet recorded as met, in words."""
    if partnership.kind not in CHECKED_KINDS:
        return []
    members = partnership.members.filter(status=Status.ACTIVE).select_related("agency")
    met = set(
        partnership.checks.filter(outcome=DueDiligenceCheck.Outcome.MET).values_list(
            "agency_id", "item"
        )
    )
    return [
        f"{m.agency.name} — {DueDiligenceCheck.Item(item).label.lower()}"
        for m in members
        for item in DueDiligenceCheck.Item.values
        if (m.agency_id, item) not in met
    ]


@transaction.atomic
def partnership_confirm(*, actor: User, partnership: Partnership) -> Partnership:
    """The lead confirms the partnership once its members are in and vetted."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if not can.can_manage_partnership(roles_of(actor, partnership.alliance), partnership):
        raise DomainError(NOT_LEAD, Code.FORBIDDEN)
    if partnership.status != Partnership.Status.FORMING:
        raise DomainError(
            ALREADY_CONFIRMED.format(status=partnership.get_status_display().lower()), Code.CONFLICT
        )
    if partnership.members.filter(status=Status.ACTIVE).count() < 2:
        raise DomainError(TOO_FEW_MEMBERS, Code.CONFLICT)
    missing = missing_checks(partnership)
    if missing:
        raise DomainError(CHECKS_MISSING.format(missing="; ".join(missing)), Code.CONFLICT)
    partnership.status, partnership.confirmed_at = Partnership.Status.CONFIRMED, timezone.now()
    partnership.save(update_fields=["status", "confirmed_at"])
    audit.record(
        alliance=partnership.alliance,
        actor=actor,
        verb="partnership.confirmed",
        target=partnership,
        agency=partnership.lead_agency,
    )
    return partnership


@transaction.atomic
def partnership_dissolve(*, actor: User, partnership: Partnership) -> Partnership:
    """The lead ends the partnership: every member has left and its papers close to them."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if not can.can_manage_partnership(roles_of(actor, partnership.alliance), partnership):
        raise DomainError(NOT_LEAD, Code.FORBIDDEN)
    if partnership.status == Partnership.Status.DISSOLVED:
        raise DomainError(ALREADY_CONFIRMED.format(status="dissolved"), Code.CONFLICT)
    now = timezone.now()
    partnership.status, partnership.confirmed_at = (
        Partnership.Status.DISSOLVED,
        partnership.confirmed_at or now,
    )
    partnership.save(update_fields=["status", "confirmed_at"])
    for member in partnership.members.exclude(
        status__in=[Status.LEFT, Status.DECLINED]
    ).select_for_update():
        decision_cancel_open(actor=actor, subject=member)
        member.status, member.left_at = Status.LEFT, now
        member.save(update_fields=["status", "left_at"])
    audit.record(
        alliance=partnership.alliance,
        actor=actor,
        verb="partnership.dissolved",
        target=partnership,
        agency=partnership.lead_agency,
    )
    reconcile_partnership(partnership)
    return partnership


@transaction.atomic
def memberships_end(*, actor: User, agency: Agency, reason: str) -> int:
    """An expelled agency leaves every partnership at once, with no vote of its own board (the
    expulsion was the decision); invitations to it lapse. Returns how many places ended."""
    places = (
        PartnershipMember.objects.select_for_update(of=("self",))
        .select_related("partnership__alliance", "agency")
        .filter(agency=agency)
        .exclude(status__in=(Status.LEFT, Status.DECLINED))
        .order_by("pk")
    )
    ended = 0
    for member in places:
        decision_cancel_open(actor=actor, subject=member)
        if member.status in (Status.ACTIVE, Status.LEAVING):
            _move(member, Status.LEFT)
            _record(actor, "partnership.left", member, reason=reason)
        else:
            _move(member, Status.DECLINED)
            _record(actor, "partnership.declined", member, reason=reason)
        reconcile_partnership(member.partnership)
        ended += 1
    return ended
