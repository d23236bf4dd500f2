"""Shapes of the breaches and disputes API (API.md); input is validated here, every rule is a
service's. Ids in a body are looked up in the request's alliance only, so another alliance's
agency, breach or ruling reads as one that does not exist (a 400 on its field)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bids.api.serializers import MAX_BIGINT
from disputes.models import Breach, Dispute, EvidenceFile, ExpulsionMotion, Ruling, Submission
from disputes.selectors import Evidence
from disputes.services import disputes as dispute_services
from kiaa.models import User
from partnerships.api.serializers import AllianceAgencyField


def is_whole(value: Any) -> bool:
    """A whole number an id column can hold (True is not object 1, nor 1.5 object 1)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_BIGINT


class AllianceField(serializers.PrimaryKeyRelatedField[Any]):
    """An id of a row of the view's alliance; any other reads as one that does not exist."""

    def get_queryset(self) -> QuerySet[Any]:
        return self.alliance_rows(self.context["alliance"])

    def alliance_rows(self, alliance: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> Model:
        if not is_whole(data):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class AllianceBreachField(AllianceField):
    queryset = Breach.objects.all()  # narrowed to the alliance; here for the schema
    # The same words as the service's, so an id that exists elsewhere reads as one that does not.
    default_error_messages = {"does_not_exist": dispute_services.NO_SUCH_BREACH}

    def alliance_rows(self, alliance: Any) -> QuerySet[Breach]:
        return Breach.objects.for_alliance(alliance)


class AllianceRulingField(AllianceField):
    queryset = Ruling.objects.all()
    default_error_messages = {"does_not_exist": "No ruling with the id {pk_value!r} here."}

    def alliance_rows(self, alliance: Any) -> QuerySet[Ruling]:
        return Ruling.objects.for_alliance(alliance).select_related("dispute")


class AlliancePersonField(AllianceField):
    """A person who holds a role in this alliance (nobody else's id means anything here)."""

    queryset = User.objects.all()
    default_error_messages = {"does_not_exist": "No person with the id {pk_value!r} here."}

    def alliance_rows(self, alliance: Any) -> QuerySet[User]:
        return User.objects.filter(memberships__alliance=alliance).distinct()


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_BIGINT, **kwargs)


def flat(detail: Any) -> list[str]:
    """Every message in a nested error, in order."""
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in flat(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in flat(value)]
    return [str(detail)]


class FlatListField(serializers.ListField):
    """A list whose errors read as one flat list of messages (API.md's format), not by index."""

    def to_internal_value(self, data: Any) -> list[Any]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(flat(error.detail)) from None


# --- Breaches ------------------------------------------------------------------------------------


class MotionSerializer(serializers.Serializer[ExpulsionMotion]):
    """An expulsion put to the other member agencies' boards, and how they have voted so far."""

    status = serializers.ChoiceField(choices=ExpulsionMotion.Status.choices)
    boards = serializers.IntegerField(help_text="How many agencies' boards were asked.")
    approved = serializers.IntegerField(help_text="Boards that approved the expulsion.")
    rejected = serializers.IntegerField(help_text="Boards that rejected it.")


