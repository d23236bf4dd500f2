"""Pages of the tender register: the list, a tender's page, registering, importing, and the
admin's steps. Reads through selectors, writes through services; every step that cannot be
undone goes through a confirmation page first."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from bids import permissions as can
from bids import selectors
from bids.forms import (
    AwardForm,
    ImportForm,
    ReasonForm,
    RequiredReasonForm,
    TenderFilterForm,
    TenderForm,
)
from bids.models import Declaration, Tender, TenderImport
from bids.pages import (
    DECIDED,
    PER_PAGE,
    FormPage,
    TenderConfirmPage,
    TenderFormPage,
    TenderPage,
    pounds,
)
from bids.reports import CONFLICT_MAP
from bids.reports import _partnership_rows as conflict_map_rows
from bids.services import ocds, outcomes, tenders
from kiaa import selectors as core_selectors
from kiaa.errors import DomainError
from kiaa.models import Agency
from kiaa.pages import TenantView
from kiaa.reports import kinds

Status = Tender.Status


# ----------------------------------------------------------------------------- the register


class TenderListView(TenantView):
    """The register: every member sees every tender, who declared and who stepped back."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        person, alliance, roles = self.tenant.person, self.tenant.alliance, self.tenant.roles
        areas = core_selectors.service_area_list_for(person=person, alliance=alliance)
        form = TenderFilterForm(
            request.GET, areas=areas.order_by("name"), agency=self.tenant.agency
        )
        valid = form.is_valid()
        filters = form.filters()
        found = selectors.tender_register_for(person=person, alliance=alliance, **filters)
        context = {
            "form": form,
            "page": Paginator(found, PER_PAGE).get_page(request.GET.get("page")),
            "filtered": any(filters.values()),
            "can_register": can.can_register_tender(roles),
            "can_import": can.can_manage_tender(roles),
        }
        return self.render("bids/tender_list.html", context, 200 if valid else 400)


class TenderFormMixin:
    tenant: Any

    def tender_form(self, data: Any = None, initial: dict[str, Any] | None = None) -> TenderForm:
        person, alliance = self.tenant.person, self.tenant.alliance
        areas = core_selectors.service_area_list_for(person=person, alliance=alliance)
        agencies = core_selectors.agency_list_for(person=person, alliance=alliance)
        return TenderForm(
            data,
            initial=initial,
            areas=list(areas.order_by("name").values_list("slug", "name")),
            agencies=agencies.filter(status=Agency.Status.ACTIVE).order_by("name"),
        )


class TenderRegisterView(TenderFormMixin, FormPage):
    """An admin or a chief officer puts an opportunity on the register."""

    title = "Register a tender"
    submit = "Register the tender"

    def allowed(self) -> bool:
        return can.can_register_tender(self.tenant.roles)

    def intro(self) -> list[str]:
        return [
            "Every member sees the register. Once a tender is on it, chief officers can "
            "declare their agency's intent to bid for it."
        ]

    def back(self) -> tuple[str, str] | None:
        return self.url("tenders"), "Back to the register"

    def make_form(self, data: Any = None) -> forms.Form:
        return self.tender_form(data)

    def perform(self, form: forms.Form) -> HttpResponse:
        tender = tenders.tender_register(
            actor=self.tenant.person,
            alliance=self.tenant.alliance,
            details=cast(TenderForm, form).details(),
            service_areas=form.cleaned_data["service_areas"],
        )
        messages.success(self.request, f"{tender.reference} is on the register.")
        return redirect(self.url("tender-detail", pk=tender.pk))


