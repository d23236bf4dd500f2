"""Filters of the partnerships API; every id a filter takes is looked up in the request's alliance."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from kiaa.api.filters import alliance_agencies
from partnerships.api.serializers import WITHDRAWAL_STATUSES
from partnerships.models import Partnership, Withdrawal


def _alliance_partnerships(request: HttpRequest | None) -> QuerySet[Partnership]:
    # Another alliance's partnership is "not a valid choice", like one that never existed.
    if request is None:
        return Partnership.objects.none()
    return Partnership.objects.for_alliance(request.tenant.alliance)  # type: ignore[attr-defined]


class PartnershipFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Partnership.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Partnership.Status.choices)
    lead_agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)

    class Meta:
        model = Partnership
        fields: Any = ["kind", "status", "lead_agency"]


class WithdrawalFilter(django_filters.FilterSet):
    agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)
    partnership = django_filters.ModelChoiceFilter(queryset=_alliance_partnerships)
    status = django_filters.ChoiceFilter(choices=WITHDRAWAL_STATUSES, method="filter_status")

    class Meta:
        model = Withdrawal
        fields: Any = ["agency", "partnership", "status"]

    def filter_status(self, queryset: QuerySet[Withdrawal], name: str, value: str) -> Any:
        ended = Q(ends_at__lte=timezone.now())
        return queryset.exclude(ended) if value == "active" else queryset.filter(ended)
