"""The disputes app's part of the dashboard: the open disputes a chief officer's agency is party
to; the arbiter's queue of disputes and breaches by stage, the most urgent first and the overdue
said in words; and, for an admin, how many breaches and disputes stand at each status.

The stages and their due dates are the disputes page's own (disputes/dispute_dashboard.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils import timezone

from disputes import permissions as can
from disputes import selectors
from disputes.dispute_dashboard import STAGE_ORDER, STAGES, Due, dues_of
from disputes.models import Breach, Dispute
from disputes.services.disputes import cvs_of
from kiaa import dashboard
from kiaa.models import Role
from kiaa.tenancy import Tenant

ENDED = (Dispute.Status.CLOSED, Dispute.Status.WITHDRAWN)
# The arbiter's queue on the dashboard: the stages with something still to do.
OPEN_STAGES = [stage for stage in STAGES if stage[0] != "closed"]
BREACH_STAGES = [
    (
        Breach.Status.OPEN,
        "Breaches waiting for review",
        "No breach waits for review. The system checks declarations, partnerships and papers "
        "on its own; what it finds appears here.",
    ),
    (Breach.Status.UNDER_REVIEW, "Breaches under review", "No breach is under review."),
]


@dataclass(frozen=True)
class Row:
    """A dispute, its dates at this stage, and which side the viewer's agency is on (if any)."""

    dispute: Dispute
    dues: list[Due]
    side: str = ""

    @property
    def overdue(self) -> bool:
        return any(due.overdue for due in self.dues)

    @property
    def first_due(self) -> date:
        return min((due.on for due in self.dues), default=date.max)


def side_of(dispute: Dispute, ids: set[int]) -> str:
    """Which side the viewer's agency is on, in words."""
    return "Your agency filed it" if dispute.complainant_id in ids else "Filed against your agency"


def ours(tenant: Tenant) -> dict[str, Any] | None:
    """For a chief officer: the open disputes their agency is party to, the soonest due first."""
    agencies = dashboard.agencies_as(tenant, Role.CHIEF_OFFICER)
    if not agencies:
        return None
    ids = {a.pk for a in agencies}
    found = list(
        selectors.dispute_queue_for(person=tenant.person, alliance=tenant.alliance)
        .filter(Q(complainant_id__in=ids) | Q(respondent_id__in=ids))
        .exclude(status__in=ENDED)[: dashboard.SHOWN + 1]
    )
    today = timezone.localdate()
    rows = [Row(d, dues_of(d, today), side_of(d, ids)) for d in found[: dashboard.SHOWN]]
    rows.sort(key=lambda row: (row.first_due, -row.dispute.pk))
    return {
        "agencies": dashboard.agency_names(agencies),
        "rows": rows,
        "more": len(found) > dashboard.SHOWN,
        "can_file": any(can.can_file_dispute(tenant.roles, agency_id=a) for a in ids),
    }


def arbiter(tenant: Tenant) -> dict[str, Any] | None:
    """For an arbiter: their queue by stage, each the most urgent first, and (for the CVS's
    arbiters) the breaches waiting for review and under review, the longest waiting first."""
    roles, person, alliance = tenant.roles, tenant.person, tenant.alliance
    cvs = cvs_of(alliance)
    cvs_id = cvs.pk if cvs else None
    queue = selectors.dispute_arbiter_queue_for(person=person, alliance=alliance)
    # An arbiter lent by a member agency may hold no arbiter role: their disputes say they are one.
    if not can.is_cvs_arbiter(roles, arbiter_agency_id=cvs_id) and not queue.exists():
        return None
    today = timezone.localdate()
    stages = []
    for key, heading, statuses, empty in OPEN_STAGES:
        ordered = queue.filter(status__in=statuses).order_by(*STAGE_ORDER[key])
        found = list(ordered[: dashboard.SHOWN + 1])
        rows = [Row(d, dues_of(d, today)) for d in found[: dashboard.SHOWN]]
        stages.append(
            {
                "key": key,
                "heading": heading,
                "empty": empty,
                "rows": rows,
                "more": len(found) > dashboard.SHOWN,
            }
        )
    return {"stages": stages, "breaches": _breaches(tenant, cvs_id)}


def _breaches(tenant: Tenant, cvs_id: int | None) -> list[dict[str, Any]]:
    """The breaches the arbiter reviews, by stage: none for one who does not review them."""
    if not can.can_review_breach(tenant.roles, arbiter_agency_id=cvs_id):
        return []
    found = selectors.breach_list_for(person=tenant.person, alliance=tenant.alliance)
    stages = []
    for status, heading, empty in BREACH_STAGES:
        waiting = list(
            found.filter(status=status).order_by("detected_at", "pk")[: dashboard.SHOWN + 1]
        )
        stages.append(
            {
                "key": status,
                "heading": heading,
                "empty": empty,
                "rows": waiting[: dashboard.SHOWN],
                "more": len(waiting) > dashboard.SHOWN,
            }
        )
    return stages


def counts(tenant: Tenant) -> dict[str, Any] | None:
    """For an admin: how many breaches and disputes stand at each status."""
    if not tenant.roles.is_admin:
        return None
    person, alliance = tenant.person, tenant.alliance
    breaches = dashboard.by_status(selectors.breach_list_for(person=person, alliance=alliance))
    disputes = dashboard.by_status(selectors.dispute_list_for(person=person, alliance=alliance))
    return {
        "breaches": [(v, label, breaches.get(v, 0)) for v, label in Breach.Status.choices],
        "disputes": [(v, label, disputes.get(v, 0)) for v, label in Dispute.Status.choices],
        "any_breach": bool(sum(breaches.values())),
        "any_dispute": bool(sum(disputes.values())),
    }


def register() -> None:
    """Add the panels to the dashboard (from the app's ready)."""
    for panel in (
        dashboard.Panel(
            "disputes.ours", "disputes/dashboard/ours.html", ours, dashboard.CHIEF_OFFICER + 30
        ),
        dashboard.Panel(
            "disputes.arbiter", "disputes/dashboard/arbiter.html", arbiter, dashboard.ARBITER + 10
        ),
        dashboard.Panel(
            "disputes.counts", "disputes/dashboard/counts.html", counts, dashboard.ADMIN + 20
        ),
    ):
        dashboard.register(panel)
