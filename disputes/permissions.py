"""The only place that answers "may this person see this" for breaches of the protocol."""

from __future__ import annotations

from disputes.models import Breach
from kiaa.models import Role
from kiaa.permissions import Roles

# An agency's breach is its leadership's to answer for (clause 4: boards decide), not its staff's.
ANSWERS_FOR_BREACHES = (Role.CHIEF_OFFICER, Role.TRUSTEE)


def sees_every_breach(roles: Roles) -> bool:
    """The arbiter reviews breaches and admins keep the alliance: both see all of them."""
    return roles.is_admin or roles.has(Role.ARBITER)


def breach_agency_ids(roles: Roles) -> list[int]:
    """The agencies whose breaches the person sees as their chief officer or a trustee."""
    return [a for a in roles.agency_ids if any(roles.has(r, a) for r in ANSWERS_FOR_BREACHES)]


def can_view_breaches(roles: Roles) -> bool:
    """Whether the person may see any breach at all (the register's page and its link)."""
    return sees_every_breach(roles) or bool(breach_agency_ids(roles))


def can_view_breach(roles: Roles, breach: Breach) -> bool:
    """Every breach for the arbiter and admins; their own agencies' for chief officers and trustees."""
    return sees_every_breach(roles) or breach.agency_id in breach_agency_ids(roles)
