"""Shapes of the bids API (API.md); input is validated here, every write is a service's."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bids import rules, selectors
from bids.models import (
    Allocation,
    Declaration,
    NamedPartner,
    StepBack,
    Tender,
    TenderImport,
    TupeRelease,
)
from bids.services.declarations import BAD_SHARE, Naming
from kiaa.models import Agency, ServiceArea
from partnerships.api.documents import DocumentCreateSerializer, DocumentSerializer
from partnerships.api.serializers import (
    AllianceAgencyField,
    SlugListField,
    WithdrawalSerializer,
)
from partnerships.models import Document, Withdrawal

NAMINGS_NOT_A_LIST = "Give the named partners as a list of {agency, proposed_share_pct}."
NAMING_NOT_AN_OBJECT = "Each named partner is an object: {agency, proposed_share_pct}."
NAMING_UNKNOWN_AGENCY = "No member agency with the id {value!r} in this alliance."
NAMING_BAD_SHARE = "A partner's proposed share is a number of percent: {value!r}."
NAMING_TOO_PRECISE = "A partner's proposed share has at most two decimal places."
BID_PAPER_IN_PARTNERSHIP = "A bid paper belongs to its bid, not to a partnership."
# The kinds of conflict the rules find, as a choice set of its own (ENUM_NAME_OVERRIDES names it).
CONFLICT_KINDS = [(kind, kind.replace("_", " ").capitalize()) for kind in rules.KINDS]
MAX_BIGINT = 2**63 - 1  # what a bigint column (an id, a value in pence) holds


# --- Fields that look ids up in the request's alliance ------------------------------------------


def _whole(field: serializers.PrimaryKeyRelatedField[Any], data: Any) -> None:
    # True is not object 1, nor 1.5 object 1: only whole numbers (or their digits) name one.
    if not isinstance(data, int | str) or isinstance(data, bool):
        field.fail("incorrect_type", data_type=type(data).__name__)


class AllianceTenderField(serializers.PrimaryKeyRelatedField[Tender]):
    """A tender of the view's alliance; another alliance's id reads as one that does not exist."""

    queryset = Tender.objects.all()  # narrowed to the alliance below; here for the schema

    def get_queryset(self) -> QuerySet[Tender]:
        return Tender.objects.for_alliance(self.context["alliance"])

    def to_internal_value(self, data: Any) -> Tender:
        _whole(self, data)
        return super().to_internal_value(data)


class VisibleDeclarationField(serializers.PrimaryKeyRelatedField[Declaration]):
    """A declaration the person may see: another agency's draft reads as one that does not exist."""

    queryset = Declaration.objects.all()  # narrowed to what the person sees below

    def get_queryset(self) -> QuerySet[Declaration]:
        return selectors.declaration_list_for(
            person=self.context["person"], alliance=self.context["alliance"]
        )

    def to_internal_value(self, data: Any) -> Declaration:
        _whole(self, data)
        return super().to_internal_value(data)


class NamingInputSerializer(serializers.Serializer[Any]):
    """One partner a lead names (the schema of `named_partners` on input)."""

    agency = serializers.IntegerField()
    proposed_share_pct = serializers.DecimalField(max_digits=5, decimal_places=2)


@extend_schema_field(NamingInputSerializer(many=True))
class NamingsField(serializers.Field):  # type: ignore[type-arg]
    """The partners a lead names, with errors as one flat list of messages (API.md's format).

    The range and the sum of the shares are the service's rules (check_namings); here only
    that each entry names an agency of this alliance and a finite number of percent.
    """

    def to_internal_value(self, data: Any) -> list[Naming]:
        if not isinstance(data, list):
            raise serializers.ValidationError(NAMINGS_NOT_A_LIST)
        if not all(isinstance(entry, dict) for entry in data):
            raise serializers.ValidationError(NAMING_NOT_AN_OBJECT)
        agencies = self._agencies([entry.get("agency") for entry in data])
        return [
            Naming(agency, _share(entry.get("proposed_share_pct")))
            for agency, entry in zip(agencies, data, strict=True)
        ]

    def _agencies(self, ids: list[Any]) -> list[Agency]:
        """The named agencies, read together; any id not of this alliance is refused by name."""
        for value in ids:
            if not _is_whole(value):
                raise serializers.ValidationError(NAMING_UNKNOWN_AGENCY.format(value=value))
        wanted = [int(value) for value in ids]
        found = Agency.objects.for_alliance(self.context["alliance"]).in_bulk(set(wanted))
        for value, pk in zip(ids, wanted, strict=True):
            if pk not in found:
                raise serializers.ValidationError(NAMING_UNKNOWN_AGENCY.format(value=value))
        return [found[pk] for pk in wanted]

    def to_representation(self, value: Any) -> Any:
        return value


