"""Forms of the breach pages: the register's filters (a GET form that works without scripts)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from disputes.models import Breach
from disputes.selectors import BreachFilters
from kiaa.models import Agency


class BreachFilterForm(forms.Form):
    """GET parameters of the register; a refused filter filters nothing."""

    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Breach.Status.choices])
    kind = forms.ChoiceField(
        required=False, choices=[("", "Any kind"), *Breach.Kind.choices], label="Kind of breach"
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, empty_label="Any agency"
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]

    def filters(self) -> BreachFilters:
        data = getattr(self, "cleaned_data", {})
        return BreachFilters(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            agency=data.get("agency"),
        )
