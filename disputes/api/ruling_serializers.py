"""Shapes of a dispute's rulings and the actions they require (API.md `disputes/<id>/ruling/`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disputes.api.serializers import AllianceAgencyField, id_field, is_whole
from disputes.models import Breach, RequiredAction, Ruling
from disputes.services import rulings
from disputes.services.rulings import ActionSpec
from kiaa.models import Agency

ACTIONS_NOT_A_LIST = "Give the required actions as a list of {agency, description, due_on}."
ACTION_NOT_AN_OBJECT = "Each required action is an object: {agency, description, due_on}."
ACTION_UNKNOWN_AGENCY = "No member agency with the id {value!r} in this alliance."
ACTION_BAD_DATE = "Give each required action's due date as YYYY-MM-DD, not {value!r}."
NO_SUCH_RULING = "This dispute has no ruling {value}."


class ActionSerializer(serializers.ModelSerializer[RequiredAction]):
    confirmed_by = serializers.CharField(
        source="confirmed_by.username", allow_null=True, read_only=True
    )

    class Meta:
        model = RequiredAction
        fields = [
            "id",
            "agency",
            "description",
            "due_on",
            "confirmed_at",
            "confirmed_by",
            "superseded_at",
        ]
        read_only_fields = fields


class RulingSerializer(serializers.ModelSerializer[Ruling]):
    corrects = serializers.IntegerField(
        source="corrects.number",
        allow_null=True,
        read_only=True,
        help_text="The number of the ruling this one corrects.",
    )
    published_by = serializers.CharField(source="published_by.username", read_only=True)
    actions = ActionSerializer(many=True, read_only=True)

    class Meta:
        model = Ruling
        fields = [
            "id",
            "number",
            "corrects",
            "findings",
            "decision",
            "sanction",
            "sanctioned_agency",
            "published_by",
            "published_at",
            "actions",
        ]
        read_only_fields = fields


class RulingRecordSerializer(RulingSerializer):
    """The latest ruling, with the earlier ones it corrected (latest first) as its history."""

    history = serializers.SerializerMethodField()

    class Meta(RulingSerializer.Meta):
        fields = [*RulingSerializer.Meta.fields, "history"]
        read_only_fields = fields

    @extend_schema_field(RulingSerializer(many=True))
    def get_history(self, ruling: Ruling) -> Any:
        return RulingSerializer(self.context["history"], many=True).data


class ActionInputSerializer(serializers.Serializer[Any]):
    """One action a ruling requires (the schema of `actions` on input)."""

    agency = serializers.IntegerField(help_text="The party that must act.")
    description = serializers.CharField()
    due_on = serializers.DateField()


@extend_schema_field(ActionInputSerializer(many=True))
class ActionsField(serializers.Field):  # type: ignore[type-arg]
    """The actions a ruling requires, with errors as one flat list of messages (API.md's format).

    That each is for a party, described and due from today on is the service's rule; here only
    that each names an agency of this alliance and a date.
    """

    def to_internal_value(self, data: Any) -> list[ActionSpec]:
        if not isinstance(data, list):
            raise serializers.ValidationError(ACTIONS_NOT_A_LIST)
        if not all(isinstance(entry, dict) for entry in data):
            raise serializers.ValidationError(ACTION_NOT_AN_OBJECT)
        agencies = self._agencies([entry.get("agency") for entry in data])
        return [
            ActionSpec(agency, _text(entry.get("description")), _date(entry.get("due_on")))
            for agency, entry in zip(agencies, data, strict=True)
        ]

    def _agencies(self, ids: list[Any]) -> list[Agency]:
        """The agencies named, read together; any id not of this alliance is refused by name."""
        for value in ids:
            if not is_whole(value):
                raise serializers.ValidationError(ACTION_UNKNOWN_AGENCY.format(value=value))
        wanted = [int(value) for value in ids]
        found = Agency.objects.for_alliance(self.context["alliance"]).in_bulk(set(wanted))
        for value, pk in zip(ids, wanted, strict=True):
            if pk not in found:
                raise serializers.ValidationError(ACTION_UNKNOWN_AGENCY.format(value=value))
        return [found[pk] for pk in wanted]

    def to_representation(self, value: Any) -> Any:
        return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise serializers.ValidationError(rulings.ACTION_DESCRIPTION)
    return value


def _date(value: Any) -> date:
    try:
        return serializers.DateField().run_validation(value)  # type: ignore[no-any-return]
    except serializers.ValidationError:
        raise serializers.ValidationError(ACTION_BAD_DATE.format(value=value)) from None


class RulingPublishSerializer(serializers.Serializer[Any]):
    findings = serializers.CharField()
    decision = serializers.CharField()
    actions = ActionsField(required=False)
    sanction = serializers.ChoiceField(
        choices=Breach.Sanction.choices, default=Breach.Sanction.NONE
    )
    sanctioned_agency = AllianceAgencyField(required=False, allow_null=True)
    corrects = id_field(
        required=False,
        allow_null=True,
        help_text="The number (or id) of the ruling this corrects: the latest; omit for the first.",
    )

    def validate_corrects(self, value: int | None) -> Ruling | None:
        """The dispute's ruling with that number, else the one with that id."""
        if value is None:
            return None
        rulings_ = self.context["rulings"]
        found = next((r for r in rulings_ if r.number == value), None)
        found = found or next((r for r in rulings_ if r.pk == value), None)
        if found is None:
            raise serializers.ValidationError(NO_SUCH_RULING.format(value=value))
        return found


class ActionConfirmSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True)
