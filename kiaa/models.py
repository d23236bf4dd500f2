"""The alliance core: tenants, member agencies, people's roles, the protocol and the audit trail."""

import uuid

from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from kiaa.querysets import TenantQuerySet
from kiaa.token_models import ApiToken as ApiToken  # registered with the app's models


class EmailFrequency(models.TextChoices):
    """How a person wants their notifications by email (they always see them in the app)."""

    IMMEDIATE = "immediate", "As they happen"
    DAILY = "daily", "One daily digest"
    NEVER = "never", "Never: in the app only"


class User(AbstractUser):  # type: ignore[django-manager-missing]  # knox names its relation
    """A person. What they may do comes from their memberships, which are per alliance."""

    email = models.EmailField("email address", unique=True)
    email_frequency = models.CharField(
        max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE
    )

    REQUIRED_FIELDS = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Alliance(models.Model):
    """The tenant: a network of agencies bound by one competition protocol."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantModel(models.Model):
    """Every tenant-owned row stores its alliance, even where a parent would imply it."""

    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class ServiceArea(TenantModel):
    """A field of work the alliance's agencies deliver and tenders are let in (e.g. debt advice)."""

    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    # Common Procurement Vocabulary code prefixes (e.g. "85312310") that mark a public notice
    # as work in this area, so imported tenders find their service areas.
    cpv_codes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "slug"], name="service_area_slug_per_alliance"
            ),
            models.UniqueConstraint(
                F("alliance"), Lower("name"), name="service_area_name_per_alliance"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SizeBand(models.TextChoices):
    # The sector's usual income bands (annual income).
    MICRO = "micro", "Micro (under £10k)"
    SMALL = "small", "Small (£10k–£100k)"
    MEDIUM = "medium", "Medium (£100k–£1m)"
    LARGE = "large", "Large (£1m–£10m)"
    MAJOR = "major", "Major (over £10m)"


class Reach(models.TextChoices):
    LOCAL = "local", "Local"
    REGIONAL = "regional", "Regional"
    NATIONAL = "national", "National"


class AgencyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXPELLED = "expelled", "Expelled"


class Agency(TenantModel):
    """A member organisation of one alliance (an organisation in two alliances has a row in each)."""

    SizeBand = SizeBand
    Reach = Reach
    Status = AgencyStatus

    name = models.CharField(max_length=200)
    charity_number = models.CharField(max_length=20, blank=True)
    company_number = models.CharField(max_length=20, blank=True)
    size_band = models.CharField(max_length=10, choices=SizeBand.choices)
    reach = models.CharField(max_length=10, choices=Reach.choices)
    status = models.CharField(
        max_length=10, choices=AgencyStatus.choices, default=AgencyStatus.ACTIVE
    )
    # The CVS that arbitrates the alliance's disputes; at most one per alliance.
    is_arbiter = models.BooleanField(default=False)
    # May lend an independent arbiter when the CVS is itself a party to a dispute.
    may_arbitrate = models.BooleanField(default=False)
    # The agency's people, for object permissions (django-guardian): kept in step with roles.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency")
    service_areas = models.ManyToManyField(
        ServiceArea, through="AgencyServiceArea", related_name="agencies", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            # "Lead Advice" and "lead advice" are the same agency.
            models.UniqueConstraint(F("alliance"), Lower("name"), name="agency_name_per_alliance"),
            models.UniqueConstraint(
                fields=["alliance", "charity_number"],
                condition=~Q(charity_number=""),
                name="agency_charity_number_per_alliance",
            ),
            models.UniqueConstraint(
                fields=["alliance"], condition=Q(is_arbiter=True), name="one_arbiter_per_alliance"
            ),
            models.CheckConstraint(
                condition=Q(size_band__in=SizeBand.values), name="agency_size_band_valid"
            ),
            models.CheckConstraint(condition=Q(reach__in=Reach.values), name="agency_reach_valid"),
            models.CheckConstraint(
                condition=Q(status__in=AgencyStatus.values), name="agency_status_valid"
            ),
            # The arbiter must stay independent: it cannot be a suspended or expelled member.
            models.CheckConstraint(
                condition=Q(is_arbiter=False) | Q(status="active"), name="arbiter_is_active"
            ),
        ]
        indexes = [models.Index(fields=["alliance", "status"], name="agency_alliance_status")]

    def __str__(self) -> str:
        return self.name


class AgencyServiceArea(TenantModel):
    """An agency works in a service area (explicit so the row carries its alliance)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "agency", "service_area"], name="agency_service_area_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} works in {self.service_area_id}"


class Role(models.TextChoices):
    CHIEF_OFFICER = "chief_officer", "Chief officer"
    TRUSTEE = "trustee", "Trustee"
    STAFF = "staff", "Staff"
    ARBITER = "arbiter", "Arbiter"
    ALLIANCE_ADMIN = "alliance_admin", "Alliance admin"


class Membership(TenantModel):
    """A person holds a role in an agency of an alliance (an alliance admin may hold no agency)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency__name", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "user", "agency", "role"], name="membership_role_once"
            ),
            # NULLs are distinct in a unique index, so agency-less admin roles need their own.
            models.UniqueConstraint(
                fields=["alliance", "user", "role"],
                condition=Q(agency__isnull=True),
                name="alliance_role_once",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
            models.CheckConstraint(
                condition=Q(agency__isnull=False) | Q(role=Role.ALLIANCE_ADMIN),
                name="agency_role_needs_agency",
            ),
        ]
        indexes = [models.Index(fields=["alliance", "user"], name="membership_alliance_user")]

    def __str__(self) -> str:
        where = self.agency.name if self.agency else "the alliance"
        return f"{self.user} — {self.get_role_display()} of {where}"


