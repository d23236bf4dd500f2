"""Filters of the breaches and disputes API; an agency filter takes only the request's
alliance's agencies."""

from __future__ import annotations

from typing import Any

import django_filters

from disputes.models import Breach, Dispute
from kiaa.api.filters import alliance_agencies


class BreachFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Breach.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Breach.Status.choices)
    agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)

    class Meta:
        model = Breach
        fields: Any = ["kind", "status", "agency"]


class DisputeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Dispute.Status.choices)
    complainant = django_filters.ModelChoiceFilter(queryset=alliance_agencies)
    respondent = django_filters.ModelChoiceFilter(queryset=alliance_agencies)

    class Meta:
        model = Dispute
        fields: Any = ["status", "complainant", "respondent"]
