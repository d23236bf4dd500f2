"""API views of the breach register: reads through the same selectors as the pages."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from disputes import selectors
from disputes.api.filters import BreachFilter
from disputes.api.serializers import BreachSerializer
from disputes.models import Breach
from kiaa.api.base import TenantAPIMixin


class BreachViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Breaches the detectors found: all for the arbiter and admins, an agency's for its leaders.

    A breach the person may not see is missing (404), never forbidden.
    """

    queryset = Breach.objects.none()
    serializer_class = BreachSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = BreachFilter

    def get_queryset(self) -> QuerySet[Breach]:
        return selectors.breach_list_for(person=self.person, alliance=self.alliance)
