"""Page paths of disputes objects, for notifications and for other apps' pages."""

from django.urls import reverse

from disputes.models import Breach


def breach_url(breach: Breach) -> str:
    return reverse("breach-detail", kwargs={"alliance_slug": breach.alliance.slug, "pk": breach.pk})
