"""Report kinds of this app: the breach register (PDF and CSV) and a dispute's ruling (PDF).

Both read through the selectors the breach and dispute pages use, so a chief officer's register
holds only their own agencies' breaches, a declaration they may not open stays unnamed, and a
ruling's paper never carries the parties' statements (those are for the arbiter and the parties).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils import timezone

from disputes import permissions as can
from disputes import selectors
from disputes.models import Breach, Dispute, RequiredAction, Ruling
from disputes.selectors import BreachFilters
from disputes.services.disputes import cvs_of
from kiaa import selectors as core_selectors
from kiaa.models import Agency, Alliance, Role, User
from kiaa.permissions import Roles
from kiaa.reports import kinds
from kiaa.reports.content import Report, Section, Table, day

REGISTER, RULING = "breach_register", "dispute_ruling"
NOT_YOUR_AGENCY = (
    "A chief officer's breach register covers only their own agency's breaches: choose your "
    "agency, or no agency."
)
NO_BREACHES = "No breaches match this choice among those you may see."
NO_RULING = "The arbiter has not published a ruling in this dispute yet: there is none to export."
NOT_YOUR_DISPUTE = (
    "Only an alliance admin, the CVS's arbiter or the chief officer of a party exports a "
    "dispute's ruling."
)
NOT_REVIEWED = "Not reviewed yet."
WITH_THE_ARBITER = "Not reviewed yet: a dispute about it is with the arbiter."
NOT_DECIDED = "Not decided yet"
PUT_TO_THE_BOARDS = "Expulsion put to a vote of the member agencies' boards ({status})"
NO_STATEMENTS = (
    "The parties' statements and evidence are not part of this paper: they stay with the "
    "arbiter and the parties."
)
# The register's sections, in the order a breach moves through them.
ORDER = (
    Breach.Status.OPEN,
    Breach.Status.UNDER_REVIEW,
    Breach.Status.UPHELD,
    Breach.Status.DISMISSED,
)
CSV_HEADER = [
    "Breach",
    "Kind",
    "Summary",
    "Agency",
    "Tender",
    "Partnership",
    "Declaration",
    "Status",
    "Happened",
    "Detected",
    "Put right",
    "Reviewed by",
    "Reviewed",
    "Review note",
    "Sanction",
]


# -- The breach register ------------------------------------------------------------------------


class RegisterParams(kinds.ParamsForm):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Breach.Status.choices])
    kind = forms.ChoiceField(
        required=False, choices=[("", "Any kind"), *Breach.Kind.choices], label="Kind of breach"
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, empty_label="Any agency"
    )

    def setup(self) -> None:
        """Any member agency may be named; refuse_register says whose breaches they may list."""
        self.fields["agency"].queryset = core_selectors.agency_list_for(  # type: ignore[attr-defined]
            person=self.person, alliance=self.alliance
        ).order_by("name")

    def describe(self) -> str:
        return register_scope(self.person, self.alliance, self.roles, self.cleaned_data)


def register_scope(person: User, alliance: Alliance, roles: Roles, params: dict[str, Any]) -> str:
    """What the register covers, in words: "Upheld breaches, late declarations, Lead Advice"."""
    status, kind, agency = params.get("status"), params.get("kind"), params.get("agency")
    words = [f"{Breach.Status(status).label} breaches" if status else "All breaches"]
    if kind:
        words.append(f"of the kind “{Breach.Kind(kind).label}”")
    if agency is not None:
        words.append(f"by {agency.name}")
    elif can.sees_every_breach(roles):
        words.append("by every agency and the alliance itself")
    else:
        own = selectors.breach_agency_choices_for(person=person, alliance=alliance)
        words.append("by " + ", ".join(a.name for a in own))
    return " ".join(words)


def offered_register(roles: Roles) -> bool:
    """Admins and arbiters keep the register; a chief officer answers for their agency's part."""
    return roles.is_admin or roles.has(Role.ARBITER) or roles.has(Role.CHIEF_OFFICER)


