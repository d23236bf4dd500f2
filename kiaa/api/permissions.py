"""DRF permission classes: thin adapters over kiaa.permissions, read after the tenant is resolved."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from kiaa.models import Role
from kiaa.permissions import can_manage_alliance

NOT_ADMIN = "Only an alliance admin can do this."
CANNOT_INVITE = "Only an alliance admin or a chief officer can invite people."


class ReadsForMembersWritesForAdmins(BasePermission):
    message = NOT_ADMIN

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or can_manage_alliance(view.tenant.roles)


class InvitesByAdminsAndChiefOfficers(BasePermission):
    """Which agency and role a chief officer may invite to is the service's finer check."""

    message = CANNOT_INVITE

    def has_permission(self, request: Request, view: Any) -> bool:
        roles = view.tenant.roles
        return request.method in SAFE_METHODS or roles.is_admin or roles.has(Role.CHIEF_OFFICER)
