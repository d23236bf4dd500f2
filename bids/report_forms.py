"""What a person chooses for the bids app's reports, and who may export them.

The object fields offer only what the requester's selectors give them, so a tender or agency
of another alliance is "not one of the available choices", as on any other form.
"""

from __future__ import annotations

from typing import Any

from django import forms

from bids import selectors
from bids.models import Declaration, Tender
from kiaa import selectors as core_selectors
from kiaa.models import Agency, Role
from kiaa.permissions import Roles
from kiaa.reports import kinds
from kiaa.reports.content import day

REGISTER_NOT_YOURS = (
    "As a chief officer you may export the declarations register of your own agency only: "
    "choose your agency as the agency."
)
MAP_NOT_YOURS = (
    "As a chief officer you may export the conflict map of a tender only when your agency "
    "has a declaration for it."
)
DATES_REVERSED = "The end of the period must not be before its start."
PERIOD_HELP = (
    "Declarations declared in the period (or, if not declared yet, drafted in it) and "
    "step-backs recorded in it."
)


def admin_or_chief(roles: Roles) -> bool:
    """Admins and chief officers export the bids reports; the arbiter rules, it does not file."""
    return roles.is_admin or roles.has(Role.CHIEF_OFFICER)


def _chief_of(roles: Roles) -> list[int]:
    return [a for a in roles.agency_ids if roles.has(Role.CHIEF_OFFICER, a)]


class RegisterForm(kinds.ParamsForm):
    """The declarations register's scope: a tender, an agency, a period, or all of them."""

    tender = forms.ModelChoiceField(
        queryset=Tender.objects.none(), required=False, empty_label="Every tender"
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Every agency",
        help_text="A chief officer chooses their own agency.",
    )
    date_from = forms.DateField(
        required=False,
        label="Made on or after",
        help_text=PERIOD_HELP,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False, label="Made on or before", widget=forms.DateInput(attrs={"type": "date"})
    )

    def setup(self) -> None:
        """Tenders of the register and the alliance's agencies, as the person's pages list them."""
        tenders = selectors.tender_list_for(person=self.person, alliance=self.alliance)
        agencies = core_selectors.agency_list_for(person=self.person, alliance=self.alliance)
        self.fields["tender"].queryset = tenders.order_by("reference")  # type: ignore[attr-defined]
        self.fields["agency"].queryset = agencies.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", DATES_REVERSED)
        return cleaned

    def describe(self) -> str:
        return register_scope(self.cleaned_data)


def register_scope(params: dict[str, Any]) -> str:
    """The register's scope in words: "Tender KV-01: Debt advice; Lead Advice; made from ..."."""
    tender, agency = params.get("tender"), params.get("agency")
    parts = [f"Tender {tender.reference}: {tender.title}" if tender else "Every tender"]
    parts.append(f"{agency.name} only" if agency else "every agency")
    start, end = params.get("date_from"), params.get("date_to")
    if start and end:
        parts.append(f"made {day(start)} to {day(end)}")
    elif start:
        parts.append(f"made on or after {day(start)}")
    elif end:
        parts.append(f"made on or before {day(end)}")
    return "; ".join(parts)


def refuse_register(roles: Roles, cleaned: dict[str, Any]) -> str | None:
    """An admin exports any scope; a chief officer only their own agency's register."""
    agency = cleaned.get("agency")
    if roles.is_admin or (agency is not None and roles.has(Role.CHIEF_OFFICER, agency)):
        return None
    return REGISTER_NOT_YOURS


class ConflictMapForm(kinds.ParamsForm):
    """The one tender a conflict map is drawn for."""

    tender = forms.ModelChoiceField(queryset=Tender.objects.none())

    def setup(self) -> None:
        tenders = selectors.tender_list_for(person=self.person, alliance=self.alliance)
        self.fields["tender"].queryset = tenders.order_by("reference")  # type: ignore[attr-defined]

    def describe(self) -> str:
        return map_scope(self.cleaned_data)


def map_scope(params: dict[str, Any]) -> str:
    tender = params["tender"]
    return f"Tender {tender.reference}: {tender.title}"


def refuse_map(roles: Roles, cleaned: dict[str, Any]) -> str | None:
    """An admin maps any tender; a chief officer one their agency has a declaration for.

    A chief officer sees every declaration of their own agency (declaration_list_for), so any
    of them, in any state, is one they can see.
    """
    if roles.is_admin:
        return None
    tender = cleaned["tender"]
    ours = Declaration.objects.for_alliance(tender.alliance).filter(
        tender=tender, agency_id__in=_chief_of(roles)
    )
    return None if ours.exists() else MAP_NOT_YOURS