class Invitation(TenantModel):
    """An offer of a role, sent by email; accepting it creates the membership."""

    email = models.EmailField()
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
            models.CheckConstraint(
                condition=Q(agency__isnull=False) | Q(role=Role.ALLIANCE_ADMIN),
                name="invited_agency_role_needs_agency",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="invitation_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]
        indexes = [models.Index(fields=["alliance", "email"], name="invitation_alliance_email")]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.get_role_display()}"


def default_board_approval_kinds() -> list[str]:
    return ["consortium"]


class ExpulsionBy(models.TextChoices):
    """What may end an agency's membership (clause 6): never one person's click."""

    RULING = "ruling", "A published ruling of the arbiter that orders it"
    MEMBERS_VOTE = "members_vote", "A vote of the member agencies' trustee boards"


class Protocol(TenantModel):
    """The alliance's written protocol for managing internal competition."""

    title = models.CharField(max_length=200, default="Managing internal competition")
    # Partnership kinds whose joins and departures need the member's trustee board.
    board_approval_kinds = models.JSONField(default=default_board_approval_kinds)
    # The fewest trustee votes that can decide, whatever the board's size.
    minimum_quorum = models.PositiveSmallIntegerField(default=2)
    # Whether a trustee who is also the agency's chief officer votes on its board's questions
    # (clause 4 keeps decisions with the board, so by default they do not).
    chief_officers_may_vote = models.BooleanField(default=False)
    # Days a bidder's withdrawals last after the contract is awarded.
    withdrawal_grace_days = models.PositiveSmallIntegerField(default=14)
    # Days after an award by which each partner named in the winning bid should have an
    # allocation; after that the partner was "bid candy".
    allocation_due_days = models.PositiveSmallIntegerField(default=60)
    # Days a member has to sign a partnership's current MoU before it is a breach.
    mou_signature_days = models.PositiveSmallIntegerField(default=30)
    # Days before a due date that people are reminded of it.
    reminder_days = models.PositiveSmallIntegerField(default=7)
    expulsion_by = models.CharField(
        max_length=15, choices=ExpulsionBy.choices, default=ExpulsionBy.RULING
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alliance"], name="one_protocol_per_alliance"),
            models.CheckConstraint(
                condition=Q(expulsion_by__in=ExpulsionBy.values), name="expulsion_by_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProtocolVersion(TenantModel):
    """One adopted text of the protocol, in force from its implementation date."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    principles = models.TextField()
    implemented_on = models.DateField()
    review_due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "protocol", "number"], name="version_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="version_number_positive"),
            models.CheckConstraint(
                condition=Q(review_due_on__gt=models.F("implemented_on")),
                name="review_after_implementation",
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number}"


class ProtocolAcceptance(TenantModel):
    """An agency's trustee board accepted a protocol version on a date."""

    version = models.ForeignKey(
        ProtocolVersion, on_delete=models.CASCADE, related_name="acceptances"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="protocol_acceptances"
    )
    accepted_on = models.DateField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "version", "agency"], name="acceptance_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} accepted {self.version}"


class StandingOrders(TenantModel):
    """An agency's own decision rules: they may tighten the alliance's, never loosen them."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="standing_orders")
    # The fewest approvals any question needs (counts only where above the alliance's quorum).
    minimum_votes = models.PositiveSmallIntegerField(null=True, blank=True)
    # Bids for contracts worth more than this need every eligible trustee's approval.
    full_board_above_pence = models.PositiveBigIntegerField(null=True, blank=True)
    # Keep chief officers who are trustees out of votes even where the protocol lets them in.
    bar_chief_officers = models.BooleanField(default=False)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "standing orders"
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_votes__isnull=True) | Q(minimum_votes__gte=1),
                name="standing_orders_votes_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Standing orders of {self.agency}"


class Notification(TenantModel):
    """A message to one person about something that concerns their agency."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["alliance", "recipient", "read_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return self.title


class AuditHead(TenantModel):
    """The end of an alliance's audit chain; appends lock this row so the chain cannot fork."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alliance"], name="one_audit_head_per_alliance")
        ]

    def __str__(self) -> str:
        return f"Audit chain head at #{self.last_seq}"


class AuditEvent(TenantModel):
    """An append-only record of a state change; `hash` covers the fields and `prev_hash`."""

    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=40)
    target_repr = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["alliance_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "seq"], name="audit_seq_once_per_alliance"),
        ]
        indexes = [
            models.Index(fields=["alliance", "target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} {self.target_repr}"


class BoardDecision(TenantModel):
    """A question put to an agency's trustee board (protocol clause 4: boards decide).

    What it decides is named by `subject` (an app label and id); the app that asked registers
    what happens on approval or rejection in kiaa.decisions.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="decisions")
    subject_type = models.CharField(max_length=60)
    subject_id = models.PositiveBigIntegerField()
    question = models.CharField(max_length=300)
    quorum = models.PositiveSmallIntegerField()
    rule = models.CharField(max_length=300, blank=True)  # which rule set the quorum, in words
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "approved", "rejected", "cancelled"]),
                name="decision_status_valid",
            ),
            models.CheckConstraint(condition=Q(quorum__gte=1), name="decision_quorum_positive"),
            # One open question per subject and board at a time.
            models.UniqueConstraint(
                fields=["alliance", "agency", "subject_type", "subject_id"],
                condition=Q(status="open"),
                name="one_open_decision_per_subject",
            ),
        ]
        indexes = [
            models.Index(
                fields=["alliance", "subject_type", "subject_id"], name="decision_subject"
            ),
        ]

    def __str__(self) -> str:
        return self.question


