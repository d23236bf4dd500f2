"""A person's calendar link: the feed calendar apps fetch, and the page that gives it out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from kiaa.calendar import LOOK_AHEAD, LOOK_BACK, calendar_feed_live_for, feed_ical
from kiaa.errors import DomainError
from kiaa.models import Alliance
from kiaa.pages import TenantView
from kiaa.services.calendar import (
    calendar_feed_create,
    calendar_feed_from_secret,
    calendar_feed_mark_used,
    calendar_feed_revoke,
)
from kiaa.tenancy import secret_link

TURNED_OFF = "Your calendar link is turned off: calendars subscribed to it will stop updating."


@secret_link
@require_safe
def calendar_feed(request: HttpRequest, alliance_slug: str) -> HttpResponse:
    """The person's due dates as iCalendar, for the holder of the link's secret."""
    alliance = Alliance.objects.filter(slug=alliance_slug).first()
    secret = request.GET.get("token", "")
    feed = calendar_feed_from_secret(alliance=alliance, secret=secret) if alliance else None
    if alliance is None or feed is None:
        # One answer for a missing alliance, a wrong, replaced or turned-off secret, another
        # alliance's secret and a person who left: a guesser learns nothing.
        raise Http404("No such calendar.")
    calendar_feed_mark_used(feed=feed)
    response = HttpResponse(
        feed_ical(person=feed.person, alliance=alliance),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{alliance.slug}.ics"'
    # Private: the feed is one person's; five minutes spares a server from clients that poll
    # eagerly, while a changed deadline still shows within the hour.
    response["Cache-Control"] = "private, max-age=300"
    return response


def feed_url(alliance: Alliance, secret: str) -> str:
    """The full address to subscribe to (shown once, when the link is made)."""
    path = reverse("api:calendar-feed", kwargs={"alliance_slug": alliance.slug})
    return f"{settings.SITE_URL}{path}?token={secret}"


class CalendarView(TenantView):
    """What the calendar link holds and how to subscribe; POST makes (or replaces) the link."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        return self.page()

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        try:
            _, secret = calendar_feed_create(
                person=self.tenant.person, alliance=self.tenant.alliance
            )
        except DomainError as error:
            raise PermissionDenied(error.message) from None
        url = feed_url(self.tenant.alliance, secret)
        # The page answering the POST is the only place the secret is ever shown: nothing
        # stores it, so a refresh or the back button must not bring it back from a cache.
        response = self.page(url=url, webcal_url="webcal://" + url.split("://", 1)[1])
        response["Cache-Control"] = "no-store"
        return response

    def page(self, **shown: Any) -> HttpResponse:
        live = calendar_feed_live_for(person=self.tenant.person, alliance=self.tenant.alliance)
        context = {
            "live": live,
            "look_back_days": LOOK_BACK.days,
            "look_ahead_months": round(LOOK_AHEAD.days / 30.4),
            **shown,
        }
        return self.render("kiaa/calendar.html", context)


class CalendarRevokeView(TenantView):
    """GET asks to confirm; POST turns the person's calendar link off."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        live = calendar_feed_live_for(person=self.tenant.person, alliance=self.tenant.alliance)
        if live is None:
            messages.info(request, "You have no calendar link to turn off.")
            return redirect(self.url("calendar"))
        return self.render("kiaa/calendar_revoke.html", {"live": live})

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        try:
            calendar_feed_revoke(person=self.tenant.person, alliance=self.tenant.alliance)
        except DomainError as error:  # nothing live: turned off already, in another tab
            messages.error(request, error.message)
        else:
            messages.success(request, TURNED_OFF)
        return redirect(self.url("calendar"))