def refuse_register(roles: Roles, cleaned: dict[str, Any]) -> str | None:
    """Naming an agency whose breaches the person does not see on the register's page."""
    agency = cleaned.get("agency")
    if agency is None or can.sees_every_breach(roles):
        return None
    return None if agency.pk in can.breach_agency_ids(roles) else NOT_YOUR_AGENCY


def register_query(filters: BreachFilters) -> str:
    """The register page's filters as the export's query string: its form starts from them."""
    agency = filters.agency.pk if filters.agency is not None else ""
    chosen = {"status": filters.status, "kind": filters.kind, "agency": agency}
    return urlencode({name: value for name, value in chosen.items() if value})


@dataclass(frozen=True)
class BreachRow:
    """One breach as the register prints it: plain values, so drawing it runs no query."""

    number: int
    kind: str
    summary: str
    agency: str
    status: str
    concerns: list[tuple[str, str]]
    occurred_at: datetime
    detected_at: datetime
    cleared_at: datetime | None
    outcome: str
    reviewed_by: str
    reviewed_at: datetime | None
    note: str
    sanction: str

    def cells(self) -> list[Any]:
        concerns = dict(self.concerns)
        return [
            self.number,
            self.kind,
            self.summary,
            self.agency,
            concerns.get("Tender", ""),
            concerns.get("Partnership", ""),
            concerns.get("Declaration", ""),
            self.status,
            self.occurred_at,
            self.detected_at,
            self.cleared_at,
            self.reviewed_by,
            self.reviewed_at,
            self.note,
            "" if self.sanction == NOT_DECIDED else self.sanction,
        ]


def _concerns(breach: Breach) -> list[tuple[str, str]]:
    """The tender, partnership and declaration it is about (the declaration only where the
    barrier of bids lets the requester open it, as on the breach page)."""
    found = []
    if breach.tender is not None:
        found.append(("Tender", f"{breach.tender.reference}: {breach.tender.title}"))
    if breach.partnership is not None:
        found.append(("Partnership", breach.partnership.name))
    declaration = breach.declaration
    if declaration is not None and getattr(breach, "declaration_visible", False):
        words = f"{declaration.agency.name}'s declaration for {declaration.tender.reference}"
        found.append(("Declaration", words))
    return found


def _outcome(breach: Breach) -> str:
    if breach.reviewed_at is None:
        return WITH_THE_ARBITER if breach.status == Breach.Status.UNDER_REVIEW else NOT_REVIEWED
    by = breach.reviewed_by or "the arbiter"
    return f"{breach.get_status_display()} by {by} on {day(breach.reviewed_at)}."


def _sanction(breach: Breach) -> str:
    if breach.sanction:
        words = breach.get_sanction_display()
        ruling = breach.ruling
        if ruling is not None:
            words += f", on ruling {ruling.number} of dispute #{ruling.dispute_id}"
        return words
    motion = getattr(breach, "motion", None)  # selected with the breach; None when there is none
    if motion is not None:
        return PUT_TO_THE_BOARDS.format(status=motion.get_status_display().lower())
    return "None" if breach.reviewed_at else NOT_DECIDED


def breach_row(breach: Breach) -> BreachRow:
    return BreachRow(
        number=breach.pk,
        kind=breach.get_kind_display(),
        summary=breach.summary,
        agency=breach.agency.name if breach.agency else "The alliance itself",
        status=breach.get_status_display(),
        concerns=_concerns(breach),
        occurred_at=breach.occurred_at,
        detected_at=breach.detected_at,
        cleared_at=breach.cleared_at,
        outcome=_outcome(breach),
        reviewed_by=str(breach.reviewed_by) if breach.reviewed_by else "",
        reviewed_at=breach.reviewed_at,
        note=breach.review_note,
        sanction=_sanction(breach),
    )


