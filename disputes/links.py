"""Page paths of disputes objects, for notifications and for other apps' pages."""

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from disputes.models import Breach, Dispute
from kiaa.models import Alliance


def breach_url(breach: Breach) -> str:
    return reverse("breach-detail", kwargs={"alliance_slug": breach.alliance.slug, "pk": breach.pk})


def breaches_url(alliance: Alliance, **filters: Any) -> str:
    """The breach register, filtered as its form would (status, kind, agency)."""
    path = reverse("breaches", kwargs={"alliance_slug": alliance.slug})
    return f"{path}?{urlencode(filters)}" if filters else path


def dispute_url(dispute: Dispute) -> str:
    return reverse(
        "dispute-detail", kwargs={"alliance_slug": dispute.alliance.slug, "pk": dispute.pk}
    )
