"""The disputes dashboard: what each person has to do with disputes, by role. The arbiter's
queue by stage with its due dates and the breaches waiting for review; a party's disputes and
what is asked of it; an admin's view of every dispute and of those waiting for an appointment.
Each list is paginated on its own page parameter and costs the same queries at any size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from disputes import permissions as can
from disputes import selectors
from disputes.models import Breach, Dispute
from disputes.services import disputes as services
from kiaa.models import Agency
from kiaa.pages import TenantView

PER_PAGE = 25
Status = Dispute.Status
EVIDENCE_STAGE = (Status.ACCEPTED, Status.EVIDENCE)


@dataclass(frozen=True)
class Due:
    """A date something is due, and whether it has passed (said in words, not by colour)."""

    label: str
    on: date
    overdue: bool


def dues_of(dispute: Dispute, today: date) -> list[Due]:
    """The dates that matter at the dispute's stage."""
    found: list[tuple[str, date | None]] = []
    if dispute.status in EVIDENCE_STAGE:
        found = [("Evidence due", dispute.evidence_due_on), ("Ruling due", dispute.ruling_due_on)]
    elif dispute.status == Status.RULED:
        found = [("Next action due", getattr(dispute, "next_action_due", None))]
    return [Due(label, on, on < today) for label, on in found if on is not None]


@dataclass
class Listing:
    """One paginated list of the dashboard, with its own page parameter."""

    page: Page[Any]
    rows: list[Any]
    previous_url: str = ""
    next_url: str = ""