def build_register(
    *, person: User, alliance: Alliance, roles: Roles, params: dict[str, Any]
) -> Report:
    """The breaches the person sees on the register's page, by status, and one CSV row each."""
    filters = BreachFilters(
        status=params.get("status") or "",
        kind=params.get("kind") or "",
        agency=params.get("agency"),
    )
    found = selectors.breach_list_for(person=person, alliance=alliance, filters=filters)
    # One query for the lot: everything a row prints comes with its breach.
    found = found.select_related(
        "tender",
        "partnership",
        "declaration__agency",
        "declaration__tender",
        "reviewed_by",
        "ruling",
        "motion",
    )
    listed = [(b.status, breach_row(b)) for b in found]
    rows = [row for _, row in listed]
    statuses = [Breach.Status(filters.status)] if filters.status else list(ORDER)
    by_status = {s: [row for status, row in listed if status == s] for s in statuses}
    sections = [
        Section(
            anchor=f"status-{status}",
            heading=status.label,
            template="reports/breach_register/status.html",
            context={"rows": in_status},
            weight=len(in_status) + 1,
        )
        for status, in_status in by_status.items()
        if in_status
    ]
    return Report(
        title="Breach register",
        scope=register_scope(person, alliance, roles, params),
        sections=sections,
        facts=[(s.label, str(len(in_status))) for s, in_status in by_status.items()]
        + [("Breaches in all", str(len(rows)))],
        table=Table(CSV_HEADER, [r.cells() for r in rows]),
        empty=NO_BREACHES,
    )


# -- A dispute's ruling -------------------------------------------------------------------------


class DisputeChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"Dispute #{obj.pk}: {obj.complainant.name} against {obj.respondent.name}"


class RulingParams(kinds.ParamsForm):
    dispute = DisputeChoice(queryset=Dispute.objects.none(), label="Dispute", empty_label=None)

    def setup(self) -> None:
        """The disputes the person sees on the disputes pages."""
        self.fields["dispute"].queryset = selectors.dispute_list_for(  # type: ignore[attr-defined]
            person=self.person, alliance=self.alliance
        )

    def clean_dispute(self) -> Dispute:
        dispute: Dispute = self.cleaned_data["dispute"]
        if not dispute.rulings.exists():
            raise forms.ValidationError(NO_RULING)
        return dispute

    def describe(self) -> str:
        dispute = self.cleaned_data.get("dispute")
        return self.fields["dispute"].label_from_instance(dispute) if dispute else ""  # type: ignore[attr-defined]


def offered_ruling(roles: Roles) -> bool:
    return roles.is_admin or roles.has(Role.ARBITER) or roles.has(Role.CHIEF_OFFICER)


def refuse_ruling(roles: Roles, cleaned: dict[str, Any]) -> str | None:
    """The admins, the CVS's arbiter and each party's chief officer file a ruling's paper."""
    dispute: Dispute | None = cleaned.get("dispute")
    if dispute is None or roles.is_admin:
        return None
    if any(can.speaks_for(roles, agency_id) for agency_id in dispute.parties):
        return None
    cvs = cvs_of(dispute.alliance)
    if can.is_cvs_arbiter(roles, arbiter_agency_id=cvs.pk if cvs else None):
        return None
    return NOT_YOUR_DISPUTE


@dataclass
class ActionLine:
    action: RequiredAction
    state: str  # where it stands, in words
    overdue: bool = False


def action_line(action: RequiredAction, today: date) -> ActionLine:
    """Confirmed on … by …, outstanding, or overdue."""
    if action.superseded_at is not None:
        return ActionLine(action, f"Replaced by a corrected ruling on {day(action.superseded_at)}")
    if action.confirmed_at is not None:
        late = " (late)" if timezone.localtime(action.confirmed_at).date() > action.due_on else ""
        by = action.confirmed_by or "the party"
        return ActionLine(action, f"Confirmed on {day(action.confirmed_at)} by {by}{late}")
    if action.due_on < today:
        return ActionLine(action, f"Overdue: due by {day(action.due_on)}, not confirmed", True)
    return ActionLine(action, f"Outstanding: due by {day(action.due_on)}")


