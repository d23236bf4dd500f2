"""Where a tender or declaration lives in the browser, for notifications and decision pages."""

from __future__ import annotations

from django.urls import reverse

from bids.models import Declaration, Tender


def tender_url(tender: Tender) -> str:
    return reverse("tender-detail", kwargs={"alliance_slug": tender.alliance.slug, "pk": tender.pk})


def declaration_url(declaration: Declaration) -> str:
    return reverse(
        "declaration-detail",
        kwargs={"alliance_slug": declaration.alliance.slug, "pk": declaration.pk},
    )
