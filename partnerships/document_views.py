"""Pages for papers. Every paper is found through partnerships.selectors, which ask the barrier:
a paper the person may not see is a 404 wherever it is asked for, and the attempt is recorded."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from kiaa import barrier
from kiaa.downloads import serve_file
from kiaa.models import Agency, Role
from kiaa.pages import ServiceFormView, TenantView
from kiaa.paging import IdsFirst
from partnerships import selectors
from partnerships.document_forms import DocumentFilterForm, DocumentUploadForm
from partnerships.models import AudienceChange, Document
from partnerships.services import documents as services

PAGE_SIZE = 25


def serve(document: Document) -> FileResponse:
    """The paper's file as a download under its original name, never rendered by the browser."""
    return serve_file(
        document.file, name=document.original_name, content_type=document.content_type
    )


class DocumentListView(TenantView):
    """The papers the person may see, searchable and filtered within those only."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        person, alliance = self.tenant.person, self.tenant.alliance
        places = selectors.document_partnerships_seen(person=person, alliance=alliance)
        choices = [(p.partnership_id, p.name) for p in places]
        asked = request.GET.get("partnership", "")
        if asked.isdigit() and int(asked) not in dict(choices):
            # Any partnership of the alliance may be asked for (its page links here); the list
            # is still only the papers the person may see, so it may well be empty.
            choices += selectors.partnership_names_for(alliance=alliance, ids=[int(asked)])
        form = DocumentFilterForm(request.GET, partnerships=choices)
        valid = form.is_valid()
        papers = selectors.document_list_for(person=person, alliance=alliance, **form.filters())
        number = request.GET.get("page")
        context = {
            "form": form,
            "page": Paginator(IdsFirst(papers, PAGE_SIZE, number), PAGE_SIZE).get_page(number),
            "waiting": [p for p in places if p.waiting],
            "filtered": any(form.filters().values()),
            "can_upload": self.tenant.agency is not None,
        }
        return self.render("partnerships/documents/list.html", context, 200 if valid else 400)


class DocumentUploadView(ServiceFormView):
    """Share a paper for the acting agency; a refused file leaves nothing stored."""

    template = "partnerships/documents/upload.html"
    title = "Share a paper"

    def allowed(self) -> bool:
        # Papers belong to an agency: an admin who holds none has nothing to share them for.
        return self.tenant.agency is not None

    def make_form(self, data: Any = None) -> forms.Form:
        partnerships = selectors.document_partnerships_for(
            person=self.tenant.person, alliance=self.tenant.alliance, agency=self.tenant.agency
        )
        files = self.request.FILES if data is not None else None
        initial = {"partnership": self.request.GET.get("partnership")}
        return DocumentUploadForm(data, files, initial=initial, partnerships=partnerships)

    def perform(self, form: forms.Form) -> HttpResponse:
        agency = cast(Agency, self.tenant.agency)  # allowed() refuses the page without one
        document = services.document_upload(
            actor=self.tenant.person,
            alliance=self.tenant.alliance,
            agency=agency,
            title=form.cleaned_data["title"],
            sensitivity=form.cleaned_data["sensitivity"],
            partnership=form.cleaned_data["partnership"],
            upload=form.cleaned_data["file"],
        )
        messages.success(self.request, f"“{document.title}” is shared.")
        return redirect(self.url("document-detail", pk=document.pk))


class DocumentObjectMixin:
    """Detail pages find their paper through the barrier; `action` names what was asked."""

    model = Document
    action = "view"
    tenant: Any

    def get_object(self, pk: int) -> Document:
        return selectors.document_get_for(
            person=self.tenant.person,
            alliance=self.tenant.alliance,
            pk=pk,
            action=self.action,
            channel="page",
            agency=self.tenant.agency,
        )


class DocumentDetailView(DocumentObjectMixin, TenantView):
    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        services.document_access_record(
            person=self.tenant.person,
            document=self.object,
            action="view",
            channel="page",
            agency=self.tenant.agency,
        )
        roles = self.tenant.roles
        return self.render(
            "partnerships/documents/detail.html",
            {"document": self.object, "is_arbiter": roles.has(Role.ARBITER)},
        )


class DocumentDownloadView(DocumentObjectMixin, TenantView):
    action = "download"

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponseBase:
        response = serve(self.object)
        services.document_access_record(
            person=self.tenant.person,
            document=self.object,
            action="download",
            channel="page",
            agency=self.tenant.agency,
        )
        return response


class DocumentTimelineView(TenantView):
    """Who could see the paper over time and who opened it: the arbiter's evidence."""

    model = Document
    events: list[Any]

    def get_object(self, pk: int) -> Document:
        document, self.events = selectors.document_timeline_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )
        return document

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        person, alliance = self.tenant.person, self.tenant.alliance
        rows, audience = [], {}
        for event in self.events:
            kind = "audience" if isinstance(event, AudienceChange) else "access"
            rows.append({"kind": kind, "event": event})
            if kind == "audience":
                audience[event.agency.name] = event.granted
        # The arbiter may read the timeline of a paper they may not open: offer the link only
        # when it would open, so following it never counts as an attempt across the barrier.
        can_open = barrier.visible_to(person, alliance).filter(pk=self.object.pk).exists()
        return self.render(
            "partnerships/documents/timeline.html",
            {
                "document": self.object,
                "rows": rows,
                "audience_now": sorted(name for name, sees in audience.items() if sees),
                "can_open": can_open,
            },
        )
