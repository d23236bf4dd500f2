"""The product's URLs plus the bench-only bare documents list (bench/bare.py)."""

from django.urls import path

from bench.bare import BareDocumentList
from kiaa import urls as product

# The product's 404 handler, so a mistyped URL answers as the product would.
handler404 = product.handler404

urlpatterns = [
    *product.urlpatterns,
    # The slug is named as in the product's routes: TenantAPIMixin reads `alliance_slug`.
    path(
        "bench/bare/<slug:alliance_slug>/documents/",
        BareDocumentList.as_view(),
        name="bench-bare-documents",
    ),
]
