"""Page forms of the bids app; the services check every rule again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from bids.models import Declaration, Tender
from bids.services.declarations import Naming
from bids.services.tenders import TenderDetails
from kiaa.models import Agency, ServiceArea
from partnerships.files import ALLOWED

PARTNER_ROWS = 4  # repeated rows of agency and share: enough for a consortium, no JavaScript
FILE_HELP = "PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, text or CSV, up to {limit} MB."
SHARE_WITHOUT_AGENCY = "Choose the agency this share is for."
AGENCY_WITHOUT_SHARE = "Give the share of the work proposed for this agency."
PARTNERS_FOR_LEAD_ONLY = "Only a consortium's lead names partners; clear these rows."
LEAD_FOR_PARTNER_ONLY = "Choose a bid only when you declare as a named partner."

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _queryset(form: forms.Form, name: str, queryset: Any) -> None:
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset  # type: ignore[type-arg]


def pence_of(pounds: Decimal | None) -> int | None:
    return None if pounds is None else int(pounds * 100)


DEADLINES_BACKWARDS = "The end of the window comes before its start."


class TenderFilterForm(forms.Form):
    """GET parameters of the register; a refused filter filters nothing."""

    q = forms.CharField(
        required=False, max_length=200, label="Search references, titles and commissioners"
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Tender.Status.choices])
    area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.none(),
        required=False,
        empty_label="Any service area",
        to_field_name="slug",
        label="Service area",
    )
    deadline_from = forms.DateField(
        required=False, widget=DATE, label="Submission deadline on or after"
    )
    deadline_to = forms.DateField(
        required=False, widget=DATE, label="Submission deadline on or before"
    )
    mine = forms.BooleanField(required=False)

    def __init__(
        self, *args: Any, areas: QuerySet[ServiceArea], agency: Agency | None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        _queryset(self, "area", areas)
        self.agency = agency
        if agency is None:
            del self.fields["mine"]  # an admin who acts for no agency has declared on nothing
        else:
            self.fields["mine"].label = f"Only tenders {agency.name} has declared for"
            self.fields["mine"].help_text = "Its drafts and withdrawn declarations count too."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("deadline_from"), data.get("deadline_to")
        if start and end and end < start:
            self.add_error("deadline_to", DEADLINES_BACKWARDS)
        return data

    def filters(self) -> dict[str, Any]:
        data = getattr(self, "cleaned_data", {})
        return {
            "search": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "area": data.get("area"),
            "deadline_from": data.get("deadline_from"),
            "deadline_to": data.get("deadline_to"),
            "declared_by": self.agency if data.get("mine") else None,
        }


class TenderForm(forms.Form):
    reference = forms.CharField(max_length=100, help_text="The commissioner's own reference.")
    title = forms.CharField(max_length=300)
    commissioner = forms.CharField(max_length=200, help_text="The body buying the service.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    service_areas = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    value_pounds = forms.DecimalField(
        label="Contract value (£)",
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        help_text="In pounds and pence, if the notice gives one.",
    )
    eoi_deadline = forms.DateTimeField(
        label="Expression-of-interest deadline", required=False, widget=DATETIME
    )
    submission_deadline = forms.DateTimeField(
        label="Submission deadline", required=False, widget=DATETIME
    )
    award_expected_on = forms.DateField(label="Award expected on", required=False, widget=DATE)
    incumbent_agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        empty_label="None, or not a member",
        label="Incumbent",
        help_text="The member agency delivering the service now, if any: it shares TUPE "
        "information with the bidders.",
    )

    def __init__(
        self, *args: Any, areas: list[tuple[str, str]], agencies: QuerySet[Agency], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["service_areas"]).choices = areas
        _queryset(self, "incumbent_agency", agencies)

    def details(self) -> TenderDetails:
        data = self.cleaned_data
        return TenderDetails(
            reference=data["reference"],
            title=data["title"],
            commissioner=data["commissioner"],
            description=data["description"],
            value_pence=pence_of(data["value_pounds"]),
            eoi_deadline=data["eoi_deadline"],
            submission_deadline=data["submission_deadline"],
            award_expected_on=data["award_expected_on"],
            incumbent_agency=data["incumbent_agency"],
        )

    @staticmethod
    def initial_for(tender: Tender) -> dict[str, Any]:
        value = tender.value_pence
        return {
            "reference": tender.reference,
            "title": tender.title,
            "commissioner": tender.commissioner,
            "description": tender.description,
            "service_areas": [a.slug for a in tender.service_areas.all()],
            "value_pounds": None if value is None else Decimal(value) / 100,
            "eoi_deadline": _local(tender.eoi_deadline),
            "submission_deadline": _local(tender.submission_deadline),
            "award_expected_on": tender.award_expected_on,
            "incumbent_agency": tender.incumbent_agency_id,
        }


def _local(moment: Any) -> Any:
    return timezone.localtime(moment) if moment else None


class ImportForm(forms.Form):
    file = forms.FileField(
        label="OCDS release package",
        help_text="A JSON file of releases, as Find a Tender or Contracts Finder publish them.",
        widget=forms.FileInput(attrs={"accept": ".json,application/json"}),
    )


class ConfirmForm(forms.Form):
    """A confirmation page's form: nothing to fill in, the button is the answer."""


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown with the record, for the alliance to read.",
    )


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: the incumbent is doing good work, or the contract is outside "
        "what you do. The register shows it to every member.",
    )


