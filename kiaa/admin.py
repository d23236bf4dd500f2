"""Django admin: an inspection tool, read-only, scoped to the alliances a staff user administers.

Writes go through the pages and API, whose services check the rules and audit them.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from kiaa import models
from kiaa.models import Membership, Role, User


def administered_alliance_ids(request: HttpRequest) -> QuerySet[Any]:
    admin_roles = Membership.objects.filter(user=cast(User, request.user), role=Role.ALLIANCE_ADMIN)
    return admin_roles.values("alliance_id")


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


class TenantAdmin(ReadOnlyAdmin):
    """Superusers see every alliance; other staff only those they are an alliance admin of."""

    list_filter = ["alliance"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(alliance_id__in=administered_alliance_ids(request))


@admin.register(models.Alliance)
class AllianceAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=administered_alliance_ids(request))


@admin.register(models.User)
class UserAdmin(ReadOnlyAdmin, DjangoUserAdmin):  # type: ignore[misc]
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        alliance_ids = administered_alliance_ids(request)
        return queryset.filter(memberships__alliance_id__in=alliance_ids).distinct()


@admin.register(models.ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Who holds API tokens: the hash only, never a key; revoking is the owner's (API)."""

    list_display = ["name", "token_key", "user", "created", "expiry"]
    exclude = ["digest"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return queryset
        alliance_ids = administered_alliance_ids(request)
        return queryset.filter(user__memberships__alliance_id__in=alliance_ids).distinct()


@admin.register(models.Agency)
class AgencyAdmin(TenantAdmin):
    list_display = ["name", "alliance", "size_band", "reach", "status", "is_arbiter"]
    list_filter = ["alliance", "status", "reach", "size_band"]
    search_fields = ["name", "charity_number", "company_number"]


@admin.register(models.ServiceArea)
class ServiceAreaAdmin(TenantAdmin):
    list_display = ["name", "slug", "alliance"]


@admin.register(models.AgencyServiceArea)
class AgencyServiceAreaAdmin(TenantAdmin):
    list_display = ["agency", "service_area", "alliance"]


@admin.register(models.Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "agency", "role", "alliance"]
    list_filter = ["alliance", "role"]
    search_fields = ["user__username", "user__email", "agency__name"]


@admin.register(models.Invitation)
class InvitationAdmin(TenantAdmin):
    list_display = ["email", "agency", "role", "created_at", "accepted_at", "revoked_at"]


@admin.register(models.Protocol)
class ProtocolAdmin(TenantAdmin):
    list_display = ["title", "alliance"]


@admin.register(models.ProtocolVersion)
class ProtocolVersionAdmin(TenantAdmin):
    list_display = ["alliance", "number", "implemented_on", "review_due_on"]


@admin.register(models.ProtocolAcceptance)
class ProtocolAcceptanceAdmin(TenantAdmin):
    list_display = ["agency", "version", "accepted_on", "alliance"]


@admin.register(models.AuditHead)
class AuditHeadAdmin(TenantAdmin):
    list_display = ["alliance", "last_seq"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(TenantAdmin):
    list_display = ["alliance", "seq", "created_at", "actor", "verb", "target_repr"]
    list_filter = ["alliance", "verb"]
    search_fields = ["verb", "target_repr"]


@admin.register(models.BoardDecision)
class BoardDecisionAdmin(TenantAdmin):
    list_display = ["question", "agency", "status", "quorum", "opened_at", "decided_at"]
    list_filter = ["alliance", "status"]


@admin.register(models.BoardVote)
class BoardVoteAdmin(TenantAdmin):
    list_display = ["decision", "trustee", "choice", "cast_at"]


@admin.register(models.StandingOrders)
class StandingOrdersAdmin(TenantAdmin):
    list_display = ["agency", "minimum_votes", "full_board_above_pence", "bar_chief_officers"]


@admin.register(models.Notification)
class NotificationAdmin(TenantAdmin):
    list_display = ["title", "recipient", "verb", "created_at", "read_at", "emailed_at"]
    list_filter = ["alliance", "verb"]


@admin.register(models.ReminderSent)
class ReminderSentAdmin(TenantAdmin):
    list_display = ["key", "stage", "due_at", "recipient", "sent_at", "alliance"]


@admin.register(models.CalendarFeed)
class CalendarFeedAdmin(TenantAdmin):
    list_display = ["person", "alliance", "created_at", "revoked_at", "last_used_at"]
    exclude = ["digest"]


class OperatorsOnly(ReadOnlyAdmin):
    """Machinery of every alliance at once: for the people who run the service."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


@admin.register(models.OutboxMessage)
class OutboxMessageAdmin(OperatorsOnly):
    list_display = ["task", "created_at", "published_at", "attempts", "done_at"]


@admin.register(models.ScheduledRun)
class ScheduledRunAdmin(OperatorsOnly):
    list_display = ["job", "tick", "started_at"]


@admin.register(models.ReportExport)
class ReportExportAdmin(TenantAdmin):
    """The exports' state only: the file holds what its requester could see, so the admin site
    does not serve it."""

    list_display = ["kind", "format", "requested_by", "status", "progress", "requested_at"]
    list_filter = ["alliance", "kind", "status"]
    exclude = ["file", "params"]