def listing(request: HttpRequest, found: Any, param: str, row: Any = None) -> Listing:
    """A page of `found` under ?<param>=n, each item wrapped by `row` (if given)."""
    page = Paginator(found, PER_PAGE).get_page(request.GET.get(param))
    result = Listing(page, [row(item) if row else item for item in page.object_list])

    def at(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    if page.has_previous():
        result.previous_url = at(page.previous_page_number())
    if page.has_next():
        result.next_url = at(page.next_page_number())
    return result


@dataclass
class Ask:
    """Something the viewer's agency must do in a dispute, by a date."""

    dispute: Dispute
    agency: Agency
    what: str
    due: Due | None
    url: str


# (key, heading, statuses, what to say when it is empty) of the arbiter's queue.
STAGES = [
    ("waiting", "Waiting for an arbiter", (Status.FILED,), "No dispute waits for an arbiter."),
    (
        "evidence",
        "Taking evidence",
        EVIDENCE_STAGE,
        "No dispute is taking evidence. Disputes you take on appear here until you rule.",
    ),
    (
        "ruled",
        "Ruled, actions outstanding",
        (Status.RULED,),
        "No ruling waits on a party's action.",
    ),
    ("closed", "Closed or withdrawn", (Status.CLOSED, Status.WITHDRAWN), "No dispute has closed."),
]
STAGE_ORDER = {
    "waiting": ("filed_at", "pk"),
    "evidence": ("evidence_due_on", "pk"),
    "ruled": ("next_action_due", "pk"),
    "closed": ("-closed_at", "-pk"),
}


class DisputeListView(TenantView):
    """What each person has to do with disputes: the arbiter's queue, a party's disputes and
    what is asked of it, the admin's view of all and of those waiting for an appointment."""

    open_to_expelled = True

    def allowed(self) -> bool:
        # An arbiter lent by a member agency may hold no leading role there: their disputes
        # still open the page.
        return can.can_view_disputes(self.tenant.roles) or self.arbitrates()

    def arbitrates(self) -> bool:
        return self.visible().filter(arbiter_id=self.tenant.person.pk).exists()

    @cached_property
    def cvs(self) -> Agency | None:
        return services.cvs_of(self.tenant.alliance)

    @cached_property
    def today(self) -> date:
        return timezone.localdate()

    def visible(self) -> QuerySet[Dispute]:
        person, alliance = self.tenant.person, self.tenant.alliance
        return selectors.dispute_queue_for(person=person, alliance=alliance)

    def row(self, dispute: Dispute) -> dict[str, Any]:
        mine = set(can.party_agency_ids(self.tenant.roles, dispute))
        side = [
            f"{label} ({agency.name})"
            for label, agency in (
                ("complainant", dispute.complainant),
                ("respondent", dispute.respondent),
            )
            if agency.pk in mine
        ]
        return {"dispute": dispute, "dues": dues_of(dispute, self.today), "side": side}

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        roles = self.tenant.roles
        context: dict[str, Any] = {
            "can_file": any(can.can_file_dispute(roles, agency_id=a) for a in roles.agency_ids),
            "arbiter": self.arbiter_queue(),
            "breaches": self.breaches_to_review(),
            "party": self.party_view(),
            "admin": self.admin_view(),
        }
        return self.render("disputes/dispute_list.html", context)

    def arbiter_queue(self) -> list[dict[str, Any]] | None:
        """The disputes the person arbitrates, or may take on for the CVS, by stage."""
        person, cvs = self.tenant.person, self.cvs
        cvs_id = cvs.pk if cvs else None
        queue = Q(arbiter_id=person.pk)
        if can.is_cvs_arbiter(self.tenant.roles, arbiter_agency_id=cvs_id):
            waiting = Q(arbiter__isnull=True) & ~Q(complainant_id=cvs_id) & ~Q(respondent_id=cvs_id)
            queue |= waiting | Q(arbiter_agency_id=cvs_id)
        elif not self.arbitrates():
            return None
        found = self.visible().filter(queue)
        return [
            {
                "key": key,
                "heading": heading,
                "empty": empty,
                "list": listing(
                    self.request,
                    found.filter(status__in=statuses).order_by(*STAGE_ORDER[key]),
                    f"{key}_page",
                    self.row,
                ),
            }
            for key, heading, statuses, empty in STAGES
        ]

    def breaches_to_review(self) -> Listing | None:
        """Open breaches and those under review, for those who review them."""
        roles, cvs = self.tenant.roles, self.cvs
        if not can.can_review_breach(roles, arbiter_agency_id=cvs.pk if cvs else None):
            return None
        found = selectors.breach_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(status__in=(Breach.Status.OPEN, Breach.Status.UNDER_REVIEW))
        return listing(self.request, found.order_by("detected_at", "pk"), "breaches_page")

    def party_view(self) -> dict[str, Any] | None:
        """The disputes of the viewer's agencies, and what each must do next."""
        mine = can.reading_agency_ids(self.tenant.roles)
        if not mine:
            return None
        found = self.visible().filter(Q(complainant_id__in=mine) | Q(respondent_id__in=mine))
        return {
            "list": listing(self.request, found, "page", self.row),
            "asks": self.evidence_asks(found, mine) + self.action_asks(found, mine),
        }

    def evidence_asks(self, found: QuerySet[Dispute], mine: list[int]) -> list[Ask]:
        """Evidence is due from each of the viewer's sides that has given none yet."""
        open_ = selectors.evidence_owed(found).order_by("evidence_due_on", "pk")[:PER_PAGE]
        asks = []
        for dispute in open_:
            sides = [
                (dispute.complainant, dispute.from_complainant),  # type: ignore[attr-defined]
                (dispute.respondent, dispute.from_respondent),  # type: ignore[attr-defined]
            ]
            for agency, submitted in sides:
                if agency.pk in mine and not submitted:
                    asks.append(self.evidence_ask(dispute, agency))
        return asks

    def evidence_ask(self, dispute: Dispute, agency: Agency) -> Ask:
        due = dispute.evidence_due_on
        speaks = can.speaks_for(self.tenant.roles, agency.pk)
        name = "dispute-submit" if speaks else "dispute-detail"
        return Ask(
            dispute,
            agency,
            "Give your statement and evidence"
            if speaks
            else "Your chief officer gives its statement and evidence",
            Due("Evidence due", due, due < self.today) if due else None,
            self.url(name, pk=dispute.pk),
        )

    def action_asks(self, found: QuerySet[Dispute], mine: list[int]) -> list[Ask]:
        """Actions a ruling requires of the viewer's agencies and nobody has confirmed."""
        actions = selectors.actions_owed(found, agency_ids=mine)[:PER_PAGE]
        return [
            Ask(
                a.dispute,
                a.agency,
                f"Do and confirm: {a.description}",
                Due("Due", a.due_on, a.due_on < self.today),
                self.url("dispute-detail", pk=a.dispute_id) + f"#action-{a.pk}",
            )
            for a in actions
        ]

    def admin_view(self) -> dict[str, Any] | None:
        """Every dispute, and those only an admin can move on (the CVS is a party, or none)."""
        if not self.tenant.roles.is_admin:
            return None
        found = self.visible()
        cvs = self.cvs
        waiting = found.filter(status=Status.FILED, arbiter__isnull=True)
        if cvs is not None:
            waiting = waiting.filter(Q(complainant=cvs) | Q(respondent=cvs))
        return {
            "all": listing(self.request, found, "all_page", self.row),
            "appoint": listing(
                self.request, waiting.order_by("filed_at", "pk"), "appoint_page", self.row
            ),
            "no_cvs": cvs is None,
        }