class AwardForm(forms.Form):
    winner = forms.ModelChoiceField(
        queryset=Declaration.objects.none(),
        widget=forms.RadioSelect,
        label="Winning bid",
        help_text="Only declared or submitted bids, alone or as a consortium's lead, can win.",
    )
    awarded_on = forms.DateField(label="Awarded on", widget=DATE)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, bids: QuerySet[Declaration], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _queryset(self, "winner", bids)
        field = cast(forms.ModelChoiceField, self.fields["winner"])  # type: ignore[type-arg]
        field.label_from_instance = lambda d: (  # type: ignore[method-assign,assignment]
            f"{d.agency.name} ({d.get_capacity_display().lower()}, {d.get_status_display().lower()})"
        )


class DeclarationForm(forms.Form):
    """Intent to bid for the acting agency: alone, as a lead naming partners, or as a partner."""

    capacity = forms.ChoiceField(
        choices=Declaration.Capacity.choices,
        widget=forms.RadioSelect,
        label="How your agency bids",
    )
    lead_declaration = forms.ModelChoiceField(
        queryset=Declaration.objects.none(),
        required=False,
        empty_label="Not a partner",
        label="The bid you are named in",
        help_text="Only for a named partner: a lead must name your agency first.",
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="What you propose to deliver, for your trustees and (once declared) the alliance.",
    )

    def __init__(
        self,
        *args: Any,
        agencies: QuerySet[Agency],
        leads: QuerySet[Declaration],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        _queryset(self, "lead_declaration", leads)
        lead = cast(forms.ModelChoiceField, self.fields["lead_declaration"])  # type: ignore[type-arg]
        lead.label_from_instance = lambda d: f"{d.agency.name}'s bid"  # type: ignore[method-assign,assignment]
        for n in range(1, PARTNER_ROWS + 1):
            self.fields[f"partner_{n}"] = forms.ModelChoiceField(
                queryset=agencies,
                required=False,
                empty_label="No partner",
                label=f"Partner {n}",
                help_text="Only for a consortium's lead." if n == 1 else "",
            )
            self.fields[f"share_{n}"] = forms.DecimalField(
                required=False,
                min_value=Decimal("0.01"),
                max_value=Decimal(100),
                max_digits=5,
                decimal_places=2,
                label=f"Partner {n}'s proposed share (%)",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        capacity = data.get("capacity")
        for n in range(1, PARTNER_ROWS + 1):
            agency, share = data.get(f"partner_{n}"), data.get(f"share_{n}")
            if (agency or share) and capacity != Declaration.Capacity.LEAD:
                self.add_error(f"partner_{n}", PARTNERS_FOR_LEAD_ONLY)
            elif agency and share is None and f"share_{n}" not in self.errors:
                self.add_error(f"share_{n}", AGENCY_WITHOUT_SHARE)
            elif share is not None and not agency:
                self.add_error(f"partner_{n}", SHARE_WITHOUT_AGENCY)
        if data.get("lead_declaration") and capacity != Declaration.Capacity.PARTNER:
            self.add_error("lead_declaration", LEAD_FOR_PARTNER_ONLY)
        return data

    def namings(self) -> list[Naming]:
        data = self.cleaned_data
        return [
            Naming(data[f"partner_{n}"], data[f"share_{n}"])
            for n in range(1, PARTNER_ROWS + 1)
            if data.get(f"partner_{n}")
        ]


class PaperForm(forms.Form):
    title = forms.CharField(max_length=200)
    file = forms.FileField(
        widget=forms.FileInput(attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED)})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = FILE_HELP.format(limit=settings.DOCUMENT_MAX_MB)


class BidPaperForm(PaperForm):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), label="Shared for", help_text="Your agency in the bid team."
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _queryset(self, "agency", agencies)
        if agencies.count() == 1:
            self.fields["agency"].initial = agencies.first()


class AllocationForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Partner funded")
    amount_pounds = forms.DecimalField(
        label="Amount (£)", min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    agreed_on = forms.DateField(label="Agreed on", widget=DATE)
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _queryset(self, "agency", agencies)
        self.fields["agreed_on"].initial = timezone.localdate
