"""Pages of a partnership's memorandum of understanding: reading, drafting, signing, and the
confidentiality undertaking. Reads through selectors, writes through services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kiaa import selectors as core_selectors
from kiaa.reports import kinds
from partnerships import permissions as can
from partnerships import reports, selectors
from partnerships.forms import SECTION_LABELS, MouForm, SignForm
from partnerships.models import MouVersion
from partnerships.services import mou
from partnerships.services.mou import SECTIONS, TEMPLATE
from partnerships.views import (
    PENNY,
    PartnershipButtonView,
    PartnershipFormView,
    PartnershipPage,
    Status,
    pounds,
)


def sections_of(version: MouVersion) -> list[tuple[str, str]]:
    return [(SECTION_LABELS[name], getattr(version, name)) for name in SECTIONS]


class MouView(PartnershipPage):
    """The MoU in force, its history and signatures, and the person's undertaking."""

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        partnership, roles = self.object, self.tenant.roles
        version = selectors.mou_current_for(person=self.tenant.person, partnership=partnership)
        members = self.members()
        active = [m.agency for m in members if m.status == Status.ACTIVE]
        signatures = list(version.signatures.all()) if version else []
        signed = {s.agency_id for s in signatures}
        in_partnership = bool(can.member_agencies(roles, members))
        return self.render(
            "partnerships/mou.html",
            {
                "partnership": partnership,
                "version": version,
                "sections": sections_of(version) if version else [],
                "contribution": pounds(version.contribution_pence) if version else "",
                "history": self._history(),
                "signatures": signatures,
                "unsigned": [a for a in active if a.pk not in signed],
                "sign_for": [
                    a
                    for a in active
                    if version and a.pk not in signed and can.can_sign_mou(roles, agency_id=a.pk)
                ],
                "in_partnership": in_partnership,
                "acknowledged": self._acknowledged(),
                "can_edit": can.can_manage_partnership(roles, partnership),
                "can_export": bool(version)
                and kinds.accepts(reports.NAME, roles, partnership=partnership),
            },
        )

    def _history(self) -> list[tuple[MouVersion, str]]:
        versions = (
            self.object.mou_versions.select_related("created_by")
            .prefetch_related("signatures__agency")
            .order_by("-number")
        )
        return [(v, pounds(v.contribution_pence)) for v in versions]

    def _acknowledged(self) -> bool:
        """Whether the person accepted the undertaking in its current words."""
        return selectors.undertaking_accepted_by(person=self.tenant.person, partnership=self.object)


class MouEditView(PartnershipFormView):
    title = "Edit the memorandum of understanding"
    template = "partnerships/mou_form.html"
    submit = "Save as a new version"
    current: MouVersion | None = None

    def allowed(self) -> bool:
        return can.can_manage_partnership(self.tenant.roles, self.object)

    def make_form(self, data: Any = None) -> forms.Form:
        version = selectors.mou_current_for(person=self.tenant.person, partnership=self.object)
        initial: dict[str, Any]
        if version is None:
            initial = {**TEMPLATE, "exclusive": True}
        else:
            initial = {name: getattr(version, name) for name in SECTIONS}
            initial["contribution_pounds"] = (Decimal(version.contribution_pence) / 100).quantize(
                PENNY
            )
            initial["exclusive"] = version.exclusive
            initial["review_due_on"] = version.review_due_on
        self.current = version
        return MouForm(data, initial=initial)

    def context(self, form: forms.Form) -> dict[str, Any]:
        return {**super().context(form), "current": self.current}

    def perform(self, form: forms.Form) -> HttpResponse:
        arguments = cast(MouForm, form).service_arguments()
        version = mou.mou_save(actor=self.tenant.person, partnership=self.object, **arguments)
        messages.success(
            self.request,
            f"Version {version.number} saved; each member's trustees must sign it.",
        )
        return redirect(self.mou_url())


class MouSignView(PartnershipFormView):
    """A trustee signs the current version for one of their agencies that is a member."""

    title = "Sign the memorandum of understanding"
    submit = "Sign"

    def boards(self) -> list[int]:
        roles = self.tenant.roles
        return [
            m.agency_id
            for m in self.members()
            if m.status == Status.ACTIVE and can.can_sign_mou(roles, agency_id=m.agency_id)
        ]

    def allowed(self) -> bool:
        return bool(self.boards())

    def make_form(self, data: Any = None) -> forms.Form:
        agencies = core_selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(pk__in=self.boards())
        return SignForm(data, agencies=agencies)

    def perform(self, form: forms.Form) -> HttpResponse:
        signature = mou.mou_sign(
            actor=self.tenant.person, partnership=self.object, **form.cleaned_data
        )
        messages.success(
            self.request, f"You signed version {signature.version.number} for {signature.agency}."
        )
        return redirect(self.mou_url())


class UndertakingAcknowledgeView(PartnershipButtonView):
    def back(self) -> str:
        return self.mou_url()

    def act(self) -> str:
        mou.undertaking_acknowledge(actor=self.tenant.person, partnership=self.object)
        return "You have accepted the confidentiality undertaking."


# ----------------------------------------------------------------------------- withdrawals