def _is_whole(value: Any) -> bool:
    """A whole number an id column can hold (True is not agency 1, nor "²" agency 2)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_BIGINT


def _share(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise serializers.ValidationError(NAMING_BAD_SHARE.format(value=value))
    try:
        share = Decimal(str(value).strip())
    except InvalidOperation:
        raise serializers.ValidationError(NAMING_BAD_SHARE.format(value=value)) from None
    if not share.is_finite():
        raise serializers.ValidationError(NAMING_BAD_SHARE.format(value=value))
    if not Decimal(0) < share <= Decimal(100):
        raise serializers.ValidationError(BAD_SHARE)
    if share != share.quantize(Decimal("0.01")):
        raise serializers.ValidationError(NAMING_TOO_PRECISE)
    return share


# --- Tenders ------------------------------------------------------------------------------------


class TenderSerializer(serializers.ModelSerializer[Tender]):
    """A tender as the register shows it; read from tender_list_for (areas prefetched)."""

    service_areas = serializers.SlugRelatedField[ServiceArea](
        many=True, slug_field="slug", read_only=True
    )
    winner_declaration = serializers.IntegerField(
        source="winner_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Tender
        fields = [
            "id",
            "reference",
            "ocid",
            "title",
            "description",
            "commissioner",
            "service_areas",
            "value_pence",
            "eoi_deadline",
            "submission_deadline",
            "award_expected_on",
            "incumbent_agency",
            "status",
            "origin",
            "winner_declaration",
            "awarded_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TenderWriteSerializer(serializers.Serializer[Any]):
    """POST tenders/ (all of it) and PATCH tenders/<id>/ (any of it)."""

    reference = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=300)
    commissioner = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    value_pence = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_BIGINT
    )
    eoi_deadline = serializers.DateTimeField(required=False, allow_null=True)
    submission_deadline = serializers.DateTimeField(required=False, allow_null=True)
    award_expected_on = serializers.DateField(required=False, allow_null=True)
    incumbent_agency = AllianceAgencyField(required=False, allow_null=True)
    service_areas = SlugListField(required=False)


class AwardSerializer(serializers.Serializer[Any]):
    winner_declaration = VisibleDeclarationField()
    awarded_on = serializers.DateField()


class CancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ImportFileSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="An OCDS release package (JSON).")


class TenderImportSerializer(serializers.ModelSerializer[TenderImport]):
    imported_by = serializers.CharField(source="imported_by.username", read_only=True)
    report = serializers.JSONField(
        read_only=True,
        help_text="created, updated, unchanged, rejected: one entry per tender; total, releases.",
    )

    class Meta:
        model = TenderImport
        fields = ["id", "file_name", "imported_by", "imported_at", "report"]
        read_only_fields = fields


class TupeUploadSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    file = serializers.FileField(allow_empty_file=False)


class TupeReleaseSerializer(serializers.ModelSerializer[TupeRelease]):
    released_by = serializers.CharField(source="released_by.username", read_only=True)

    class Meta:
        model = TupeRelease
        fields = ["tender", "released_by", "released_at"]
        read_only_fields = fields


# --- Declarations -------------------------------------------------------------------------------


class NamedPartnerSerializer(serializers.ModelSerializer[NamedPartner]):
    class Meta:
        model = NamedPartner
        fields = ["agency", "proposed_share_pct", "status"]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer[Any]):
    """One finding of bids/rules.py, as the declaration's page shows it."""

    kind = serializers.ChoiceField(choices=CONFLICT_KINDS)
    parties = serializers.ListField(
        child=serializers.IntegerField(), help_text="Agency ids, the declaring agency first."
    )
    explanation = serializers.CharField()
    partnership = serializers.IntegerField(allow_null=True)


