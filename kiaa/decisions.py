"""Trustee board decisions: who may vote, the quorum, and what each app does when it is decided.

An app that needs a board's approval (joining a partnership, declaring a bid) opens a
BoardDecision about one of its objects and registers, once, the handlers the vote calls, and
optionally what makes a trustee conflicted and what the question is worth. The core never
imports the apps; they register with it (DESIGN.md: dependencies point one way).

The quorum is the alliance's rule (a majority of the eligible trustees, never fewer than the
protocol's minimum) tightened, never loosened, by the agency's own standing orders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kiaa.models import Agency, BoardDecision, Membership, Protocol, Role, StandingOrders, User

Handler = Callable[[BoardDecision, User], None]
# (agency, subject id) -> {trustee id: why they may not vote}
Conflicts = Callable[[Agency, int], dict[int, str]]
# subject id -> what the question is worth in pence (a contract's value), if anything
Value = Callable[[int], int | None]
# decision -> the page of what it decides
Link = Callable[[BoardDecision], str | None]
# Conflicts for many questions at once, [(agency id, subject id)] -> {that pair: {trustee id: why}}:
# reminders ask about every open question, in a fixed number of queries.
ManyConflicts = Callable[[list[tuple[int, int]]], dict[tuple[int, int], dict[int, str]]]
# open decisions -> {decision id: when the board should have answered}, where the app knows
AnswerBy = Callable[[list[BoardDecision]], dict[int, datetime]]

CHIEF_OFFICER_EXCLUDED = (
    "Chief officer of {agency}: the protocol keeps this decision with trustees who do not "
    "run the agency (clause 4)."
)
ALLIANCE_RULE = (
    "The alliance's rule: a majority of the {eligible} eligible trustee(s), and never fewer "
    "than {minimum}."
)
ORDERS_MINIMUM = "{agency}'s standing orders: at least {votes} approvals."
ORDERS_FULL_BOARD = (
    "{agency}'s standing orders: every eligible trustee for contracts worth over {limit}."
)


@dataclass(frozen=True)
class Handlers:
    on_approved: Handler
    on_rejected: Handler
    conflicts: Conflicts | None = None
    value_pence: Value | None = None
    link: Link | None = None
    conflicts_many: ManyConflicts | None = None
    answer_by: AnswerBy | None = None


_registry: dict[str, Handlers] = {}


def register(
    subject_type: str,
    *,
    on_approved: Handler,
    on_rejected: Handler,
    conflicts: Conflicts | None = None,
    value_pence: Value | None = None,
    link: Link | None = None,
    conflicts_many: ManyConflicts | None = None,
    answer_by: AnswerBy | None = None,
) -> None:
    """Called from an app's AppConfig.ready: what a decision about `subject_type` leads to."""
    _registry[subject_type] = Handlers(
        on_approved, on_rejected, conflicts, value_pence, link, conflicts_many, answer_by
    )


def handlers_for(subject_type: str) -> Handlers:
    return _registry[subject_type]


def subject_url(decision: BoardDecision) -> str | None:
    """The page of what the board is deciding, where its app offers one."""
    link = _registry[decision.subject_type].link if decision.subject_type in _registry else None
    return link(decision) if link else None


def trustees_of(agency: Agency) -> list[User]:
    """The agency's trustees (who may vote, less any the rules exclude)."""
    ids = Membership.objects.filter(agency=agency, role=Role.TRUSTEE).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


@dataclass(frozen=True)
class Standing:
    """Who may vote on one question, who may not and why, and the quorum with the rule behind it."""

    eligible: list[User]
    excluded: dict[int, str] = field(default_factory=dict)
    quorum: int = 1
    rule: str = ""

    @property
    def eligible_ids(self) -> set[int]:
        return {t.pk for t in self.eligible}


def standing(*, agency: Agency, subject_type: str, subject_id: int) -> Standing:
    """The board's standing on a question, from the protocol, standing orders and conflicts."""
    protocol = Protocol.objects.get(alliance_id=agency.alliance_id)
    orders = StandingOrders.objects.filter(agency=agency).first()
    trustees = trustees_of(agency)
    handlers = _registry.get(subject_type)
    chiefs: set[int] = set()
    if _chiefs_barred(protocol, orders):
        chiefs = set(
            Membership.objects.filter(agency=agency, role=Role.CHIEF_OFFICER).values_list(
                "user_id", flat=True
            )
        )
    conflicts = handlers.conflicts(agency, subject_id) if handlers and handlers.conflicts else {}
    excluded = _exclusions(agency, {t.pk for t in trustees}, chiefs, conflicts)
    eligible = [t for t in trustees if t.pk not in excluded]
    quorum, rule = _quorum(protocol, orders, agency, len(eligible), handlers, subject_id)
    return Standing(eligible=eligible, excluded=excluded, quorum=quorum, rule=rule)


def _chiefs_barred(protocol: Protocol, orders: StandingOrders | None) -> bool:
    """Whether chief officers who are trustees sit out the board's votes (clause 4)."""
    return not protocol.chief_officers_may_vote or bool(orders and orders.bar_chief_officers)


def _exclusions(
    agency: Agency, trustees: set[int], chiefs: set[int], conflicts: dict[int, str]
) -> dict[int, str]:
    """The trustees who may not vote and why: barred chief officers first, then conflicts."""
    reason = CHIEF_OFFICER_EXCLUDED.format(agency=agency.name)
    excluded = {pk: reason for pk in sorted(trustees & chiefs)}
    for user_id, why in conflicts.items():
        if user_id in trustees:
            excluded.setdefault(user_id, why)
    return excluded


