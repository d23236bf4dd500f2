"""The documents list without the barrier: the baseline bench/throughput.py measures against.

Bench-only; it must never be routed in the BidDocumentViewSet. Everything but the barrier is the product
endpoint's own (BidDocumentViewSet): authentication, the tenant lookup by slug with its role
check, the serializer, the pagination, the related rows selected and the order (the model's).
So the two endpoints differ only in what the barrier adds.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics

from bids.api.documents import BidDocumentViewSet
from kiaa.api.base import TenantAPIMixin
from partnerships.models import Document


class BareDocumentList(TenantAPIMixin, generics.ListAPIView):  # type: ignore[type-arg]
    """Every document of the alliance, paginated and serialized as the product list does."""

    authentication_classes = BidDocumentViewSet.authentication_classes
    permission_classes = BidDocumentViewSet.permission_classes
    serializer_class = BidDocumentViewSet.serializer_class
    pagination_class = BidDocumentViewSet.pagination_class
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Document]:
        # The select_related of partnerships.selectors.document_list_for and of
        # BidDocumentViewSet.papers_seen, so neither side pays a query per row.
        return Document.objects.for_alliance(self.alliance).select_related(
            "owner_agency", "partnership", "uploaded_by", "tender_paper"
        )
