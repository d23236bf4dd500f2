"""Read-only admin for breaches, disputes and rulings; every change goes through the pages and
API. Of submissions and evidence files it shows only that they exist: their contents are for
the arbiter and, as each is marked, the parties, and an admin is neither (disputes.selectors
decides who reads them)."""

from django.contrib import admin

from disputes import models
from kiaa.admin import TenantAdmin


@admin.register(models.Breach)
class BreachAdmin(TenantAdmin):
    list_display = ["summary", "kind", "agency", "status", "sanction", "detected_at", "alliance"]
    list_filter = ["kind", "status", "sanction"]


@admin.register(models.Dispute)
class DisputeAdmin(TenantAdmin):
    list_display = ["pk", "complainant", "respondent", "subject", "status", "arbiter", "filed_at"]
    list_filter = ["status", "subject"]
    exclude = ["summary"]  # the parties' own words are read on the dispute's page


@admin.register(models.Ruling)
class RulingAdmin(TenantAdmin):
    list_display = ["dispute", "number", "sanction", "published_by", "published_at"]


@admin.register(models.ExpulsionMotion)
class ExpulsionMotionAdmin(TenantAdmin):
    list_display = ["agency", "breach", "boards", "status", "opened_at", "decided_at"]
    list_filter = ["status"]


@admin.register(models.RequiredAction)
class RequiredActionAdmin(TenantAdmin):
    list_display = ["dispute", "agency", "due_on", "confirmed_at", "superseded_at"]


@admin.register(models.Submission)
class SubmissionAdmin(TenantAdmin):
    list_display = ["dispute", "agency", "by_arbiter", "visibility", "submitted_at"]
    fields = ["dispute", "agency", "by_arbiter", "visibility", "submitted_at"]


@admin.register(models.SubmissionPaper)
class SubmissionPaperAdmin(TenantAdmin):
    # The paper's number, never its title: the barrier decides who reads that.
    list_display = ["submission", "document_id"]
    fields = ["submission"]


@admin.register(models.EvidenceFile)
class EvidenceFileAdmin(TenantAdmin):
    list_display = ["submission", "size", "sha256"]
    fields = ["submission", "size", "sha256"]
