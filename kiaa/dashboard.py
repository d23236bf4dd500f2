"""The dashboard's panels: what each role has in hand, on the page a person lands on.

The page at /a/<slug>/ shows a panel for each role the person holds in the alliance (a chief
officer's declarations, a trustee's votes, the arbiter's queue, an admin's counts). A panel's
`context` returns None when its role does not apply, so a person sees only what is theirs. Each
app registers its panels from its AppConfig.ready, as with reminders and report kinds: the core
never imports the apps (DESIGN.md: dependencies point one way). The core's own panels (the
month's due dates, the votes waiting, an admin's members and exports) are defined here.

Every panel reads through its app's selectors, so tenancy and the barrier apply, and costs the
same queries at any size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from kiaa import decisions, reminders, selectors
from kiaa.due_dates import VOTE_WITHIN, day_start
from kiaa.models import Agency, AgencyStatus, Alliance, BoardDecision, Role, User
from kiaa.reminders import Due
from kiaa.reports import kinds
from kiaa.services.decisions import EXCLUDED
from kiaa.tenancy import Tenant

# (tenant) -> the panel's context, or None when the person holds no role it is for
Context = Callable[[Tenant], dict[str, Any] | None]

# Where a panel goes on the page, smaller first: what is due, then by role, in the order a
# person with several roles reads them. A panel's order is one of these plus its place.
DUE, CHIEF_OFFICER, TRUSTEE, ARBITER, ADMIN = 0, 100, 200, 300, 400

# How many rows a list shows before it sends the reader to its full page.
SHOWN = 10


@dataclass(frozen=True)
class Panel:
    name: str  # unique: "bids.declarations"
    template: str  # "bids/dashboard/declarations.html"; it reads its context as `panel`
    context: Context
    order: int


@dataclass(frozen=True)
class Shown:
    """A panel that applies to the person, with what it shows them."""

    panel: Panel
    context: dict[str, Any]

    @property
    def template(self) -> str:
        return self.panel.template


_registry: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    """Add (or replace, on a second ready()) an app's panel; called from AppConfig.ready."""
    _registry[panel.name] = panel


def panels_for(tenant: Tenant) -> list[Shown]:
    """The panels of the roles the person holds here, in page order, each with its context."""
    found = sorted([*CORE, *_registry.values()], key=lambda p: (p.order, p.name))
    shown = []
    for panel in found:
        context = panel.context(tenant)
        if context is not None:
            shown.append(Shown(panel, context))
    return shown


def agencies_as(tenant: Tenant, role: str) -> list[Agency]:
    """The agencies the person holds this role in, the one they act for first."""
    held = [a for a in tenant.agencies if tenant.roles.has(role, a)]
    return sorted(held, key=lambda a: (a != tenant.agency, a.name))


def by_status(found: QuerySet[Any]) -> dict[str, int]:
    """How many of these rows stand at each status, for a panel's counts (one GROUP BY query)."""
    counted = found.order_by().values_list("status").annotate(n=Count("pk"))
    return dict(counted.values_list("status", "n"))


def agency_names(agencies: list[Agency]) -> str:
    """Who a panel is about, in words: "Lead Advice", "Lead Advice and Partner Housing"."""
    names = [a.name for a in agencies]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ----------------------------------------------------------------------------- notes on questions

# (person, alliance, open questions of one subject type) -> {decision id: what the rules found,
# in plain English}. An app whose questions carry findings (a bid's conflicts of interest)
# registers them; the trustees' panel shows them under each question.
Notes = Callable[[User, Alliance, list[BoardDecision]], dict[int, list[str]]]

_notes: dict[str, Notes] = {}


def register_notes(subject_type: str, notes: Notes) -> None:
    """Called from an app's AppConfig.ready, for the board questions it opens."""
    _notes[subject_type] = notes


def notes_for(
    person: User, alliance: Alliance, questions: list[BoardDecision]
) -> dict[int, list[str]]:
    """Each question's findings, from its app (one call per subject type, whatever the number)."""
    grouped: dict[str, list[BoardDecision]] = defaultdict(list)
    for question in questions:
        grouped[question.subject_type].append(question)
    found: dict[int, list[str]] = {}
    for subject_type, group in grouped.items():
        if subject_type in _notes:
            found.update(_notes[subject_type](person, alliance, group))
    return found


# ----------------------------------------------------------------------------- due this month


@dataclass(frozen=True)
class DueRow:
    """One of the person's due dates, with where it stands in words (never colour alone)."""

    due: Due
    state: str
    overdue: bool


