"""Report exports over the API (API.md): `POST reports/` queues one (202), `GET reports/<id>/`
follows its progress, `GET reports/<id>/download/` takes the file.

The same service as the pages checks the kind, the choices and who may export it. Exports
are their requester's own: anyone else's is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from kiaa import selectors
from kiaa.api.base import TenantAPIMixin
from kiaa.api.renderers import AnyMedia
from kiaa.downloads import serve_file
from kiaa.models import ReportExport
from kiaa.report_views import FILE_GONE
from kiaa.services import reports as services

KINDS_HELP = (
    "declarations_register, tender_conflicts, breach_register, dispute_ruling, "
    "partnership_mou or annual_compliance"
)


class ReportExportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    download = serializers.SerializerMethodField(help_text="The file's URL once it is ready.")

    class Meta:
        model = ReportExport
        fields = [
            "id",
            "kind",
            "format",
            "params",
            "scope",
            "status",
            "progress",
            "failure",
            "pages",
            "size_bytes",
            "audit_seq",
            "audit_hash",
            "requested_at",
            "started_at",
            "finished_at",
            "expires_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, export: ReportExport) -> str | None:
        if export.status != ReportExport.Status.READY:
            return None
        path = reverse(
            "api:report-download",
            kwargs={"alliance_slug": self.context["alliance"].slug, "pk": export.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReportRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField(help_text=KINDS_HELP)
    format = serializers.ChoiceField(
        choices=ReportExport.Format.choices,
        default=ReportExport.Format.PDF,
        help_text="csv is offered for the registers (declarations_register, breach_register)",
    )
    params = serializers.DictField(
        required=False,
        help_text='The kind\'s choices, e.g. {"tender": 3} or {"year": 2026}. They may also '
        "be given beside kind and format, at the top level.",
    )


REQUEST_EXAMPLES = [
    OpenApiExample(
        "A tender's conflict map", value={"kind": "tender_conflicts", "params": {"tender": 3}}
    ),
    OpenApiExample(
        "The breach register as CSV",
        value={"kind": "breach_register", "format": "csv", "params": {"status": "upheld"}},
    ),
]


class ReportExportViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The person's report exports in this alliance, newest first."""

    queryset = ReportExport.objects.none()
    serializer_class = ReportExportSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[ReportExport]:
        return selectors.report_export_list_for(person=self.person, alliance=self.alliance)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if hasattr(self, "tenant"):
            context["alliance"] = self.alliance
        return context

    @extend_schema(
        request=ReportRequestSerializer,
        responses={202: ReportExportSerializer},
        examples=REQUEST_EXAMPLES,
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Queue a report: drawn in the background; follow it at `reports/<id>/`."""
        body = ReportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        given = body.validated_data.get("params")
        params = given if given is not None else _top_level_params(request.data)
        export = services.report_request(
            actor=self.person,
            alliance=self.alliance,
            kind=body.validated_data["kind"],
            format=body.validated_data["format"],
            params=params,
        )
        export.refresh_from_db()  # drawn already when Celery runs eagerly
        data = self.get_serializer(export).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyMedia])
    def download(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        """The export's file (409 while it is being drawn or once it has expired)."""
        export = services.report_download(actor=self.person, export=self.get_object())
        return serve_file(
            export.file,
            name=export.download_name,
            content_type=export.content_type,
            missing=FILE_GONE,
        )


def _top_level_params(data: Any) -> dict[str, Any]:
    """Choices given beside kind and format rather than under "params"."""
    if not hasattr(data, "items"):
        return {}
    return {key: value for key, value in data.items() if key not in ("kind", "format", "params")}
