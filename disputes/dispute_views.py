"""Pages of disputes: filing, the dispute's own page and its evidence files. The dashboard is in
dispute_dashboard; the steps of a dispute (accepting, evidence, ruling...) in dispute_step_views.

Every page is open to the people of an expelled agency (`open_to_expelled`): they keep the right
to answer the disputes about their agency, and the selectors show them nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone

from bids import selectors as bids_selectors
from disputes import independence, reports, selectors
from disputes import permissions as can
from disputes.dispute_dashboard import EVIDENCE_STAGE
from disputes.dispute_forms import DisputeFileForm
from disputes.models import Breach, Dispute, RequiredAction
from disputes.services import disputes as services
from kiaa import selectors as core_selectors
from kiaa.downloads import serve_file
from kiaa.models import Agency
from kiaa.pages import ServiceFormView, TenantView
from kiaa.reports import kinds
from partnerships import selectors as partnership_selectors

Status = Dispute.Status
FILE_MISSING = "The file of this evidence is missing from storage."


class DisputeFileView(ServiceFormView):
    """A chief officer files a dispute for their agency with another member agency."""

    template = "disputes/dispute_form.html"
    title = "File a dispute"
    open_to_expelled = True

    @cached_property
    def complainants(self) -> QuerySet[Agency]:
        roles = self.tenant.roles
        ids = [a for a in roles.agency_ids if can.can_file_dispute(roles, agency_id=a)]
        return self.agencies().filter(pk__in=ids).order_by("name")

    def agencies(self) -> QuerySet[Agency]:
        person, alliance = self.tenant.person, self.tenant.alliance
        return core_selectors.agency_list_for(person=person, alliance=alliance).prefetch_related(
            None
        )

    def allowed(self) -> bool:
        return bool(self.complainants)

    def acting(self) -> Agency:
        """The acting agency when it may file, else the first that may."""
        agencies = list(self.complainants)
        acting = self.tenant.agency
        return next((a for a in agencies if acting and a.pk == acting.pk), agencies[0])

    def make_form(self, data: Any = None) -> forms.Form:
        person, alliance = self.tenant.person, self.tenant.alliance
        complainants = self.complainants
        others = self.agencies().order_by("name")
        if len(complainants) == 1:
            others = others.exclude(pk=complainants[0].pk)
        concerning = Q()
        for agency in complainants:
            concerning |= services.breaches_concerning(alliance, agency)
        return DisputeFileForm(
            data,
            initial={"complainant": self.acting().pk, "subject": Dispute.Subject.GENERAL},
            complainants=complainants,
            respondents=others,
            breaches=Breach.objects.filter(concerning)
            .select_related("agency")
            .order_by("-detected_at", "-pk"),
            declarations=bids_selectors.declaration_list_for(
                person=person, alliance=alliance
            ).order_by("tender__reference", "agency__name"),
            partnerships=partnership_selectors.partnership_list_for(
                person=person, alliance=alliance
            ).order_by("name"),
        )

    def context(self, form: forms.Form) -> dict[str, Any]:
        single = len(self.complainants) == 1
        intro = [
            f"{self.acting().name} files this dispute."
            if single
            else "Choose the agency that files it: one you speak for as chief officer.",
            "The CVS, as the alliance's independent arbiter, takes it on and sets the days for "
            "evidence and for its ruling. The other agency is told at once (protocol clause 7).",
        ]
        return {
            **super().context(form),
            "intro": intro,
            "submit": "File the dispute",
            "back": (self.url("disputes"), "Back to disputes"),
        }

    def perform(self, form: forms.Form) -> HttpResponse:
        data = form.cleaned_data
        dispute = services.dispute_file(
            actor=self.tenant.person,
            alliance=self.tenant.alliance,
            complainant=data["complainant"],
            respondent=data["respondent"],
            subject=data["subject"],
            summary=data["summary"],
            **form.subject_arguments(),  # type: ignore[attr-defined]
        )
        messages.success(
            self.request,
            f"Dispute #{dispute.pk} is filed. {dispute.respondent.name} has been told, and it "
            "waits for an arbiter.",
        )
        return redirect(self.url("dispute-detail", pk=dispute.pk))


class DisputePage(TenantView):
    """A page about one dispute the person may see; hidden or another alliance's is a 404."""

    model = Dispute
    object: Dispute
    open_to_expelled = True

    def get_object(self, pk: int) -> Dispute:
        return selectors.dispute_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    @cached_property
    def cvs(self) -> Agency | None:
        return services.cvs_of(self.tenant.alliance)

    def detail_url(self) -> str:
        return self.url("dispute-detail", pk=self.object.pk)

    def is_arbiter(self) -> bool:
        return self.object.arbiter_id == self.tenant.person.pk

    def speaks_for(self) -> list[Agency]:
        """The parties the person speaks for as chief officer."""
        d, roles = self.object, self.tenant.roles
        return [a for a in (d.complainant, d.respondent) if can.speaks_for(roles, a.pk)]

    def is_cvs_arbiter(self) -> bool:
        cvs = self.cvs
        return can.is_cvs_arbiter(self.tenant.roles, arbiter_agency_id=cvs.pk if cvs else None)

    def cvs_is_party(self) -> bool:
        return self.cvs is None or self.cvs.pk in self.object.parties


@dataclass
class ActionRow:
    action: RequiredAction
    state: str
    overdue: bool = False
    may_confirm: bool = False


@dataclass
class RulingRow:
    ruling: Any
    actions: list[ActionRow] = field(default_factory=list)


