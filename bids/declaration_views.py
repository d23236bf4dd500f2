"""Pages of declarations of intent to bid: drafting, the declaration's page, namings, the
board question, papers, allocations, and the steps of its lifecycle, each confirmed first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from bids import permissions as can
from bids import selectors
from bids.forms import (
    DeclarationForm,
    ReasonForm,
)
from bids.models import Declaration, NamedPartner
from bids.pages import (
    PER_PAGE,
    DeclarationConfirmPage,
    DeclarationPage,
    FormPage,
    TenderPage,
    pounds,
)
from bids.reports import REGISTER
from bids.services import declarations
from kiaa import selectors as core_selectors
from kiaa.decisions import standing
from kiaa.errors import DomainError
from kiaa.models import Agency, BoardDecision, BoardVote, Role
from kiaa.pages import TenantView
from kiaa.reports import kinds

Status = Declaration.Status
Capacity = Declaration.Capacity

LIFECYCLE = [
    (
        Status.DRAFT,
        "Draft: the chief officer prepares it; only the agency and its named partners see it.",
    ),
    (
        Status.AWAITING_BOARD,
        "Awaiting trustee approval: the agency's trustee board votes (protocol clause 4).",
    ),
    (
        Status.DECLARED,
        "Declared: the board approved; the whole alliance sees it, the incumbent "
        "and partners are told, and the agency steps back from overlapping partnership working.",
    ),
    (Status.SUBMITTED, "Bid submitted: the bid has gone to the commissioner."),
    (
        Status.WON,
        "Won or lost: the award decides; withdrawals end (the winner's after a grace period).",
    ),
]
ENDINGS = {
    Status.REJECTED: "The trustee board rejected it: the agency does not bid.",
    Status.WITHDRAWN: "It was withdrawn: the agency no longer bids, and the withdrawals it "
    "opened have ended.",
    Status.LOST: "The contract went to another bid.",
}


@dataclass
class NamingRow:
    naming: NamedPartner
    may_answer: bool = False


# ----------------------------------------------------------------------------- the list


class DeclarationListView(TenantView):
    """Your agencies' declarations first, then the alliance's declared intents."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        person, alliance, roles = self.tenant.person, self.tenant.alliance, self.tenant.roles
        mine_first = Case(
            When(agency_id__in=roles.agency_ids, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        found = (
            selectors.declaration_list_for(person=person, alliance=alliance)
            .annotate(not_mine=mine_first)
            .order_by("not_mine", "-created_at", "-pk")
        )
        namings = selectors.naming_list_for(person=person, alliance=alliance)
        return self.render(
            "bids/declaration_list.html",
            {
                "page": Paginator(found, PER_PAGE).get_page(request.GET.get("page")),
                "namings": list(namings),
                "mine": set(roles.agency_ids),
                **self._export(),
            },
        )

    def _export(self) -> dict[str, Any]:
        """The register's export; a chief officer's link names their agency, whose register
        is the one they may take."""
        kind, roles, agency = kinds.get(REGISTER), self.tenant.roles, self.tenant.agency
        own = agency is not None and roles.has(Role.CHIEF_OFFICER, agency) and not roles.is_admin
        return {
            "can_export_register": kind is not None and kind.offered(roles),
            "export_agency": agency.pk if own and agency is not None else None,
        }


# ----------------------------------------------------------------------------- drafting


class DeclarationDraftView(TenderPage, FormPage):
    """The acting agency's chief officer drafts its intent to bid; its board decides later."""

    title = "Declare intent to bid"
    submit = "Save the draft"

    def allowed(self) -> bool:
        return self.chief_of_acting_agency() is not None

    def intro(self) -> list[str]:
        agency = cast(Agency, self.tenant.agency)
        return [
            f"For {agency.name}, for {self.object.reference} ({self.object.title}).",
            "This saves a draft: nothing is public until you put it to your trustee board and "
            "the board approves it. Partners you name confirm or decline before they are in the "
            "bid.",
        ]

    def back(self) -> tuple[str, str] | None:
        return self.detail_url(), f"Back to {self.object.reference}"

    def make_form(self, data: Any = None) -> forms.Form:
        person, alliance = self.tenant.person, self.tenant.alliance
        agency = cast(Agency, self.tenant.agency)
        agencies = (
            core_selectors.agency_list_for(person=person, alliance=alliance)
            .filter(status=Agency.Status.ACTIVE)
            .exclude(pk=agency.pk)
            .order_by("name")
        )
        named_in = selectors.naming_list_for(person=person, alliance=alliance).filter(
            agency=agency, declaration__tender=self.object
        )
        leads = (
            selectors.declaration_list_for(person=person, alliance=alliance)
            .filter(pk__in=named_in.values("declaration_id"), status__in=Declaration.LIVE)
            .order_by("agency__name")
        )
        initial: dict[str, Any] = {}
        lead = self.request.GET.get("lead")
        if lead and lead.isdigit():
            initial = {"capacity": Capacity.PARTNER, "lead_declaration": int(lead)}
        return DeclarationForm(data, initial=initial, agencies=agencies, leads=leads)

    def perform(self, form: forms.Form) -> HttpResponse:
        data = form.cleaned_data
        try:
            declaration = declarations.declaration_draft(
                actor=self.tenant.person,
                tender=self.object,
                agency=cast(Agency, self.tenant.agency),
                capacity=data["capacity"],
                summary=data["summary"],
                partners=cast(DeclarationForm, form).namings(),
                lead_declaration=data["lead_declaration"],
            )
        except DomainError as error:
            # The partners are named in rows: their refusal goes on the first row.
            if error.field == "named_partners":
                error.field = "partner_1"
            raise
        messages.success(
            self.request,
            "Your draft is saved. Put it to your trustee board when it is ready.",
        )
        return redirect(self.url("declaration-detail", pk=declaration.pk))


# ----------------------------------------------------------------------------- the page


class DeclarationDetailView(DeclarationPage):
    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        declaration, person, alliance = self.object, self.tenant.person, self.tenant.alliance
        lead = self._lead()
        team = (
            list(
                selectors.declaration_list_for(person=person, alliance=alliance).filter(
                    lead_declaration=lead
                )
            )
            if lead is not None
            else []
        )
        manages = self.manages()
        status = declaration.status
        context = {
            "declaration": declaration,
            "tender": declaration.tender,
            "lead": lead,
            "namings": self._namings(lead),
            "partner_declarations": team,
            "lifecycle": LIFECYCLE,
            "ending": ENDINGS.get(Status(status)),
            "findings": selectors.conflicts_for([declaration])[declaration.pk],
            "question": self._question(),
            "withdrawals": list(
                selectors.tender_withdrawal_list_for(
                    person=person, alliance=alliance, declaration=declaration
                )
            ),
            "papers": self._papers(lead),
            "can_upload": bool(self.my_team_agencies())
            and status in (*Declaration.LIVE, Status.WON),
            "allocations": self._allocations(),
            "can_allocate": manages and status == Status.WON and declaration.capacity != "partner",
            "can_submit": manages and status == Status.DRAFT,
            "can_withdraw": manages and status in Declaration.LIVE,
            "can_mark_submitted": manages
            and status == Status.DECLARED
            and declaration.capacity != Capacity.PARTNER,
        }
        return self.render("bids/declaration_detail.html", context)

    def _lead(self) -> Declaration | None:
        """The bid's lead declaration (this one, for a lead), when the person may see it."""
        declaration = self.object
        if declaration.capacity == Capacity.LEAD:
            return declaration
        if declaration.lead_declaration_id is None:
            return None
        try:
            return selectors.declaration_get_for(
                person=self.tenant.person,
                alliance=self.tenant.alliance,
                pk=declaration.lead_declaration_id,
            )
        except Http404:
            return None

    def _namings(self, lead: Declaration | None) -> list[NamingRow]:
        if lead is None:
            return []
        roles, live = self.tenant.roles, lead.status in Declaration.LIVE
        return [
            NamingRow(
                n,
                may_answer=live
                and n.status == NamedPartner.Status.NAMED
                and can.can_declare_for(roles, agency_id=n.agency_id),
            )
            for n in lead.named_partners.all()  # prefetched by the selector, with agencies
        ]

    def _question(self) -> dict[str, Any] | None:
        decision = selectors.board_question_for(
            person=self.tenant.person, alliance=self.tenant.alliance, declaration=self.object
        )
        if decision is None:
            return None
        votes = list(decision.votes.all())
        approvals = sum(v.choice == BoardVote.Choice.APPROVE for v in votes)
        is_open = decision.status == BoardDecision.Status.OPEN
        return {
            "decision": decision,
            "approvals": approvals,
            "votes": len(votes),
            "still_needed": max(decision.quorum - approvals, 0) if is_open else 0,
            "is_open": is_open,
            # The decision page is the board's: only its trustees open it.
            "may_open": self.tenant.roles.has(Role.TRUSTEE, decision.agency_id),
        }

    def _papers(self, lead: Declaration | None) -> list[Any]:
        unit = lead or self.object
        return list(
            selectors.tender_papers_for(
                person=self.tenant.person,
                alliance=self.tenant.alliance,
                tender=self.object.tender,
                kind="bid",
            ).filter(
                Q(tender_paper__declaration=unit)
                | Q(tender_paper__declaration__lead_declaration=unit)
            )
        )

    def _allocations(self) -> list[dict[str, Any]]:
        found = selectors.allocation_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(declaration=self.object)
        return [{"allocation": a, "amount": pounds(a.amount_pence)} for a in found]


# ----------------------------------------------------------------------------- lifecycle


class DeclarationSubmitView(DeclarationConfirmPage):
    title = "Put the declaration to your trustee board"
    submit = "Put it to the board"

    def intro(self) -> list[str]:
        declaration = self.object
        board = standing(
            agency=declaration.agency,
            subject_type=declarations.SUBJECT,
            subject_id=declaration.pk,
        )
        said = [
            f"{declaration.agency.name}'s trustee board is asked whether to declare intent to bid "
            f"for {declaration.tender.reference}. {len(board.eligible)} trustee(s) may vote; "
            f"{board.quorum} approval(s) are needed. {board.rule}",
        ]
        said += [f"A trustee who may not vote: {reason}" for reason in board.excluded.values()]
        leaving = selectors.withdrawals_needed_for(
            person=self.tenant.person, declaration=declaration
        )
        said.append(
            "If the board approves, the declaration is open to the whole alliance, and the "
            "incumbent and your partners are told (protocol clause 5)."
        )
        if leaving:
            said.append(
                f"{declaration.agency.name} would then step back from partnership working in "
                f"{', '.join(leaving)} while it competes, and not see their commercially "
                "sensitive papers until its bid ends."
            )
        return said

    def act(self, form: forms.Form) -> tuple[str, str]:
        declarations.declaration_submit_for_approval(
            actor=self.tenant.person, declaration=self.object
        )
        return "The declaration is with your trustee board.", self.detail_url()


class DeclarationWithdrawView(DeclarationConfirmPage):
    title = "Withdraw the declaration"
    submit = "Withdraw the declaration"

    def make_form(self, data: Any = None) -> forms.Form:
        return ReasonForm(data)

    def intro(self) -> list[str]:
        declaration = self.object
        said = [f"{declaration.agency.name} no longer bids for {declaration.tender.reference}."]
        if declaration.capacity == Capacity.LEAD:
            said.append("Your partners' declarations in this bid are withdrawn with it.")
        said += [
            "Any question still before your trustee board is cancelled.",
            "The withdrawals from partnership working this bid opened end now.",
            "This cannot be undone: to bid again, draft a new declaration.",
        ]
        return said

    def act(self, form: forms.Form) -> tuple[str, str]:
        declarations.declaration_withdraw(
            actor=self.tenant.person, declaration=self.object, reason=form.cleaned_data["reason"]
        )
        return "The declaration is withdrawn.", self.detail_url()


class DeclarationMarkSubmittedView(DeclarationConfirmPage):
    title = "Mark the bid submitted"
    submit = "Mark it submitted"

    def intro(self) -> list[str]:
        return [
            f"Records that the bid for {self.object.tender.reference} has gone to the "
            "commissioner, for the whole bid team: your partners' declarations are marked too.",
            "This cannot be undone.",
        ]

    def act(self, form: forms.Form) -> tuple[str, str]:
        declarations.declaration_mark_submitted(actor=self.tenant.person, declaration=self.object)
        return "The bid is marked submitted.", self.detail_url()
