"""The papers API (API.md `documents/`): the pages' selectors and services, as JSON.

Every paper is found through partnerships.selectors, which ask the barrier: one hidden from
the person is a 404 like one that does not exist, and the attempt is recorded.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kiaa.api.base import TenantAPIMixin
from kiaa.api.renderers import AnyMedia
from kiaa.api.serializers import UserSummarySerializer
from partnerships import selectors
from partnerships.document_views import serve
from partnerships.models import Document, Partnership
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


class _PaperLookup:
    """The paper a detail URL names, through the barrier (TenantAPIMixin asks for it first)."""

    kwargs: dict[str, Any]
    tenant: Any

    def get_object(self) -> Document:
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

    def papers_seen(self, **filters: Any) -> QuerySet[Document]:
        """The list's papers; a subclass may select what its serializer reads with each row."""
        return selectors.document_list_for(person=self.person, alliance=self.alliance, **filters)

    @extend_schema(parameters=[DocumentFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = DocumentFilterSerializer(
            data=request.query_params, context={"alliance": self.alliance}
        )
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(self.papers_seen(**params.validated_data))
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

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
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