class DeclarationSerializer(serializers.ModelSerializer[Declaration]):
    """A declaration; `context["conflicts"]` holds the findings of the page, read together."""

    named_partners = NamedPartnerSerializer(many=True, read_only=True)
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = Declaration
        fields = [
            "id",
            "tender",
            "agency",
            "capacity",
            "lead_declaration",
            "summary",
            "named_partners",
            "status",
            "created_at",
            "declared_at",
            "closed_at",
            "closing_reason",
            "conflicts",
        ]
        read_only_fields = fields

    @extend_schema_field(ConflictSerializer(many=True))
    def get_conflicts(self, declaration: Declaration) -> Any:
        found: list[rules.Finding] = self.context["conflicts"].get(declaration.pk, [])
        return ConflictSerializer(found, many=True).data


class DeclarationCreateSerializer(serializers.Serializer[Any]):
    """POST declarations/: the agency is the acting one unless the body names another.

    A partner's declaration (capacity "partner", lead_declaration) confirms being named.
    """

    tender = AllianceTenderField()
    agency = AllianceAgencyField(required=False)
    capacity = serializers.ChoiceField(choices=Declaration.Capacity.choices)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    named_partners = NamingsField(required=False)
    lead_declaration = VisibleDeclarationField(required=False, allow_null=True)


class VoteSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class WithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class DeclineNamingSerializer(serializers.Serializer[Any]):
    """Optional when the person is chief officer of one named agency (or sends X-Agency)."""

    agency = AllianceAgencyField(required=False)


class ConfirmNamingSerializer(DeclineNamingSerializer):
    """The named agency that confirms: optional as for declining."""


class BidPaperSerializer(serializers.Serializer[Any]):
    """POST declarations/<id>/papers/: a bid paper, commercial unless said otherwise."""

    title = serializers.CharField(max_length=200)
    sensitivity = serializers.ChoiceField(
        choices=Document.Sensitivity.choices, required=False, default="commercial"
    )
    agency = AllianceAgencyField(required=False)
    file = serializers.FileField(allow_empty_file=False)


# --- Step-backs and allocations -----------------------------------------------------------------


class StepBackSerializer(serializers.ModelSerializer[StepBack]):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = StepBack
        fields = ["id", "tender", "agency", "reason", "recorded_by", "recorded_at"]
        read_only_fields = fields


class StepBackCreateSerializer(serializers.Serializer[Any]):
    tender = AllianceTenderField()
    agency = AllianceAgencyField(required=False)
    reason = serializers.CharField(max_length=500)


class AllocationSerializer(serializers.ModelSerializer[Allocation]):
    class Meta:
        model = Allocation
        fields = ["id", "declaration", "agency", "amount_pence", "agreed_on", "note", "recorded_at"]
        read_only_fields = fields


class AllocationCreateSerializer(serializers.Serializer[Any]):
    declaration = VisibleDeclarationField()
    agency = AllianceAgencyField()
    amount_pence = serializers.IntegerField(min_value=0, max_value=MAX_BIGINT)
    agreed_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


# --- The bid side of withdrawals and papers -----------------------------------------------------


class BidWithdrawalSerializer(WithdrawalSerializer):
    """A withdrawal with the bid that opened it (BidWithdrawal, selected with the row)."""

    def get_tender(self, withdrawal: Withdrawal) -> int | None:
        """The tender the agency is bidding for; null for a withdrawal no bid opened."""
        bid = getattr(withdrawal, "bid", None)
        return bid.tender_id if bid is not None else None

    def get_declaration(self, withdrawal: Withdrawal) -> int | None:
        """The bid declaration that opened the withdrawal; null for one no bid opened."""
        bid = getattr(withdrawal, "bid", None)
        return bid.declaration_id if bid is not None else None


class BidDocumentSerializer(DocumentSerializer):
    """A paper with the bid it belongs to (its TenderPaper, selected with the row), if any."""

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_declaration(self, document: Document) -> int | None:
        paper = getattr(document, "tender_paper", None)
        return paper.declaration_id if paper is not None else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_tender(self, document: Document) -> int | None:
        paper = getattr(document, "tender_paper", None)
        return paper.tender_id if paper is not None else None


class BidDocumentCreateSerializer(DocumentCreateSerializer):
    """A partnership's paper as before, or (with `declaration`) a paper of a bid."""

    declaration = VisibleDeclarationField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("declaration") is not None and attrs.get("partnership") is not None:
            raise serializers.ValidationError({"partnership": [BID_PAPER_IN_PARTNERSHIP]})
        return attrs
