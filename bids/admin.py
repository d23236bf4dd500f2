"""Read-only admin for tenders and bids; what is private to an agency goes through the selectors."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from bids import models, selectors
from kiaa.admin import TenantAdmin
from kiaa.models import Alliance, Membership, User
from partnerships.admin import BehindTheBarrier


def visible_declarations(request: HttpRequest) -> QuerySet[Any]:
    """Declarations the signed-in person would see on the pages, in each of their alliances."""
    user = cast(User, request.user)
    alliances = Alliance.objects.filter(
        pk__in=Membership.objects.filter(user=user).values("alliance_id")
    )
    ids: set[int] = set()
    for alliance in alliances:
        found = selectors.declaration_list_for(person=user, alliance=alliance)
        ids |= set(found.values_list("pk", flat=True))
    return models.Declaration.objects.filter(pk__in=ids)


class PrivateToTheBid(TenantAdmin):
    """Rows of a declaration show only where the person could see the declaration."""

    declaration_field = "declaration"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        found = super().get_queryset(request)
        if request.user.is_superuser:
            return found
        return found.filter(**{f"{self.declaration_field}__in": visible_declarations(request)})


@admin.register(models.Tender)
class TenderAdmin(TenantAdmin):
    list_display = ["reference", "title", "commissioner", "status", "submission_deadline"]
    list_filter = ["alliance", "status", "origin"]
    search_fields = ["reference", "title", "commissioner", "ocid"]


@admin.register(models.TenderServiceArea)
class TenderServiceAreaAdmin(TenantAdmin):
    list_display = ["tender", "service_area"]


@admin.register(models.TenderImport)
class TenderImportAdmin(TenantAdmin):
    list_display = ["file_name", "imported_by", "imported_at"]


@admin.register(models.Declaration)
class DeclarationAdmin(PrivateToTheBid):
    declaration_field = "pk"
    list_display = ["tender", "agency", "capacity", "status", "declared_at"]
    list_filter = ["alliance", "status", "capacity"]


@admin.register(models.NamedPartner)
class NamedPartnerAdmin(PrivateToTheBid):
    list_display = ["declaration", "agency", "proposed_share_pct", "status"]


@admin.register(models.BidWithdrawal)
class BidWithdrawalAdmin(TenantAdmin):
    list_display = ["withdrawal", "declaration", "tender", "closed_at"]


@admin.register(models.Allocation)
class AllocationAdmin(PrivateToTheBid):
    list_display = ["declaration", "agency", "amount_pence", "agreed_on"]


@admin.register(models.StepBack)
class StepBackAdmin(TenantAdmin):
    list_display = ["tender", "agency", "recorded_at"]


@admin.register(models.TenderPaper)
class TenderPaperAdmin(BehindTheBarrier):
    list_display = ["document", "tender", "declaration", "kind"]


@admin.register(models.TupeRelease)
class TupeReleaseAdmin(TenantAdmin):
    list_display = ["tender", "released_by", "released_at"]


@admin.register(models.TupeReceipt)
class TupeReceiptAdmin(TenantAdmin):
    list_display = ["tender", "agency", "received_at"]
