"""The papers API (API.md `documents/`): the pages' selectors and services, as JSON.

Every paper is found through partnerships.selectors, which ask the barrier: one hidden from
the person is a 404 like one that does not exist, and the attempt is recorded.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kiaa import barrier
from kiaa.api.base import TenantAPIMixin
from kiaa.api.pagination import IdsFirstPagination
from kiaa.api.renderers import AnyMedia
from kiaa.api.serializers import UserSummarySerializer
from kiaa.paging import Listed
from partnerships import selectors
from partnerships.document_views import serve
from partnerships.models import (
    AudienceChange,
    Document,
    DocumentAccess,
    PaperAction,
    Partnership,
)
from partnerships.services import documents as services

NO_AGENCY = "Papers are shared for an agency; you hold a role in none of this alliance's."


class DocumentSerializer(serializers.ModelSerializer[Document]):
    file = serializers.SerializerMethodField(help_text="Where to download the file (logged).")
    declaration = serializers.SerializerMethodField()
    tender = serializers.SerializerMethodField()
    uploaded_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "file",
            "owner_agency",
            "partnership",
            "declaration",
            "tender",
            "sensitivity",
            "uploaded_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_file(self, document: Document) -> str:
        request = self.context["request"]
        url = reverse(
            "api:document-download",
            kwargs={"alliance_slug": request.tenant.alliance.slug, "pk": document.pk},
        )
        return str(request.build_absolute_uri(url))

    # Bid papers (a declaration's or a tender's) arrive with the bids app; none are yet.
    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_declaration(self, document: Document) -> int | None:
        return None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_tender(self, document: Document) -> int | None:
        return None


@extend_schema_field(OpenApiTypes.INT)
class _AlliancePartnerships(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A partnership of the request's alliance; another alliance's id is "does not exist"."""

    def get_queryset(self) -> Any:
        return Partnership.objects.for_alliance(self.context["alliance"])


class DocumentCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    sensitivity = serializers.ChoiceField(choices=Document.Sensitivity.choices)
    partnership = _AlliancePartnerships(required=False, allow_null=True)
    file = serializers.FileField(allow_empty_file=False)


class DocumentFilterSerializer(serializers.Serializer[Any]):
    """The list's query parameters; the search looks only at papers the person may see."""

    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    partnership = _AlliancePartnerships(required=False, allow_null=True)
    sensitivity = serializers.ChoiceField(
        choices=Document.Sensitivity.choices, required=False, allow_blank=True
    )


class TimelineEventSerializer(serializers.Serializer[Any]):
    """One row of the timeline: an agency gaining or losing sight of the paper, or an opening."""

    kind = serializers.ChoiceField(
        choices=[("audience", "audience"), ("access", "access")],
        help_text="audience: the barrier changed who sees it; access: someone opened it",
    )
    at = serializers.DateTimeField()
    agency = serializers.IntegerField(allow_null=True, source="agency_id")
    granted = serializers.BooleanField(
        allow_null=True, help_text="audience only: true gained, false lost sight of the paper"
    )
    person = UserSummarySerializer(allow_null=True, help_text="access only: who opened it")
    action = serializers.ChoiceField(
        choices=PaperAction.choices, allow_null=True, help_text="access only"
    )
    channel = serializers.ChoiceField(
        choices=[("page", "page"), ("api", "api")], allow_null=True, help_text="access only"
    )


class DocumentTimelineSerializer(serializers.Serializer[Any]):
    document = serializers.IntegerField()
    title = serializers.CharField()
    sensitivity = serializers.ChoiceField(choices=Document.Sensitivity.choices)
    audience_now = serializers.ListField(
        child=serializers.IntegerField(), help_text="The agencies that can see the paper now."
    )
    can_open = serializers.BooleanField(
        help_text="Whether the caller may open the paper itself (the arbiter may not always)."
    )
    events = TimelineEventSerializer(many=True, help_text="In time order, oldest first.")


def _timeline_row(event: AudienceChange | DocumentAccess) -> dict[str, Any]:
    if isinstance(event, AudienceChange):
        person, action, channel, granted = None, None, None, event.granted
    else:
        person, action, channel, granted = event.person, event.action, event.channel, None
    kind = "audience" if isinstance(event, AudienceChange) else "access"
    return {
        "kind": kind,
        "at": event.at,
        "agency_id": event.agency_id,
        "granted": granted,
        "person": person,
        "action": action,
        "channel": channel,
    }