def _subject(dispute: Dispute) -> tuple[str, str]:
    """(what, words) for what the dispute is about, as the dispute's page names it."""
    if dispute.breach is not None:
        breach = dispute.breach
        return "Breach", f"Breach #{breach.pk}: {breach.get_kind_display()}. {breach.summary}"
    if dispute.declaration is not None:
        declaration, tender = dispute.declaration, dispute.declaration.tender
        words = f"{declaration.agency.name}'s declaration for {tender.reference}: {tender.title}"
        return "Bid declaration", words
    if dispute.partnership is not None:
        return "Partnership", dispute.partnership.name
    return "Subject", "A general matter between the two agencies"


def _tally(lines: list[ActionLine]) -> str:
    if not lines:
        return "None required"
    confirmed = sum(1 for line in lines if line.action.confirmed_at is not None)
    overdue = sum(1 for line in lines if line.overdue)
    superseded = sum(1 for line in lines if line.action.superseded_at is not None)
    outstanding = len(lines) - confirmed - overdue - superseded
    return f"{confirmed} confirmed, {outstanding} outstanding, {overdue} overdue"


def build_ruling(
    *, person: User, alliance: Alliance, roles: Roles, params: dict[str, Any]
) -> Report:
    """The dispute, its latest ruling and what that ruling requires; never the statements."""
    dispute = selectors.dispute_get_for(person=person, alliance=alliance, pk=params["dispute"].pk)
    rulings = selectors.ruling_list_for(dispute=dispute)
    latest, first = rulings[0], rulings[-1]
    today = timezone.localdate()
    lines = [action_line(a, today) for a in latest.actions.all()]  # prefetched by the selector
    what, words = _subject(dispute)
    parties = f"{dispute.complainant.name} against {dispute.respondent.name}"
    return Report(
        title="Dispute ruling",
        scope=f"Dispute #{dispute.pk}: {parties}",
        sections=[
            Section(
                "dispute",
                f"Dispute #{dispute.pk}",
                "reports/dispute_ruling/dispute.html",
                {
                    "dispute": dispute,
                    "what": what,
                    "words": words,
                    "latest": latest,
                    "first": first,
                    "no_statements": NO_STATEMENTS,
                },
                weight=6,
            ),
            Section(
                f"ruling-{latest.number}",
                _ruling_heading(latest),
                "reports/dispute_ruling/ruling.html",
                {"ruling": latest},
                weight=10,
            ),
            Section(
                "actions",
                "Required actions",
                "reports/dispute_ruling/actions.html",
                {"lines": lines},
                weight=1 + len(lines),
            ),
        ],
        facts=[
            ("Dispute", f"#{dispute.pk}: {parties}"),
            ("Ruling", _ruling_heading(latest)),
            ("Required actions", _tally(lines)),
        ],
    )


def _ruling_heading(ruling: Ruling) -> str:
    if ruling.corrects is None:
        return f"Ruling {ruling.number}"
    return f"Ruling {ruling.number}, correcting ruling {ruling.corrects.number}"


KINDS = (
    kinds.Kind(
        name=REGISTER,
        title="Breach register",
        description=(
            "The breaches of the protocol you may see, by status: what happened, to whom, what "
            "it concerns, the arbiter's outcome and the sanction. As a PDF or a CSV, one row a "
            "breach."
        ),
        form=RegisterParams,
        build=build_register,
        offered=offered_register,
        refuse=refuse_register,
        tabular=True,
    ),
    kinds.Kind(
        name=RULING,
        title="Dispute ruling",
        description=(
            "A dispute's published ruling for the parties' files: the parties, the subject, the "
            "arbiter, the findings, decision and sanction, and where each required action stands."
        ),
        form=RulingParams,
        build=build_ruling,
        offered=offered_ruling,
        refuse=refuse_ruling,
    ),
)


def register() -> None:
    """Register this app's report kinds with kiaa.reports.kinds."""
    for kind in KINDS:
        kinds.register(kind)