def month_of(today: date) -> tuple[datetime, datetime]:
    """The calendar month of `today`, as moments in the site's time zone: [first, next first)."""
    first = today.replace(day=1)
    return day_start(first), day_start((first + timedelta(days=32)).replace(day=1))


def state_of(due: Due, now: datetime) -> DueRow:
    """Overdue, passed, today, tomorrow or in so many days. An all-day date is due by its end."""
    today = timezone.localdate(now)
    day = timezone.localdate(due.due_at)
    passed = day < today if due.all_day else due.due_at <= now
    if not due.outstanding:
        return DueRow(due, "Nothing left to do", False)
    if passed:
        # A date past with the thing still to do is overdue only if doing it late still counts.
        return DueRow(due, "Overdue" if due.remind_overdue else "Passed", due.remind_overdue)
    days = (day - today).days
    words = "Today" if days == 0 else "Tomorrow" if days == 1 else f"In {days} days"
    return DueRow(due, words, False)


def due_this_month(tenant: Tenant) -> dict[str, Any] | None:
    """The person's due dates this month, from the same registry the reminders and the calendar
    feed read (tender deadlines, evidence and rulings, votes, reviews, withdrawals)."""
    now = timezone.now()
    start, end = month_of(timezone.localdate(now))
    dues = reminders.dues_for(tenant.person, tenant.alliance, start=start, end=end)
    return {"month": start, "rows": [state_of(due, now) for due in dues]}


# ----------------------------------------------------------------------------- a trustee's votes


@dataclass
class Waiting:
    """A question before one of the person's boards that they have not voted on."""

    decision: BoardDecision
    board: selectors.DecisionBoard
    answer_by: datetime | None
    cannot_vote: str | None  # why the person may not vote on it, as the decision page says
    others: list[selectors.Exclusion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def conflicts(self) -> bool:
        return bool(self.cannot_vote or self.others or self.notes)


def votes_waiting(tenant: Tenant) -> dict[str, Any] | None:
    """The open questions before the person's boards that wait for their vote, oldest first,
    with who may not vote and why, the findings of the rules, and the approvals still needed."""
    roles, person, alliance = tenant.roles, tenant.person, tenant.alliance
    if not roles.has(Role.TRUSTEE):
        return None
    # A suspended agency's trustees cannot vote (the layout says why): its questions wait.
    boards = [a for a in roles.agency_ids if roles.acts(Role.TRUSTEE, a)]
    found = (
        selectors.decision_list_for(person=person, alliance=alliance)
        .filter(agency_id__in=boards, status=BoardDecision.Status.OPEN)
        .exclude(votes__trustee=person)
        .order_by("opened_at", "pk")
    )
    questions = list(found[: SHOWN + 1])
    shown = questions[:SHOWN]
    standing = selectors.decision_board_list_for(person=person, questions=shown)
    answer_by = decisions.answer_by(shown, within=VOTE_WITHIN)
    notes = notes_for(person, alliance, shown)
    rows = []
    for decision in shown:
        board = standing[decision.pk]
        reason = board.exclusion_of(person)
        rows.append(
            Waiting(
                decision,
                board,
                answer_by.get(decision.pk),
                EXCLUDED.format(reason=reason) if reason else None,
                [e for e in board.excluded if e.trustee.pk != person.pk],
                notes.get(decision.pk, []),
            )
        )
    return {"rows": rows, "more": len(questions) > SHOWN}


# ----------------------------------------------------------------------------- an admin's alliance


def members(tenant: Tenant) -> dict[str, Any] | None:
    """For an admin: how many member agencies are active, suspended and expelled."""
    if not tenant.roles.is_admin:
        return None
    agencies = selectors.agency_list_for(person=tenant.person, alliance=tenant.alliance)
    counts = by_status(agencies.prefetch_related(None))
    rows = [(value, label, counts.get(value, 0)) for value, label in AgencyStatus.choices]
    return {"rows": rows, "total": sum(counts.values())}


def report_exports(tenant: Tenant) -> dict[str, Any] | None:
    """For an admin: their latest report exports and where each stands."""
    if not tenant.roles.is_admin:
        return None
    exports = selectors.report_export_list_for(person=tenant.person, alliance=tenant.alliance)
    latest = list(exports[:5])
    return {"exports": [(e, kinds.title_of(e.kind)) for e in latest]}


CORE = (
    Panel("kiaa.due", "kiaa/dashboard/due.html", due_this_month, DUE),
    Panel("kiaa.votes", "kiaa/dashboard/votes.html", votes_waiting, TRUSTEE + 10),
    Panel("kiaa.members", "kiaa/dashboard/members.html", members, ADMIN + 10),
    Panel("kiaa.reports", "kiaa/dashboard/reports.html", report_exports, ADMIN + 30),
)
