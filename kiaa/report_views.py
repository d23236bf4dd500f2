"""Pages for reports: what the person may export, the form for one, its progress and its file.

Every export is its requester's own (it holds what they could see), so the list, the progress
page and the download find it through `report_export_get_for`: anyone else gets a 404.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.vary import vary_on_headers

from kiaa import selectors
from kiaa.downloads import serve_file
from kiaa.errors import Code, DomainError
from kiaa.models import ReportExport
from kiaa.pages import ServiceFormView, TenantView
from kiaa.reports import kinds
from kiaa.services import reports as services

PAGE_SIZE = 25
NO_SUCH_KIND = "No such report."
FILE_GONE = "The file of this export is missing from storage; ask for the report again."
FORMAT_LABELS = dict(ReportExport.Format.choices)
# The progress pages follow an export this often (seconds) while it is being drawn: htmx polls
# its state, and without JavaScript the page reloads itself.
REFRESH_SECONDS = 2


class ReportListView(TenantView):
    """The reports the person may export, and their own exports with their state."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        tenant = self.tenant
        exports = selectors.report_export_list_for(person=tenant.person, alliance=tenant.alliance)
        page = Paginator(exports, PAGE_SIZE).get_page(request.GET.get("page"))
        return self.render(
            "kiaa/report_list.html",
            {
                "kinds": kinds.offered_to(tenant.roles),
                "page": page,
                "exports": [(export, kinds.title_of(export.kind)) for export in page],
                "refresh": REFRESH_SECONDS if any(e.in_progress for e in page) else None,
            },
        )


class ReportRequestView(ServiceFormView):
    """The choices of one kind of report, then the export is queued and its page shown."""

    template = "kiaa/report_form.html"
    kind: kinds.Kind

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        found = kinds.get(kwargs["kind"])
        if found is None:
            raise Http404(NO_SUCH_KIND)
        self.kind = found
        self.title = f"Export the {found.title.lower()}"

    def allowed(self) -> bool:
        return self.kind.offered(self.tenant.roles)

    def make_form(self, data: Any = None) -> forms.Form:
        choices = [(f, FORMAT_LABELS[f]) for f in self.kind.formats]
        form_class = type(
            "ReportRequestForm",
            (self.kind.form,),
            {
                "format": forms.ChoiceField(
                    label="Format", choices=choices, initial=choices[0][0], widget=forms.RadioSelect
                )
            },
        )
        initial = {name: self.request.GET.get(name) for name in self.request.GET}
        return form_class(  # type: ignore[no-any-return]
            data,
            person=self.tenant.person,
            alliance=self.tenant.alliance,
            roles=self.tenant.roles,
            initial=initial,
        )

    def context(self, form: forms.Form) -> dict[str, Any]:
        return {**super().context(form), "kind": self.kind}

    def perform(self, form: forms.Form) -> HttpResponse:
        params = cast(kinds.ParamsForm, form).params()
        chosen = params.pop("format")
        export = services.report_request(
            actor=self.tenant.person,
            alliance=self.tenant.alliance,
            kind=self.kind.name,
            format=chosen,
            params=params,
        )
        messages.success(
            self.request, f"{self.kind.title} requested: it is being drawn; this page follows it."
        )
        return redirect(self.url("report-detail", pk=export.pk))


class ReportObjectMixin:
    model = ReportExport
    tenant: Any

    def get_object(self, pk: int) -> ReportExport:
        return selectors.report_export_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )


@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class ReportDetailView(ReportObjectMixin, TenantView):
    """One export: its progress while it is drawn, then its file, or why it failed.

    htmx polls the same address for the state alone (`kiaa/report_state.html`), found the same
    way, so another person's export is a 404 to it too; the finished state stops the polling.
    """

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        export: ReportExport = self.object
        kind = kinds.get(export.kind)
        htmx = request.htmx  # type: ignore[attr-defined]
        return self.render(
            "kiaa/report_state.html" if htmx else "kiaa/report_detail.html",
            {
                "export": export,
                "kind": kind,
                "title": kinds.title_of(export.kind),
                "refresh": REFRESH_SECONDS if export.in_progress else None,
            },
        )


class ReportDownloadView(ReportObjectMixin, TenantView):
    """The export's file, once its requester may still export what it shows."""

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponseBase:
        export: ReportExport = self.object
        try:
            services.report_download(actor=self.tenant.person, export=export)
        except DomainError as refused:
            if refused.code == Code.FORBIDDEN:
                raise PermissionDenied(refused.message) from None
            messages.error(request, refused.message)
            return redirect(self.url("report-detail", pk=export.pk))
        return serve_file(
            export.file,
            name=export.download_name,
            content_type=export.content_type,
            missing=FILE_GONE,
        )
