"""Reading the facts the conflict rules judge (bids/rules.py), for a batch of tenders at once.

A fixed number of queries whatever the number of tenders, declarations or partnerships, so a
list of declarations with their conflicts costs the same at any size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from bids import rules
from bids.models import Declaration, NamedPartner, Tender, TenderServiceArea
from kiaa.models import Agency, AgencyServiceArea, Membership, Role, ServiceArea
from partnerships.models import Partnership, PartnershipMember, PartnershipServiceArea


def snapshots(tenders: Iterable[Tender]) -> dict[int, rules.Snapshot]:
    """One snapshot per tender, all read together."""
    tenders = list(tenders)
    if not tenders:
        return {}
    ids = [t.pk for t in tenders]
    tender_areas: dict[int, set[int]] = defaultdict(set)
    for tender_id, area_id in TenderServiceArea.objects.filter(tender_id__in=ids).values_list(
        "tender_id", "service_area_id"
    ):
        tender_areas[tender_id].add(area_id)
    declarations = list(
        Declaration.objects.filter(tender_id__in=ids).values(
            "pk",
            "tender_id",
            "agency_id",
            "status",
            "capacity",
            "lead_declaration_id",
            "declared_at",
        )
    )
    named: dict[int, dict[int, str]] = defaultdict(dict)
    for declaration_id, agency_id, state in NamedPartner.objects.filter(
        declaration__tender_id__in=ids
    ).values_list("declaration_id", "agency_id", "status"):
        named[declaration_id][agency_id] = state
    involved = {d["agency_id"] for d in declarations} | {
        a for partners in named.values() for a in partners
    }
    context = _context(tenders[0].alliance_id, involved)
    found: dict[int, rules.Snapshot] = {}
    for tender in tenders:
        bids = tuple(
            rules.Bid(
                id=d["pk"],
                agency=d["agency_id"],
                status=d["status"],
                capacity=d["capacity"],
                lead=d["lead_declaration_id"],
                declared_at=d["declared_at"],
                partners=named.get(d["pk"], {}),
            )
            for d in declarations
            if d["tender_id"] == tender.pk
        )
        found[tender.pk] = rules.Snapshot(
            tender_reference=tender.reference,
            service_areas=frozenset(tender_areas[tender.pk]),
            eoi_deadline=tender.eoi_deadline,
            bids=bids,
            **context,
        )
    return found


def snapshot(tender: Tender) -> rules.Snapshot:
    return snapshots([tender])[tender.pk]


def bid_team(declaration: Declaration) -> set[int]:
    """The agencies of the bid a declaration is part of: its lead (or sole bidder) and the
    named partners who confirmed (`rules.team`, read straight from the two tables)."""
    lead = declaration.lead_declaration or declaration
    confirmed = NamedPartner.objects.filter(
        declaration=lead, status=NamedPartner.Status.CONFIRMED
    ).values_list("agency_id", flat=True)
    return {lead.agency_id, *confirmed}


def _context(alliance_id: int, agencies: set[int]) -> dict[str, Any]:
    """The agencies' names, service areas, boards and partnerships (one alliance)."""
    names = dict(Agency.objects.filter(alliance_id=alliance_id).values_list("pk", "name"))
    area_names = dict(ServiceArea.objects.filter(alliance_id=alliance_id).values_list("pk", "name"))
    agency_areas: dict[int, set[int]] = defaultdict(set)
    for agency_id, area_id in AgencyServiceArea.objects.filter(agency_id__in=agencies).values_list(
        "agency_id", "service_area_id"
    ):
        agency_areas[agency_id].add(area_id)
    trustees: dict[int, set[int]] = defaultdict(set)
    for agency_id, user_id in Membership.objects.filter(
        alliance_id=alliance_id, role=Role.TRUSTEE
    ).values_list("agency_id", "user_id"):
        trustees[agency_id].add(user_id)
    return {
        "partnerships": _partnerships(alliance_id, agencies),
        "agency_areas": {a: frozenset(s) for a, s in agency_areas.items()},
        "agency_names": names,
        "area_names": area_names,
        "trustees": {a: frozenset(s) for a, s in trustees.items()},
    }


def _partnerships(alliance_id: int, agencies: set[int]) -> tuple[rules.Partnership, ...]:
    """The working partnerships any of these agencies is an active member of."""
    ids = set(
        PartnershipMember.objects.filter(
            alliance_id=alliance_id,
            agency_id__in=agencies,
            status=PartnershipMember.Status.ACTIVE,
        )
        .exclude(partnership__status=Partnership.Status.DISSOLVED)
        .values_list("partnership_id", flat=True)
    )
    members: dict[int, set[int]] = defaultdict(set)
    for partnership_id, agency_id in PartnershipMember.objects.filter(
        partnership_id__in=ids, status=PartnershipMember.Status.ACTIVE
    ).values_list("partnership_id", "agency_id"):
        members[partnership_id].add(agency_id)
    areas: dict[int, set[int]] = defaultdict(set)
    for partnership_id, area_id in PartnershipServiceArea.objects.filter(
        partnership_id__in=ids
    ).values_list("partnership_id", "service_area_id"):
        areas[partnership_id].add(area_id)
    return tuple(
        rules.Partnership(
            id=pk, name=name, members=frozenset(members[pk]), service_areas=frozenset(areas[pk])
        )
        for pk, name in Partnership.objects.filter(pk__in=ids)
        .order_by("name")
        .values_list("pk", "name")
    )
