"""API views of the breach register: reads through the same selectors as the pages, the review
through its service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes import selectors
from disputes.api.filters import BreachFilter
from disputes.api.permissions import ReviewedByTheArbiter
from disputes.api.serializers import BreachReviewSerializer, BreachSerializer
from disputes.models import Breach
from disputes.services import reviews
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
    permission_classes = [IsAuthenticated, ReviewedByTheArbiter]
    filterset_class = BreachFilter

    def get_queryset(self) -> QuerySet[Breach]:
        found = selectors.breach_list_for(person=self.person, alliance=self.alliance)
        return found.select_related("reviewed_by", "motion")

    def breaches_body(self, found: Sequence[Breach]) -> Any:
        """The breaches with the count of any members' vote on an expulsion, in one query."""
        motions = [b.motion.pk for b in found if getattr(b, "motion", None) is not None]
        tallies = selectors.motion_tallies_for(alliance=self.alliance, motion_ids=motions)
        context = {**self.get_serializer_context(), "tallies": tallies}
        return BreachSerializer(found, many=True, context=context).data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.breaches_body(page or []))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.breaches_body([self.get_object()])[0])

    @extend_schema(request=BreachReviewSerializer, responses={200: BreachSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Uphold or dismiss the breach with a note and a sanction, which takes effect at once
        (an expulsion by the members' vote once their boards carry it)."""
        data = BreachReviewSerializer(data=request.data, context={"alliance": self.alliance})
        data.is_valid(raise_exception=True)
        breach = reviews.breach_review(
            actor=self.person, breach=self.get_object(), **data.validated_data
        )
        return Response(self.breaches_body([self.get_queryset().get(pk=breach.pk)])[0])
