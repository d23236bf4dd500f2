"""Pages of the breach register: the list the detectors fill, and one breach with its evidence.

Reviewing a breach (upheld or dismissed, a sanction) is on the review page (review_views), whose
outcome this page shows.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone

from bids.links import declaration_url, tender_url
from disputes import reports, selectors
from disputes.forms import BreachFilterForm
from disputes.models import Breach
from disputes.review_views import breach_review_context
from kiaa.pages import TenantView

PER_PAGE = 25
# The detectors record what they saw under short keys; people read these words instead.
EVIDENCE_LABELS = {
    "lead_agency": "Lead agency",
    "status": "Status of the bid",
    "bids": "Bids (declaration numbers)",
    "leads": "Bids led by",
    "declared_at": "Declared",
    "eoi_deadline": "Expression-of-interest deadline",
    "days_late": "Days late",
    "partner": "Named partner",
    "proposed_share_pct": "Proposed share (%)",
    "awarded_on": "Contract awarded",
    "allocation_due_days": "Days allowed to record an allocation",
    "withdrawal_started": "Withdrawal started",
    "counts": "Activity during the withdrawal",
    "version": "Version",
    "due": "Due by",
    "days": "Days allowed",
    "document": "Paper number",
    "attempts": "Attempts",
    "first": "First attempt",
    "last": "Latest attempt",
    "people": "Who tried",
    "review_due_on": "Review due",
    "dispute": "Dispute number",
    "ruling": "Ruling number",
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def evidence_label(key: str) -> str:
    """A readable name for an evidence key; unknown keys read as words ("days_late")."""
    return EVIDENCE_LABELS.get(key) or key.replace("_", " ").strip().capitalize() or key


def evidence_value(value: Any) -> str:
    """A recorded value as a person reads it: dates in words, lists joined, nothing as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(evidence_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{evidence_label(k)}: {evidence_value(v)}" for k, v in value.items())
    if isinstance(value, str) and ISO_DATE.match(value):
        return _when(value)
    return str(value)


def _when(value: str) -> str:
    # Only ISO dates and times become words; any other string that merely starts like one stays.
    try:
        if len(value) == 10:
            return formats.date_format(date.fromisoformat(value), "j F Y")
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "j F Y, H:i")


def evidence_details(evidence: Any) -> list[str]:
    """The detector's sentences about what happened (by convention under "details")."""
    if not isinstance(evidence, dict):
        return []
    details = evidence.get("details") or []
    return [str(d) for d in details] if isinstance(details, list) else [str(details)]


def evidence_facts(evidence: Any) -> list[tuple[str, str]]:
    """Every other key the detector recorded, as (label, value) for a definition list."""
    if not isinstance(evidence, dict):
        return []
    return [(evidence_label(k), evidence_value(v)) for k, v in evidence.items() if k != "details"]


class BreachListView(TenantView):
    """The register: newest first, filtered by status, kind and agency with a plain GET form."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        person, alliance = self.tenant.person, self.tenant.alliance
        agencies = selectors.breach_agency_choices_for(person=person, alliance=alliance)
        form = BreachFilterForm(request.GET, agencies=agencies)
        valid = form.is_valid()
        filters = form.filters()
        found = selectors.breach_list_for(person=person, alliance=alliance, filters=filters)
        context = {
            "form": form,
            "page": Paginator(found, PER_PAGE).get_page(request.GET.get("page")),
            "filtered": any([filters.status, filters.kind, filters.agency]),
            "can_export": reports.offered_register(self.tenant.roles),
            "export_query": reports.register_query(filters),
        }
        return self.render("disputes/breach_list.html", context, 200 if valid else 400)


class BreachDetailView(TenantView):
    """One breach: what happened, to whom, the evidence, and where its review stands."""

    model = Breach
    object: Breach

    def get_object(self, pk: int) -> Breach:
        return selectors.breach_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def links(self) -> list[tuple[str, str, str]]:
        """(what, words, url) for the tender, partnership and declaration the viewer may open."""
        breach, found = self.object, []
        if breach.tender is not None:
            tender = breach.tender
            found.append(("Tender", f"{tender.reference}: {tender.title}", tender_url(tender)))
        if breach.partnership is not None:
            url = self.url("partnership-detail", pk=breach.partnership.pk)
            found.append(("Partnership", breach.partnership.name, url))
        # Only a declaration the barrier of bids shows them: another agency's draft stays unnamed.
        declaration = breach.declaration
        if declaration is not None and getattr(breach, "declaration_visible", False):
            words = f"{declaration.agency.name}'s declaration for {declaration.tender.reference}"
            found.append(("Declaration", words, declaration_url(declaration)))
        return found

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        context = {
            "breach": self.object,
            "links": self.links(),
            "details": evidence_details(self.object.evidence),
            "facts": evidence_facts(self.object.evidence),
            **breach_review_context(self.tenant, self.object),
        }
        return self.render("disputes/breach_detail.html", context)