class BoardVote(TenantModel):
    """One trustee's vote; votes are never changed or withdrawn."""

    class Choice(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"

    decision = models.ForeignKey(BoardDecision, on_delete=models.PROTECT, related_name="votes")
    trustee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    note = models.TextField(blank=True)
    cast_at = models.DateTimeField()

    class Meta:
        ordering = ["cast_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "decision", "trustee"], name="one_vote_per_trustee"
            ),
            models.CheckConstraint(
                condition=Q(choice__in=["approve", "reject"]), name="vote_choice_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trustee} voted {self.choice}"


class ReminderSent(TenantModel):
    """That one person was reminded of one due date at one stage, so they never are twice."""

    class Stage(models.TextChoices):
        UPCOMING = "upcoming", "Upcoming"
        OVERDUE = "overdue", "Overdue"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)  # what is due, e.g. "tender:12:submission"
    due_at = models.DateTimeField()  # a moved date is a new due date, reminded afresh
    stage = models.CharField(max_length=10, choices=Stage.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "key", "due_at", "stage", "recipient"],
                name="reminder_sent_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.stage}) to {self.recipient_id}"


class CalendarFeed(TenantModel):
    """A person's secret calendar address for one alliance; revoked, it serves nothing."""

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    # SHA-256 of the secret: the address is shown once, and a copied table leaks nothing.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "person"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_calendar_feed",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar of {self.person_id}"


class OutboxMessage(models.Model):
    """A task to run, written in the transaction that asked for it.

    The broker may be down when the transaction commits; the relay hands pending messages
    to Celery until one has run (DESIGN.md: the database is the source of truth).
    """

    task = models.CharField(max_length=120)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(done_at__isnull=True), name="outbox_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class ScheduledRun(models.Model):
    """One periodic job's run for one tick of its schedule: a restarted beat cannot repeat it."""

    job = models.CharField(max_length=120)
    tick = models.DateTimeField()
    started_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "tick"], name="one_run_per_tick")]

    def __str__(self) -> str:
        return f"{self.job} at {self.tick:%Y-%m-%d %H:%M}"


def report_path(export: "ReportExport", filename: str) -> str:
    """Stored under the alliance, by an unguessable name; never under the static path."""
    return f"reports/{export.alliance_id}/{uuid.uuid4().hex}.{export.format}"


class ReportExport(TenantModel):
    """One report a person asked for: queued, laid out in the background, then downloadable
    by them until it expires. It records the audit-chain head it was read at (the filing copy's
    proof) and never holds more than its requester could see."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being drawn"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        CSV = "csv", "CSV (spreadsheet)"

    ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
        Status.QUEUED: (Status.RUNNING, Status.FAILED),
        # A worker that died mid-run leaves it running; the task runs it again.
        Status.RUNNING: (Status.RUNNING, Status.READY, Status.FAILED),
        Status.READY: (Status.EXPIRED,),
        Status.FAILED: (),
        Status.EXPIRED: (),
    }

    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)
    format = models.CharField(max_length=3, choices=Format.choices, default=Format.PDF)
    params = models.JSONField(default=dict, blank=True)
    scope = models.CharField(max_length=300, blank=True)  # what it covers, in words
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    failure = models.CharField(max_length=500, blank=True)
    file = models.FileField(upload_to=report_path, max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    audit_seq = models.PositiveBigIntegerField(null=True, blank=True)
    audit_hash = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["alliance", "requested_by", "-requested_at"], name="report_mine"),
            models.Index(fields=["alliance", "status", "expires_at"], name="report_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_percent"),
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(audit_seq__isnull=False) & ~Q(file="")),
                name="report_ready_has_file_and_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.format}) #{self.pk}"

    CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def content_type(self) -> str:
        return self.CONTENT_TYPES[self.format]

    @property
    def download_name(self) -> str:
        """A file name a person can file: the report, its date and the export's number."""
        made = timezone.localtime(self.finished_at or self.requested_at).date().isoformat()
        return f"{self.kind.replace('_', '-')}-{made}-{self.pk}.{self.format}"
