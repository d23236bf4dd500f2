"""The audit trail over the API (`audit-events/`): what the audit page shows, newest first.

The admins' and the arbiter's evidence (kiaa.permissions.can_view_audit); any other member gets
a 403, as on the page. `manage.py verify_audit` proves the chain; the hashes are not shown here.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from kiaa import selectors
from kiaa.api.base import TenantAPIMixin
from kiaa.api.filters import alliance_agencies
from kiaa.api.permissions import ReadByAdminsAndTheArbiter
from kiaa.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.CharField(
        source="actor.username",
        allow_null=True,
        read_only=True,
        help_text="Who did it; null for the system (a task, a detector).",
    )

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "created_at",
            "actor",
            "agency",
            "verb",
            "target_type",
            "target_id",
            "target_repr",
        ]
        read_only_fields = fields


class AuditEventFilter(django_filters.FilterSet):
    agency = django_filters.ModelChoiceFilter(queryset=alliance_agencies)
    verb = django_filters.CharFilter(max_length=60, help_text='e.g. "membership.ended"')
    target_type = django_filters.CharFilter(max_length=60, help_text='e.g. "kiaa.invitation"')
    target_id = django_filters.CharFilter(max_length=40)

    class Meta:
        model = AuditEvent
        fields: Any = ["agency", "verb", "target_type", "target_id"]


class AuditEventViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Every recorded change in the alliance, newest first."""

    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventSerializer
    permission_classes = [IsAuthenticated, ReadByAdminsAndTheArbiter]
    filterset_class = AuditEventFilter

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return selectors.audit_event_list_for(person=self.person, alliance=self.alliance)