class TenderEditView(TenderFormMixin, TenderFormPage):
    title = "Edit the tender"
    submit = "Save the changes"

    def allowed(self) -> bool:
        return can.can_manage_tender(self.tenant.roles)

    def make_form(self, data: Any = None) -> forms.Form:
        return self.tender_form(data, initial=TenderForm.initial_for(self.object))

    def perform(self, form: forms.Form) -> HttpResponse:
        changed = tenders.tender_update(
            actor=self.tenant.person,
            tender=self.object,
            details=cast(TenderForm, form).details(),
            service_areas=form.cleaned_data["service_areas"],
        )
        if changed:
            messages.success(self.request, f"{self.object.reference} is updated.")
        else:
            messages.info(self.request, "Nothing changed.")
        return redirect(self.detail_url())


class TenderImportView(FormPage):
    """An admin reads an OCDS release package into the register; the report follows."""

    title = "Import tenders from an OCDS file"
    submit = "Import"
    multipart = True
    template = "bids/import.html"

    def allowed(self) -> bool:
        return can.can_manage_tender(self.tenant.roles)

    def make_form(self, data: Any = None) -> forms.Form:
        return ImportForm(data, self.request.FILES if data is not None else None)

    def context(self, form: forms.Form) -> dict[str, Any]:
        past = selectors.tender_import_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return {**super().context(form), "imports": past[:20]}

    def perform(self, form: forms.Form) -> HttpResponse:
        upload = form.cleaned_data["file"]
        try:
            done = ocds.tenders_import(
                actor=self.tenant.person,
                alliance=self.tenant.alliance,
                file_name=upload.name or "upload.json",
                data=upload.read(),
            )
        except DomainError as error:
            # What is wrong with the file is said on the file's field.
            error.field = error.field or "file"
            raise
        report = done.report
        messages.success(
            self.request,
            f"{upload.name} is imported: {len(report.get('created', []))} created, "
            f"{len(report.get('updated', []))} updated, {len(report.get('unchanged', []))} "
            f"unchanged, {len(report.get('rejected', []))} rejected.",
        )
        return redirect(self.url("tender-import-detail", pk=done.pk))


class TenderImportDetailView(TenantView):
    """A past import's report: what was created, updated, left alone or rejected, and why."""

    model = TenderImport
    object: TenderImport

    def get_object(self, pk: int) -> TenderImport:
        found = selectors.tender_import_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(pk=pk)
        done = found.first()
        if done is None:
            raise Http404("No such import.")
        return done

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        report = self.object.report
        sections = [
            ("created", "Created", "New tenders on the register."),
            ("updated", "Updated", "Tenders already on the register whose notice had changed."),
            ("unchanged", "Unchanged", "Tenders already on the register, as the notice says."),
            ("rejected", "Rejected", "Releases the register could not take, with the reasons."),
        ]
        return self.render(
            "bids/import_detail.html",
            {
                "done": self.object,
                "sections": [
                    {"key": k, "label": label, "about": about, "entries": report.get(k, [])}
                    for k, label, about in sections
                ],
                "total": report.get("total", 0),
            },
        )


# ----------------------------------------------------------------------------- one tender


