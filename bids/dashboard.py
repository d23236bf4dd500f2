"""The bids app's part of the dashboard: a chief officer's declarations and where each stands
with its trustee board; and, under each bid before a trustee's board, the conflicts the rules
found in it (bids/rules.py), in plain English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Value, When

from bids import selectors
from bids.models import Declaration
from bids.services.declarations import SUBJECT
from kiaa import dashboard
from kiaa.models import Alliance, BoardDecision, BoardVote, Role, User
from kiaa.tenancy import Tenant


@dataclass(frozen=True)
class Row:
    """One of the agency's declarations and the latest question put to its board about it."""

    declaration: Declaration
    decision: BoardDecision | None

    @property
    def is_open(self) -> bool:
        return self.decision is not None and self.decision.status == BoardDecision.Status.OPEN

    @property
    def still_needed(self) -> int:
        """Approvals still to come before the quorum, as the declaration's page counts them."""
        if self.decision is None or not self.is_open:
            return 0
        votes = self.decision.votes.all()  # prefetched by the selector
        approvals = sum(v.choice == BoardVote.Choice.APPROVE for v in votes)
        return max(self.decision.quorum - approvals, 0)


def declarations(tenant: Tenant) -> dict[str, Any] | None:
    """For a chief officer: their agency's declarations, those still in the race first, each
    with its status and its board's (the question, its status, the approvals still needed)."""
    agencies = dashboard.agencies_as(tenant, Role.CHIEF_OFFICER)
    if not agencies:
        return None
    person, alliance = tenant.person, tenant.alliance
    live_first = Case(
        When(status__in=Declaration.LIVE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    found = list(
        selectors.declaration_list_for(person=person, alliance=alliance)
        .filter(agency__in=agencies)
        .order_by(live_first, "-created_at", "-pk")[: dashboard.SHOWN + 1]
    )
    shown = found[: dashboard.SHOWN]
    boards = selectors.board_question_list_for(person=person, alliance=alliance, declarations=shown)
    return {
        "agencies": dashboard.agency_names(agencies),
        "several": len(agencies) > 1,
        "rows": [Row(d, boards.get(d.pk)) for d in shown],
        "more": len(found) > dashboard.SHOWN,
    }


def findings(
    person: User, alliance: Alliance, questions: list[BoardDecision]
) -> dict[int, list[str]]:
    """For the trustees' panel: what the rules found in each bid before the board (competitors,
    shared partnerships, rival consortia, mission drift, lateness), read together."""
    ids = {q.subject_id for q in questions}
    visible = list(
        selectors.declaration_list_for(person=person, alliance=alliance).filter(pk__in=ids)
    )
    found = selectors.conflicts_for(visible)
    said = {d.pk: [f.explanation for f in found[d.pk]] for d in visible}
    return {q.pk: said.get(q.subject_id, []) for q in questions}


def register() -> None:
    """Add the panel and the bids' findings to the dashboard (from the app's ready)."""
    dashboard.register(
        dashboard.Panel(
            "bids.declarations",
            "bids/dashboard/declarations.html",
            declarations,
            dashboard.CHIEF_OFFICER + 10,
        )
    )
    dashboard.register_notes(SUBJECT, findings)
