"""Reviewing a breach and the sanctions that follow (protocol clause 6).

The arbiter or an alliance admin upholds or dismisses a breach, with a note, and chooses a
sanction: none, a warning, suspension (the agency's roles become read-only; it cannot declare
or join partnerships) or expulsion (it ceases to be a member). Expulsion is never one
person's click: the alliance's protocol says whether a published ruling that orders it is the
authority, or a vote of the other member agencies' trustee boards (an ExpulsionMotion, each
board deciding through kiaa.decisions, a majority of the boards carrying it).
"""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from bids.services.declarations import declarations_end_for_expelled
from disputes import permissions as can
from disputes.links import breach_url
from disputes.models import Breach, ExpulsionMotion, Ruling
from disputes.services.disputes import cvs_of
from kiaa import audit, barrier, decisions
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, BoardDecision, ExpulsionBy, Membership, Protocol, User
from kiaa.permissions import roles_of
from kiaa.services.alliances import agency_sanction
from kiaa.services.decisions import decision_cancel, decision_open
from kiaa.services.notifications import admins_of, notify, notify_people
from partnerships.services.partnerships import memberships_end

Sanction = Breach.Sanction
Outcome = Breach.Status

NOT_A_REVIEWER = "Only the CVS's arbiter or an alliance admin reviews breaches."
OWN_AGENCY = (
    "The breach is by {agency}, the arbiter's own agency: an alliance admin reviews it instead."
)
ALREADY_REVIEWED = "This breach was already {status} on {at:%-d %B %Y}."
BAD_OUTCOME = "Uphold or dismiss the breach."
NOTE_REQUIRED = "Say why: the note is kept with the decision."
DISMISSED_UNSANCTIONED = "A dismissed breach carries no sanction."
NO_AGENCY = "This breach is the alliance's own (no agency is in breach): it takes no sanction."
BAD_SANCTION = "Choose a sanction: none, warning, suspension or expulsion."
NEEDS_RULING = (
    "This alliance expels a member only on a published ruling that orders it: choose the "
    "ruling of a dispute about this breach."
)
WRONG_RULING = "That ruling does not order {agency}'s expulsion for this breach (or a later ruling corrected it)."
NO_BOARDS = "No other member agency has a trustee board able to vote on an expulsion."
EXPELLED_REASON = "Expelled from the alliance (breach #{breach})."


def _check_reviewer(actor: User, breach: Breach) -> None:
    cvs = cvs_of(breach.alliance)
    roles = roles_of(actor, breach.alliance)
    if not can.can_review_breach(roles, arbiter_agency_id=cvs.pk if cvs else None):
        raise DomainError(NOT_A_REVIEWER, Code.FORBIDDEN)
    if not roles.is_admin and cvs is not None and breach.agency_id == cvs.pk:
        raise DomainError(OWN_AGENCY.format(agency=cvs.name), Code.FORBIDDEN)


def _check_review(breach: Breach, outcome: str, note: str, sanction: str) -> None:
    if breach.status in Breach.DECIDED:
        status = breach.get_status_display().lower()
        raise DomainError(
            ALREADY_REVIEWED.format(status=status, at=breach.reviewed_at), Code.CONFLICT
        )
    if outcome not in Breach.DECIDED:
        raise DomainError(BAD_OUTCOME, field="outcome")
    if not note.strip():
        raise DomainError(NOTE_REQUIRED, field="note")
    if sanction not in Sanction.values:
        raise DomainError(BAD_SANCTION, field="sanction")
    if outcome == Outcome.DISMISSED and sanction != Sanction.NONE:
        raise DomainError(DISMISSED_UNSANCTIONED, field="sanction")
    if sanction != Sanction.NONE and breach.agency_id is None:
        raise DomainError(NO_AGENCY, field="sanction")


def _check_ruling(breach: Breach, ruling: Ruling | None) -> Ruling:
    """The ruling behind an expulsion: on a dispute about this breach, ordering it, not corrected."""
    if ruling is None:
        raise DomainError(NEEDS_RULING, Code.CONFLICT, field="ruling")
    agency = breach.agency.name  # type: ignore[union-attr]
    orders = (
        ruling.dispute.breach_id == breach.pk
        and ruling.sanction == Sanction.EXPULSION
        and ruling.sanctioned_agency_id == breach.agency_id
        and not Ruling.objects.filter(corrects=ruling).exists()
    )
    if ruling.alliance_id != breach.alliance_id or not orders:
        raise DomainError(WRONG_RULING.format(agency=agency), Code.CONFLICT, field="ruling")
    return ruling


