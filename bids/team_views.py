"""Pages of a bid's team and papers: answering a naming, the bid's papers, allocations after a
win, and the incumbent's TUPE room."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from bids import permissions as can
from bids import selectors
from bids.forms import (
    AllocationForm,
    BidPaperForm,
    PaperForm,
    pence_of,
)
from bids.models import Declaration, NamedPartner
from bids.pages import (
    ConfirmPage,
    DeclarationPage,
    FormPage,
    TenderConfirmPage,
    TenderFormPage,
    pounds,
)
from bids.services import declarations, outcomes, papers
from kiaa import selectors as core_selectors
from kiaa.errors import DomainError

Capacity = Declaration.Capacity


# ----------------------------------------------------------------------------- namings


class NamingPage(DeclarationPage):
    """A naming of one agency in this (lead's) declaration; an agency not named is a 404."""

    naming: NamedPartner

    def get_object(self, pk: int) -> Declaration:
        declaration = super().get_object(pk)
        found = next(
            (
                n
                for n in declaration.named_partners.all()
                if n.agency_id == self.kwargs["agency_id"]
            ),
            None,
        )
        if found is None:
            raise Http404("That agency is not named in this bid.")
        self.naming = found
        return declaration

    def allowed(self) -> bool:
        return can.can_declare_for(self.tenant.roles, agency_id=self.naming.agency_id)


class NamingConfirmView(NamingPage, ConfirmPage):
    title = "Confirm being named in this bid"
    submit = "Confirm and draft our declaration"

    def intro(self) -> list[str]:
        lead, agency = self.object.agency.name, self.naming.agency.name
        return [
            f"{agency} joins {lead}'s bid for {self.object.tender.reference} as a partner, with "
            f"a proposed share of {self.naming.proposed_share_pct.normalize()}%.",
            f"This drafts {agency}'s own declaration as a partner: your trustee board still "
            "decides, once you put it to them.",
            "While you are in this bid you may not be in a rival bid for the same contract.",
        ]

    def act(self, form: forms.Form) -> tuple[str, str]:
        mine = declarations.declaration_draft(
            actor=self.tenant.person,
            tender=self.object.tender,
            agency=self.naming.agency,
            capacity=Capacity.PARTNER,
            lead_declaration=self.object,
        )
        return (
            f"{self.naming.agency.name} confirms it is in {self.object.agency.name}'s bid. "
            "Here is your draft declaration: put it to your trustee board.",
            self.url("declaration-detail", pk=mine.pk),
        )


class NamingDeclineView(NamingPage, ConfirmPage):
    title = "Decline being named in this bid"
    submit = "Decline"

    def intro(self) -> list[str]:
        return [
            f"{self.naming.agency.name} will not be a partner in {self.object.agency.name}'s "
            f"bid for {self.object.tender.reference}. {self.object.agency.name} is told.",
            "This cannot be undone: the lead would have to name you in a new declaration.",
        ]

    def act(self, form: forms.Form) -> tuple[str, str]:
        declarations.named_partner_decline(actor=self.tenant.person, naming=self.naming)
        return (
            f"{self.naming.agency.name} has declined to be in {self.object.agency.name}'s bid.",
            self.detail_url(),
        )


# ----------------------------------------------------------------------------- papers, money


class BidPaperUploadView(DeclarationPage, FormPage):
    """A member of the bid team shares one of the bid's papers (commercial: rivals never see it)."""

    title = "Share a bid paper"
    submit = "Share"
    multipart = True

    def allowed(self) -> bool:
        return bool(self.my_team_agencies())

    def intro(self) -> list[str]:
        return [
            "Only the bid team sees it. Agencies bidding against you never do, and neither does "
            "anyone withdrawn from the bid."
        ]

    def make_form(self, data: Any = None) -> forms.Form:
        agencies = core_selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(pk__in=self.my_team_agencies())
        files = self.request.FILES if data is not None else None
        return BidPaperForm(data, files, agencies=agencies)

    def perform(self, form: forms.Form) -> HttpResponse:
        document = papers.bid_paper_upload(
            actor=self.tenant.person,
            declaration=self.object,
            agency=form.cleaned_data["agency"],
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
        )
        messages.success(self.request, f"“{document.title}” is shared with the bid team.")
        return redirect(self.detail_url())


class AllocationRecordView(DeclarationPage, FormPage):
    """The lead of a won bid records the funding it passes to a confirmed partner."""

    title = "Record an allocation"
    submit = "Record the allocation"

    def allowed(self) -> bool:
        return self.manages() and self.object.capacity != Capacity.PARTNER

    def intro(self) -> list[str]:
        return [
            "What your agency passes to a partner named in the winning bid. Partners named in a "
            "bid and then given nothing are flagged to the arbiter.",
            "An allocation cannot be changed once recorded; record a correction as a new one.",
        ]

    def make_form(self, data: Any = None) -> forms.Form:
        confirmed = [
            n.agency_id
            for n in self.object.named_partners.all()
            if n.status == NamedPartner.Status.CONFIRMED
        ]
        agencies = core_selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(pk__in=confirmed)
        return AllocationForm(data, agencies=agencies)

    def perform(self, form: forms.Form) -> HttpResponse:
        data = form.cleaned_data
        try:
            allocation = outcomes.allocation_record(
                actor=self.tenant.person,
                declaration=self.object,
                agency=data["agency"],
                amount_pence=cast(int, pence_of(data["amount_pounds"])),
                agreed_on=data["agreed_on"],
                note=data["note"],
            )
        except DomainError as error:
            if error.field == "amount_pence":
                error.field = "amount_pounds"
            raise
        messages.success(
            self.request,
            f"{pounds(allocation.amount_pence)} to {allocation.agency.name} is recorded.",
        )
        return redirect(self.detail_url())


# ----------------------------------------------------------------------------- the TUPE room


class TupeUploadView(TenderFormPage):
    """The incumbent puts its staff-transfer information in the room, unseen until release."""

    title = "Share TUPE information"
    submit = "Share"
    multipart = True

    def allowed(self) -> bool:
        return can.can_share_tupe(self.tenant.roles, self.object)

    def intro(self) -> list[str]:
        return [
            "Only your agency sees it until it is released.",
            "The release opens it to every declared bidder at the same moment, with a receipt "
            "for each.",
        ]

    def make_form(self, data: Any = None) -> forms.Form:
        return PaperForm(data, self.request.FILES if data is not None else None)

    def perform(self, form: forms.Form) -> HttpResponse:
        document = papers.tupe_paper_upload(
            actor=self.tenant.person,
            tender=self.object,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
        )
        messages.success(self.request, f"“{document.title}” is in the TUPE room.")
        return redirect(self.detail_url())


class TupeReleaseView(TenderConfirmPage):
    title = "Release the TUPE information"
    submit = "Release to every declared bidder"

    def allowed(self) -> bool:
        return can.can_release_tupe(self.tenant.roles, self.object)

    def intro(self) -> list[str]:
        bidders = sorted(
            {
                d.agency.name
                for d in selectors.tender_declaration_list_for(
                    person=self.tenant.person, alliance=self.tenant.alliance, tender=self.object
                )
                if d.status in Declaration.PUBLIC
            }
        )
        who = ", ".join(bidders) if bidders else "no agency yet"
        return [
            f"Every declared bidder receives the TUPE information at the same moment, with a "
            f"receipt each. Declared now: {who}.",
            "A bidder who declares later receives it on declaring.",
            "This cannot be undone.",
        ]

    def act(self, form: forms.Form) -> tuple[str, str]:
        papers.tupe_release(actor=self.tenant.person, tender=self.object)
        return "The TUPE information is released to every declared bidder.", self.detail_url()
