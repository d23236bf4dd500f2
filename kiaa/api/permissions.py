"""DRF permission classes: thin adapters over kiaa.permissions, read after the tenant is resolved."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from kiaa.models import Role
from kiaa.permissions import (
    can_invite,
    can_manage_alliance,
    can_record_acceptance,
    can_view_audit,
)
from kiaa.services import members, protocol

NOT_ADMIN = "Only an alliance admin can do this."
CANNOT_INVITE = "Only an alliance admin or a chief officer can invite people."
NOT_AUDITOR = "Only an alliance admin or the arbiter reads the audit trail."


class ReadsForMembersWritesForAdmins(BasePermission):
    message = NOT_ADMIN

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or can_manage_alliance(view.tenant.roles)


class InvitesByAdminsAndChiefOfficers(BasePermission):
    """POST invites; which agency and role a chief officer may invite to is the service's finer
    check."""

    message = CANNOT_INVITE

    def has_permission(self, request: Request, view: Any) -> bool:
        roles = view.tenant.roles
        return request.method != "POST" or roles.is_admin or roles.has(Role.CHIEF_OFFICER)


class RemovesRolesTheyCouldGive(BasePermission):
    """DELETE members/<id>/: an admin, or a chief officer for a role they could have given."""

    message = members.NOT_ALLOWED

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method != "DELETE":
            return True
        membership = view.get_object()
        return can_invite(view.tenant.roles, agency=membership.agency, role=membership.role)


class RevokesInvitationsTheyCouldSend(BasePermission):
    """An invitation is withdrawn by whoever could have sent it (the same rule as the page)."""

    message = members.NOT_ALLOWED

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        invitation = view.get_object()
        return can_invite(view.tenant.roles, agency=invitation.agency, role=invitation.role)


class ReadByAdminsAndTheArbiter(BasePermission):
    """The audit trail is the admins' and the arbiter's evidence; anyone else gets a 403."""

    message = NOT_AUDITOR

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_view_audit(view.tenant.roles)


class RecordsTheirBoardsAcceptance(BasePermission):
    """A trustee records their own board's acceptance (an admin any board's); for which board
    is the service's finer check."""

    message = protocol.NOT_A_TRUSTEE

    def has_permission(self, request: Request, view: Any) -> bool:
        roles = view.tenant.roles
        return can_manage_alliance(roles) or any(
            can_record_acceptance(roles, agency=agency) for agency in view.tenant.agencies
        )
