"""Read-only admin for partnerships; papers (and anything naming one) go through the barrier."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kiaa import barrier
from kiaa.admin import ReadOnlyAdmin, TenantAdmin
from kiaa.models import Alliance, Membership, User
from partnerships import models


def visible_documents(request: HttpRequest) -> QuerySet[Any]:
    """Papers the signed-in person may see in any alliance they hold a role in: superusers too."""
    user = cast(User, request.user)
    alliance_ids = Membership.objects.filter(user=user).values("alliance_id")
    ids: QuerySet[Any] = models.Document.objects.none().values("pk")
    for alliance in Alliance.objects.filter(pk__in=alliance_ids):
        ids = ids.union(barrier.visible_to(user, alliance).values("pk"))  # type: ignore[arg-type]
    return models.Document.objects.filter(pk__in=list(ids))


class BehindTheBarrier(ReadOnlyAdmin):
    """Rows that name a paper show only for papers the person may see."""

    document_field = "document"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .filter(**{f"{self.document_field}__in": visible_documents(request)})
        )


@admin.register(models.Partnership)
class PartnershipAdmin(TenantAdmin):
    list_display = ["name", "kind", "lead_agency", "status", "alliance"]
    list_filter = ["alliance", "kind", "status"]


@admin.register(models.PartnershipServiceArea)
class PartnershipServiceAreaAdmin(TenantAdmin):
    list_display = ["partnership", "service_area"]


@admin.register(models.PartnershipMember)
class PartnershipMemberAdmin(TenantAdmin):
    list_display = ["partnership", "agency", "role", "status"]
    list_filter = ["alliance", "role", "status"]


@admin.register(models.DueDiligenceCheck)
class DueDiligenceCheckAdmin(TenantAdmin):
    list_display = ["partnership", "agency", "item", "outcome", "checked_by", "checked_at"]


@admin.register(models.MouVersion)
class MouVersionAdmin(TenantAdmin):
    list_display = ["partnership", "number", "created_by", "created_at"]


@admin.register(models.MouSignature)
class MouSignatureAdmin(TenantAdmin):
    list_display = ["version", "agency", "signed_by", "signed_at"]


@admin.register(models.ConfidentialityAcknowledgement)
class ConfidentialityAcknowledgementAdmin(TenantAdmin):
    list_display = ["partnership", "person", "acknowledged_at"]


@admin.register(models.Withdrawal)
class WithdrawalAdmin(TenantAdmin):
    list_display = ["partnership", "agency", "starts_at", "ends_at", "reason"]


@admin.register(models.Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "sensitivity", "owner_agency", "partnership", "created_at"]
    search_fields = ["title"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visible_documents(request)


@admin.register(models.DocumentGroupObjectPermission)
class DocumentPermissionAdmin(BehindTheBarrier):
    document_field = "content_object"
    list_display = ["content_object", "group"]


@admin.register(models.AudienceChange)
class AudienceChangeAdmin(BehindTheBarrier):
    list_display = ["document", "agency", "granted", "at"]


@admin.register(models.DocumentAccess)
class DocumentAccessAdmin(BehindTheBarrier):
    list_display = ["document", "person", "agency", "action", "channel", "at"]


@admin.register(models.BarrierAttempt)
class BarrierAttemptAdmin(BehindTheBarrier):
    list_display = ["document", "person", "agency", "action", "channel", "at"]
