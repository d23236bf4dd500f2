"""The person's calendar link over the API, as the calendar page has it: whether it is on,
making (or replacing) it, and turning it off. The feed itself is `calendar.ics?token=`.

Only a digest of the link's secret is stored, so the address is in the answer to the POST
that makes it and nowhere else: afterwards `url` is null, as the page no longer shows it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kiaa.api.base import TenantAPIMixin
from kiaa.calendar import LOOK_AHEAD, LOOK_BACK, calendar_feed_live_for
from kiaa.calendar_views import feed_url
from kiaa.models import CalendarFeed
from kiaa.services.calendar import calendar_feed_create, calendar_feed_revoke


class CalendarLinkSerializer(serializers.Serializer[Any]):
    on = serializers.BooleanField(help_text="Whether the person has a live calendar link.")
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text="When a calendar app last fetched it (to the hour)."
    )
    url = serializers.URLField(
        allow_null=True, help_text="The address to subscribe to: only in the answer to the POST."
    )
    webcal_url = serializers.CharField(
        allow_null=True, help_text="The same address for calendar apps (webcal://)."
    )
    look_back_days = serializers.IntegerField()
    look_ahead_days = serializers.IntegerField()


def link_body(live: CalendarFeed | None, url: str | None = None) -> dict[str, Any]:
    return CalendarLinkSerializer(
        {
            "on": live is not None,
            "created_at": live.created_at if live else None,
            "last_used_at": live.last_used_at if live else None,
            "url": url,
            "webcal_url": "webcal://" + url.split("://", 1)[1] if url else None,
            "look_back_days": LOOK_BACK.days,
            "look_ahead_days": LOOK_AHEAD.days,
        }
    ).data


class CalendarView(TenantAPIMixin, APIView):
    """`calendar/`: the person's calendar link in this alliance; POST makes or replaces it."""

    queryset = CalendarFeed.objects.none()
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CalendarLinkSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(
            link_body(calendar_feed_live_for(person=self.person, alliance=self.alliance))
        )

    @extend_schema(request=None, responses={201: CalendarLinkSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A new link; any live one is turned off (calendars subscribed to it stop updating)."""
        feed, secret = calendar_feed_create(person=self.person, alliance=self.alliance)
        response = Response(
            link_body(feed, url=feed_url(self.alliance, secret)), status=status.HTTP_201_CREATED
        )
        # The only answer that holds the secret: no cache may keep it.
        response["Cache-Control"] = "no-store"
        return response


class CalendarTurnOffView(TenantAPIMixin, APIView):
    """`calendar/turn-off/`: the link's address serves nothing from now on (409 if none is on)."""

    queryset = CalendarFeed.objects.none()
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: CalendarLinkSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        calendar_feed_revoke(person=self.person, alliance=self.alliance)
        return Response(link_body(None))
