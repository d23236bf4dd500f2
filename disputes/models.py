"""Breaches of the protocol found by the detectors, their review and sanctions; disputes
between member agencies, the evidence both sides give, and the arbiter's rulings."""

from django.db import models
from django.db.models import F, Q

from kiaa.models import Agency, TenantModel, User


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
    # The review: who decided, when and why; an expulsion names the ruling or vote behind it.
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    ruling = models.ForeignKey(
        "Ruling", on_delete=models.PROTECT, null=True, blank=True, related_name="breaches"
    )

    DECIDED = (Status.UPHELD, Status.DISMISSED)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "kind", "key"], name="breach_once"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "under_review", "upheld", "dismissed"]),
                name="breach_status_known",
            ),
            # A dismissed breach carries no sanction; a decided one records who decided.
            models.CheckConstraint(
                condition=~Q(status="dismissed") | Q(sanction__in=["", "none"]),
                name="dismissed_breach_unsanctioned",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["upheld", "dismissed"]) | Q(reviewed_at__isnull=False),
                name="decided_breach_reviewed",
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "status", "detected_at"], name="breach_queue"),
            models.Index(fields=["alliance", "agency"], name="breach_agency"),
        ]

    def __str__(self) -> str:
        return self.summary


class Dispute(TenantModel):
    """One member agency's complaint against another, for the arbiter to rule on (clause 7)."""

    class Subject(models.TextChoices):
        BREACH = "breach", "A breach"
        DECLARATION = "declaration", "A bid declaration"
        PARTNERSHIP = "partnership", "A partnership"
        GENERAL = "general", "A general matter"

    class Status(models.TextChoices):
        FILED = "filed", "Filed, waiting for an arbiter"
        ACCEPTED = "accepted", "Accepted by the arbiter"
        EVIDENCE = "evidence", "Evidence being given"
        RULED = "ruled", "Ruled, actions outstanding"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
        Status.FILED: (Status.ACCEPTED, Status.WITHDRAWN),
        Status.ACCEPTED: (Status.EVIDENCE, Status.RULED, Status.CLOSED, Status.WITHDRAWN),
        Status.EVIDENCE: (Status.RULED, Status.CLOSED, Status.WITHDRAWN),
        # A correction of the ruling may set new actions, or end the outstanding ones.
        Status.RULED: (Status.RULED, Status.CLOSED),
        Status.CLOSED: (Status.RULED, Status.CLOSED),
        Status.WITHDRAWN: (),
    }
    # Before a ruling: the parties still give evidence and the complainant may withdraw.
    OPEN = (Status.FILED, Status.ACCEPTED, Status.EVIDENCE)
    WITH_ARBITER = (Status.ACCEPTED, Status.EVIDENCE, Status.RULED)

    complainant = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    respondent = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=12, choices=Subject.choices)
    breach = models.ForeignKey(
        Breach, on_delete=models.PROTECT, null=True, blank=True, related_name="disputes"
    )
    declaration = models.ForeignKey(
        "bids.Declaration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FILED)
    filed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    arbiter = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The agency the arbiter acts for: the CVS, or a member lent when the CVS is a party.
    arbiter_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment_reason = models.TextField(blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    evidence_due_on = models.DateField(null=True, blank=True)
    ruling_due_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(complainant=F("respondent")), name="dispute_between_two"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["filed", "accepted", "evidence", "ruled", "closed", "withdrawn"]
                ),
                name="dispute_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["filed", "withdrawn"]) | Q(arbiter__isnull=False),
                name="dispute_has_arbiter_once_accepted",
            ),
            models.CheckConstraint(
                condition=(Q(subject="breach") & Q(breach__isnull=False))
                | (Q(subject="declaration") & Q(declaration__isnull=False))
                | (Q(subject="partnership") & Q(partnership__isnull=False))
                | Q(subject="general"),
                name="dispute_subject_named",
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "status", "filed_at"], name="dispute_queue"),
            models.Index(fields=["alliance", "complainant"], name="dispute_complainant"),
            models.Index(fields=["alliance", "respondent"], name="dispute_respondent"),
            models.Index(fields=["alliance", "arbiter"], name="dispute_arbiter"),
        ]

    def __str__(self) -> str:
        return f"Dispute #{self.pk}"

    @property
    def parties(self) -> tuple[int, int]:
        return (self.complainant_id, self.respondent_id)


