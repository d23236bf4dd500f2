"""Pages of the alliance core. Reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kiaa import dashboard, selectors
from kiaa.errors import DomainError
from kiaa.forms import (
    AcceptanceForm,
    AcceptInvitationForm,
    AgencyEditForm,
    AgencyForm,
    InviteForm,
    ProtocolSettingsForm,
    ProtocolVersionForm,
    ServiceAreaForm,
    StandingOrdersForm,
)
from kiaa.models import Agency, Invitation, Membership, ProtocolVersion, Role
from kiaa.pages import ServiceButtonView, ServiceFormView, TenantView
from kiaa.permissions import (
    CHIEF_OFFICER_MAY_INVITE,
    can_invite,
    can_manage_alliance,
    can_record_acceptance,
    can_set_standing_orders,
    can_view_audit,
)
from kiaa.services import alliances, members, protocol
from kiaa.tenancy import session_agency_key


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The person's alliances; with just one, straight to its dashboard."""
    alliances_held = list(selectors.alliance_list_for(person=request.user))  # type: ignore[arg-type]
    if len(alliances_held) == 1:
        return redirect("dashboard", alliance_slug=alliances_held[0].slug)
    return render(request, "kiaa/home.html", {"alliances": alliances_held})


class DashboardView(TenantView):
    # The people of an expelled agency land here too: told where they stand, and where to go.
    open_to_expelled = True

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        alliance, person = self.tenant.alliance, self.tenant.person
        if self.tenant.roles.only_expelled:
            ids = {agency_id for agency_id, _ in self.tenant.roles.expelled}
            gone = Agency.objects.for_alliance(alliance).filter(pk__in=ids).order_by("name")
            return self.render("kiaa/expelled.html", {"agencies": gone})
        version = selectors.protocol_version_current_for(alliance=alliance)
        agencies = selectors.agency_list_for(person=person, alliance=alliance)
        accepted = {a.agency_id for a in version.acceptances.all()} if version else set()
        return self.render(
            "kiaa/dashboard.html",
            {
                "version": version,
                "agency_count": agencies.count(),
                "not_accepted": [a for a in agencies if a.pk not in accepted] if version else [],
                "review_overdue": version is not None
                and version.review_due_on < timezone.localdate(),
                "can_manage": can_manage_alliance(self.tenant.roles),
                # A panel for each role the person holds here, from every app (kiaa/dashboard.py).
                "panels": dashboard.panels_for(self.tenant),
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
    tenant: Any

    def get_object(self, pk: int) -> Agency:
        return selectors.agency_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )


class AgencyDetailView(AgencyObjectMixin, TenantView):
    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        roles, person, alliance = self.tenant.roles, self.tenant.person, self.tenant.alliance
        people = selectors.member_list_for(person=person, alliance=alliance)
        return self.render(
            "kiaa/agency_detail.html",
            {
                "agency": self.object,
                "people": people.filter(agency=self.object),
                "can_manage": can_manage_alliance(roles),
                "can_invite": roles.is_admin or roles.has(Role.CHIEF_OFFICER, self.object),
                "standing": selectors.standing_orders_for(
                    person=person, alliance=alliance, agency=self.object
                ),
                "can_set_orders": can_set_standing_orders(roles, agency=self.object),
            },
        )


class StandingOrdersView(AgencyObjectMixin, ServiceFormView):
    """The agency's own decision rules, for its chief officer, its trustees or an admin."""

    def allowed(self) -> bool:
        return can_set_standing_orders(self.tenant.roles, agency=self.object)

    def make_form(self, data: Any = None) -> forms.Form:
        found = selectors.standing_orders_for(
            person=self.tenant.person, alliance=self.tenant.alliance, agency=self.object
        )
        orders = found.orders
        initial: dict[str, Any] = {}
        if orders is not None:
            limit = orders.full_board_above_pence
            initial = {
                "minimum_votes": orders.minimum_votes,
                "full_board_above": limit // 100 if limit is not None else None,
                "bar_chief_officers": orders.bar_chief_officers,
            }
        return StandingOrdersForm(
            data, initial=initial, minimum_quorum=found.protocol.minimum_quorum
        )

    def context(self, form: forms.Form) -> dict[str, Any]:
        return {"form": form, "title": f"Standing orders of {self.object.name}"}

    def perform(self, form: forms.Form) -> HttpResponse:
        pounds = form.cleaned_data["full_board_above"]
        try:
            protocol.standing_orders_update(
                actor=self.tenant.person,
                agency=self.object,
                minimum_votes=form.cleaned_data["minimum_votes"],
                full_board_above_pence=pounds * 100 if pounds is not None else None,
                bar_chief_officers=form.cleaned_data["bar_chief_officers"],
            )
        except DomainError as error:
            # The service speaks in pence; the form asks for pounds.
            if error.field == "full_board_above_pence":
                error.field = "full_board_above"
            raise
        messages.success(self.request, "Standing orders saved.")
        return redirect(self.url("agency-detail", pk=self.object.pk))


class AgencyCreateView(ServiceFormView):
    title = "Admit an agency"

    def allowed(self) -> bool:
        return can_manage_alliance(self.tenant.roles)

    def make_form(self, data: Any = None) -> forms.Form:
        return AgencyForm(data, alliance=self.tenant.alliance)

    def perform(self, form: forms.Form) -> HttpResponse:
        agency = alliances.agency_create(
            actor=self.tenant.person, alliance=self.tenant.alliance, **form.cleaned_data
        )
        messages.success(self.request, f"{agency.name} is now a member agency.")
        return redirect(self.url("agency-detail", pk=agency.pk))


class AgencyEditView(AgencyObjectMixin, ServiceFormView):
    def allowed(self) -> bool:
        return can_manage_alliance(self.tenant.roles)

    def make_form(self, data: Any = None) -> forms.Form:
        initial = {
            f: getattr(self.object, f) for f in AgencyEditForm.base_fields if f != "service_areas"
        }
        initial["service_areas"] = [a.slug for a in self.object.service_areas.all()]
        return AgencyEditForm(data, initial=initial, alliance=self.tenant.alliance)

    def context(self, form: forms.Form) -> dict[str, Any]:
        return {"form": form, "title": f"Edit {self.object.name}"}

    def perform(self, form: forms.Form) -> HttpResponse:
        alliances.agency_update(actor=self.tenant.person, agency=self.object, **form.cleaned_data)
        messages.success(self.request, "Agency details saved.")
        return redirect(self.url("agency-detail", pk=self.object.pk))


class ServiceAreaView(ServiceFormView):
    """The list of service areas, with the admin's form to add one."""

    template = "kiaa/service_areas.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_alliance(self.tenant.roles):
            raise PermissionDenied(alliances.NOT_ADMIN)
        return super().post(request, *args, **kwargs)

    def make_form(self, data: Any = None) -> forms.Form:
        return ServiceAreaForm(data)

    def context(self, form: forms.Form) -> dict[str, Any]:
        areas = selectors.service_area_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return {"areas": areas, "form": form, "can_manage": can_manage_alliance(self.tenant.roles)}

    def perform(self, form: forms.Form) -> HttpResponse:
        area = alliances.service_area_create(
            actor=self.tenant.person, alliance=self.tenant.alliance, name=form.cleaned_data["name"]
        )
        messages.success(self.request, f"Service area “{area.name}” added.")
        return redirect(self.url("service-areas"))


class MemberListView(TenantView):
    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        person, alliance, roles = self.tenant.person, self.tenant.alliance, self.tenant.roles
        people = list(selectors.member_list_for(person=person, alliance=alliance))
        invitations = selectors.invitation_list_for(person=person, alliance=alliance)
        return self.render(
            "kiaa/member_list.html",
            {
                "people": people,
                "removable": {
                    m.pk for m in people if can_invite(roles, agency=m.agency, role=m.role)
                },
                "invitations": invitations.filter(accepted_at=None, revoked_at=None),
                "can_invite": roles.is_admin or roles.has(Role.CHIEF_OFFICER),
            },
        )


class MembershipRemoveView(ServiceButtonView):
    """POST: take a role away (an admin, or a chief officer for their own agency's roles)."""

    model = Membership
    return_to = "members"

    def get_object(self, pk: int) -> Membership:
        return selectors.membership_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def act(self) -> str:
        members.membership_end(actor=self.tenant.person, membership=self.object)
        return f"{self.object.user} no longer holds that role."


class InvitationRevokeView(ServiceButtonView):
    """POST: withdraw an invitation nobody has accepted yet."""

    model = Invitation
    return_to = "members"

    def get_object(self, pk: int) -> Invitation:
        return selectors.invitation_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def act(self) -> str:
        members.invitation_revoke(actor=self.tenant.person, invitation=self.object)
        return f"The invitation to {self.object.email} is withdrawn."


class InviteView(ServiceFormView):
    title = "Invite a person"

    def allowed(self) -> bool:
        return self.tenant.roles.is_admin or self.tenant.roles.has(Role.CHIEF_OFFICER)

    def make_form(self, data: Any = None) -> forms.Form:
        roles = self.tenant.roles
        agencies = selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        if roles.is_admin:
            offered_roles = list(Role.choices)
        else:
            agencies = agencies.filter(
                pk__in=[a for a in roles.agency_ids if roles.has(Role.CHIEF_OFFICER, a)]
            )
            offered_roles = [
                (v, label) for v, label in Role.choices if v in CHIEF_OFFICER_MAY_INVITE
            ]
        initial = {"agency": self.request.GET.get("agency")}
        return InviteForm(data, initial=initial, agencies=agencies, roles=offered_roles)

    def perform(self, form: forms.Form) -> HttpResponse:
        invitation = members.invitation_create(
            actor=self.tenant.person, alliance=self.tenant.alliance, **form.cleaned_data
        )
        messages.success(self.request, f"Invitation sent to {invitation.email}.")
        return redirect(self.url("members"))


class ProtocolView(ServiceFormView):
    """The protocol in force; trustees record their board's acceptance of it here."""

    template = "kiaa/protocol.html"

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

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.version is None or not self.my_boards:
            raise PermissionDenied("Only a trustee can record their board's acceptance.")
        return super().post(request, *args, **kwargs)

    def make_form(self, data: Any = None) -> forms.Form:
        return AcceptanceForm(data, agencies=self.open_boards)

    def context(self, form: forms.Form) -> dict[str, Any]:
        open_form = self.version is not None and self.open_boards.exists()
        versions = selectors.protocol_version_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return {
            "version": self.version,
            "versions": versions,
            "acceptance_form": form if open_form or form.is_bound else None,
            "all_my_boards_accepted": bool(self.my_boards) and not open_form,
            "can_manage": can_manage_alliance(self.tenant.roles),
        }

    def perform(self, form: forms.Form) -> HttpResponse:
        version = cast(ProtocolVersion, self.version)  # post() refuses the page without one
        protocol.protocol_accept(actor=self.tenant.person, version=version, **form.cleaned_data)
        messages.success(self.request, "The board's acceptance is recorded.")
        return redirect(self.url("protocol"))


class ProtocolPublishView(ServiceFormView):
    title = "Adopt a protocol version"

    def allowed(self) -> bool:
        return can_manage_alliance(self.tenant.roles)

    def make_form(self, data: Any = None) -> forms.Form:
        current = selectors.protocol_version_current_for(alliance=self.tenant.alliance)
        return ProtocolVersionForm(
            data, initial={"principles": current.principles if current else ""}
        )

    def perform(self, form: forms.Form) -> HttpResponse:
        version = protocol.protocol_version_publish(
            actor=self.tenant.person, alliance=self.tenant.alliance, **form.cleaned_data
        )
        messages.success(
            self.request, f"Version {version.number} adopted; boards can now accept it."
        )
        return redirect(self.url("protocol"))


class ProtocolSettingsView(ServiceFormView):
    """The alliance's own rules: which partnership kinds need trustee approval, the minimum quorum,
    whether chief officers who are trustees vote, and how long withdrawals outlast an award."""

    title = "Protocol settings"

    def allowed(self) -> bool:
        return can_manage_alliance(self.tenant.roles)

    def make_form(self, data: Any = None) -> forms.Form:
        current = selectors.protocol_get_for(alliance=self.tenant.alliance)
        initial = {name: getattr(current, name) for name in protocol.SETTINGS}
        return ProtocolSettingsForm(data, initial=initial)

    def perform(self, form: forms.Form) -> HttpResponse:
        protocol.protocol_settings_update(
            actor=self.tenant.person, alliance=self.tenant.alliance, **form.cleaned_data
        )
        messages.success(self.request, "Protocol settings saved.")
        return redirect(self.url("protocol"))


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