def timeline_body(document: Document, events: list[Any], *, can_open: bool) -> dict[str, Any]:
    """The timeline as the page shows it: each event, and who sees the paper after the last."""
    audience = {e.agency_id: e.granted for e in events if isinstance(e, AudienceChange)}
    return DocumentTimelineSerializer(
        {
            "document": document.pk,
            "title": document.title,
            "sensitivity": document.sensitivity,
            "audience_now": sorted(agency for agency, sees in audience.items() if sees),
            "can_open": can_open,
            "events": [_timeline_row(event) for event in events],
        }
    ).data


class _PaperLookup:
    """The paper a detail URL names, through the barrier (TenantAPIMixin asks for it first)."""

    kwargs: dict[str, Any]
    tenant: Any

    timeline_events: list[Any]

    def get_object(self) -> Document:
        if getattr(self, "action", None) == "timeline":
            # The arbiter reads the timeline of a paper it may not open; the rest as the page.
            document, self.timeline_events = selectors.document_timeline_for(
                person=self.tenant.person,
                alliance=self.tenant.alliance,
                pk=self.kwargs["pk"],
                channel="api",
                agency=self.tenant.agency,
            )
            return document
        return selectors.document_get_for(
            person=self.tenant.person,
            alliance=self.tenant.alliance,
            pk=self.kwargs["pk"],
            action="download" if getattr(self, "action", None) == "download" else "view",
            channel="api",
            agency=self.tenant.agency,
        )


class DocumentViewSet(
    TenantAPIMixin,
    _PaperLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Papers the person may see; POST (multipart) shares one for the acting agency."""

    queryset = Document.objects.none()
    serializer_class = DocumentSerializer
    # The filters are validated by DocumentFilterSerializer and applied by the selector.
    filter_backends: list[Any] = []
    # A person may see thousands of papers: a page's ids are found before its rows are joined.
    pagination_class = IdsFirstPagination

    def papers_seen(self, **filters: Any) -> Listed[Document]:
        """The list's papers; a subclass may select what its serializer reads with each row."""
        return selectors.document_list_for(person=self.person, alliance=self.alliance, **filters)

    @extend_schema(parameters=[DocumentFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = DocumentFilterSerializer(
            data=request.query_params, context={"alliance": self.alliance}
        )
        params.is_valid(raise_exception=True)
        papers = self.papers_seen(**params.validated_data)
        page = self.paginate_queryset(papers)  # type: ignore[arg-type]  # IdsFirstPagination's
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        document = self.get_object()
        services.document_access_record(
            person=self.person,
            document=document,
            action="view",
            channel="api",
            agency=self.tenant.agency,
        )
        return Response(self.get_serializer(document).data)

    @extend_schema(
        request={"multipart/form-data": DocumentCreateSerializer},
        responses={201: DocumentSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        agency = self.tenant.agency
        if agency is None:
            raise exceptions.PermissionDenied(NO_AGENCY)
        data = DocumentCreateSerializer(data=request.data, context={"alliance": self.alliance})
        data.is_valid(raise_exception=True)
        document = services.document_upload(
            actor=self.person,
            alliance=self.alliance,
            agency=agency,
            title=data.validated_data["title"],
            sensitivity=data.validated_data["sensitivity"],
            partnership=data.validated_data.get("partnership"),
            upload=data.validated_data["file"],
        )
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: DocumentTimelineSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Who could see the paper over time and who opened it: for the agency that shared it
        and the arbiter (anyone else who may see the paper: 403)."""
        document = self.get_object()
        can_open = barrier.visible_to(self.person, self.alliance).filter(pk=document.pk).exists()
        return Response(timeline_body(document, self.timeline_events, can_open=can_open))

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment; logged."
            )
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, AnyMedia])
    def download(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        document = self.get_object()
        response = serve(document)
        services.document_access_record(
            person=self.person,
            document=document,
            action="download",
            channel="api",
            agency=self.tenant.agency,
        )
        return response