def _quorum(
    protocol: Protocol,
    orders: StandingOrders | None,
    agency: Agency,
    eligible: int,
    handlers: Handlers | None,
    subject_id: int,
) -> tuple[int, str]:
    minimum = protocol.minimum_quorum
    quorum = max(minimum, eligible // 2 + 1)
    rule = ALLIANCE_RULE.format(eligible=eligible, minimum=minimum)
    if orders is None:
        return quorum, rule
    if orders.minimum_votes and orders.minimum_votes > quorum:
        quorum = orders.minimum_votes
        rule = ORDERS_MINIMUM.format(agency=agency.name, votes=quorum)
    limit = orders.full_board_above_pence
    value = handlers.value_pence(subject_id) if handlers and handlers.value_pence else None
    if limit is not None and value is not None and value > limit and eligible > quorum:
        quorum = eligible
        rule = ORDERS_FULL_BOARD.format(agency=agency.name, limit=pounds(limit))
    return quorum, rule


def pounds(pence: int) -> str:
    """An amount as people write it: £250,000 or £1,250.50."""
    whole, part = divmod(pence, 100)
    return f"£{whole:,}" + (f".{part:02d}" if part else "")


@dataclass(frozen=True)
class Board:
    """Where one question stands with its board, as ids, before the quorum is worked out: who
    may not vote and why, who may, and the rules that set the quorum."""

    excluded: dict[int, str]
    eligible: set[int]
    protocol: Protocol
    orders: StandingOrders | None


def boards(decisions: Sequence[BoardDecision]) -> dict[int, Board]:
    """standing() for many questions at once (by decision id), less the quorum, in a fixed
    number of queries whatever their number (reminders ask about every open vote, a dashboard
    about every question waiting). It decides by standing()'s own helpers, so no page and no
    reminder disagrees with the vote itself.

    The decisions come with their agency (select_related) and may be of several agencies.
    """
    if not decisions:
        return {}
    agency_ids = {d.agency_id for d in decisions}
    alliance_ids = {d.alliance_id for d in decisions}
    protocols = {p.alliance_id: p for p in Protocol.objects.filter(alliance_id__in=alliance_ids)}
    orders = {o.agency_id: o for o in StandingOrders.objects.filter(agency_id__in=agency_ids)}
    trustees: dict[int, set[int]] = defaultdict(set)
    chiefs: dict[int, set[int]] = defaultdict(set)
    people = Membership.objects.filter(
        agency_id__in=agency_ids, role__in=(Role.TRUSTEE, Role.CHIEF_OFFICER)
    ).values_list("agency_id", "user_id", "role", "user__is_active")
    for agency_id, user_id, role, active in people:
        if role == Role.CHIEF_OFFICER:
            chiefs[agency_id].add(user_id)
        elif active:  # as trustees_of(): a deactivated trustee does not vote
            trustees[agency_id].add(user_id)
    conflicts = _conflicts_of(decisions)
    found: dict[int, Board] = {}
    for d in decisions:
        protocol, own = protocols[d.alliance_id], orders.get(d.agency_id)
        barred = chiefs[d.agency_id] if _chiefs_barred(protocol, own) else set()
        board = trustees[d.agency_id]
        excluded = _exclusions(d.agency, board, barred, conflicts.get(d.pk, {}))
        found[d.pk] = Board(excluded, board - set(excluded), protocol, own)
    return found


def voters(decisions: Sequence[BoardDecision]) -> dict[int, set[int]]:
    """Who may vote on each question (by decision id): standing()'s eligible trustees."""
    return {pk: board.eligible for pk, board in boards(decisions).items()}


def quorum_of(decision: BoardDecision, board: Board) -> tuple[int, str]:
    """The quorum of a question from its board (boards()) and the rule that set it, as
    standing() works it out. What the question is worth is read (a row a question) only where
    the agency's standing orders ask the full board above a value."""
    orders = board.orders
    valued = orders is not None and orders.full_board_above_pence is not None
    handlers = _registry.get(decision.subject_type) if valued else None
    return _quorum(
        board.protocol, orders, decision.agency, len(board.eligible), handlers, decision.subject_id
    )


def _by_type(decisions: Sequence[BoardDecision]) -> dict[str, list[BoardDecision]]:
    grouped: dict[str, list[BoardDecision]] = defaultdict(list)
    for decision in decisions:
        grouped[decision.subject_type].append(decision)
    return grouped


def _conflicts_of(decisions: Sequence[BoardDecision]) -> dict[int, dict[int, str]]:
    """Each decision's conflicted trustees, from its app (in one go where the app offers it)."""
    found: dict[int, dict[int, str]] = {}
    for subject_type, group in _by_type(decisions).items():
        handlers = _registry.get(subject_type)
        if handlers and handlers.conflicts_many:
            many = handlers.conflicts_many([(d.agency_id, d.subject_id) for d in group])
            found.update({d.pk: many.get((d.agency_id, d.subject_id), {}) for d in group})
        elif handlers and handlers.conflicts:
            found.update({d.pk: handlers.conflicts(d.agency, d.subject_id) for d in group})
    return found


def answer_by(decisions: Sequence[BoardDecision], *, within: timedelta) -> dict[int, datetime]:
    """When each open question should be answered: where its app says (a tender's deadline),
    otherwise `within` after it was asked."""
    found = {d.pk: d.opened_at + within for d in decisions}
    for subject_type, group in _by_type(decisions).items():
        handlers = _registry.get(subject_type)
        if handlers and handlers.answer_by:
            found.update(handlers.answer_by(group))
    return found
