"""Pages of the alliance core. Reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from kiaa import selectors
from kiaa.errors import Code, DomainError
from kiaa.forms import (
    AcceptanceForm,
    AcceptInvitationForm,
    AgencyEditForm,
    AgencyForm,
    InviteForm,
    ProtocolVersionForm,
    ServiceAreaForm,
)
from kiaa.models import Agency, Invitation, Membership, Role
from kiaa.permissions import (
    CHIEF_OFFICER_MAY_INVITE,
    can_invite,
    can_manage_alliance,
    can_record_acceptance,
    can_view_audit,
)
from kiaa.services import alliances, members, protocol
from kiaa.tenancy import Tenant, session_agency_key


def show_refusal(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal on the form: on its field when it names one, else at the top."""
    if error.code == Code.FORBIDDEN:
        raise PermissionDenied(error.message)
    form.add_error(error.field if error.field in form.fields else None, error.message)


def refuse_or_message(request: HttpRequest, error: DomainError) -> None:
    """A refusal of a button (no form): 403 when not allowed, else an error message."""
    if error.code == Code.FORBIDDEN:
        raise PermissionDenied(error.message)
    messages.error(request, error.message)


class TenantView(View):
    """A page inside an alliance; the middleware has already checked the person's role there."""

    tenant: Tenant

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.tenant = request.tenant  # type: ignore[attr-defined]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The object comes first: another alliance's object is a 404 whatever the method.
        if "pk" in kwargs:
            self.object = self.get_object(kwargs["pk"])
        self.require(self.allowed())
        return super().dispatch(request, *args, **kwargs)

    def allowed(self) -> bool:
        """Whether the person's roles allow this page at all (403 otherwise)."""
        return True

    def get_object(self, pk: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} takes a pk and must define get_object")

    def url(self, name: str, **kwargs: Any) -> str:
        return reverse(name, kwargs={"alliance_slug": self.tenant.alliance.slug, **kwargs})

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        return render(self.request, template, context, status=status)

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied("You do not have a role that allows this.")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The person's alliances; with just one, straight to its dashboard."""
    alliances_held = list(selectors.alliance_list_for(person=request.user))  # type: ignore[arg-type]
    if len(alliances_held) == 1:
        return redirect("dashboard", alliance_slug=alliances_held[0].slug)
    return render(request, "kiaa/home.html", {"alliances": alliances_held})


class DashboardView(TenantView):
    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        alliance, person = self.tenant.alliance, self.tenant.person
        version = selectors.protocol_version_current_for(alliance=alliance)
        agencies = selectors.agency_list_for(person=person, alliance=alliance)
        accepted = {a.agency_id for a in version.acceptances.all()} if version else set()
        return self.render(
            "kiaa/dashboard.html",
            {
                "version": version,
                "agency_count": agencies.count(),
                "not_accepted": [a for a in agencies if a.pk not in accepted] if version else [],
            },
        )


class AgencyListView(TenantView):
    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        agencies = selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return self.render(
            "kiaa/agency_list.html",
            {
                "agencies": agencies,
                "can_manage": can_manage_alliance(self.tenant.roles),
            },
        )


class AgencyObjectMixin:
    model = Agency
    tenant: Tenant

    def get_object(self, pk: int) -> Agency:
        return selectors.agency_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )


class AgencyDetailView(AgencyObjectMixin, TenantView):
    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        person, alliance = self.tenant.person, self.tenant.alliance
        agency = self.object
        people = selectors.member_list_for(person=person, alliance=alliance).filter(agency=agency)
        return self.render(
            "kiaa/agency_detail.html",
            {
                "agency": agency,
                "people": people,
                "can_manage": can_manage_alliance(self.tenant.roles),
                "can_invite": self.tenant.roles.has(Role.CHIEF_OFFICER, agency)
                or self.tenant.roles.is_admin,
            },
        )


class AgencyCreateView(TenantView):
    def allowed(self) -> bool:
        return can_manage_alliance(self.tenant.roles)

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        form = AgencyForm(alliance=self.tenant.alliance)
        return self.render("kiaa/form_page.html", {"form": form, "title": "Admit an agency"})

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        form = AgencyForm(request.POST, alliance=self.tenant.alliance)
        if form.is_valid():
            try:
                agency = alliances.agency_create(
                    actor=self.tenant.person, alliance=self.tenant.alliance, **form.cleaned_data
                )
            except DomainError as error:
                show_refusal(form, error)
            else:
                messages.success(request, f"{agency.name} is now a member agency.")
                return redirect(self.url("agency-detail", pk=agency.pk))
        return self.render("kiaa/form_page.html", {"form": form, "title": "Admit an agency"}, 400)