class TenderDetailView(TenderPage):
    """The tender, who declared (with the withdrawals each bid holds open) and who stepped
    back, the conflict map of the partnerships the bidders share, the TUPE room and the
    person's own conflicts and steps."""

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        tender, person, alliance = self.object, self.tenant.person, self.tenant.alliance
        visible = list(
            selectors.tender_declaration_list_for(person=person, alliance=alliance, tender=tender)
        )
        mine = [d for d in visible if d.agency_id in self.tenant.roles.agency_ids]
        step_backs = list(
            selectors.step_back_list_for(person=person, alliance=alliance).filter(tender=tender)
        )
        withdrawals = list(
            selectors.tender_withdrawal_list_for(person=person, alliance=alliance, tender=tender)
        )
        holding: dict[int, list[Any]] = {}
        for w in withdrawals:
            if getattr(w, "in_force", False):  # annotated by the selector
                holding.setdefault(w.bid.declaration_id, []).append(w)
        context = {
            "tender": tender,
            "value": pounds(tender.value_pence),
            "declared": [
                (d, holding.get(d.pk, [])) for d in visible if d.status in Declaration.PUBLIC
            ],
            "mine": mine,
            "conflicts": self._conflicts(mine),
            "step_backs": step_backs,
            "withdrawals": withdrawals,
            # The tender_conflicts report's map of the partnerships around the bids, as it is.
            "conflict_map": conflict_map_rows(person, alliance, tender, visible),
            **self._tupe(),
            **self._actions(mine, step_backs),
            "can_export_map": kinds.accepts(CONFLICT_MAP, self.tenant.roles, tender=tender),
        }
        return self.render("bids/tender_detail.html", context)

    def _conflicts(self, mine: list[Declaration]) -> list[tuple[Declaration, list[Any]]]:
        """The findings of the person's own agencies' bids that are still in the race."""
        live = [d for d in mine if d.status in Declaration.LIVE]
        found = selectors.conflicts_for(live) if live else {}
        return [(d, found[d.pk]) for d in live]

    def _tupe(self) -> dict[str, Any]:
        tender, person, alliance = self.object, self.tenant.person, self.tenant.alliance
        if tender.incumbent_agency_id is None:
            return {"tupe": None}
        release = selectors.tupe_release_for(person=person, alliance=alliance, tender=tender)
        roles = self.tenant.roles
        return {
            "tupe": {
                "papers": list(
                    selectors.tender_papers_for(
                        person=person, alliance=alliance, tender=tender, kind="tupe"
                    )
                ),
                "release": release,
                "receipts": list(selectors.tupe_receipt_list_for(person=person, tender=tender)),
                "can_upload": can.can_share_tupe(roles, tender) and tender.status not in DECIDED,
                "can_release": release is None
                and can.can_release_tupe(roles, tender)
                and tender.status not in DECIDED,
                "is_incumbent": tender.incumbent_agency_id in roles.agency_ids,
            }
        }

    def _actions(self, mine: list[Declaration], step_backs: list[Any]) -> dict[str, bool]:
        tender, roles = self.object, self.tenant.roles
        agency = self.chief_of_acting_agency()
        bidding = agency is not None and any(
            d.agency_id == agency.pk and d.status in Declaration.LIVE for d in mine
        )
        stepped_back = agency is not None and any(s.agency_id == agency.pk for s in step_backs)
        free = agency is not None and not bidding and not stepped_back
        manages = can.can_manage_tender(roles)
        return {
            "can_declare": free and tender.status == Status.OPEN,
            "can_step_back": free and tender.status not in DECIDED,
            "can_edit": manages and tender.status not in DECIDED,
            "can_close": manages and tender.status == Status.OPEN,
            "can_reopen": manages and tender.status == Status.CLOSED,
            "can_cancel": manages and tender.status not in DECIDED,
            "can_award": manages and tender.status not in DECIDED,
        }


class StepBackView(TenderFormPage):
    """The acting agency's chief officer records that it will not bid, and why: the page says
    what that does before its one button, as every confirmation page does."""

    title = "Step back from this tender"
    submit = "Record that we step back"
    template = "bids/confirm.html"

    def allowed(self) -> bool:
        return self.chief_of_acting_agency() is not None

    def intro(self) -> list[str]:
        agency = cast(Agency, self.tenant.agency)
        return [
            f"{agency.name} records that it chooses not to bid for {self.object.reference} "
            f"({self.object.title}).",
            "The register shows it, with your reason, to every member.",
            "This cannot be undone: once recorded, your agency cannot declare for this tender.",
        ]

    def make_form(self, data: Any = None) -> forms.Form:
        return RequiredReasonForm(data)

    def perform(self, form: forms.Form) -> HttpResponse:
        agency = cast(Agency, self.chief_of_acting_agency())
        outcomes.step_back_record(
            actor=self.tenant.person,
            tender=self.object,
            agency=agency,
            reason=form.cleaned_data["reason"],
        )
        messages.success(self.request, f"{agency.name} steps back from {self.object.reference}.")
        return redirect(self.detail_url())


