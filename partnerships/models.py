"""Partnerships between member agencies, their MoUs and checks, withdrawals, and their papers."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from guardian.models import GroupObjectPermissionBase

from kiaa.models import Agency, ServiceArea, TenantModel, User
from partnerships.querysets import MouVersionQuerySet, WithdrawalQuerySet


class Partnership(TenantModel):
    """Agencies working together: a consortium, a prime with subcontractors, a contract or a network."""

    class Kind(models.TextChoices):
        CONSORTIUM = "consortium", "Consortium"
        PRIME_SUB = "prime_sub", "Prime and subcontractors"
        ALLIANCE_CONTRACT = "alliance_contract", "Alliance contract"
        NETWORK = "network", "Network"

    class Status(models.TextChoices):
        FORMING = "forming", "Forming"
        CONFIRMED = "confirmed", "Confirmed"
        DISSOLVED = "dissolved", "Dissolved"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    lead_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="led_partnerships"
    )
    service_areas = models.ManyToManyField(
        ServiceArea, through="PartnershipServiceArea", blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FORMING)
    # SHA-256 of the current MoU's confidentiality undertaking ("" before there is an MoU);
    # people acknowledge this exact text before they see commercial papers.
    undertaking_digest = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "name"], name="partnership_name_per_alliance"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["consortium", "prime_sub", "alliance_contract", "network"]),
                name="partnership_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["forming", "confirmed", "dissolved"]),
                name="partnership_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="forming") | Q(confirmed_at__isnull=False),
                name="confirmed_partnership_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartnershipServiceArea(TenantModel):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "partnership", "service_area"], name="partnership_area_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} covers {self.service_area_id}"


class PartnershipMember(TenantModel):
    """An agency's place in a partnership, from invitation to leaving."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        PARTNER = "partner", "Partner"
        SUBCONTRACTOR = "subcontractor", "Subcontractor"

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        AWAITING_BOARD = "awaiting_board", "Awaiting trustee approval"
        ACTIVE = "active", "Active"
        LEAVING = "leaving", "Leaving (awaiting trustee approval)"
        LEFT = "left", "Left"
        DECLINED = "declined", "Declined"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="members")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="partnership_places")
    role = models.CharField(max_length=15, choices=Role.choices)
    status = models.CharField(max_length=15, choices=Status.choices)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField()
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    # Which status may follow which; services refuse anything else.
    ALLOWED_TRANSITIONS = {
        Status.INVITED: {Status.AWAITING_BOARD, Status.ACTIVE, Status.DECLINED},
        Status.AWAITING_BOARD: {Status.ACTIVE, Status.DECLINED},
        Status.ACTIVE: {Status.LEAVING, Status.LEFT},
        Status.LEAVING: {Status.LEFT, Status.ACTIVE},
        Status.LEFT: set(),
        Status.DECLINED: set(),
    }

    class Meta:
        ordering = ["partnership_id", "role", "agency__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "partnership", "agency"], name="one_place_per_agency"
            ),
            models.UniqueConstraint(
                fields=["alliance", "partnership"],
                condition=Q(role="lead"),
                name="one_lead_per_partnership",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["lead", "partner", "subcontractor"]), name="member_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "invited",
                        "awaiting_board",
                        "active",
                        "leaving",
                        "left",
                        "declined",
                    ]
                ),
                name="member_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "agency", "status"], name="member_agency_status")
        ]

    def __str__(self) -> str:
        return f"{self.agency} in {self.partnership} ({self.get_role_display()})"


class DueDiligenceCheck(TenantModel):
    """One item of the compatibility and due-diligence checklist, for one member, as checked."""

    class Item(models.TextChoices):
        QUALITY_STANDARD = "quality_standard", "Quality standard met"
        SAFEGUARDING = "safeguarding", "Safeguarding policy"
        DATA_PROTECTION = "data_protection", "Data-protection policy"
        GOVERNANCE = "governance", "Governance"
        FINANCIAL_VIABILITY = "financial_viability", "Financial viability"
        BOTTOM_LINES = "bottom_lines", "Bottom lines agreed"
        ADDED_VALUE = "added_value", "Added value to the bid"

    class Outcome(models.TextChoices):
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="checks")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    item = models.CharField(max_length=25, choices=Item.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.TextField(blank=True)
    checked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["agency__name", "item"]
        constraints = [
            # The latest check of an item stands; rechecking replaces it (the audit keeps the history).
            models.UniqueConstraint(
                fields=["alliance", "partnership", "agency", "item"], name="one_check_per_item"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["met", "not_met"]), name="check_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {self.get_outcome_display()}"


class MouVersion(TenantModel):
    """One text of a partnership's memorandum of understanding; every change is a new version."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="mou_versions"
    )
    number = models.PositiveIntegerField()
    confidentiality = models.TextField()
    due_diligence = models.TextField()
    transparency = models.TextField()
    costs = models.TextField()
    governance = models.TextField()
    exclusivity = models.TextField()
    # Each member's contribution to shared costs, in pence (consortia share costs equally).
    contribution_pence = models.PositiveBigIntegerField()
    exclusive = models.BooleanField(default=True)
    # When the members agreed to look at the MoU again (reminded, and on their calendars).
    review_due_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    objects = MouVersionQuerySet.as_manager()  # type: ignore[misc]  # a TenantQuerySet with more

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "partnership", "number"], name="mou_version_once"
            ),
        ]

    def __str__(self) -> str:
        return f"MoU version {self.number}"


class MouSignature(TenantModel):
    """A trustee signs one MoU version for their agency."""

    version = models.ForeignKey(MouVersion, on_delete=models.CASCADE, related_name="signatures")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "version", "agency"], name="one_signature_per_agency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} signed {self.version}"


class ConfidentialityAcknowledgement(TenantModel):
    """A person accepted a partnership's confidentiality undertaking, in the words it then had."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    # SHA-256 of the undertaking's text: a changed undertaking has another digest and asks again.
    undertaking_digest = models.CharField(max_length=64)
    acknowledged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "partnership", "person", "undertaking_digest"],
                name="acknowledged_once",
            ),
        ]
        # The barrier reads a person's undertakings with every list of papers.
        indexes = [models.Index(fields=["alliance", "person"], name="undertakings_of_person")]

    def __str__(self) -> str:
        return f"{self.person} acknowledged confidentiality of {self.partnership_id}"


