"""API views of tenders, declarations, step-backs and allocations: reads through selectors,
writes through services (API.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields as dataclass_fields
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from bids import selectors
from bids.api import permissions as may
from bids.api import serializers as s
from bids.api.filters import AllocationFilter, DeclarationFilter, StepBackFilter, TenderFilter
from bids.models import Allocation, Declaration, NamedPartner, StepBack, Tender, TenderImport
from bids.services import declarations, ocds, outcomes, papers, tenders
from bids.services.tenders import TenderDetails
from kiaa import selectors as kiaa_selectors
from kiaa.api.base import TenantAPIMixin
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, BoardDecision, Role
from kiaa.services.decisions import decision_vote
from kiaa.tenancy import AGENCY_HEADER

NAME_THE_AGENCY = "You act for several agencies here: name the agency (or send X-Agency)."
NOT_BEFORE_THE_BOARD = "This declaration is not before its board: there is no open question."
NOT_NAMED_HERE = "{agency} is not awaiting an answer in this bid."
PARTNER_NAMES_NONE = "A partner names no partners of its own: the lead of the bid names them."
LEAD_ONLY_FOR_PARTNER = "Only a partner's declaration names the bid it joins."


class BidsAPIMixin(TenantAPIMixin):
    """What the bids views share: input contexts and the agency a person acts for."""

    def input_context(self) -> dict[str, Any]:
        """What input serializers need to look ids up in this alliance, as this person sees it."""
        return {"alliance": self.alliance, "person": self.person}

    def acting_agency(self, given: Agency | None, among: Sequence[Agency]) -> Agency:
        """The body's agency, else X-Agency's, else the only one of `among` the person holds."""
        if given is not None:
            return given
        request: Request = self.request  # type: ignore[attr-defined]
        if AGENCY_HEADER in request.META and self.tenant.agency is not None:
            return self.tenant.agency
        if len(among) == 1:
            return among[0]
        raise ValidationError({"agency": [NAME_THE_AGENCY]})

    def chief_officer_of(self) -> list[Agency]:
        return [a for a in self.tenant.agencies if self.tenant.roles.has(Role.CHIEF_OFFICER, a)]


# --- Tenders ------------------------------------------------------------------------------------


class TenderViewSet(
    BidsAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The alliance's tender register; admins keep it, chief officers add to it."""

    queryset = Tender.objects.none()
    serializer_class = s.TenderSerializer
    permission_classes = [IsAuthenticated, may.KeptByTheRegister]
    filterset_class = TenderFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Tender]:
        return selectors.tender_list_for(person=self.person, alliance=self.alliance)

    def tender_body(self, pk: int) -> Any:
        return s.TenderSerializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(request=s.TenderWriteSerializer, responses={201: s.TenderSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.TenderWriteSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        areas = fields.pop("service_areas", [])
        tender = tenders.tender_register(
            actor=self.person,
            alliance=self.alliance,
            details=TenderDetails(**fields),
            service_areas=areas,
        )
        return Response(self.tender_body(tender.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TenderWriteSerializer, responses={200: s.TenderSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tender = self.get_object()
        data = s.TenderWriteSerializer(
            data=request.data, partial=True, context=self.input_context()
        )
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        areas = fields.pop("service_areas", None)
        # A PATCH changes what it names; the rest of the details stay as they are.
        current = {f.name: getattr(tender, f.name) for f in dataclass_fields(TenderDetails)}
        tenders.tender_update(
            actor=self.person,
            tender=tender,
            details=TenderDetails(**{**current, **fields}),
            service_areas=areas,
        )
        return Response(self.tender_body(tender.pk))

    @extend_schema(request=s.AwardSerializer, responses={200: s.TenderSerializer})
    @action(detail=True, methods=["post"])
    def award(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The commissioner's choice: the winning bid wins, the rest lose, withdrawals run out."""
        data = s.AwardSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        tender = outcomes.tender_award(
            actor=self.person,
            tender=self.get_object(),
            winner=data.validated_data["winner_declaration"],
            awarded_on=data.validated_data["awarded_on"],
        )
        return Response(self.tender_body(tender.pk))

    @extend_schema(request=None, responses={200: s.TenderSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Closed for submissions; declarations stand until the award."""
        tender = tenders.tender_close(actor=self.person, tender=self.get_object())
        return Response(self.tender_body(tender.pk))

    @extend_schema(request=None, responses={200: s.TenderSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The deadline was extended: the tender takes submissions again."""
        tender = tenders.tender_reopen(actor=self.person, tender=self.get_object())
        return Response(self.tender_body(tender.pk))

    @extend_schema(request=s.CancelSerializer, responses={200: s.TenderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The commissioner cancelled: every bid is withdrawn, every withdrawal ends."""
        data = s.CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tender = outcomes.tender_cancel(
            actor=self.person,
            tender=self.get_object(),
            reason=data.validated_data.get("reason", ""),
        )
        return Response(self.tender_body(tender.pk))

    @extend_schema(
        request={"multipart/form-data": s.ImportFileSerializer},
        responses={201: s.TenderImportSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Read an OCDS release package into the register; the report says what became of each."""
        data = s.ImportFileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        # One byte over the limit is enough for the service to refuse the file as too large.
        tender_import = ocds.tenders_import(
            actor=self.person,
            alliance=self.alliance,
            file_name=upload.name or "",
            data=upload.read(ocds.MAX_FILE_BYTES + 1),
        )
        return Response(
            s.TenderImportSerializer(tender_import).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request={"multipart/form-data": s.TupeUploadSerializer},
        responses={201: s.BidDocumentSerializer},
    )
    @action(detail=True, methods=["post"])
    def tupe(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The incumbent puts its staff-transfer information in the room, unseen until release."""
        data = s.TupeUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = papers.tupe_paper_upload(
            actor=self.person,
            tender=self.get_object(),
            title=data.validated_data["title"],
            upload=data.validated_data["file"],
        )
        body = s.BidDocumentSerializer(document, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: s.TupeReleaseSerializer})
    @action(detail=True, methods=["post"], url_path="tupe/release")
    def tupe_release(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open the TUPE room to every declared bidder at the same moment."""
        release = papers.tupe_release(actor=self.person, tender=self.get_object())
        return Response(s.TupeReleaseSerializer(release).data, status=status.HTTP_201_CREATED)


class TenderImportViewSet(
    BidsAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """`tenders/imports/`: the register's past OCDS imports, newest first, each with its report
    (`POST tenders/import/` answers with the same); the admins' alone."""

    queryset = TenderImport.objects.none()
    serializer_class = s.TenderImportSerializer
    permission_classes = [IsAuthenticated, may.ImportsKeptByAdmins]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[TenderImport]:
        return selectors.tender_import_list_for(person=self.person, alliance=self.alliance)


# --- Declarations -------------------------------------------------------------------------------


class DeclarationViewSet(
    BidsAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Declared intents (the alliance's) and the person's agencies' own drafts, with conflicts."""

    queryset = Declaration.objects.none()
    serializer_class = s.DeclarationSerializer
    permission_classes = [IsAuthenticated, may.DecidedByTheAgency]
    filterset_class = DeclarationFilter

    def get_queryset(self) -> QuerySet[Declaration]:
        return selectors.declaration_list_for(person=self.person, alliance=self.alliance)

    def declarations_body(self, found: Sequence[Declaration]) -> Any:
        """The declarations with their conflicts, the rules run for all of them at once."""
        conflicts = selectors.conflicts_for(list(found))
        return s.DeclarationSerializer(found, many=True, context={"conflicts": conflicts}).data

    def declaration_body(self, pk: int) -> Any:
        """A declaration re-read after a change, in the shape every declaration response has."""
        return self.declarations_body([self.get_queryset().get(pk=pk)])[0]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.declarations_body(page or []))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.declarations_body([self.get_object()])[0])

    @extend_schema(
        request=s.DeclarationCreateSerializer,
        responses={201: s.DeclarationSerializer},
        examples=[
            OpenApiExample(
                "Lead a bid, naming a partner and its share",
                request_only=True,
                value={
                    "tender": 12,
                    "capacity": "lead",
                    "summary": "Money advice across the district with Northbridge Law Centre.",
                    "named_partners": [{"agency": 4, "proposed_share_pct": "30.00"}],
                },
            ),
            OpenApiExample(
                "Bid alone", request_only=True, value={"tender": 12, "capacity": "sole"}
            ),
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Draft the agency's intent to bid; a partner's draft confirms being named in a bid."""
        data = s.DeclarationCreateSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        capacity = fields["capacity"]
        if capacity == Declaration.Capacity.PARTNER and fields.get("named_partners"):
            raise ValidationError({"named_partners": [PARTNER_NAMES_NONE]})
        if capacity != Declaration.Capacity.PARTNER and fields.get("lead_declaration"):
            raise ValidationError({"lead_declaration": [LEAD_ONLY_FOR_PARTNER]})
        declaration = declarations.declaration_draft(
            actor=self.person,
            tender=fields["tender"],
            agency=self.acting_agency(fields.get("agency"), self.chief_officer_of()),
            capacity=capacity,
            summary=fields.get("summary", ""),
            partners=fields.get("named_partners", []),
            lead_declaration=fields.get("lead_declaration"),
        )
        return Response(self.declaration_body(declaration.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.DeclarationSerializer})
    @action(detail=True, methods=["post"], url_path="submit-for-approval")
    def submit_for_approval(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Put the draft to the agency's trustee board (clause 4: boards decide)."""
        declaration = declarations.declaration_submit_for_approval(
            actor=self.person, declaration=self.get_object()
        )
        return Response(self.declaration_body(declaration.pk))

    @extend_schema(
        request=s.VoteSerializer,
        responses={201: s.DeclarationSerializer},
        examples=[
            OpenApiExample(
                "A trustee approves",
                request_only=True,
                value={"decision": "approve", "note": "Fits our strategy; the share is fair."},
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def vote(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A trustee of the declaring agency votes; the vote reaching the quorum decides."""
        data = s.VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        declaration = self.get_object()
        question = (
            kiaa_selectors.decision_list_for(person=self.person, alliance=self.alliance)
            .filter(
                agency_id=declaration.agency_id,
                subject_type=declarations.SUBJECT,
                subject_id=declaration.pk,
                status=BoardDecision.Status.OPEN,
            )
            .first()
        )
        if question is None:
            raise DomainError(NOT_BEFORE_THE_BOARD, Code.CONFLICT)
        decision_vote(
            actor=self.person,
            decision=question,
            choice=data.validated_data["decision"],
            note=data.validated_data.get("note", ""),
        )
        return Response(self.declaration_body(declaration.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.WithdrawSerializer,
        responses={200: s.DeclarationSerializer},
        examples=[
            OpenApiExample(
                "Step out of the competition",
                request_only=True,
                value={"reason": "The board decided the contract is too large for us."},
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The agency no longer bids; a lead's partners leave with it and withdrawals end."""
        data = s.WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        declaration = declarations.declaration_withdraw(
            actor=self.person,
            declaration=self.get_object(),
            reason=data.validated_data.get("reason", ""),
        )
        return Response(self.declaration_body(declaration.pk))

    @extend_schema(request=None, responses={200: s.DeclarationSerializer})
    @action(detail=True, methods=["post"], url_path="mark-submitted")
    def mark_submitted(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The bid went in to the commissioner; the lead marks it for the whole team."""
        declaration = declarations.declaration_mark_submitted(
            actor=self.person, declaration=self.get_object()
        )
        return Response(self.declaration_body(declaration.pk))

    def answering_naming(
        self, request: Request, body: type[s.DeclineNamingSerializer]
    ) -> NamedPartner:
        """The naming in this (lead's) declaration that the person answers for: the body's
        agency, else X-Agency's, else the one named agency they are chief officer of."""
        data = body(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        named = {n.agency_id: n for n in self.get_object().named_partners.all()}
        answering = [a for a in self.chief_officer_of() if a.pk in named]
        agency = self.acting_agency(data.validated_data.get("agency"), answering)
        naming = named.get(agency.pk)
        if naming is None:
            raise ValidationError({"agency": [NOT_NAMED_HERE.format(agency=agency.name)]})
        return naming

    @extend_schema(request=s.ConfirmNamingSerializer, responses={201: s.DeclarationSerializer})
    @action(detail=True, methods=["post"], url_path="confirm-naming")
    def confirm_naming(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A named agency's chief officer says yes: this drafts the agency's own declaration as
        a partner in the bid (answered with it), which its trustee board then decides."""
        naming = self.answering_naming(request, s.ConfirmNamingSerializer)
        lead = self.get_object()
        mine = declarations.declaration_draft(
            actor=self.person,
            tender=lead.tender,
            agency=naming.agency,
            capacity=Declaration.Capacity.PARTNER,
            lead_declaration=lead,
        )
        return Response(self.declaration_body(mine.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DeclineNamingSerializer, responses={200: s.DeclarationSerializer})
    @action(detail=True, methods=["post"], url_path="decline-naming")
    def decline_naming(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A named agency's chief officer says no to being in this bid."""
        naming = self.answering_naming(request, s.DeclineNamingSerializer)
        declarations.named_partner_decline(actor=self.person, naming=naming)
        return Response(self.declaration_body(self.get_object().pk))

    @extend_schema(
        request={"multipart/form-data": s.BidPaperSerializer},
        responses={201: s.BidDocumentSerializer},
    )
    @action(detail=True, methods=["post"])
    def papers(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Share a paper of the bid with its team (commercial by default: never a rival's)."""
        data = s.BidPaperSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        declaration = self.get_object()
        team = may.bid_team(declaration)
        document = papers.bid_paper_upload(
            actor=self.person,
            declaration=declaration,
            agency=self.acting_agency(
                data.validated_data.get("agency"),
                [a for a in self.tenant.agencies if a.pk in team],
            ),
            title=data.validated_data["title"],
            sensitivity=data.validated_data["sensitivity"],
            upload=data.validated_data["file"],
        )
        body = s.BidDocumentSerializer(document, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


# --- Step-backs and allocations -----------------------------------------------------------------


class StepBackViewSet(
    BidsAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Who chose not to bid for which tender, and why (the whole alliance's to read)."""

    queryset = StepBack.objects.none()
    serializer_class = s.StepBackSerializer
    permission_classes = [IsAuthenticated, may.RecordedByChiefOfficers]
    filterset_class = StepBackFilter

    def get_queryset(self) -> QuerySet[StepBack]:
        found = selectors.step_back_list_for(person=self.person, alliance=self.alliance)
        return found.select_related("recorded_by")

    @extend_schema(request=s.StepBackCreateSerializer, responses={201: s.StepBackSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The agency chooses not to bid (e.g. the incumbent is doing good work)."""
        data = s.StepBackCreateSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        step_back = outcomes.step_back_record(
            actor=self.person,
            tender=data.validated_data["tender"],
            agency=self.acting_agency(data.validated_data.get("agency"), self.chief_officer_of()),
            reason=data.validated_data["reason"],
        )
        found = self.get_queryset().get(pk=step_back.pk)
        return Response(s.StepBackSerializer(found).data, status=status.HTTP_201_CREATED)


class AllocationViewSet(
    BidsAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Funding passed under won bids: the lead's and the funded partner's, admins', the arbiter's."""

    queryset = Allocation.objects.none()
    serializer_class = s.AllocationSerializer
    permission_classes = [IsAuthenticated, may.RecordedByChiefOfficers]
    filterset_class = AllocationFilter

    def get_queryset(self) -> QuerySet[Allocation]:
        return selectors.allocation_list_for(person=self.person, alliance=self.alliance)

    @extend_schema(request=s.AllocationCreateSerializer, responses={201: s.AllocationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The lead of a won bid records funding passed to a confirmed partner (no bid candy)."""
        data = s.AllocationCreateSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        allocation = outcomes.allocation_record(actor=self.person, **data.validated_data)
        return Response(s.AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)
