"""DRF permission classes of the partnerships API: adapters over partnerships.permissions.

They run after TenantAPIMixin has resolved the tenant and the object named by the URL, so an
object the person cannot see is a 404 before any of these answers 403, and a 403 comes before
the body is read (a 400).
"""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from kiaa.models import Role
from partnerships import permissions as can
from partnerships.models import Partnership, PartnershipMember
from partnerships.services import mou, partnerships

NOT_A_CHIEF_OFFICER = "Only a chief officer can propose a partnership."
NOT_A_TRUSTEE = "Only a trustee of a member agency signs the MoU."


def _partnership(view: Any) -> Partnership:
    found = view.get_object()
    return found.partnership if isinstance(found, PartnershipMember) else found


class ProposesByChiefOfficers(BasePermission):
    """Reading is open to the alliance; which agency may lead is the service's finer check."""

    message = NOT_A_CHIEF_OFFICER

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or view.tenant.roles.has(Role.CHIEF_OFFICER)


class ManagedByTheLead(BasePermission):
    """Writes by the lead agency's chief officer: invite, draft the MoU, confirm, dissolve."""

    message = partnerships.NOT_LEAD

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can.can_manage_partnership(view.tenant.roles, _partnership(view))


class ChecksByTheLead(BasePermission):
    """Due-diligence checks are recorded by the lead agency's chief officer or staff."""

    message = partnerships.CANNOT_CHECK

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can.can_check(view.tenant.roles, _partnership(view))


class AnsweredByTheAgency(BasePermission):
    """An agency's chief officer accepts, declines or leaves for it."""

    message = partnerships.NOT_FOR_AGENCY

    def has_permission(self, request: Request, view: Any) -> bool:
        member: PartnershipMember = view.get_object()
        return can.can_answer_for(view.tenant.roles, agency_id=member.agency_id)


class SignedByTrustees(BasePermission):
    """Only trustees sign; which agency they sign for is the service's finer check."""

    message = NOT_A_TRUSTEE

    def has_permission(self, request: Request, view: Any) -> bool:
        return view.tenant.roles.has(Role.TRUSTEE)


class GivenByMembersPeople(BasePermission):
    """The confidentiality undertaking is given by people of the partnership's active members."""

    message = mou.NOT_IN_PARTNERSHIP

    def has_permission(self, request: Request, view: Any) -> bool:
        members = list(_partnership(view).members.all())
        return bool(can.member_agencies(view.tenant.roles, members))