class Withdrawal(TenantModel):
    """An agency steps back from a partnership's working while it competes (protocol clause 5)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="withdrawals"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="withdrawals")
    reason = models.CharField(max_length=300)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True)

    objects = WithdrawalQuerySet.as_manager()  # type: ignore[misc]  # a TenantQuerySet with more

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="withdrawal_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "partnership", "agency"], name="withdrawal_scope")
        ]

    def __str__(self) -> str:
        return f"{self.agency} withdrawn from {self.partnership}"


class Document(TenantModel):
    """A paper shared within the alliance; who may see it is the barrier's decision alone."""

    class Sensitivity(models.TextChoices):
        ALLIANCE = "alliance", "Alliance: every member of the alliance"
        PARTNERSHIP = "partnership", "Partnership: members of the partnership"
        COMMERCIAL = "commercial", "Commercially sensitive"

    title = models.CharField(max_length=200)
    sensitivity = models.CharField(max_length=12, choices=Sensitivity.choices)
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sensitivity__in=["alliance", "partnership", "commercial"]),
                name="document_sensitivity_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "partnership"], name="document_partnership"),
            models.Index(fields=["alliance", "-created_at"], name="document_recent"),
        ]

    def __str__(self) -> str:
        return self.title


class DocumentGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-FK object permission (django-guardian): one agency's group may view one document."""

    alliance = models.ForeignKey("kiaa.Alliance", on_delete=models.PROTECT, related_name="+")
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)
    # Copies of the paper's facts that never change once it is shared, set with the row
    # (PartnershipPapers.grant): a person's papers are counted, filtered and put in order from
    # this table's index alone (barrier.listing), without visiting thousands of papers.
    document_created_at = models.DateTimeField()
    sensitivity = models.CharField(max_length=12)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        # A person's papers are read from here by alliance, group and permission, newest first
        # as the papers list shows them; with the document's id and the copies in the index,
        # PostgreSQL answers from the index alone, without visiting the table's rows.
        indexes = [
            models.Index(
                fields=[
                    "alliance",
                    "group",
                    "permission",
                    "-document_created_at",
                    "-content_object",
                ],
                include=["sensitivity", "partnership"],
                name="docperm_listed",
            )
        ]


class AudienceChange(TenantModel):
    """The barrier's history: when an agency gained or lost sight of a document, and why."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="audience_changes"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    granted = models.BooleanField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["alliance", "document", "at"], name="audience_history")]

    def __str__(self) -> str:
        return f"{'granted' if self.granted else 'revoked'} {self.agency_id} on {self.document_id}"


class PaperAction(models.TextChoices):
    VIEW = "view", "Viewed"
    DOWNLOAD = "download", "Downloaded"
    TIMELINE = "timeline", "Read its timeline"


class PaperRequest(TenantModel):
    """A person asked for a paper (to view or download it), acting for one of their agencies."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=10, choices=PaperAction.choices)
    channel = models.CharField(max_length=10)  # "page" or "api"
    at = models.DateTimeField()

    class Meta:
        abstract = True


class DocumentAccess(PaperRequest):
    """The barrier let the person open the paper: the access log."""

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["alliance", "document", "at"], name="access_history")]

    def __str__(self) -> str:
        return f"{self.person} {self.action} {self.document_id}"


class BarrierAttempt(PaperRequest):
    """The barrier hid the paper from the person: refused as 404, and kept for the breach detectors."""

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["alliance", "at"], name="attempt_recent")]

    def __str__(self) -> str:
        return f"{self.person} tried {self.document_id}"