@transaction.atomic
def breach_review(
    *,
    actor: User,
    breach: Breach,
    outcome: str,
    note: str,
    sanction: str = Sanction.NONE,
    ruling: Ruling | None = None,
) -> Breach:
    """Uphold or dismiss a breach, with a note and a sanction that takes effect at once (an
    expulsion by members' vote once the boards carry it)."""
    breach = (
        Breach.objects.select_for_update(of=("self",))
        .select_related("alliance", "agency")
        .get(pk=breach.pk)
    )
    _check_reviewer(actor, breach)
    _check_review(breach, outcome, note, sanction)
    by = Protocol.objects.values_list("expulsion_by", flat=True).get(alliance=breach.alliance)
    if sanction == Sanction.EXPULSION and by == ExpulsionBy.RULING:
        ruling = _check_ruling(breach, ruling)
    breach.status, breach.review_note = outcome, note.strip()
    breach.reviewed_by, breach.reviewed_at = actor, timezone.now()
    voting = sanction == Sanction.EXPULSION and by == ExpulsionBy.MEMBERS_VOTE
    # Until the boards carry it, an expulsion put to the vote is no sanction yet.
    breach.sanction = "" if voting else sanction
    breach.ruling = ruling
    breach.save(
        update_fields=["status", "review_note", "reviewed_by", "reviewed_at", "sanction", "ruling"]
    )
    _audit(
        actor,
        breach,
        "breach.reviewed",
        outcome=outcome,
        note=breach.review_note,
        sanction=sanction,
        ruling=ruling.pk if ruling else None,
        by=by if sanction == Sanction.EXPULSION else None,
    )
    _tell_reviewed(breach, sanction, voting)
    if sanction == Sanction.SUSPENSION:
        agency_sanction(
            actor=actor,
            agency=cast(Agency, breach.agency),  # _check_review: a sanction names an agency
            status=Agency.Status.SUSPENDED,
            authority={"breach": breach.pk, "ruling": ruling.pk if ruling else None},
        )
    elif sanction == Sanction.EXPULSION and voting:
        motion_open(actor=actor, breach=breach)
    elif sanction == Sanction.EXPULSION:
        expel(actor, breach, {"breach": breach.pk, "ruling": ruling.pk})  # type: ignore[union-attr]
    return breach


def _audit(actor: User | None, breach: Breach, verb: str, **payload: Any) -> None:
    audit.record(
        alliance=breach.alliance,
        actor=actor,
        verb=verb,
        target=breach,
        agency=breach.agency,
        payload=payload,
    )


def _tell_reviewed(breach: Breach, sanction: str, voting: bool) -> None:
    words = breach.get_status_display().lower()
    if voting:
        then = "; its expulsion is put to the member agencies' boards"
    elif sanction not in ("", Sanction.NONE):
        then = f", with a sanction: {Sanction(sanction).label.lower()}"
    else:
        then = ""
    title = f"Breach #{breach.pk} was {words}{then}"
    if breach.agency_id is not None:
        notify(
            alliance=breach.alliance,
            agencies=[breach.agency_id],
            verb="breach.reviewed",
            title=title,
            body=breach.review_note[:500],
            url=breach_url(breach),
        )
    notify_people(
        alliance=breach.alliance,
        people=admins_of(breach.alliance),
        verb="breach.reviewed",
        title=title,
        url=breach_url(breach),
    )


def expel(actor: User, breach: Breach, authority: dict[str, Any]) -> None:
    """The agency ceases to be a member (clause 6): its bids and partnership places end, and
    it loses sight of every paper; its people keep only the disputes about it."""
    agency = cast(Agency, breach.agency)  # only an agency's breach takes a sanction
    agency_sanction(actor=actor, agency=agency, status=Agency.Status.EXPELLED, authority=authority)
    reason = EXPELLED_REASON.format(breach=breach.pk)
    declarations_end_for_expelled(actor=actor, agency=agency, reason=reason)
    memberships_end(actor=actor, agency=agency, reason=reason)
    # Any paper it could still see (alliance-wide ones) is taken from it now.
    barrier.reconcile_agency(agency)
    breach.sanction = Sanction.EXPULSION
    breach.save(update_fields=["sanction"])


# -- Expulsion by a vote of the member agencies' boards ------------------------------------------


def _voting_agencies(breach: Breach) -> list[Agency]:
    """Every other active member agency whose board can reach its quorum on the question."""
    subject_type = ExpulsionMotion._meta.label_lower
    candidates = (
        Agency.objects.for_alliance(breach.alliance)
        .filter(status=Agency.Status.ACTIVE)
        .exclude(pk=breach.agency_id)
        .order_by("pk")
    )
    able = []
    for agency in candidates:
        board = decisions.standing(agency=agency, subject_type=subject_type, subject_id=0)
        if len(board.eligible) >= board.quorum:
            able.append(agency)
    return able


