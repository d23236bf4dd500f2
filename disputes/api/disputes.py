"""API views of disputes: filing, the arbiter taking one on, evidence, the ruling and its
implementation (API.md `disputes/`). Reads through disputes.selectors, writes through the
services, which check the protocol's rules (clause 7).

Every endpoint stays open to the people of an expelled agency: they keep the right to answer
the disputes about it, and the selectors show them nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes import selectors
from disputes.api import ruling_serializers as rs
from disputes.api import serializers as s
from disputes.api.filters import DisputeFilter
from disputes.api.permissions import ActsInTheDispute
from disputes.models import Dispute, RequiredAction
from disputes.services import disputes, evidence, rulings
from kiaa.api.base import TenantAPIMixin
from kiaa.api.renderers import AnyMedia
from kiaa.downloads import serve_file

NAME_THE_COMPLAINANT = "You act for no agency here: name the complaining agency."
NO_RULING = "There is no ruling in this dispute yet."

FILE_ID = OpenApiParameter("file_id", OpenApiTypes.INT, OpenApiParameter.PATH)
ACTION_ID = OpenApiParameter("action_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class _DisputeLookup:
    """The dispute a detail URL names, as the person may see it (TenantAPIMixin asks first)."""

    kwargs: dict[str, Any]
    tenant: Any

    def get_object(self) -> Dispute:
        return selectors.dispute_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=self.kwargs["pk"]
        )


class DisputeViewSet(
    TenantAPIMixin,
    _DisputeLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Disputes the person may see: as a party's leader, the arbiter or an admin; a party's
    chief officer files one. Another's dispute is missing (404), never forbidden."""

    queryset = Dispute.objects.none()
    serializer_class = s.DisputeSerializer
    permission_classes = [IsAuthenticated, ActsInTheDispute]
    filterset_class = DisputeFilter
    open_to_expelled = True
    _required: RequiredAction | None = None

    def get_queryset(self) -> QuerySet[Dispute]:
        return selectors.dispute_list_for(person=self.person, alliance=self.alliance)

    def input_context(self) -> dict[str, Any]:
        """What input serializers need to look ids up in this alliance only."""
        return {"alliance": self.alliance}

    def dispute_body(self, dispute: Dispute) -> Any:
        """The dispute re-read after a change, in the shape every dispute response has."""
        found = selectors.dispute_get_for(person=self.person, alliance=self.alliance, pk=dispute.pk)
        return s.DisputeSerializer(found).data

    @extend_schema(
        request=s.DisputeFileSerializer,
        responses={201: s.DisputeSerializer},
        examples=[
            OpenApiExample(
                "Complain that a partner bid against the consortium",
                request_only=True,
                value={
                    "respondent": 7,
                    "subject": "declaration",
                    "declaration": 31,
                    "summary": "They declared a rival bid while still in our consortium.",
                },
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """File a dispute with another member agency, for the acting agency unless named."""
        data = s.DisputeFileSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        complainant = fields.get("complainant") or self.tenant.agency
        if complainant is None:
            raise ValidationError({"complainant": [NAME_THE_COMPLAINANT]})
        dispute = disputes.dispute_file(
            actor=self.person,
            alliance=self.alliance,
            complainant=complainant,
            respondent=fields["respondent"],
            subject=fields["subject"],
            summary=fields["summary"],
            breach=fields.get("breach"),
            declaration_id=fields.get("declaration"),
            partnership_id=fields.get("partnership"),
        )
        return Response(self.dispute_body(dispute), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DeadlinesSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A CVS arbiter independent of both parties takes the dispute on (409 with the reasons
        if they are not) and sets the deadlines for evidence and the ruling."""
        data = s.DeadlinesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = disputes.dispute_accept(
            actor=self.person, dispute=self.get_object(), **data.validated_data
        )
        return Response(self.dispute_body(dispute))

    @extend_schema(request=s.AppointSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def appoint(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Where the CVS is a party, an admin appoints an independent arbiter from an eligible
        member agency and records why."""
        data = s.AppointSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        dispute = disputes.dispute_appoint(
            actor=self.person, dispute=self.get_object(), **data.validated_data
        )
        return Response(self.dispute_body(dispute))

    @extend_schema(request=s.DeadlinesSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def deadlines(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The arbiter moves the deadlines before ruling (an extension asked for, say)."""
        data = s.DeadlinesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = disputes.dispute_set_deadlines(
            actor=self.person, dispute=self.get_object(), **data.validated_data
        )
        return Response(self.dispute_body(dispute))

    @extend_schema(request=s.DisputeWithdrawSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The complainant withdraws its dispute before the ruling."""
        data = s.DisputeWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = disputes.dispute_withdraw(
            actor=self.person,
            dispute=self.get_object(),
            reason=data.validated_data.get("reason", ""),
        )
        return Response(self.dispute_body(dispute))

    # --- Evidence ------------------------------------------------------------------------------

    def submissions_body(self, dispute: Dispute, found: Sequence[selectors.Evidence]) -> Any:
        context = {**self.get_serializer_context(), "dispute": dispute}
        return s.SubmissionSerializer(found, many=True, context=context).data

    @extend_schema(responses={200: s.SubmissionSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def submissions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The statements and evidence the person may read: the arbiter all; a party its own,
        the arbiter's and the other party's shared ones; anyone else none."""
        dispute = self.get_object()
        found = selectors.submission_list_for(person=self.person, dispute=dispute)
        page = self.paginate_queryset(found)  # type: ignore[arg-type]
        return self.get_paginated_response(self.submissions_body(dispute, page or []))

    @extend_schema(
        request={"multipart/form-data": s.SubmissionCreateSerializer},
        responses={201: s.SubmissionSerializer},
    )
    @submissions.mapping.post
    def add_submission(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A party (or the arbiter) gives a statement with files and papers, for the arbiter
        only or shared with the other party."""
        dispute = self.get_object()
        data = s.SubmissionCreateSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        submission = evidence.submission_add(
            actor=self.person,
            dispute=dispute,
            statement=fields["statement"],
            visibility=fields["visibility"],
            files=fields.get("files", []),
            paper_ids=fields.get("papers", []),
            agency=fields.get("agency"),
        )
        found = selectors.submission_list_for(person=self.person, dispute=dispute)
        mine = [e for e in found if e.submission.pk == submission.pk]
        return Response(self.submissions_body(dispute, mine)[0], status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[FILE_ID],
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment."
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"files/(?P<file_id>[^/.]+)",
        url_name="file",
        renderer_classes=[renderers.JSONRenderer, AnyMedia],
        filter_backends=[],
    )
    def file(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        """A file given with a submission the person may read; any other is missing (404)."""
        found = selectors.evidence_file_get_for(
            person=self.person, dispute=self.get_object(), pk=self.kwargs["file_id"]
        )
        return serve_file(found.file, name=found.original_name, content_type=found.content_type)

    # --- Ruling ---------------------------------------------------------------------------------

    def ruling_body(self, dispute: Dispute) -> Any:
        """The latest ruling with the earlier ones as its history; 404 before the first."""
        found = selectors.ruling_list_for(dispute=dispute)
        if not found:
            raise Http404(NO_RULING)
        return rs.RulingRecordSerializer(found[0], context={"history": found[1:]}).data

    @extend_schema(responses={200: rs.RulingRecordSerializer})
    @action(detail=True, methods=["get"], filter_backends=[])
    def ruling(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The arbiter's ruling (the latest correction) and the actions it requires."""
        return Response(self.ruling_body(self.get_object()))

    @extend_schema(
        request=rs.RulingPublishSerializer,
        responses={201: rs.RulingRecordSerializer},
        examples=[
            OpenApiExample(
                "Uphold, with a warning and an action to take",
                request_only=True,
                value={
                    "findings": "The respondent bid while a member of the consortium.",
                    "decision": "Upheld.",
                    "sanction": "warning",
                    "sanctioned_agency": 7,
                    "actions": [
                        {
                            "agency": 7,
                            "description": "Withdraw from the consortium's partnership working.",
                            "due_on": "2027-01-15",
                        }
                    ],
                },
            )
        ],
    )
    @ruling.mapping.post
    def publish_ruling(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The arbiter publishes the ruling, or a correction of the latest; it is final."""
        dispute = self.get_object()
        context = {**self.input_context(), "rulings": selectors.ruling_list_for(dispute=dispute)}
        data = rs.RulingPublishSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        rulings.ruling_publish(
            actor=self.person,
            dispute=dispute,
            findings=fields["findings"],
            decision=fields["decision"],
            actions=fields.get("actions", []),
            sanction=fields["sanction"],
            sanctioned_agency=fields.get("sanctioned_agency"),
            corrects=fields.get("corrects"),
        )
        return Response(self.ruling_body(dispute), status=status.HTTP_201_CREATED)

    def required_action(self) -> RequiredAction:
        """The action the URL names, in a dispute the person may see (else 404)."""
        if self._required is None:
            self._required = selectors.action_get_for(
                person=self.person,
                alliance=self.alliance,
                dispute_pk=self.kwargs["pk"],
                pk=self.kwargs["action_id"],
            )
        return self._required

    @extend_schema(
        parameters=[ACTION_ID],
        request=rs.ActionConfirmSerializer,
        responses={200: rs.ActionSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_id>[^/.]+)/confirm",
        url_name="action-confirm",
    )
    def confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The party that must act confirms it is done; the last one closes the dispute."""
        data = rs.ActionConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = rulings.action_confirm(
            actor=self.person,
            action=self.required_action(),
            note=data.validated_data.get("note", ""),
        )
        return Response(rs.ActionSerializer(done).data)