def action_state(action: RequiredAction, today: date) -> tuple[str, bool]:
    """(where the action stands in words, whether it is overdue)."""
    if action.superseded_at is not None:
        return f"Replaced by a corrected ruling on {action.superseded_at:%-d %B %Y}.", False
    if action.confirmed_at is not None:
        late = " (late)" if action.confirmed_at.date() > action.due_on else ""
        by = action.confirmed_by or "the party"
        return f"Done: confirmed by {by} on {action.confirmed_at:%-d %B %Y}{late}.", False
    if action.due_on < today:
        return f"Overdue: it was due by {action.due_on:%-d %B %Y} and is not confirmed.", True
    return f"Outstanding: due by {action.due_on:%-d %B %Y}.", False


STATUS_WORDS = {
    Status.FILED: "It waits for an independent arbiter to take it on.",
    Status.ACCEPTED: "The arbiter has taken it on; the parties give their statements and evidence.",
    Status.EVIDENCE: "The parties are giving their statements and evidence.",
    Status.RULED: "The arbiter has ruled; the parties are carrying out the required actions.",
    Status.CLOSED: "It is closed.",
    Status.WITHDRAWN: "The complaining agency withdrew it.",
}


class DisputeDetailView(DisputePage):
    """The dispute: its parties and subject, where it stands, the evidence the viewer may read,
    the rulings, and the buttons each role may press."""

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        d, person = self.object, self.tenant.person
        context = {
            "dispute": d,
            "status_words": STATUS_WORDS[Status(d.status)],
            "subject": self.subject(),
            "evidence": selectors.submission_list_for(person=person, dispute=d),
            "rulings": self.rulings(),
            "conflicts": self.conflicts(),
            "may": self.may(),
            "is_party": bool(can.party_agency_ids(self.tenant.roles, d)),
            "cvs": self.cvs,
            "can_export": kinds.accepts(reports.RULING, self.tenant.roles, dispute=d),
        }
        return self.render("disputes/dispute_detail.html", context)

    def may(self) -> dict[str, bool]:
        """Which buttons to offer; the services decide again when they are pressed."""
        d, arbiter = self.object, self.is_arbiter()
        status = d.status
        complainant = can.speaks_for(self.tenant.roles, d.complainant_id)
        return {
            "accept": status == Status.FILED and self.is_cvs_arbiter() and not self.cvs_is_party(),
            "appoint": status == Status.FILED
            and self.tenant.roles.is_admin
            and self.cvs_is_party(),
            "deadlines": arbiter and status in EVIDENCE_STAGE,
            "submit": status in EVIDENCE_STAGE and (arbiter or bool(self.speaks_for())),
            "rule": arbiter and status in EVIDENCE_STAGE,
            "correct": arbiter and status in (Status.RULED, Status.CLOSED),
            "withdraw": complainant and status in Dispute.OPEN,
        }

    def conflicts(self) -> list[str]:
        """Why a CVS arbiter may not take the dispute on, shown before they try."""
        d, cvs = self.object, self.cvs
        if d.status != Status.FILED or cvs is None or not self.is_cvs_arbiter():
            return []
        if cvs.pk in d.parties:
            return []
        return independence.arbiter_conflicts(dispute=d, person=self.tenant.person, agency=cvs)

    def subject(self) -> dict[str, Any]:
        """What the dispute is about, with a link only where the viewer may open it."""
        d, roles = self.object, self.tenant.roles
        person, alliance = self.tenant.person, self.tenant.alliance
        links = not roles.only_expelled  # an expelled agency's people open only its disputes
        if d.breach is not None:
            breach = d.breach
            url = ""
            if links and can.can_view_breach(roles, breach):
                url = self.url("breach-detail", pk=breach.pk)
            words = f"Breach #{breach.pk}: {breach.get_kind_display()}"
            return {"what": "Breach", "words": words, "url": url, "summary": breach.summary}
        if d.declaration is not None:
            declaration = d.declaration
            tender = declaration.tender
            words = (
                f"{declaration.agency.name}'s declaration for {tender.reference}: {tender.title}"
            )
            visible = bids_selectors.declaration_list_for(person=person, alliance=alliance)
            url = ""
            if links and visible.filter(pk=declaration.pk).exists():
                url = self.url("declaration-detail", pk=declaration.pk)
            return {"what": "Bid declaration", "words": words, "url": url}
        if d.partnership is not None:
            url = self.url("partnership-detail", pk=d.partnership.pk) if links else ""
            return {"what": "Partnership", "words": d.partnership.name, "url": url}
        return {"what": "Subject", "words": "A general matter between the two agencies", "url": ""}

    def rulings(self) -> list[RulingRow]:
        roles, today = self.tenant.roles, timezone.localdate()
        rows = []
        for ruling in selectors.ruling_list_for(dispute=self.object):
            row = RulingRow(ruling)
            for action in ruling.actions.all():  # prefetched by the selector
                state, overdue = action_state(action, today)
                outstanding = action.confirmed_at is None and action.superseded_at is None
                may = outstanding and can.can_confirm_action(roles, action)
                row.actions.append(ActionRow(action, state, overdue, may))
            rows.append(row)
        return rows


class EvidenceFileView(DisputePage):
    """A file given with a submission, for exactly those who may read the submission."""

    def get(
        self, request: HttpRequest, alliance_slug: str, pk: int, file_pk: int
    ) -> HttpResponseBase:
        found = selectors.evidence_file_get_for(
            person=self.tenant.person, dispute=self.object, pk=file_pk
        )
        return serve_file(
            found.file,
            name=found.original_name,
            content_type=found.content_type,
            missing=FILE_MISSING,
        )
