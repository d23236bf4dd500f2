"""Filters whose choices are limited to the request's alliance, so a filter reveals nothing."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest

from kiaa.models import Agency, BoardDecision, Membership, Role


def alliance_agencies(request: HttpRequest | None) -> QuerySet[Agency]:
    """The request's alliance's agencies: the choices of every agency filter."""
    # Another alliance's agency id is "not a valid choice", exactly like an id that never existed.
    if request is None:
        return Agency.objects.none()
    return Agency.objects.for_alliance(request.tenant.alliance)  # type: ignore[attr-defined]


class MemberFilter(django_filters.FilterSet):
    agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = Membership
        fields: Any = ["agency", "role"]


class DecisionFilter(django_filters.FilterSet):
    agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)
    status = django_filters.ChoiceFilter(choices=BoardDecision.Status.choices)

    class Meta:
        model = BoardDecision
        fields: Any = ["agency", "status"]
