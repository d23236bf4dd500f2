"""Read-only admin for breaches; reviews go through the pages and API."""

from django.contrib import admin

from disputes import models
from kiaa.admin import TenantAdmin


@admin.register(models.Breach)
class BreachAdmin(TenantAdmin):
    list_display = ["summary", "kind", "agency", "status", "detected_at", "alliance"]
    list_filter = ["kind", "status"]