class Submission(TenantModel):
    """A statement with its evidence, from a party or the arbiter."""

    class Visibility(models.TextChoices):
        ARBITER = "arbiter", "The arbiter only"
        SHARED = "shared", "The arbiter and the other party"

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="submissions")
    # The party it comes from; the arbiter's own notes carry the arbiter's agency.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    by_arbiter = models.BooleanField(default=False)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField()
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    submitted_at = models.DateTimeField()
    # Papers already in the system; each reader sees only those the barrier shows them.
    papers = models.ManyToManyField(
        "partnerships.Document", through="SubmissionPaper", related_name="+", blank=True
    )

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=["arbiter", "shared"]), name="submission_visibility"
            ),
            # What the arbiter says, both parties read.
            models.CheckConstraint(
                condition=Q(by_arbiter=False) | Q(visibility="shared"),
                name="arbiter_submissions_shared",
            ),
        ]
        indexes = [models.Index(fields=["alliance", "dispute"], name="submission_dispute")]

    def __str__(self) -> str:
        return f"Submission #{self.pk} to dispute #{self.dispute_id}"


class SubmissionPaper(TenantModel):
    """A paper a submission points to (explicit, so the row carries its alliance)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE)
    document = models.ForeignKey("partnerships.Document", on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "submission", "document"], name="submission_paper_once"
            )
        ]

    def __str__(self) -> str:
        return f"Paper {self.document_id} in submission {self.submission_id}"


class EvidenceFile(TenantModel):
    """A file given with a submission, seen by exactly those who see the submission."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to="evidence/%Y/%m/", max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["alliance", "submission"], name="evidence_submission")]

    def __str__(self) -> str:
        return self.original_name


class Ruling(TenantModel):
    """The arbiter's published ruling; never edited: a correction is a new ruling linked to it."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="rulings")
    number = models.PositiveSmallIntegerField()
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="correction"
    )
    findings = models.TextField()
    decision = models.TextField()
    # A sanction the ruling orders against a party (on a breach it rules on), if any.
    sanction = models.CharField(
        max_length=12, choices=Breach.Sanction.choices, default=Breach.Sanction.NONE
    )
    sanctioned_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["dispute_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "dispute", "number"], name="ruling_number_once"
            ),
            models.CheckConstraint(
                condition=Q(sanction="none") | Q(sanctioned_agency__isnull=False),
                name="ruling_sanction_names_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"Ruling {self.number} on dispute #{self.dispute_id}"


class RequiredAction(TenantModel):
    """What a ruling requires of one party, by a date; the party confirms it is done."""

    ruling = models.ForeignKey(Ruling, on_delete=models.PROTECT, related_name="actions")
    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="actions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    due_on = models.DateField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmation_note = models.TextField(blank=True)
    # A correction of the ruling replaces its outstanding actions with its own.
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(superseded_at__isnull=True),
                name="action_confirmed_or_superseded",
            )
        ]
        indexes = [
            models.Index(fields=["alliance", "dispute"], name="action_dispute"),
            models.Index(
                fields=["alliance", "due_on"],
                condition=Q(confirmed_at__isnull=True, superseded_at__isnull=True),
                name="action_outstanding",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]


class ExpulsionMotion(TenantModel):
    """An upheld breach put to the member agencies' boards: expel the agency? (clause 6).

    Each other active member agency's trustee board decides (kiaa BoardDecision); a majority of
    those agencies carries it, and it fails as soon as a majority can no longer be reached.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Boards voting"
        CARRIED = "carried", "Carried: expelled"
        FAILED = "failed", "Not carried"

    breach = models.OneToOneField(Breach, on_delete=models.PROTECT, related_name="motion")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    boards = models.PositiveSmallIntegerField()  # how many agencies' boards were asked
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "carried", "failed"]), name="motion_status_known"
            )
        ]

    def __str__(self) -> str:
        return f"Motion to expel {self.agency} (breach #{self.breach_id})"
