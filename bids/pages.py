"""Bases of the bids pages: a tender or declaration looked up first, form pages that say
what will happen, and confirmation pages for every step that cannot be undone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from bids import permissions as can
from bids import selectors
from bids.forms import (
    ConfirmForm,
)
from bids.models import Declaration, Tender
from kiaa.models import Agency
from kiaa.pages import ServiceFormView, TenantView

PER_PAGE = 25
Status = Tender.Status
DECIDED = (Status.AWARDED, Status.CANCELLED)


def pounds(pence: int | None) -> str:
    """£1,234.50 from 123450; a dash when there is no value."""
    if pence is None:
        return "—"
    whole, part = divmod(pence, 100)
    return f"£{whole:,}" + (f".{part:02d}" if part else "")


# ----------------------------------------------------------------------------- bases


class TenderPage(TenantView):
    """A page about one tender of the tender's alliance, looked up before anything else."""

    model = Tender
    object: Tender

    def get_object(self, pk: int) -> Tender:
        return selectors.tender_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def detail_url(self) -> str:
        return self.url("tender-detail", pk=self.object.pk)

    def chief_of_acting_agency(self) -> Agency | None:
        """The agency the person acts for, when they are its chief officer (who declares)."""
        agency = self.tenant.agency
        if agency is not None and can.can_declare_for(self.tenant.roles, agency_id=agency.pk):
            return agency
        return None


class FormPage(ServiceFormView):
    """A form page of the app: a title, what will happen, and one button."""

    template = "bids/form_page.html"
    submit = "Save"
    multipart = False

    def intro(self) -> list[str]:
        """What pressing the button will do, in sentences."""
        return []

    def back(self) -> tuple[str, str] | None:
        """Where the person came from: (url, words)."""
        return None

    def context(self, form: forms.Form) -> dict[str, Any]:
        return {
            "form": form,
            "title": self.title,
            "submit": self.submit,
            "intro": self.intro(),
            "back": self.back(),
            "multipart": self.multipart,
        }


class ConfirmPage(FormPage):
    """GET states what will happen; the POST of its button calls the service.

    A refusal comes back on the same page as an error summary (400), nothing written.
    """

    template = "bids/confirm.html"
    submit = "Confirm"

    def make_form(self, data: Any = None) -> forms.Form:
        return ConfirmForm(data)

    def act(self, form: forms.Form) -> tuple[str, str]:
        """Call the service; return the success message and where to go next."""
        raise NotImplementedError

    def perform(self, form: forms.Form) -> HttpResponse:
        message, to = self.act(form)
        messages.success(self.request, message)
        return redirect(to)


class TenderFormPage(TenderPage, FormPage):
    def back(self) -> tuple[str, str] | None:
        return self.detail_url(), f"Back to {self.object.reference}"


class TenderConfirmPage(TenderPage, ConfirmPage):
    def allowed(self) -> bool:
        return can.can_manage_tender(self.tenant.roles)

    def back(self) -> tuple[str, str] | None:
        return self.detail_url(), f"Back to {self.object.reference}"


class DeclarationPage(TenantView):
    """A page about one declaration the person may see (another agency's draft is a 404)."""

    model = Declaration
    object: Declaration

    def get_object(self, pk: int) -> Declaration:
        return selectors.declaration_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def detail_url(self) -> str:
        return self.url("declaration-detail", pk=self.object.pk)

    def manages(self) -> bool:
        return can.can_manage_declaration(self.tenant.roles, self.object)

    def back(self) -> tuple[str, str] | None:
        return self.detail_url(), "Back to the declaration"

    def team_agencies(self) -> set[int]:
        return selectors.bid_team_for(
            person=self.tenant.person, alliance=self.tenant.alliance, declaration=self.object
        )

    def my_team_agencies(self) -> list[int]:
        roles = self.tenant.roles
        return sorted(
            a
            for a in self.team_agencies() & set(roles.agency_ids)
            if can.can_share_bid_papers(roles, [a])
        )


class DeclarationConfirmPage(DeclarationPage, ConfirmPage):
    def allowed(self) -> bool:
        return self.manages()
