"""Every read of the alliance core that a person sees; each takes the alliance explicitly."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from kiaa.models import (
    Agency,
    Alliance,
    AuditEvent,
    BoardDecision,
    Invitation,
    Membership,
    Protocol,
    ProtocolAcceptance,
    ProtocolVersion,
    Role,
    ServiceArea,
    User,
)
from kiaa.permissions import can_manage_alliance, can_view_audit, roles_of


def alliance_list_for(*, person: User) -> QuerySet[Alliance]:
    """The alliances the person holds a role in, for the switcher and the home page."""
    return Alliance.objects.filter(pk__in=Membership.objects.filter(user=person).values("alliance"))


def service_area_list_for(*, person: User, alliance: Alliance) -> QuerySet[ServiceArea]:
    """The alliance's service areas: public to every member."""
    return ServiceArea.objects.for_alliance(alliance)


def agency_list_for(*, person: User, alliance: Alliance) -> QuerySet[Agency]:
    """Member agencies with their service areas; who is in the alliance is open to all members."""
    return Agency.objects.for_alliance(alliance).prefetch_related(
        Prefetch("service_areas", queryset=ServiceArea.objects.order_by("name"))
    )


def agency_get_for(*, person: User, alliance: Alliance, pk: int | str) -> Agency:
    """One agency of the alliance, or 404 (also for another alliance's agency)."""
    agency = agency_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if agency is None:
        raise Http404("No such agency.")
    return agency


def member_list_for(*, person: User, alliance: Alliance) -> QuerySet[Membership]:
    """Who holds which role where; members see names and roles, emails are shown by views."""
    return Membership.objects.for_alliance(alliance).select_related("user", "agency")


def membership_get_for(*, person: User, alliance: Alliance, pk: int | str) -> Membership:
    """One role held in the alliance, or 404."""
    membership = member_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if membership is None:
        raise Http404("No such role.")
    return membership


def invitation_list_for(*, person: User, alliance: Alliance) -> QuerySet[Invitation]:
    """Invitations the person may manage: all for an admin, their agency's for a chief officer."""
    invitations = Invitation.objects.for_alliance(alliance).select_related("agency", "invited_by")
    roles = roles_of(person, alliance)
    if can_manage_alliance(roles):
        return invitations
    led = [a for a in roles.agency_ids if roles.has(Role.CHIEF_OFFICER, a)]
    return invitations.filter(agency_id__in=led)


def invitation_get_for(*, person: User, alliance: Alliance, pk: int | str) -> Invitation:
    """One invitation the person may manage, or 404 (others' invitations are not theirs to see)."""
    invitation = invitation_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def protocol_version_current_for(*, alliance: Alliance) -> ProtocolVersion | None:
    """The latest adopted version, with its acceptances and the accepting agencies."""
    return (
        ProtocolVersion.objects.for_alliance(alliance)
        .select_related("protocol")
        .prefetch_related(
            Prefetch("acceptances", queryset=ProtocolAcceptance.objects.select_related("agency"))
        )
        .order_by("-number")
        .first()
    )


def protocol_get_for(*, alliance: Alliance) -> Protocol:
    """The alliance's protocol and its settings (every alliance has one, made with it)."""
    return Protocol.objects.for_alliance(alliance).get()


def protocol_version_list_for(*, person: User, alliance: Alliance) -> QuerySet[ProtocolVersion]:
    """All adopted versions, newest first."""
    return ProtocolVersion.objects.for_alliance(alliance).order_by("-number")


def audit_event_list_for(*, person: User, alliance: Alliance) -> QuerySet[AuditEvent]:
    """The audit trail, newest first; only admins and the arbiter read it (others see none)."""
    if not can_view_audit(roles_of(person, alliance)):
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.for_alliance(alliance).select_related("actor", "agency").order_by("-seq")
    )


def decision_list_for(*, person: User, alliance: Alliance) -> QuerySet[BoardDecision]:
    """Questions before the boards the person sits on, newest first."""
    roles = roles_of(person, alliance)
    boards = [a for a in roles.agency_ids if roles.has(Role.TRUSTEE, a)]
    return (
        BoardDecision.objects.for_alliance(alliance)
        .filter(agency_id__in=boards)
        .select_related("agency", "opened_by")
        .prefetch_related("votes__trustee")
    )


def decision_get_for(*, person: User, alliance: Alliance, pk: int | str) -> BoardDecision:
    """A question before one of the person's boards, or 404."""
    decision = decision_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if decision is None:
        raise Http404("No such decision.")
    return decision
