"""Breaches of the protocol found by the detectors; disputes and rulings build on them."""

from django.db import models
from django.db.models import Q

from kiaa.models import Agency, TenantModel


class Breach(TenantModel):
    """A situation the protocol forbids, found in the facts and kept for the arbiter's review.

    `key` names the situation within its kind (a declaration, a withdrawal, an agency and a
    paper...), so finding it again is the same breach, never a second one.
    """

    class Kind(models.TextChoices):
        UNDECLARED_BID = "undeclared_bid", "Bid without an approved declaration"
        WORKED_DURING_WITHDRAWAL = "worked_during_withdrawal", "Worked during a withdrawal"
        BARRIER_ACCESS_ATTEMPT = "barrier_access_attempt", "Tried to open a barred paper"
        RIVAL_CONSORTIA = "rival_consortia", "In rival bids for one contract"
        LATE_DECLARATION = "late_declaration", "Declared after the deadline"
        BID_CANDY = "bid_candy", "Named partner given no allocation"
        RULING_NOT_IMPLEMENTED = "ruling_not_implemented", "Ruling not implemented"
        PROTOCOL_REVIEW_OVERDUE = "protocol_review_overdue", "Protocol review overdue"
        MOU_UNSIGNED = "mou_unsigned", "MoU not signed"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UNDER_REVIEW = "under_review", "Under review"
        UPHELD = "upheld", "Upheld"
        DISMISSED = "dismissed", "Dismissed"

    class Sanction(models.TextChoices):
        NONE = "none", "None"
        WARNING = "warning", "Warning"
        SUSPENSION = "suspension", "Suspension"
        EXPULSION = "expulsion", "Expulsion"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=120)
    # The agency in breach; none for the alliance's own duties (reviewing its protocol).
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="breaches"
    )
    tender = models.ForeignKey(
        "bids.Tender", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    declaration = models.ForeignKey(
        "bids.Declaration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=300)
    evidence = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()  # when the situation arose, as far as the facts say
    detected_at = models.DateTimeField()
    # The situation no longer holds (the MoU was signed late); the breach still stands for review.
    cleared_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    sanction = models.CharField(max_length=12, choices=Sanction.choices, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "kind", "key"], name="breach_once"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "under_review", "upheld", "dismissed"]),
                name="breach_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "status", "detected_at"], name="breach_queue"),
            models.Index(fields=["alliance", "agency"], name="breach_agency"),
        ]

    def __str__(self) -> str:
        return self.summary