class TenderCloseView(TenderConfirmPage):
    title = "Close the tender for submissions"
    submit = "Close the tender"

    def intro(self) -> list[str]:
        return [
            f"{self.object.reference} stops taking new declarations.",
            "Declarations already made stand until the award.",
            "You can reopen it if the commissioner extends the deadline.",
        ]

    def act(self, form: forms.Form) -> tuple[str, str]:
        tenders.tender_close(actor=self.tenant.person, tender=self.object)
        return f"{self.object.reference} is closed for submissions.", self.detail_url()


class TenderReopenView(TenderConfirmPage):
    title = "Reopen the tender"
    submit = "Reopen the tender"

    def intro(self) -> list[str]:
        return [f"{self.object.reference} takes declarations and submissions again."]

    def act(self, form: forms.Form) -> tuple[str, str]:
        tenders.tender_reopen(actor=self.tenant.person, tender=self.object)
        return f"{self.object.reference} is open again.", self.detail_url()


class TenderCancelView(TenderConfirmPage):
    title = "Cancel the tender"
    submit = "Cancel the tender"

    def intro(self) -> list[str]:
        return [
            f"{self.object.reference} is cancelled for good: it cannot be reopened or awarded.",
            "Every live declaration for it is withdrawn, with its partners' declarations.",
            "Every withdrawal from partnership working those bids opened ends now, and the "
            "partnerships' papers come back to the agencies.",
            "Each bidder is told.",
        ]

    def make_form(self, data: Any = None) -> forms.Form:
        return ReasonForm(data)

    def act(self, form: forms.Form) -> tuple[str, str]:
        outcomes.tender_cancel(
            actor=self.tenant.person, tender=self.object, reason=form.cleaned_data["reason"]
        )
        return f"{self.object.reference} is cancelled.", self.detail_url()


class TenderAwardView(TenderPage, FormPage):
    """Choose the winning bid, then confirm on a page that says what the award does."""

    title = "Award the contract"
    submit = "Continue"

    def allowed(self) -> bool:
        return can.can_manage_tender(self.tenant.roles)

    def back(self) -> tuple[str, str] | None:
        return self.detail_url(), f"Back to {self.object.reference}"

    def intro(self) -> list[str]:
        return [
            "Choose the bid the commissioner awarded the contract to. You confirm on the next page."
        ]

    def bids(self) -> Any:
        return selectors.winnable_declaration_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance, tender=self.object
        )

    def make_form(self, data: Any = None) -> forms.Form:
        return AwardForm(data, bids=self.bids())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid() and not form.cleaned_data["confirmed"]:
            return self.render("bids/award_confirm.html", self._confirmation(form))
        return super().post(request, *args, **kwargs)

    def _confirmation(self, form: forms.Form) -> dict[str, Any]:
        winner: Declaration = form.cleaned_data["winner"]
        others = [
            d
            for d in selectors.tender_declaration_list_for(
                person=self.tenant.person, alliance=self.tenant.alliance, tender=self.object
            )
            if d.status in Declaration.LIVE and winner.pk not in (d.pk, d.lead_declaration_id)
        ]
        return {
            "tender": self.object,
            "winner": winner,
            "awarded_on": form.cleaned_data["awarded_on"],
            "losers": [d for d in others if d.status in Declaration.COMPETING],
            "undecided": [d for d in others if d.status not in Declaration.COMPETING],
            "back": self.back(),
        }

    def perform(self, form: forms.Form) -> HttpResponse:
        winner = form.cleaned_data["winner"]
        try:
            outcomes.tender_award(
                actor=self.tenant.person,
                tender=self.object,
                winner=winner,
                awarded_on=form.cleaned_data["awarded_on"],
            )
        except DomainError as error:
            if error.field == "winner_declaration":
                error.field = "winner"
            raise
        messages.success(
            self.request, f"{self.object.reference} is awarded to {winner.agency.name}."
        )
        return redirect(self.detail_url())