def motion_open(*, actor: User, breach: Breach) -> ExpulsionMotion:
    """Put the expulsion to each other member agency's board (called by breach_review)."""
    agencies = _voting_agencies(breach)
    if not agencies:
        raise DomainError(NO_BOARDS, Code.CONFLICT, field="sanction")
    motion = ExpulsionMotion.objects.create(
        alliance_id=breach.alliance_id,
        breach=breach,
        agency=cast(Agency, breach.agency),
        boards=len(agencies),
        opened_by=actor,
        opened_at=timezone.now(),
    )
    name = breach.agency.name  # type: ignore[union-attr]
    for agency in agencies:
        decision_open(
            actor=actor,
            agency=agency,
            subject=motion,
            question=f"Expel {name} from the alliance for breach #{breach.pk}?",
        )
    audit.record(
        alliance=breach.alliance,
        actor=actor,
        verb="motion.opened",
        target=motion,
        agency=breach.agency,
        payload={"breach": breach.pk, "boards": len(agencies)},
    )
    return motion


def needed(motion: ExpulsionMotion) -> int:
    """Boards that must approve: a majority of those asked."""
    return motion.boards // 2 + 1


def _tally(motion: ExpulsionMotion) -> tuple[int, int]:
    decided = BoardDecision.objects.filter(
        subject_type=ExpulsionMotion._meta.label_lower, subject_id=motion.pk
    )
    approved = decided.filter(status=BoardDecision.Status.APPROVED).count()
    rejected = decided.filter(status=BoardDecision.Status.REJECTED).count()
    return approved, rejected


def _locked_motion(decision: BoardDecision) -> ExpulsionMotion:
    return (
        ExpulsionMotion.objects.select_for_update(of=("self",))
        .select_related("breach__alliance", "breach__agency", "agency")
        .get(pk=decision.subject_id)
    )


def _settle(motion: ExpulsionMotion, actor: User, status: str) -> None:
    motion.status, motion.decided_at = status, timezone.now()
    motion.save(update_fields=["status", "decided_at"])
    approved, rejected = _tally(motion)
    audit.record(
        alliance=motion.breach.alliance,
        actor=actor,
        verb=f"motion.{status}",
        target=motion,
        agency=motion.agency,
        payload={"approved": approved, "rejected": rejected, "boards": motion.boards},
    )
    still_open = BoardDecision.objects.filter(
        subject_type=ExpulsionMotion._meta.label_lower,
        subject_id=motion.pk,
        status=BoardDecision.Status.OPEN,
    )
    for decision in still_open:
        decision_cancel(actor=actor, decision=decision)


def on_board_approved(decision: BoardDecision, actor: User) -> None:
    """One board approved: a majority of the boards asked carries the motion and expels."""
    motion = _locked_motion(decision)
    if motion.status != ExpulsionMotion.Status.OPEN:
        return
    approved, _ = _tally(motion)
    if approved >= needed(motion):
        _settle(motion, actor, ExpulsionMotion.Status.CARRIED)
        expel(actor, motion.breach, {"breach": motion.breach_id, "motion": motion.pk})


def on_board_rejected(decision: BoardDecision, actor: User) -> None:
    """One board rejected: once a majority can no longer approve, the motion fails."""
    motion = _locked_motion(decision)
    if motion.status != ExpulsionMotion.Status.OPEN:
        return
    _, rejected = _tally(motion)
    if rejected > motion.boards - needed(motion):
        _settle(motion, actor, ExpulsionMotion.Status.FAILED)
        notify_people(
            alliance=motion.breach.alliance,
            people=admins_of(motion.breach.alliance),
            verb="motion.failed",
            title=f"The motion to expel {motion.agency.name} was not carried",
            url=breach_url(motion.breach),
        )


def conflicted_trustees(agency: Agency, motion_id: int) -> dict[int, str]:
    """A trustee who also holds a role in the agency facing expulsion does not vote on it."""
    motion = ExpulsionMotion.objects.filter(pk=motion_id).select_related("agency").first()
    if motion is None:
        return {}
    ids = Membership.objects.filter(agency=motion.agency).values_list("user_id", flat=True)
    why = f"Also holds a role in {motion.agency.name}, the agency facing expulsion."
    return {user_id: why for user_id in ids}


def decision_link(decision: BoardDecision) -> str | None:
    motion = (
        ExpulsionMotion.objects.filter(pk=decision.subject_id)
        .select_related("breach__alliance")
        .first()
    )
    return breach_url(motion.breach) if motion else None
