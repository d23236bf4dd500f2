"""Trustee board decisions: who may vote, the quorum, and what each app does when it is decided.

An app that needs a board's approval (joining a partnership, declaring a bid) opens a
BoardDecision about one of its objects and registers, once, the handlers the vote calls, and
optionally what makes a trustee conflicted and what the question is worth. The core never
imports the apps; they register with it (DESIGN.md: dependencies point one way).

The quorum is the alliance's rule (a majority of the eligible trustees, never fewer than the
protocol's minimum) tightened, never loosened, by the agency's own standing orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kiaa.models import Agency, BoardDecision, Membership, Protocol, Role, StandingOrders, User

Handler = Callable[[BoardDecision, User], None]
# (agency, subject id) -> {trustee id: why they may not vote}
Conflicts = Callable[[Agency, int], dict[int, str]]
# subject id -> what the question is worth in pence (a contract's value), if anything
Value = Callable[[int], int | None]
# decision -> the page of what it decides
Link = Callable[[BoardDecision], str | None]

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


_registry: dict[str, Handlers] = {}


def register(
    subject_type: str,
    *,
    on_approved: Handler,
    on_rejected: Handler,
    conflicts: Conflicts | None = None,
    value_pence: Value | None = None,
    link: Link | None = None,
) -> None:
    """Called from an app's AppConfig.ready: what a decision about `subject_type` leads to."""
    _registry[subject_type] = Handlers(on_approved, on_rejected, conflicts, value_pence, link)


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
    excluded: dict[int, str] = {}
    if not protocol.chief_officers_may_vote or (orders and orders.bar_chief_officers):
        chiefs = set(
            Membership.objects.filter(agency=agency, role=Role.CHIEF_OFFICER).values_list(
                "user_id", flat=True
            )
        )
        reason = CHIEF_OFFICER_EXCLUDED.format(agency=agency.name)
        excluded.update({t.pk: reason for t in trustees if t.pk in chiefs})
    if handlers and handlers.conflicts:
        trustee_ids = {t.pk for t in trustees}
        for user_id, reason in handlers.conflicts(agency, subject_id).items():
            if user_id in trustee_ids:
                excluded.setdefault(user_id, reason)
    eligible = [t for t in trustees if t.pk not in excluded]
    quorum, rule = _quorum(protocol, orders, agency, len(eligible), handlers, subject_id)
    return Standing(eligible=eligible, excluded=excluded, quorum=quorum, rule=rule)


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
