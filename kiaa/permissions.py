"""The only place that answers "may this person do this action" in the alliance core."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kiaa.models import Agency, AgencyStatus, Alliance, Membership, Role, User

# Roles a chief officer may hand out in their own agency; the rest are the alliance admin's.
CHIEF_OFFICER_MAY_INVITE = frozenset({Role.CHIEF_OFFICER, Role.TRUSTEE, Role.STAFF})


@dataclass(frozen=True)
class Roles:
    """What one person holds in one alliance: (agency id or None, role) pairs.

    `held` are the roles of agencies still in the alliance; a suspended agency's roles are
    among them but read-only (`acts` says no). An expelled agency's roles are kept apart, in
    `expelled`: they open nothing but the disputes about that agency (protocol clause 6).
    """

    held: frozenset[tuple[int | None, str]]
    suspended: frozenset[int] = frozenset()
    expelled: frozenset[tuple[int, str]] = frozenset()

    def has(self, role: str, agency: Agency | int | None = None) -> bool:
        """Holds the role (in that agency): enough to read what the role shows."""
        if agency is None:
            return any(r == role for _, r in self.held)
        agency_id = agency if isinstance(agency, int) else agency.pk
        return (agency_id, role) in self.held

    def acts(self, role: str, agency: Agency | int | None = None) -> bool:
        """Holds the role in an agency that is not suspended: enough to act in it."""
        if agency is None:
            return any(r == role and a not in self.suspended for a, r in self.held)
        agency_id = agency if isinstance(agency, int) else agency.pk
        return agency_id not in self.suspended and (agency_id, role) in self.held

    def had(self, role: str, agency_id: int) -> bool:
        """Held the role in an agency that has since been expelled."""
        return (agency_id, role) in self.expelled

    @property
    def is_member(self) -> bool:
        """Holds a role of an agency still in the alliance (or of the alliance itself)."""
        return bool(self.held)

    @property
    def only_expelled(self) -> bool:
        """Every role they hold here is in an expelled agency: only its disputes stay open."""
        return not self.held and bool(self.expelled)

    @property
    def holds_alliance_role(self) -> bool:
        """A role held in the alliance itself rather than in an agency (an alliance admin's)."""
        return any(agency is None for agency, _ in self.held)

    @property
    def is_admin(self) -> bool:
        return self.has(Role.ALLIANCE_ADMIN)

    @property
    def agency_ids(self) -> list[int]:
        return sorted({a for a, _ in self.held if a is not None})

    @property
    def acting_agency_ids(self) -> list[int]:
        """The agencies the person may act for: theirs, less any suspended."""
        return [a for a in self.agency_ids if a not in self.suspended]

    def names(self) -> list[str]:
        return sorted({r for _, r in self.held})

    def labels(self) -> list[str]:
        """The roles in words ("Chief officer"), for people to read."""
        return sorted({Role(r).label for _, r in self.held})


def roles_of(person: User, alliance: Alliance) -> Roles:
    """One query: the roles the person holds in the alliance, with their agencies' standing."""
    if not person.is_authenticated or not person.is_active:
        return Roles(frozenset())
    rows = (
        Membership.objects.for_alliance(alliance)
        .filter(user=person)
        .values_list("agency_id", "role", "agency__status")
    )
    return _roles(rows)


def roles_and_agencies_of(person: User, alliance: Alliance) -> tuple[Roles, tuple[Agency, ...]]:
    """One query: `roles_of`, with the agencies (by name) the person holds roles in, less any
    expelled: what every page and API call of the alliance starts from."""
    if not person.is_authenticated or not person.is_active:
        return Roles(frozenset()), ()
    memberships = list(
        Membership.objects.for_alliance(alliance)
        .filter(user=person)
        .select_related("agency")
        .order_by()
    )
    roles = _roles(
        (m.agency_id, m.role, m.agency.status if m.agency else None) for m in memberships
    )
    held = {m.agency_id: m.agency for m in memberships if m.agency_id in roles.agency_ids}
    return roles, tuple(sorted(held.values(), key=lambda a: (a.name, a.pk)))


def _roles(rows: Iterable[tuple[int | None, str, str | None]]) -> Roles:
    held: set[tuple[int | None, str]] = set()
    expelled: set[tuple[int, str]] = set()
    suspended: set[int] = set()
    for agency_id, role, status in rows:
        if agency_id is not None and status == AgencyStatus.EXPELLED:
            expelled.add((agency_id, role))
            continue
        held.add((agency_id, role))
        if agency_id is not None and status == AgencyStatus.SUSPENDED:
            suspended.add(agency_id)
    return Roles(frozenset(held), frozenset(suspended), frozenset(expelled))


def can_manage_alliance(roles: Roles) -> bool:
    """Admins manage agencies, service areas, protocol versions and any role."""
    return roles.is_admin


def can_invite(roles: Roles, *, agency: Agency | None, role: str) -> bool:
    """An admin invites to any role; a chief officer to their own agency's board and staff."""
    if roles.is_admin:
        return True
    return (
        agency is not None
        and role in CHIEF_OFFICER_MAY_INVITE
        and roles.acts(Role.CHIEF_OFFICER, agency)
    )


def can_record_acceptance(roles: Roles, *, agency: Agency) -> bool:
    """A board's acceptance of the protocol is recorded by one of its trustees (clause 4)."""
    return roles.acts(Role.TRUSTEE, agency) or roles.is_admin


def can_view_audit(roles: Roles) -> bool:
    """The audit trail is the admins' and the arbiter's evidence."""
    return roles.is_admin or roles.has(Role.ARBITER)


def can_vote_on(roles: Roles, *, agency_id: int) -> bool:
    """Trustees of the deciding agency vote; chief officers do not (protocol clause 4)."""
    return roles.acts(Role.TRUSTEE, agency_id)


def can_set_standing_orders(roles: Roles, *, agency: Agency) -> bool:
    """An agency's standing orders are its own: its chief officer or trustees record them
    (an admin may too, for an agency still settling in)."""
    return (
        roles.acts(Role.CHIEF_OFFICER, agency) or roles.acts(Role.TRUSTEE, agency) or roles.is_admin
    )
