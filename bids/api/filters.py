"""Filters of the bids API; every id or slug a filter takes is looked up in the request's alliance."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from bids.models import Allocation, Declaration, StepBack, Tender
from kiaa.api.filters import alliance_agencies
from kiaa.models import ServiceArea
from partnerships.api.filters import WithdrawalFilter
from partnerships.models import Withdrawal


def _alliance(request: HttpRequest | None) -> Any:
    return request.tenant.alliance  # type: ignore[union-attr]


def alliance_tenders(request: HttpRequest | None) -> QuerySet[Tender]:
    # Another alliance's tender is "not a valid choice", like one that never existed.
    if request is None:
        return Tender.objects.none()
    return Tender.objects.for_alliance(_alliance(request))


def alliance_service_areas(request: HttpRequest | None) -> QuerySet[ServiceArea]:
    if request is None:
        return ServiceArea.objects.none()
    return ServiceArea.objects.for_alliance(_alliance(request))


def alliance_declarations(request: HttpRequest | None) -> QuerySet[Declaration]:
    # Filtering a list the person already sees: an id of a hidden draft matches nothing there.
    if request is None:
        return Declaration.objects.none()
    return Declaration.objects.for_alliance(_alliance(request))


class TenderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Tender.Status.choices)
    service_area = django_filters.ModelChoiceFilter(
        field_name="service_areas", to_field_name="slug", queryset=alliance_service_areas
    )
    q = django_filters.CharFilter(method="search", max_length=200, label="Search")

    class Meta:
        model = Tender
        fields: Any = ["status", "service_area", "q"]

    def search(self, queryset: QuerySet[Tender], name: str, value: str) -> QuerySet[Tender]:
        """Reference, title or commissioner containing the words."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(title__icontains=value)
            | Q(commissioner__icontains=value)
        )


class DeclarationFilter(django_filters.FilterSet):
    tender = django_filters.ModelChoiceFilter(queryset=alliance_tenders)
    agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)
    status = django_filters.ChoiceFilter(choices=Declaration.Status.choices)
    capacity = django_filters.ChoiceFilter(choices=Declaration.Capacity.choices)

    class Meta:
        model = Declaration
        fields: Any = ["tender", "agency", "status", "capacity"]


class StepBackFilter(django_filters.FilterSet):
    tender = django_filters.ModelChoiceFilter(queryset=alliance_tenders)
    agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)

    class Meta:
        model = StepBack
        fields: Any = ["tender", "agency"]


class AllocationFilter(django_filters.FilterSet):
    declaration = django_filters.ModelChoiceFilter(queryset=alliance_declarations)
    agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)

    class Meta:
        model = Allocation
        fields: Any = ["declaration", "agency"]


class BidWithdrawalFilter(WithdrawalFilter):
    """The partnerships filters, and the bid that opened the withdrawal."""

    tender = django_filters.ModelChoiceFilter(field_name="bid__tender", queryset=alliance_tenders)
    declaration = django_filters.ModelChoiceFilter(
        field_name="bid__declaration", queryset=alliance_declarations
    )

    class Meta:
        model = Withdrawal
        fields: Any = ["agency", "partnership", "status", "tender", "declaration"]
