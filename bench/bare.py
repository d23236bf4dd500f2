"""The papers list without the barrier: the baseline bench/throughput.py measures against.

Bench-only: bench/urls.py routes it, the product never does. It is the product endpoint's
(BidDocumentViewSet) authentication, tenant lookup with its role check, serializer, related
rows and order, over every paper of the alliance, paged the plain way. So the two endpoints
differ in what the barrier adds and in how the product pages what it lets through.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics

from bids.api.documents import BidDocumentViewSet
from kiaa.api.base import TenantAPIMixin
from kiaa.api.pagination import PageNumberPagination
from partnerships.models import Document


class BareDocumentList(TenantAPIMixin, generics.ListAPIView):  # type: ignore[type-arg]
    """Every document of the alliance, paginated and serialized as the product list does."""

    authentication_classes = BidDocumentViewSet.authentication_classes
    permission_classes = BidDocumentViewSet.permission_classes
    serializer_class = BidDocumentViewSet.serializer_class
    # DRF's own page-number pagination (COUNT, then LIMIT): the plain way to page every paper
    # of the alliance, and the quickest; the product's list reads its page's ids first.
    pagination_class = PageNumberPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Document]:
        # The select_related of partnerships.selectors.document_list_for and of
        # BidDocumentViewSet.papers_seen, so neither side pays a query per row.
        return Document.objects.for_alliance(self.alliance).select_related(
            "owner_agency", "partnership", "uploaded_by", "tender_paper"
        )