class BreachSerializer(serializers.ModelSerializer[Breach]):
    declaration = serializers.SerializerMethodField()
    # Blank until the arbiter reviews the breach; the schema says so rather than only the enum.
    sanction = serializers.ChoiceField(
        choices=Breach.Sanction.choices, allow_blank=True, read_only=True
    )
    evidence = serializers.DictField(
        read_only=True, help_text='What the detector saw: "details" (sentences) and ids or dates.'
    )
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", allow_null=True, read_only=True
    )
    motion = serializers.SerializerMethodField()

    class Meta:
        model = Breach
        fields = [
            "id",
            "kind",
            "summary",
            "agency",
            "tender",
            "partnership",
            "declaration",
            "occurred_at",
            "detected_at",
            "cleared_at",
            "evidence",
            "status",
            "sanction",
            "review_note",
            "reviewed_at",
            "reviewed_by",
            "ruling",
            "motion",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_declaration(self, breach: Breach) -> Any:
        """The declaration's id, only when the barrier of bids lets the reader see it."""
        visible = getattr(breach, "declaration_visible", False)
        return breach.declaration_id if visible else None

    @extend_schema_field(MotionSerializer(allow_null=True))
    def get_motion(self, breach: Breach) -> Any:
        """The members' vote on expelling the agency, if the review put it to one."""
        motion = getattr(breach, "motion", None)
        if motion is None:
            return None
        approved, rejected = self.context.get("tallies", {}).get(motion.pk, (0, 0))
        return {
            "status": motion.status,
            "boards": motion.boards,
            "approved": approved,
            "rejected": rejected,
        }


OUTCOMES = [(s, Breach.Status(s).label) for s in Breach.DECIDED]


class BreachReviewSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    note = serializers.CharField(help_text="Why: kept with the decision.")
    sanction = serializers.ChoiceField(
        choices=Breach.Sanction.choices, default=Breach.Sanction.NONE
    )
    ruling = AllianceRulingField(
        required=False,
        allow_null=True,
        help_text="The published ruling behind an expulsion, where the protocol expels by ruling.",
    )


# --- Disputes -----------------------------------------------------------------------------------


class DisputeSerializer(serializers.ModelSerializer[Dispute]):
    arbiter = serializers.CharField(source="arbiter.username", allow_null=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "complainant",
            "respondent",
            "subject",
            "breach",
            "declaration",
            "partnership",
            "summary",
            "status",
            "arbiter",
            "arbiter_agency",
            "appointment_reason",
            "filed_at",
            "accepted_at",
            "evidence_due_on",
            "ruling_due_on",
            "closed_at",
            "closing_reason",
        ]
        read_only_fields = fields


class DisputeFileSerializer(serializers.Serializer[Any]):
    complainant = AllianceAgencyField(
        required=False, help_text="The complaining agency; the acting agency if omitted."
    )
    respondent = AllianceAgencyField()
    subject = serializers.ChoiceField(choices=Dispute.Subject.choices)
    breach = AllianceBreachField(required=False, allow_null=True)
    declaration = id_field(required=False, allow_null=True)
    partnership = id_field(required=False, allow_null=True)
    summary = serializers.CharField()


class DeadlinesSerializer(serializers.Serializer[Any]):
    evidence_due_on = serializers.DateField(help_text="The last day for the parties' evidence.")
    ruling_due_on = serializers.DateField(help_text="The day the ruling is due by.")


class AppointSerializer(DeadlinesSerializer):
    arbiter = AlliancePersonField(help_text="The person appointed (a user id).")
    agency = AllianceAgencyField(help_text="The eligible member agency the arbiter acts for.")
    reason = serializers.CharField(help_text="Why this arbiter: kept with the appointment.")


class DisputeWithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


# --- Evidence -----------------------------------------------------------------------------------


class EvidenceFileSerializer(serializers.Serializer[EvidenceFile]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    size = serializers.IntegerField(help_text="In bytes.")
    content_type = serializers.CharField()
    download = serializers.SerializerMethodField(help_text="Where to download the file.")

    def get_download(self, found: EvidenceFile) -> str:
        request = self.context["request"]
        url = reverse(
            "api:dispute-file",
            kwargs={
                "alliance_slug": request.tenant.alliance.slug,
                "pk": self.context["dispute"].pk,
                "file_id": found.pk,
            },
        )
        return str(request.build_absolute_uri(url))


class SubmissionSerializer(serializers.Serializer[Any]):
    """A submission as the reader may see it (an Evidence of selectors.submission_list_for)."""

    id = serializers.IntegerField(source="submission.pk")
    agency = serializers.IntegerField(
        source="submission.agency_id", help_text="The party it comes from, or the arbiter's."
    )
    by_arbiter = serializers.BooleanField(source="submission.by_arbiter")
    author = serializers.CharField(source="submission.author.username")
    statement = serializers.CharField(source="submission.statement")
    visibility = serializers.ChoiceField(
        source="submission.visibility", choices=Submission.Visibility.choices
    )
    submitted_at = serializers.DateTimeField(source="submission.submitted_at")
    files = EvidenceFileSerializer(many=True)
    papers = serializers.SerializerMethodField()
    hidden_papers = serializers.IntegerField(
        help_text="Papers it points to that the barrier does not show the reader."
    )

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_papers(self, found: Evidence) -> list[int]:
        """The papers it points to that the reader may open (documents/<id>/)."""
        return [paper.pk for paper in found.papers]


class SubmissionCreateSerializer(serializers.Serializer[Any]):
    statement = serializers.CharField()
    visibility = serializers.ChoiceField(
        choices=Submission.Visibility.choices,
        default=Submission.Visibility.SHARED,
        help_text="The arbiter only, or shared with the other party (the arbiter's always are).",
    )
    files = FlatListField(child=serializers.FileField(allow_empty_file=False), required=False)
    papers = FlatListField(
        child=id_field(), required=False, help_text="Ids of papers you can open yourself."
    )
    agency = AllianceAgencyField(
        required=False, help_text="The party it comes from, if you speak for both."
    )
