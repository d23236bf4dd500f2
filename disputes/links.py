"""Page paths of disputes objects, for notifications and for other apps' pages."""

from django.urls import reverse

from disputes.models import Breach, Dispute


def breach_url(breach: Breach) -> str:
    return reverse("breach-detail", kwargs={"alliance_slug": breach.alliance.slug, "pk": breach.pk})


def dispute_url(dispute: Dispute) -> str:
    return reverse(
        "dispute-detail", kwargs={"alliance_slug": dispute.alliance.slug, "pk": dispute.pk}
    )
