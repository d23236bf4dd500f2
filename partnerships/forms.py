"""Page forms of the partnerships app; the services check every rule again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms

from kiaa.models import Agency
from partnerships.models import DueDiligenceCheck, Partnership, PartnershipMember
from partnerships.services.mou import SECTIONS

SECTION_LABELS = {
    "confidentiality": "Confidentiality",
    "due_diligence": "Due diligence and risk",
    "transparency": "Transparency",
    "costs": "Costs",
    "governance": "Governance approval",
    "exclusivity": "Exclusivity",
}


def _agencies(form: forms.Form, name: str, agencies: Any) -> None:
    cast(forms.ModelChoiceField, form.fields[name]).queryset = agencies  # type: ignore[type-arg]


class PartnershipForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Partnership.Kind.choices)
    service_areas = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="What the partnership is for and which contracts it has in mind.",
    )

    def __init__(self, *args: Any, areas: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["service_areas"]).choices = areas


class InviteAgencyForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none())
    role = forms.ChoiceField(
        choices=[
            (PartnershipMember.Role.PARTNER, PartnershipMember.Role.PARTNER.label),
            (PartnershipMember.Role.SUBCONTRACTOR, PartnershipMember.Role.SUBCONTRACTOR.label),
        ],
        help_text="The agency's chief officer then accepts or declines.",
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _agencies(self, "agency", agencies)


class CheckForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Member agency")
    item = forms.ChoiceField(choices=DueDiligenceCheck.Item.choices, label="Check")
    outcome = forms.ChoiceField(choices=DueDiligenceCheck.Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What you saw, e.g. the policy's date or the accounts you read.",
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _agencies(self, "agency", agencies)


class MouForm(forms.Form):
    """Every section of the memorandum; the contribution is typed in pounds and stored in pence."""

    contribution_pounds = forms.DecimalField(
        label="Contribution per member (£)",
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        help_text="Each member's share of the costs of preparing bids, in pounds and pence.",
    )
    exclusive = forms.BooleanField(
        required=False,
        label="Members take part in no rival bid for a contract this partnership bids for",
    )
    review_due_on = forms.DateField(
        required=False,
        label="Review the MoU by",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="When the members will look at the memorandum again; they are reminded.",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        sections = {
            name: forms.CharField(
                label=SECTION_LABELS[name], widget=forms.Textarea(attrs={"rows": 5})
            )
            for name in SECTIONS
        }
        # The sections first, in the memorandum's order, then the amounts.
        self.fields = {**sections, **self.fields}

    def service_arguments(self) -> dict[str, Any]:
        """What mou_save takes: the sections, the contribution in pence, exclusivity, review date."""
        data = dict(self.cleaned_data)
        pounds: Decimal = data.pop("contribution_pounds")
        return {**data, "contribution_pence": int(pounds * 100)}


class SignForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Sign for")

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _agencies(self, "agency", agencies)
