"""Putting questions to trustee boards and recording their votes."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone

from kiaa import audit, decisions
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, BoardDecision, BoardVote, User
from kiaa.permissions import can_vote_on, roles_of

BOARD_TOO_SMALL = (
    "{agency} has {count} trustee(s) here who may vote on this but a decision needs {quorum} "
    "votes: invite the rest of the board first."
)
ALREADY_OPEN = "This question is already before the board."
NOT_A_TRUSTEE = "Only a trustee of this agency can vote on its board's decisions."
DECIDED = "This decision has already been made."
ALREADY_VOTED = "You have already voted on this decision; votes cannot be changed."
BAD_CHOICE = "Vote approve or reject."
EXCLUDED = "You may not vote on this question. {reason}"


@transaction.atomic
def decision_open(
    *, actor: User, agency: Agency, subject: models.Model, question: str
) -> BoardDecision:
    """Put a question about `subject` to the agency's board (called inside the asking service)."""
    subject_type = subject._meta.label_lower
    open_ones = BoardDecision.objects.for_alliance(agency.alliance).filter(
        agency=agency,
        subject_type=subject_type,
        subject_id=subject.pk,
        status=BoardDecision.Status.OPEN,
    )
    if open_ones.exists():
        raise DomainError(ALREADY_OPEN, Code.CONFLICT)
    board = decisions.standing(agency=agency, subject_type=subject_type, subject_id=subject.pk)
    count, quorum = len(board.eligible), board.quorum
    if count < quorum:
        raise DomainError(
            BOARD_TOO_SMALL.format(agency=agency.name, count=count, quorum=quorum), Code.CONFLICT
        )
    decision = BoardDecision.objects.create(
        alliance_id=agency.alliance_id,
        agency=agency,
        subject_type=subject_type,
        subject_id=subject.pk,
        question=question,
        quorum=quorum,
        rule=board.rule,
        opened_by=actor,
        opened_at=timezone.now(),
    )
    audit.record(
        alliance=agency.alliance,
        actor=actor,
        verb="decision.opened",
        target=decision,
        agency=agency,
        payload={"question": question, "quorum": quorum, "rule": board.rule},
    )
    return decision


@transaction.atomic
def decision_vote(
    *, actor: User, decision: BoardDecision, choice: str, note: str = ""
) -> BoardVote:
    """A trustee votes; the vote that reaches the quorum decides and sets the outcome in motion."""
    # Lock the decision: two trustees voting at once must not both miss (or both pass) the quorum.
    decision = BoardDecision.objects.select_for_update().get(pk=decision.pk)
    board = decision_vote_check(actor=actor, decision=decision)
    if choice not in BoardVote.Choice.values:
        raise DomainError(BAD_CHOICE, field="decision")
    vote = BoardVote.objects.create(
        alliance_id=decision.alliance_id,
        decision=decision,
        trustee=actor,
        choice=choice,
        note=note.strip(),
        cast_at=timezone.now(),
    )
    audit.record(
        alliance=decision.alliance,
        actor=actor,
        verb="decision.voted",
        target=decision,
        agency=decision.agency,
        payload={"choice": choice, "note": vote.note},
    )
    _decide_if_settled(decision, actor, board)
    return vote


def decision_vote_check(*, actor: User, decision: BoardDecision) -> decisions.Standing:
    """Refuse, with its messages, what decision_vote would refuse now; else the board's standing.

    Pages ask it before a trustee confirms a vote; decision_vote asks it again under the lock.
    """
    if not can_vote_on(roles_of(actor, decision.alliance), agency_id=decision.agency_id):
        raise DomainError(NOT_A_TRUSTEE, Code.FORBIDDEN)
    if decision.status != BoardDecision.Status.OPEN:
        raise DomainError(DECIDED, Code.CONFLICT)
    if decision.votes.filter(trustee=actor).exists():
        raise DomainError(ALREADY_VOTED, Code.CONFLICT)
    # Who may vote is worked out now, not when the question was asked: a rival may have
    # declared since, leaving a trustee who sits on both boards conflicted.
    board = decisions.standing(
        agency=decision.agency, subject_type=decision.subject_type, subject_id=decision.subject_id
    )
    if actor.pk in board.excluded:
        raise DomainError(EXCLUDED.format(reason=board.excluded[actor.pk]), Code.FORBIDDEN)
    return board


def _decide_if_settled(decision: BoardDecision, actor: User, board: decisions.Standing) -> None:
    if (decision.quorum, decision.rule) != (board.quorum, board.rule):
        decision.quorum, decision.rule = board.quorum, board.rule
        decision.save(update_fields=["quorum", "rule"])
    # Only the votes of trustees who may vote now count.
    votes = [v for v in decision.votes.all() if v.trustee_id in board.eligible_ids]
    tally = {c: sum(v.choice == c for v in votes) for c in BoardVote.Choice.values}
    voters_left = len(board.eligible) - len(votes)
    if tally[BoardVote.Choice.APPROVE] >= decision.quorum:
        outcome = BoardDecision.Status.APPROVED
    elif tally[BoardVote.Choice.APPROVE] + voters_left < decision.quorum:
        outcome = BoardDecision.Status.REJECTED  # approval can no longer reach the quorum
    else:
        return
    decision.status, decision.decided_at = outcome, timezone.now()
    decision.save(update_fields=["status", "decided_at"])
    audit.record(
        alliance=decision.alliance,
        actor=actor,
        verb=f"decision.{outcome}",
        target=decision,
        agency=decision.agency,
        payload=tally,
    )
    handlers = decisions.handlers_for(decision.subject_type)
    handler = (
        handlers.on_approved if outcome == BoardDecision.Status.APPROVED else handlers.on_rejected
    )
    handler(decision, actor)


def decision_cancel(*, actor: User, decision: BoardDecision) -> None:
    """The question went away (e.g. an invitation was withdrawn): close it undecided."""
    decision.status, decision.decided_at = BoardDecision.Status.CANCELLED, timezone.now()
    decision.save(update_fields=["status", "decided_at"])
    audit.record(
        alliance=decision.alliance,
        actor=actor,
        verb="decision.cancelled",
        target=decision,
        agency=decision.agency,
    )


def decision_cancel_open(*, actor: User, subject: models.Model) -> None:
    """Close any question still open about `subject` (it was withdrawn before the board decided)."""
    open_ones = BoardDecision.objects.filter(
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        status=BoardDecision.Status.OPEN,
    )
    for decision in open_ones:
        decision_cancel(actor=actor, decision=decision)