class AgencyEditView(AgencyObjectMixin, TenantView):
    def allowed(self) -> bool:
        return can_manage_alliance(self.tenant.roles)

    def _page(self, form: forms.Form, status: int = 200) -> HttpResponse:
        return self.render(
            "kiaa/form_page.html", {"form": form, "title": f"Edit {self.object.name}"}, status
        )

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        initial = {
            f: getattr(self.object, f) for f in AgencyEditForm.base_fields if f != "service_areas"
        }
        initial["service_areas"] = [a.slug for a in self.object.service_areas.all()]
        return self._page(AgencyEditForm(initial=initial, alliance=self.tenant.alliance))

    def post(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        form = AgencyEditForm(request.POST, alliance=self.tenant.alliance)
        if form.is_valid():
            try:
                alliances.agency_update(
                    actor=self.tenant.person, agency=self.object, **form.cleaned_data
                )
            except DomainError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "Agency details saved.")
                return redirect(self.url("agency-detail", pk=self.object.pk))
        return self._page(form, 400)


class ServiceAreaView(TenantView):
    def _page(self, form: forms.Form, status: int = 200) -> HttpResponse:
        areas = selectors.service_area_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return self.render(
            "kiaa/service_areas.html",
            {
                "areas": areas,
                "form": form,
                "can_manage": can_manage_alliance(self.tenant.roles),
            },
            status,
        )

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        return self._page(ServiceAreaForm())

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        self.require(can_manage_alliance(self.tenant.roles))
        form = ServiceAreaForm(request.POST)
        if form.is_valid():
            try:
                area = alliances.service_area_create(
                    actor=self.tenant.person,
                    alliance=self.tenant.alliance,
                    name=form.cleaned_data["name"],
                )
            except DomainError as error:
                show_refusal(form, error)
            else:
                messages.success(request, f"Service area “{area.name}” added.")
                return redirect(self.url("service-areas"))
        return self._page(form, 400)


class MemberListView(TenantView):
    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        person, alliance, roles = self.tenant.person, self.tenant.alliance, self.tenant.roles
        people = list(selectors.member_list_for(person=person, alliance=alliance))
        return self.render(
            "kiaa/member_list.html",
            {
                "people": people,
                "removable": {
                    m.pk for m in people if can_invite(roles, agency=m.agency, role=m.role)
                },
                "invitations": selectors.invitation_list_for(
                    person=person, alliance=alliance
                ).filter(accepted_at=None, revoked_at=None),
                "can_invite": self.tenant.roles.is_admin
                or self.tenant.roles.has(Role.CHIEF_OFFICER),
            },
        )


