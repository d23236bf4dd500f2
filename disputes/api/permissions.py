"""DRF permission classes of the disputes API: adapters over disputes.permissions.

They run after TenantAPIMixin has resolved the tenant and the dispute or breach the URL names,
so one the person cannot see is a 404 before any of these answers 403, and a 403 comes before
the body is read (a 400). The services check again, with the same predicates, and give the
finer refusals (a conflicted arbiter, a suspended filer) as 409s.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from disputes import permissions as can
from disputes.models import Dispute
from disputes.services import disputes, evidence, reviews, rulings
from kiaa.models import Role
from kiaa.permissions import Roles


def speaks_for_an_agency(roles: Roles) -> bool:
    """A chief officer of some agency, even one suspended or expelled (the service says why not)."""
    return roles.has(Role.CHIEF_OFFICER) or any(r == Role.CHIEF_OFFICER for _, r in roles.expelled)


def _cvs_id(view: Any) -> int | None:
    cvs = disputes.cvs_of(view.alliance)
    return cvs.pk if cvs is not None else None


def _may(view: Any, roles: Roles, dispute: Dispute) -> tuple[bool, str]:
    """Whether the person may take this step in the dispute, and the refusal if not."""
    is_arbiter = dispute.arbiter_id == view.person.pk
    if view.action == "accept":
        return can.is_cvs_arbiter(roles, arbiter_agency_id=_cvs_id(view)), disputes.NOT_THE_ARBITER
    if view.action == "appoint":
        return roles.is_admin, disputes.NOT_ADMIN
    if view.action == "deadlines":
        return is_arbiter, disputes.NOT_ARBITER_OF
    if view.action == "withdraw":
        return can.speaks_for(roles, dispute.complainant_id), disputes.NOT_COMPLAINANT
    if view.action == "add_submission":
        party = any(can.speaks_for(roles, a) for a in dispute.parties)
        return is_arbiter or party, evidence.NOT_A_PARTY
    if view.action == "publish_ruling":
        return is_arbiter, rulings.NOT_THE_ARBITER
    raise AssertionError(f"No permission rule for {view.action!r}.")


class ActsInTheDispute(BasePermission):
    """Whoever sees a dispute reads it; each step is taken by the one the protocol names."""

    message = disputes.NOT_YOUR_AGENCY

    def has_permission(self, request: Request, view: Any) -> bool:
        # An unmapped method (PUT, DELETE) has no action: the view answers it with a 405.
        if request.method in SAFE_METHODS or view.action is None:
            return True
        roles: Roles = view.tenant.roles
        if view.action == "create":
            self.message = disputes.NOT_YOUR_AGENCY
            return speaks_for_an_agency(roles)
        if view.action == "confirm":
            self.message = rulings.NOT_YOUR_ACTION
            return can.can_confirm_action(roles, view.required_action())
        allowed, self.message = _may(view, roles, view.get_object())
        return allowed


class ReviewedByTheArbiter(BasePermission):
    """Breaches are read by whoever sees them (the register is read-only otherwise: 405); the
    CVS's arbiter or an admin reviews them."""

    message = reviews.NOT_A_REVIEWER

    def has_permission(self, request: Request, view: Any) -> bool:
        if view.action != "review":
            return True
        return can.can_review_breach(view.tenant.roles, arbiter_agency_id=_cvs_id(view))
