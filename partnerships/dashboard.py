"""The partnerships app's part of the dashboard: a chief officer's partnerships, their agency's
place in each, and who is withdrawn from them while competing (protocol clause 5), until when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db.models import F, Q

from kiaa import dashboard
from kiaa.models import Role
from kiaa.tenancy import Tenant
from partnerships import selectors
from partnerships.models import Partnership, PartnershipMember
from partnerships.querysets import WithdrawalQuerySet

Place = PartnershipMember.Status
# An agency holds a place from its invitation until it has left (or declined).
PLACED = (Place.INVITED, Place.AWAITING_BOARD, Place.ACTIVE, Place.LEAVING)


@dataclass(frozen=True)
class Row:
    partnership: Partnership
    places: list[PartnershipMember]  # the person's agencies' places in it

    @property
    def active_members(self) -> int:
        return sum(m.status == Place.ACTIVE for m in self.partnership.members.all())


def partnerships(tenant: Tenant) -> dict[str, Any] | None:
    """For a chief officer: the partnerships their agency holds a place in, and the withdrawals
    in force from them (or by their agency), the soonest to end first."""
    agencies = dashboard.agencies_as(tenant, Role.CHIEF_OFFICER)
    if not agencies:
        return None
    person, alliance = tenant.person, tenant.alliance
    ids = {a.pk for a in agencies}
    ours = (
        selectors.partnership_list_for(person=person, alliance=alliance)
        .filter(members__agency_id__in=ids, members__status__in=PLACED)
        .exclude(status=Partnership.Status.DISSOLVED)
        .distinct()
    )
    found = list(ours.order_by("name", "pk")[: dashboard.SHOWN + 1])
    shown = found[: dashboard.SHOWN]
    rows = [Row(p, [m for m in p.members.all() if m.agency_id in ids]) for p in shown]
    withdrawals = cast(
        WithdrawalQuerySet, selectors.withdrawal_list_for(person=person, alliance=alliance)
    ).active()
    in_force = withdrawals.filter(
        Q(partnership_id__in=ours.values("pk")) | Q(agency_id__in=ids)
    ).order_by(F("ends_at").asc(nulls_last=True), "agency__name", "pk")
    return {
        "agencies": dashboard.agency_names(agencies),
        "several": len(agencies) > 1,
        "rows": rows,
        "more": len(found) > dashboard.SHOWN,
        "withdrawals": list(in_force[: dashboard.SHOWN]),
        "mine": ids,
    }


def register() -> None:
    """Add the panel to the dashboard (from the app's ready)."""
    dashboard.register(
        dashboard.Panel(
            "partnerships.ours",
            "partnerships/dashboard/partnerships.html",
            partnerships,
            dashboard.CHIEF_OFFICER + 20,
        )
    )
