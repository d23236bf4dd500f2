"""The person's notifications over the API (API.md): a paginated inbox, marking one or all of
them read, and how they want them emailed (`notifications/preferences/`).

Only the person's own notifications in the alliance of the URL are there; anyone else's is a 404.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kiaa import selectors
from kiaa.api.base import TenantAPIMixin
from kiaa.api.serializers import NotificationSerializer
from kiaa.models import EmailFrequency, Notification
from kiaa.services.notifications import (
    BAD_FREQUENCY,
    email_frequency_set,
    notification_mark_all_read,
    notification_mark_read,
)


class NotificationFilter(django_filters.FilterSet):
    # A choice, not a BooleanFilter: that one quietly ignores a value it cannot read.
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_unread",
        label="true: only unread; false: only read",
    )

    class Meta:
        model = Notification
        fields: Any = ["unread"]

    def filter_unread(
        self, queryset: QuerySet[Notification], name: str, value: str
    ) -> QuerySet[Notification]:
        return queryset.filter(read_at__isnull=value == "true")


class EmailPreferenceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    # The service's message, so the page and the API refuse a bad choice in the same words.
    email_frequency = serializers.ChoiceField(
        choices=EmailFrequency.choices,
        error_messages={"invalid_choice": BAD_FREQUENCY, "required": BAD_FREQUENCY},
        help_text="immediate: each as it happens; daily: one digest a day; never: in the app only",
    )


class MarkedReadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    marked = serializers.IntegerField(help_text="How many unread notifications were marked read.")


class NotificationViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The person's notifications in this alliance: unread first, then newest first."""

    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = NotificationFilter

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.notification_list_for(person=self.person, alliance=self.alliance)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Mark it read; marking again keeps the first time."""
        notification = notification_mark_read(person=self.person, notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    # List-level routes, so the router puts them before `notifications/<id>/`.
    @extend_schema(request=None, responses={200: MarkedReadSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="read-all",
        url_name="read-all",
        pagination_class=None,
        filterset_class=None,
    )
    def read_all(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Mark every unread notification of the person in this alliance read."""
        marked = notification_mark_all_read(person=self.person, alliance=self.alliance)
        return Response(MarkedReadSerializer({"marked": marked}).data)

    @extend_schema(methods=["GET"], request=None, responses={200: EmailPreferenceSerializer})
    @extend_schema(
        methods=["PUT"],
        request=EmailPreferenceSerializer,
        responses={200: EmailPreferenceSerializer},
    )
    @action(detail=False, methods=["get", "put"], pagination_class=None, filterset_class=None)
    def preferences(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """How the person wants notifications emailed; one setting for their account."""
        if request.method == "PUT":
            data = EmailPreferenceSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            email_frequency_set(
                person=self.person, frequency=data.validated_data["email_frequency"]
            )
        return Response(EmailPreferenceSerializer(self.person).data)