class MembershipRemoveView(TenantView):
    """POST: take a role away (an admin, or a chief officer for their own agency's roles)."""

    model = Membership

    def get_object(self, pk: int) -> Membership:
        return selectors.membership_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def post(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        try:
            members.membership_end(actor=self.tenant.person, membership=self.object)
        except DomainError as error:
            refuse_or_message(request, error)
        else:
            messages.success(request, f"{self.object.user} no longer holds that role.")
        return redirect(self.url("members"))


class InvitationRevokeView(TenantView):
    """POST: withdraw an invitation nobody has accepted yet."""

    model = Invitation

    def get_object(self, pk: int) -> Invitation:
        return selectors.invitation_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def post(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        try:
            members.invitation_revoke(actor=self.tenant.person, invitation=self.object)
        except DomainError as error:
            refuse_or_message(request, error)
        else:
            messages.success(request, f"The invitation to {self.object.email} is withdrawn.")
        return redirect(self.url("members"))


class InviteView(TenantView):
    def allowed(self) -> bool:
        return self.tenant.roles.is_admin or self.tenant.roles.has(Role.CHIEF_OFFICER)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        roles = self.tenant.roles
        agencies = selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        if roles.is_admin:
            self.agencies, self.roles = agencies, list(Role.choices)
        else:
            self.agencies = agencies.filter(
                pk__in=[a for a in roles.agency_ids if roles.has(Role.CHIEF_OFFICER, a)]
            )
            self.roles = [(v, label) for v, label in Role.choices if v in CHIEF_OFFICER_MAY_INVITE]
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data: Any = None) -> InviteForm:
        initial = {"agency": self.request.GET.get("agency")}
        return InviteForm(data, initial=initial, agencies=self.agencies, roles=self.roles)

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        return self.render(
            "kiaa/form_page.html", {"form": self._form(), "title": "Invite a person"}
        )

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            try:
                invitation = members.invitation_create(
                    actor=self.tenant.person, alliance=self.tenant.alliance, **form.cleaned_data
                )
            except DomainError as error:
                show_refusal(form, error)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect(self.url("members"))
        return self.render("kiaa/form_page.html", {"form": form, "title": "Invite a person"}, 400)


class ProtocolView(TenantView):
    """The protocol in force; trustees record their board's acceptance of it here."""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.version = selectors.protocol_version_current_for(alliance=self.tenant.alliance)
        agencies = selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        # Boards this person may speak for, and of those the ones yet to accept this version.
        self.my_boards = [a for a in agencies if can_record_acceptance(self.tenant.roles, agency=a)]
        accepted = {a.agency_id for a in self.version.acceptances.all()} if self.version else set()
        self.open_boards = agencies.filter(
            pk__in=[a.pk for a in self.my_boards if a.pk not in accepted]
        )

    def _page(self, acceptance_form: AcceptanceForm | None, status: int = 200) -> HttpResponse:
        versions = selectors.protocol_version_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return self.render(
            "kiaa/protocol.html",
            {
                "version": self.version,
                "versions": versions,
                "acceptance_form": acceptance_form,
                "all_my_boards_accepted": bool(self.my_boards) and acceptance_form is None,
                "can_manage": can_manage_alliance(self.tenant.roles),
            },
            status,
        )

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        can_accept = self.version is not None and self.open_boards.exists()
        return self._page(AcceptanceForm(agencies=self.open_boards) if can_accept else None)

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        if self.version is None or not self.my_boards:
            raise PermissionDenied("Only a trustee can record their board's acceptance.")
        form = AcceptanceForm(request.POST, agencies=self.open_boards)
        if form.is_valid():
            try:
                protocol.protocol_accept(
                    actor=self.tenant.person, version=self.version, **form.cleaned_data
                )
            except DomainError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "The board's acceptance is recorded.")
                return redirect(self.url("protocol"))
        return self._page(form, 400)


class ProtocolPublishView(TenantView):
    def allowed(self) -> bool:
        return can_manage_alliance(self.tenant.roles)

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        current = selectors.protocol_version_current_for(alliance=self.tenant.alliance)
        form = ProtocolVersionForm(initial={"principles": current.principles if current else ""})
        return self.render(
            "kiaa/form_page.html", {"form": form, "title": "Adopt a protocol version"}
        )

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        form = ProtocolVersionForm(request.POST)
        if form.is_valid():
            try:
                version = protocol.protocol_version_publish(
                    actor=self.tenant.person, alliance=self.tenant.alliance, **form.cleaned_data
                )
            except DomainError as error:
                show_refusal(form, error)
            else:
                messages.success(
                    request, f"Version {version.number} adopted; boards can now accept it."
                )
                return redirect(self.url("protocol"))
        return self.render(
            "kiaa/form_page.html", {"form": form, "title": "Adopt a protocol version"}, 400
        )


class AuditView(TenantView):
    def allowed(self) -> bool:
        return can_view_audit(self.tenant.roles)

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        events = selectors.audit_event_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        page = Paginator(events, 50).get_page(request.GET.get("page"))
        return self.render("kiaa/audit.html", {"page": page})


class ActingAgencyView(TenantView):
    """Choose which of one's agencies one acts for (people with roles in several)."""

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        chosen = request.POST.get("agency", "")
        if chosen.isdigit() and int(chosen) in self.tenant.roles.agency_ids:
            request.session[session_agency_key(self.tenant.alliance)] = int(chosen)
        else:
            messages.error(request, "Choose one of your own agencies.")
        return redirect(self.url("dashboard"))


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation email: signed-in people accept; new people create an account."""
    try:
        invitation = members.invitation_from_token(token)
    except DomainError as error:
        return render(
            request, "kiaa/invitation_invalid.html", {"message": error.message}, status=400
        )
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                membership = members.invitation_accept(token=token, user=request.user)  # type: ignore[arg-type]
            elif form.is_valid():
                membership = members.invitation_accept_new_account(token=token, **form.cleaned_data)
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                membership = None
        except DomainError as error:
            if request.user.is_authenticated:
                messages.error(request, error.message)
            else:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            if membership is not None:
                messages.success(request, f"Welcome to {invitation.alliance.name}.")
                return redirect("dashboard", alliance_slug=invitation.alliance.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "kiaa/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=status,
    )
