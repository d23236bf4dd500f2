"""Shapes of the alliance core's API resources (API.md); writes are validated here, done by services."""

from typing import Any

from rest_framework import serializers

from kiaa.models import (
    Agency,
    ExpulsionBy,
    Invitation,
    Membership,
    Notification,
    Protocol,
    ProtocolAcceptance,
    ProtocolVersion,
    Role,
    ServiceArea,
)


class ServiceAreaSerializer(serializers.ModelSerializer[ServiceArea]):
    slug = serializers.SlugField(required=False, max_length=60)

    class Meta:
        model = ServiceArea
        fields = ["slug", "name"]


class AgencySerializer(serializers.ModelSerializer[Agency]):
    service_areas = serializers.SlugRelatedField[ServiceArea](
        many=True, slug_field="slug", read_only=True
    )

    class Meta:
        model = Agency
        fields = [
            "id",
            "name",
            "charity_number",
            "company_number",
            "size_band",
            "reach",
            "service_areas",
            "status",
            "is_arbiter",
            "may_arbitrate",
        ]
        read_only_fields = fields


class AgencyCreateSerializer(serializers.Serializer[Any]):
    """Input for admitting an agency; it starts active."""

    name = serializers.CharField(max_length=200)
    charity_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    company_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    size_band = serializers.ChoiceField(choices=Agency.SizeBand.choices)
    reach = serializers.ChoiceField(choices=Agency.Reach.choices)
    service_areas = serializers.ListField(child=serializers.SlugField(), required=False)
    is_arbiter = serializers.BooleanField(required=False)


class AgencyUpdateSerializer(AgencyCreateSerializer):
    """Input for PATCHing an agency: any field of admission, and its status."""

    status = serializers.ChoiceField(choices=Agency.Status.choices, required=False)
    may_arbitrate = serializers.BooleanField(required=False)


class UserSummarySerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField(source="get_full_name")


class MemberSerializer(serializers.ModelSerializer[Membership]):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "agency", "role"]
        read_only_fields = fields


class InviteSerializer(serializers.Serializer[Any]):
    """POST members/: invite an email address to a role (the person accepts by link)."""

    email = serializers.EmailField()
    agency = serializers.IntegerField(required=False, allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    status = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "email", "agency", "role", "status", "created_at", "expires_at"]
        read_only_fields = fields

    def get_status(self, invitation: Invitation) -> str:
        if invitation.accepted_at:
            return "accepted"
        return "revoked" if invitation.revoked_at else "invited"


class AcceptanceSerializer(serializers.ModelSerializer[ProtocolAcceptance]):
    class Meta:
        model = ProtocolAcceptance
        fields = ["agency", "accepted_on"]


class ProtocolSerializer(serializers.ModelSerializer[ProtocolVersion]):
    version = serializers.IntegerField(source="number")
    acceptances = AcceptanceSerializer(many=True)

    class Meta:
        model = ProtocolVersion
        fields = ["version", "principles", "implemented_on", "review_due_on", "acceptances"]
        read_only_fields = fields


class ProtocolSettingsSerializer(serializers.ModelSerializer[Protocol]):
    """The alliance's own rules. On PUT, the newer settings may be left out (kept as they are)."""

    board_approval_kinds = serializers.ListField(
        child=serializers.CharField(max_length=40), allow_empty=True
    )
    minimum_quorum = serializers.IntegerField(max_value=99)
    chief_officers_may_vote = serializers.BooleanField(required=False)
    # The service checks each range (one message per setting); this only keeps to the column's.
    withdrawal_grace_days = serializers.IntegerField(required=False, max_value=32767)
    reminder_days = serializers.IntegerField(required=False, max_value=32767)
    allocation_due_days = serializers.IntegerField(required=False, max_value=32767)
    mou_signature_days = serializers.IntegerField(required=False, max_value=32767)
    expulsion_by = serializers.ChoiceField(choices=ExpulsionBy.choices, required=False)

    class Meta:
        model = Protocol
        fields = [
            "board_approval_kinds",
            "minimum_quorum",
            "chief_officers_may_vote",
            "withdrawal_grace_days",
            "reminder_days",
            "allocation_due_days",
            "mou_signature_days",
            "expulsion_by",
        ]


class StandingOrdersSerializer(serializers.Serializer[Any]):
    """An agency's standing orders; PUT gives all three (null leaves a limit unset)."""

    agency = serializers.IntegerField(read_only=True)
    minimum_votes = serializers.IntegerField(allow_null=True, max_value=32767)
    full_board_above_pence = serializers.IntegerField(allow_null=True, max_value=2**63 - 1)
    bar_chief_officers = serializers.BooleanField()
    rules = serializers.ListField(child=serializers.CharField(), read_only=True)
    updated_by = serializers.CharField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "agency", "verb", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields
