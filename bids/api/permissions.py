"""DRF permission classes of the bids API: adapters over bids.permissions.

They run after TenantAPIMixin has resolved the tenant and the object named by the URL, so an
object the person cannot see is a 404 before any of these answers 403, and a 403 comes before
the body is read (a 400). The services check again, with the same predicates.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from bids import permissions as can
from bids.models import Declaration
from bids.services import declarations, papers, tenders
from bids.snapshot import bid_team
from kiaa.models import Role
from kiaa.permissions import can_vote_on
from kiaa.services.decisions import NOT_A_TRUSTEE

NOT_A_CHIEF_OFFICER = "Only a chief officer declares, steps back or records allocations."
NOT_NAMED = "Only the chief officer of an agency named in this bid answers for it."
NOT_IMPORTER = "Only an alliance admin reads the register's imports."


class KeptByTheRegister(BasePermission):
    """Admins and chief officers register tenders; admins keep the register; the incumbent
    shares TUPE information and (with admins) releases it."""

    message = tenders.NOT_ADMIN

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        roles = view.tenant.roles
        if view.action == "create":
            self.message = tenders.NOT_ALLOWED
            return can.can_register_tender(roles)
        if view.action == "tupe":
            tender = view.get_object()
            self.message = papers.NOT_INCUMBENT
            # No incumbent, no TUPE room: the service's 409 says so to anyone who asks.
            return tender.incumbent_agency_id is None or can.can_share_tupe(roles, tender)
        if view.action == "tupe_release":
            self.message = papers.NOT_RELEASER
            return can.can_release_tupe(roles, view.get_object())
        return can.can_manage_tender(roles)


class ImportsKeptByAdmins(BasePermission):
    """The register's imports are the admins' (who keep the register): the list is a 403 to
    anyone else, one import a 404 (the selector shows them none, as the page does)."""

    message = NOT_IMPORTER

    def has_permission(self, request: Request, view: Any) -> bool:
        return can.can_manage_tender(view.tenant.roles)


class DecidedByTheAgency(BasePermission):
    """Who acts on a declaration: its chief officer, its board, a named partner, its team."""

    message = declarations.NOT_YOUR_AGENCY

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        roles = view.tenant.roles
        if view.action == "create":
            self.message = NOT_A_CHIEF_OFFICER
            return roles.has(Role.CHIEF_OFFICER)
        declaration: Declaration = view.get_object()
        if view.action == "vote":
            self.message = NOT_A_TRUSTEE
            return can_vote_on(roles, agency_id=declaration.agency_id)
        if view.action in ("confirm_naming", "decline_naming"):
            self.message = NOT_NAMED
            named = [n.agency_id for n in declaration.named_partners.all()]
            return any(can.can_declare_for(roles, agency_id=a) for a in named)
        if view.action == "papers":
            self.message = papers.NOT_IN_TEAM
            return can.can_share_bid_papers(roles, bid_team(declaration))
        return can.can_manage_declaration(roles, declaration)


class RecordedByChiefOfficers(BasePermission):
    """Step-backs and allocations are a chief officer's; for which agency is the service's check."""

    message = NOT_A_CHIEF_OFFICER

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or view.tenant.roles.has(Role.CHIEF_OFFICER)
