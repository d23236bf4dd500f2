"""`withdrawals/` and `documents/` with their bid side: the partnerships app's endpoints,
served from here because only bids knows which tender and declaration a row belongs to.

partnerships never imports bids (DESIGN.md: dependencies point one way), so these subclass its
viewsets and bids.api.urls registers them in place of the partnerships app's own routes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from bids.api import serializers as s
from bids.api.filters import BidWithdrawalFilter
from bids.services import papers
from kiaa.paging import Listed
from partnerships.api.documents import NO_AGENCY, DocumentViewSet
from partnerships.api.views import WithdrawalViewSet
from partnerships.models import Document, Withdrawal


class BidWithdrawalViewSet(WithdrawalViewSet):
    """Who has stepped back from which partnership while competing, and for which bid."""

    serializer_class = s.BidWithdrawalSerializer
    filterset_class = BidWithdrawalFilter

    def get_queryset(self) -> QuerySet[Withdrawal]:
        # The bid that opened each withdrawal comes with the row: no query per withdrawal.
        return super().get_queryset().select_related("bid")


class BidDocumentViewSet(DocumentViewSet):
    """Papers the person may see, each with its bid; POST shares a partnership's or a bid's."""

    serializer_class = s.BidDocumentSerializer

    def papers_seen(self, **filters: Any) -> Listed[Document]:
        return super().papers_seen(**filters).select_related("tender_paper")

    @extend_schema(
        request={"multipart/form-data": s.BidDocumentCreateSerializer},
        responses={201: s.BidDocumentSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A partnership's paper (as before), or with `declaration` a paper of that bid."""
        agency = self.tenant.agency
        if agency is None:
            raise exceptions.PermissionDenied(NO_AGENCY)
        context = {"alliance": self.alliance, "person": self.person}
        data = s.BidDocumentCreateSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        declaration = data.validated_data.get("declaration")
        if declaration is None:
            return super().create(request, *args, **kwargs)
        document = papers.bid_paper_upload(
            actor=self.person,
            declaration=declaration,
            agency=agency,
            title=data.validated_data["title"],
            sensitivity=data.validated_data["sensitivity"],
            upload=data.validated_data["file"],
        )
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)
