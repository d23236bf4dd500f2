"""The only place that answers "may this person do this" for partnerships, MoUs and papers."""

from __future__ import annotations

from kiaa.models import Role
from kiaa.permissions import Roles
from partnerships.models import Partnership, PartnershipMember

ACTIVE = PartnershipMember.Status.ACTIVE


def can_propose_partnership(roles: Roles, *, lead_agency_id: int) -> bool:
    """A chief officer proposes a partnership that their own agency leads."""
    return roles.acts(Role.CHIEF_OFFICER, lead_agency_id)


def can_manage_partnership(roles: Roles, partnership: Partnership) -> bool:
    """The lead agency's chief officer invites, checks, drafts the MoU and confirms."""
    return roles.acts(Role.CHIEF_OFFICER, partnership.lead_agency_id)


def can_answer_for(roles: Roles, *, agency_id: int) -> bool:
    """An agency's chief officer accepts, declines or leaves on its behalf."""
    return roles.acts(Role.CHIEF_OFFICER, agency_id)


def can_check(roles: Roles, partnership: Partnership) -> bool:
    """The lead agency's chief officer or staff record due-diligence checks."""
    lead = partnership.lead_agency_id
    return roles.acts(Role.CHIEF_OFFICER, lead) or roles.acts(Role.STAFF, lead)


def can_sign_mou(roles: Roles, *, agency_id: int) -> bool:
    """A trustee signs the MoU for their agency: governing-body approval."""
    return roles.acts(Role.TRUSTEE, agency_id)


def member_agencies(roles: Roles, members: list[PartnershipMember]) -> list[int]:
    """The person's agencies that are active members of the partnership."""
    mine = set(roles.agency_ids)
    return [m.agency_id for m in members if m.status == ACTIVE and m.agency_id in mine]
