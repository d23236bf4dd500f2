"""Shapes of the partnerships API (API.md); input is validated here, every write is a service's."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kiaa.models import Agency, ServiceArea
from partnerships.models import (
    ConfidentialityAcknowledgement,
    DueDiligenceCheck,
    MouSignature,
    MouVersion,
    Partnership,
    PartnershipMember,
    Withdrawal,
)
from partnerships.services.mou import SECTIONS

# What a member's place reads as: its own status, or "withdrawn" while an active member is in a
# withdrawal (protocol clause 5: stepped back from partnership working while it competes).
WITHDRAWN = "withdrawn"
MEMBER_STATUSES = [*PartnershipMember.Status.choices, (WITHDRAWN, "Withdrawn (bidding)")]
WITHDRAWAL_STATUSES = [("active", "Active"), ("ended", "Ended")]

SECTIONS_NOT_AN_OBJECT = "Give the sections as an object of texts."
SECTIONS_MISSING = "Every section of the MoU needs its text; missing: {names}."
SECTIONS_UNKNOWN = "Unknown sections: {names}."
SECTIONS_NOT_TEXT = "Each section is a text: {names}."
SLUGS_NOT_A_LIST = "Give the service areas as a list of slugs."
NOT_A_SLUG = "Not a service-area slug: {value}."


def withdrawn_agencies(partnership: Partnership) -> set[int]:
    """Agencies in an active withdrawal from the partnership (prefetched as active_withdrawals)."""
    return {w.agency_id for w in partnership.active_withdrawals}  # type: ignore[attr-defined]


# --- Fields that look ids up in the request's alliance -----------------------------------------


class AllianceAgencyField(serializers.PrimaryKeyRelatedField[Agency]):
    """An agency id of the view's alliance; another alliance's id reads as one that does not exist."""

    queryset = Agency.objects.all()  # narrowed to the alliance below; here for the schema

    def get_queryset(self) -> QuerySet[Agency]:
        return Agency.objects.for_alliance(self.context["alliance"])

    def to_internal_value(self, data: Any) -> Agency:
        # True is not agency 1, nor 1.5 agency 1: only whole numbers name an agency.
        whole = isinstance(data, int | str) and not isinstance(data, bool)
        if not whole:
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


def _is_slug(value: Any) -> bool:
    try:
        serializers.SlugField(max_length=60).run_validation(value)
    except serializers.ValidationError:
        return False
    return isinstance(value, str)


@extend_schema_field(serializers.ListField(child=serializers.SlugField()))
class SlugListField(serializers.Field):  # type: ignore[type-arg]
    """A list of service-area slugs, with errors as a flat list of messages (API.md's format)."""

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list):
            raise serializers.ValidationError(SLUGS_NOT_A_LIST)
        bad = [repr(value) for value in data if not _is_slug(value)]
        if bad:
            raise serializers.ValidationError(NOT_A_SLUG.format(value=", ".join(bad)))
        return data

    def to_representation(self, value: Any) -> list[str]:
        return list(value)


# --- Partnerships and their members -------------------------------------------------------------


class PartnershipMemberSerializer(serializers.ModelSerializer[PartnershipMember]):
    """One agency's place; `context["withdrawn"]` names the agencies in an active withdrawal."""

    status = serializers.SerializerMethodField()

    class Meta:
        model = PartnershipMember
        fields = ["agency", "role", "status"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=MEMBER_STATUSES))
    def get_status(self, member: PartnershipMember) -> str:
        withdrawn: Collection[int] = self.context["withdrawn"]
        if member.status == PartnershipMember.Status.ACTIVE and member.agency_id in withdrawn:
            return WITHDRAWN
        return member.status


class PartnershipSerializer(serializers.ModelSerializer[Partnership]):
    """A partnership as the alliance sees it; read from partnership_list_for with withdrawals."""

    service_areas = serializers.SlugRelatedField[ServiceArea](
        many=True, slug_field="slug", read_only=True
    )
    members = serializers.SerializerMethodField()

    class Meta:
        model = Partnership
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "lead_agency",
            "service_areas",
            "status",
            "members",
        ]
        read_only_fields = fields

    @extend_schema_field(PartnershipMemberSerializer(many=True))
    def get_members(self, partnership: Partnership) -> Any:
        context = {"withdrawn": withdrawn_agencies(partnership)}
        return PartnershipMemberSerializer(
            partnership.members.all(), many=True, context=context
        ).data


