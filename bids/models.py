"""Tenders, declarations of intent to bid, stepping back, the papers of a bid, and awards."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from kiaa.models import Agency, ServiceArea, TenantModel, User
from partnerships.models import Document, Withdrawal


class Tender(TenantModel):
    """A public contract opportunity the alliance's members may bid for."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed for submissions"
        AWARDED = "awarded", "Awarded"
        CANCELLED = "cancelled", "Cancelled"

    class Origin(models.TextChoices):
        REGISTERED = "registered", "Registered by hand"
        OCDS = "ocds", "Imported from an OCDS release"

    reference = models.CharField(max_length=100)
    ocid = models.CharField(max_length=120, blank=True)  # Open Contracting id, when imported
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    commissioner = models.CharField(max_length=200)
    service_areas = models.ManyToManyField(ServiceArea, through="TenderServiceArea", blank=True)
    value_pence = models.PositiveBigIntegerField(null=True, blank=True)
    eoi_deadline = models.DateTimeField(null=True, blank=True)
    submission_deadline = models.DateTimeField(null=True, blank=True)
    award_expected_on = models.DateField(null=True, blank=True)
    incumbent_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="incumbencies"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.REGISTERED)
    winner = models.ForeignKey(
        "Declaration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    awarded_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    ALLOWED_TRANSITIONS = {
        Status.OPEN: {Status.CLOSED, Status.AWARDED, Status.CANCELLED},
        Status.CLOSED: {Status.OPEN, Status.AWARDED, Status.CANCELLED},
        Status.AWARDED: set(),
        Status.CANCELLED: set(),
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "reference"], name="tender_reference_once"),
            models.UniqueConstraint(
                fields=["alliance", "ocid"], condition=~Q(ocid=""), name="tender_ocid_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "closed", "awarded", "cancelled"]),
                name="tender_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="awarded") | Q(winner__isnull=False, awarded_on__isnull=False),
                name="awarded_tender_has_winner",
            ),
            models.CheckConstraint(
                condition=Q(eoi_deadline__isnull=True)
                | Q(submission_deadline__isnull=True)
                | Q(eoi_deadline__lte=models.F("submission_deadline")),
                name="eoi_before_submission",
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "status", "submission_deadline"], name="tender_open"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"


class TenderServiceArea(TenantModel):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "tender", "service_area"], name="tender_area_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tender_id} covers {self.service_area_id}"


class TenderImport(TenantModel):
    """One OCDS file read into the register, with its report: created, updated, rejected, why."""

    file_name = models.CharField(max_length=200)
    imported_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField()
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"


