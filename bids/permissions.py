"""The only place that answers "may this person do this" for tenders, declarations and bid papers."""

from __future__ import annotations

from collections.abc import Iterable

from bids.models import Declaration, Tender
from kiaa.models import Role
from kiaa.permissions import Roles


def can_register_tender(roles: Roles) -> bool:
    """Admins and chief officers put opportunities on the register."""
    return roles.is_admin or roles.acts(Role.CHIEF_OFFICER)


def can_manage_tender(roles: Roles) -> bool:
    """Admins keep the register: edit, close, cancel, award and import."""
    return roles.is_admin


def can_declare_for(roles: Roles, *, agency_id: int) -> bool:
    """A chief officer drafts and answers for their own agency's bids (the board then decides)."""
    return roles.acts(Role.CHIEF_OFFICER, agency_id)


def can_manage_declaration(roles: Roles, declaration: Declaration) -> bool:
    return can_declare_for(roles, agency_id=declaration.agency_id)


def can_share_bid_papers(roles: Roles, team: Iterable[int]) -> bool:
    """A bid team's chief officers and staff share its papers."""
    return any(roles.acts(Role.CHIEF_OFFICER, a) or roles.acts(Role.STAFF, a) for a in team)


def can_share_tupe(roles: Roles, tender: Tender) -> bool:
    """The incumbent's chief officer or staff put the staff-transfer information in the room."""
    incumbent = tender.incumbent_agency_id
    return incumbent is not None and (
        roles.acts(Role.CHIEF_OFFICER, incumbent) or roles.acts(Role.STAFF, incumbent)
    )


def can_release_tupe(roles: Roles, tender: Tender) -> bool:
    """The incumbent's chief officer or an admin opens the room to every declared bidder."""
    incumbent = tender.incumbent_agency_id
    return roles.is_admin or (incumbent is not None and roles.acts(Role.CHIEF_OFFICER, incumbent))