class PartnershipProposeSerializer(serializers.Serializer[Any]):
    """POST partnerships/: the lead is the acting agency unless `lead_agency` names another."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Partnership.Kind.choices)
    description = serializers.CharField(required=False, allow_blank=True)
    lead_agency = AllianceAgencyField(required=False)
    service_areas = SlugListField(required=False)


class MemberInviteSerializer(serializers.Serializer[Any]):
    agency = AllianceAgencyField()
    role = serializers.ChoiceField(
        choices=[
            PartnershipMember.Role.PARTNER.value,
            PartnershipMember.Role.SUBCONTRACTOR.value,
        ]
    )


# --- Due-diligence checks -----------------------------------------------------------------------


class CheckSerializer(serializers.ModelSerializer[DueDiligenceCheck]):
    checked_by = serializers.CharField(source="checked_by.username", read_only=True)

    class Meta:
        model = DueDiligenceCheck
        fields = ["agency", "item", "outcome", "note", "checked_by", "checked_at"]
        read_only_fields = fields


class CheckRecordSerializer(serializers.Serializer[Any]):
    agency = AllianceAgencyField()
    item = serializers.ChoiceField(choices=DueDiligenceCheck.Item.choices)
    outcome = serializers.ChoiceField(choices=DueDiligenceCheck.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True)


# --- The memorandum of understanding ------------------------------------------------------------


class MouSectionsSerializer(serializers.Serializer[Any]):
    """The texts of an MoU, one per section (the schema of `sections`)."""

    confidentiality = serializers.CharField()
    due_diligence = serializers.CharField()
    transparency = serializers.CharField()
    costs = serializers.CharField()
    governance = serializers.CharField()
    exclusivity = serializers.CharField()


@extend_schema_field(MouSectionsSerializer)
class SectionsField(serializers.Field):  # type: ignore[type-arg]
    """Every section, each a text; errors as one flat list of messages (API.md's format)."""

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(SECTIONS_NOT_AN_OBJECT)
        unknown = sorted(set(data) - set(SECTIONS))
        if unknown:
            raise serializers.ValidationError(SECTIONS_UNKNOWN.format(names=", ".join(unknown)))
        not_text = [name for name in SECTIONS if name in data and not isinstance(data[name], str)]
        if not_text:
            raise serializers.ValidationError(SECTIONS_NOT_TEXT.format(names=", ".join(not_text)))
        missing = [name for name in SECTIONS if not (data.get(name) or "").strip()]
        if missing:
            raise serializers.ValidationError(SECTIONS_MISSING.format(names=", ".join(missing)))
        return {name: data[name] for name in SECTIONS}

    def to_representation(self, version: MouVersion) -> dict[str, str]:
        return {name: getattr(version, name) for name in SECTIONS}


class SignatureSerializer(serializers.ModelSerializer[MouSignature]):
    signed_by = serializers.CharField(source="signed_by.username", read_only=True)

    class Meta:
        model = MouSignature
        fields = ["agency", "signed_by", "signed_at"]
        read_only_fields = fields


class MouSerializer(serializers.ModelSerializer[MouVersion]):
    """The current version; `context["unsigned"]` and `context["acknowledged"]` come from the view."""

    sections = SectionsField(source="*", read_only=True)
    contribution_amount = serializers.IntegerField(source="contribution_pence", read_only=True)
    signatures = SignatureSerializer(many=True, read_only=True)
    unsigned = serializers.SerializerMethodField()
    acknowledged = serializers.SerializerMethodField()

    class Meta:
        model = MouVersion
        fields = [
            "number",
            "sections",
            "contribution_amount",
            "exclusive",
            "review_due_on",
            "signatures",
            "unsigned",
            "acknowledged",
            "created_at",
        ]
        read_only_fields = fields

    def get_unsigned(self, version: MouVersion) -> list[int]:
        """Active members whose trustees have not signed this version."""
        return list(self.context["unsigned"])

    def get_acknowledged(self, version: MouVersion) -> bool:
        """Whether the requesting person has accepted this version's confidentiality undertaking."""
        return bool(self.context["acknowledged"])


class MouWriteSerializer(serializers.Serializer[Any]):
    """PUT mou/: the whole text of the next version; contribution_amount is in pence.

    review_due_on left out keeps the current version's; null sets none."""

    sections = SectionsField()
    contribution_amount = serializers.IntegerField(min_value=0, max_value=2**63 - 1)
    exclusive = serializers.BooleanField()
    review_due_on = serializers.DateField(required=False, allow_null=True)


class MouSignSerializer(serializers.Serializer[Any]):
    """Optional when the trustee sits on one board only."""

    agency = AllianceAgencyField(required=False)


class AcknowledgementSerializer(serializers.ModelSerializer[ConfidentialityAcknowledgement]):
    class Meta:
        model = ConfidentialityAcknowledgement
        fields = ["partnership", "undertaking_digest", "acknowledged_at"]
        read_only_fields = fields


# --- Withdrawals --------------------------------------------------------------------------------


class WithdrawalSerializer(serializers.ModelSerializer[Withdrawal]):
    tender = serializers.SerializerMethodField()
    declaration = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Withdrawal
        fields = [
            "id",
            "agency",
            "partnership",
            "tender",
            "declaration",
            "reason",
            "starts_at",
            "ends_at",
            "status",
        ]
        read_only_fields = fields

    def get_tender(self, withdrawal: Withdrawal) -> int | None:
        """The tender the agency is bidding for (set once bids open withdrawals)."""
        return getattr(withdrawal, "tender_id", None)

    def get_declaration(self, withdrawal: Withdrawal) -> int | None:
        """The bid declaration that opened the withdrawal (set once bids open withdrawals)."""
        return getattr(withdrawal, "declaration_id", None)

    @extend_schema_field(serializers.ChoiceField(choices=WITHDRAWAL_STATUSES))
    def get_status(self, withdrawal: Withdrawal) -> str:
        ended = withdrawal.ends_at is not None and withdrawal.ends_at <= timezone.now()
        return "ended" if ended else "active"