class Declaration(TenantModel):
    """An agency's intent to bid for a tender: alone, as a consortium's lead, or as a named partner."""

    class Capacity(models.TextChoices):
        SOLE = "sole", "Sole bidder"
        LEAD = "lead", "Lead of a consortium bid"
        PARTNER = "partner", "Named partner in another member's bid"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_BOARD = "awaiting_board", "Awaiting trustee approval"
        DECLARED = "declared", "Declared"
        REJECTED = "rejected", "Rejected by the board"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SUBMITTED = "submitted", "Bid submitted"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="declarations")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="declarations")
    capacity = models.CharField(max_length=10, choices=Capacity.choices)
    lead_declaration = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="partner_declarations"
    )
    summary = models.TextField(blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    declared_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # withdrawn, rejected, won or lost
    closing_reason = models.CharField(max_length=300, blank=True)

    ALLOWED_TRANSITIONS = {
        Status.DRAFT: {Status.AWAITING_BOARD, Status.WITHDRAWN},
        Status.AWAITING_BOARD: {Status.DECLARED, Status.REJECTED, Status.WITHDRAWN},
        Status.DECLARED: {Status.WITHDRAWN, Status.SUBMITTED, Status.WON, Status.LOST},
        Status.SUBMITTED: {Status.WITHDRAWN, Status.WON, Status.LOST},
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
        Status.WON: set(),
        Status.LOST: set(),
    }
    # Still in the race: counted as competitors and hold the agency's one place on the tender.
    LIVE = (Status.DRAFT, Status.AWAITING_BOARD, Status.DECLARED, Status.SUBMITTED)
    # Approved by the board: open to the whole alliance (protocol clause 5, openness).
    PUBLIC = (Status.DECLARED, Status.SUBMITTED, Status.WON, Status.LOST)
    # Competing now: opens withdrawals and counts as a rival to other bids.
    COMPETING = (Status.DECLARED, Status.SUBMITTED)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live declaration per agency and tender: declaring twice at once leaves one.
            models.UniqueConstraint(
                fields=["alliance", "tender", "agency"],
                condition=Q(status__in=["draft", "awaiting_board", "declared", "submitted"]),
                name="one_live_declaration_per_agency",
            ),
            models.CheckConstraint(
                condition=Q(capacity__in=["sole", "lead", "partner"]),
                name="declaration_capacity_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "draft",
                        "awaiting_board",
                        "declared",
                        "rejected",
                        "withdrawn",
                        "submitted",
                        "won",
                        "lost",
                    ]
                ),
                name="declaration_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(capacity="partner", lead_declaration__isnull=False)
                | (~Q(capacity="partner") & Q(lead_declaration__isnull=True)),
                name="partner_declaration_names_lead",
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "tender", "status"], name="declaration_tender"),
            models.Index(fields=["alliance", "agency", "status"], name="declaration_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} for {self.tender.reference}"


class NamedPartner(TenantModel):
    """A partner a lead names in its bid; nobody is in a bid team until they confirm."""

    class Status(models.TextChoices):
        NAMED = "named", "Named, awaiting confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="named_partners"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    proposed_share_pct = models.DecimalField(max_digits=5, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NAMED)
    named_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    named_at = models.DateTimeField()
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["declaration_id", "agency__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "declaration", "agency"], name="partner_named_once"
            ),
            models.CheckConstraint(
                condition=Q(proposed_share_pct__gt=0) & Q(proposed_share_pct__lte=100),
                name="share_between_0_and_100",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["named", "confirmed", "declined"]),
                name="named_partner_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} named in {self.declaration}"


class StepBack(TenantModel):
    """An agency records that it chooses not to bid (e.g. the incumbent is doing good work)."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="step_backs")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "tender", "agency"], name="step_back_once")
        ]

    def __str__(self) -> str:
        return f"{self.agency} steps back from {self.tender_id}"


class BidWithdrawal(TenantModel):
    """Which declaration opened a partnership withdrawal (the withdrawal itself is the
    partnerships app's, which the barrier reads)."""

    withdrawal = models.OneToOneField(Withdrawal, on_delete=models.CASCADE, related_name="bid")
    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="withdrawals"
    )
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="+")
    # When its end was carried out (people told, papers back); a withdrawal that ends by the
    # clock is closed by the periodic task, once.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["alliance", "declaration"], name="bid_withdrawal_declaration"),
            models.Index(fields=["alliance", "closed_at"], name="bid_withdrawal_open"),
        ]

    def __str__(self) -> str:
        return f"{self.withdrawal} for {self.declaration}"


class TenderPaper(TenantModel):
    """A document that belongs to a tender: a bid paper of one declaration, or TUPE information."""

    class Kind(models.TextChoices):
        BID = "bid", "Bid paper"
        TUPE = "tupe", "TUPE staff-transfer information"

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="tender_paper")
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="papers")
    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, null=True, blank=True, related_name="papers"
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="bid", declaration__isnull=False)
                | Q(kind="tupe", declaration__isnull=True),
                name="bid_paper_has_declaration",
            ),
        ]
        indexes = [models.Index(fields=["alliance", "tender", "kind"], name="tender_paper_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.tender_id}"


class TupeRelease(TenantModel):
    """The moment a tender's TUPE information went to every declared bidder at once."""

    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="tupe_release")
    released_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"TUPE information of {self.tender_id} released"


class TupeReceipt(TenantModel):
    """A bidder received the TUPE information (at the release, or on declaring after it)."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="tupe_receipts")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["received_at", "agency__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "tender", "agency"], name="tupe_receipt_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency} received TUPE information of {self.tender_id}"


class Allocation(TenantModel):
    """Funding the lead of a won bid passes to a named partner (what the bid-candy check reads)."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="allocations"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    amount_pence = models.PositiveBigIntegerField()
    agreed_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["agreed_on", "id"]
        indexes = [models.Index(fields=["alliance", "declaration"], name="allocation_declaration")]

    def __str__(self) -> str:
        return f"{self.amount_pence}p to {self.agency} under {self.declaration_id}"
