"""Breach detectors over bids: undeclared, late, rival and "bid candy" bids (by tender)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from bids.models import Allocation, Declaration, NamedPartner, Tender, TenderServiceArea
from disputes.findings import Finding, Scope, midnight, when, within
from disputes.models import Breach
from kiaa.models import Alliance, Protocol
from partnerships.models import MouVersion, Partnership, PartnershipMember, PartnershipServiceArea

Kind = Breach.Kind
Status = Declaration.Status
# Bids that went to the commissioner: what they say was said to the world.
SUBMITTED = (Status.SUBMITTED, Status.WON, Status.LOST)

# -- Bids -----------------------------------------------------------------------------------


def undeclared_bid(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """A bid submitted (or awarded) for an agency whose board never approved it (clause 4)."""
    leads = within(
        Declaration.objects.for_alliance(alliance).filter(
            status__in=SUBMITTED, lead_declaration__isnull=True
        ),
        "tender_id",
        scope.tenders,
    )
    # Only the undeclared are read whole: a large alliance has submitted thousands of bids.
    for lead in leads.filter(declared_at__isnull=True).select_related("agency", "tender"):
        yield Finding(
            Kind.UNDECLARED_BID,
            f"declaration:{lead.pk}",
            f"{lead.agency.name} bid for {lead.tender.reference} without its trustees "
            "approving the declaration.",
            lead.closed_at or lead.created_at,
            agency_id=lead.agency_id,
            tender_id=lead.tender_id,
            declaration_id=lead.pk,
            evidence={"status": lead.status, "details": [_bid_went_in(lead)]},
        )
    yield from _unapproved_partners(leads)


def _bid_went_in(lead: Declaration) -> str:
    return f"The bid's status is {lead.get_status_display().lower()}."


def _unapproved_partners(leads: QuerySet[Declaration]) -> Iterable[Finding]:
    """Partners confirmed in a submitted bid whose own board had not approved their part."""
    approved = Declaration.objects.filter(
        lead_declaration_id=OuterRef("declaration_id"),
        agency_id=OuterRef("agency_id"),
        declared_at__isnull=False,
    )
    namings = (
        NamedPartner.objects.filter(
            declaration__in=leads.values("pk"), status=NamedPartner.Status.CONFIRMED
        )
        .exclude(Exists(approved))
        .select_related("agency", "declaration__agency", "declaration__tender")
        .order_by("pk")
    )
    for naming in namings:
        lead = naming.declaration
        yield Finding(
            Kind.UNDECLARED_BID,
            f"declaration:{lead.pk}:partner:{naming.agency_id}",
            f"{naming.agency.name} is a partner in {lead.agency.name}'s bid for "
            f"{lead.tender.reference}, which went in before {naming.agency.name}'s trustees "
            "approved it.",
            naming.answered_at or naming.named_at,
            agency_id=naming.agency_id,
            tender_id=lead.tender_id,
            declaration_id=lead.pk,
            evidence={
                "lead_agency": lead.agency.name,
                "details": [
                    f"{naming.agency.name} confirmed its place on {when(naming.answered_at)}."
                    if naming.answered_at
                    else f"{naming.agency.name} was named on {when(naming.named_at)}.",
                    _bid_went_in(lead),
                ],
            },
        )


@dataclass(frozen=True)
class _Bid:
    """One bid on a tender (a lead's or a sole declaration), as the rival check needs it."""

    id: int
    lead: str
    declared_at: datetime | None


Places = dict[tuple[int, int], dict[int, _Bid]]  # (tender, agency) -> the bids it is in
# Bids that were or are before the commissioner, or about to be: a place in one is a commitment.
COMMITTED = (*Declaration.COMPETING, Status.WON, Status.LOST)


def rival_consortia(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """Rival bids that exclusivity forbids: an agency in two, or exclusive partners apart."""
    places, names = _places(alliance, scope)
    references = _references(alliance, scope)
    for (tender_id, agency_id), bids in sorted(places.items()):
        if len(bids) < 2:
            continue
        leads = sorted({bid.lead for bid in bids.values()})
        yield Finding(
            Kind.RIVAL_CONSORTIA,
            f"tender:{tender_id}:agency:{agency_id}",
            f"{names[agency_id]} is in {len(bids)} rival bids for {references[tender_id]} "
            f"(led by {', '.join(leads)}).",
            _latest(bids.values(), now),
            agency_id=agency_id,
            tender_id=tender_id,
            evidence={"bids": sorted(bids), "leads": leads},
        )
    yield from _exclusive_partners_apart(alliance, scope, places, names, references, now)


def _places(alliance: Alliance, scope: Scope) -> tuple[Places, dict[int, str]]:
    """Each agency's committed places in bids on the tenders in scope, and agency names.

    Read as plain values: the largest alliance has thousands of committed bids.
    """
    places: Places = defaultdict(dict)
    names: dict[int, str] = {}
    own = within(
        Declaration.objects.for_alliance(alliance).filter(status__in=COMMITTED),
        "tender_id",
        scope.tenders,
    ).values_list(
        "tender_id",
        "agency_id",
        "agency__name",
        "pk",
        "declared_at",
        "lead_declaration_id",
        "lead_declaration__agency__name",
        "lead_declaration__declared_at",
    )
    for tender_id, agency_id, name, pk, declared_at, lead_id, lead_name, lead_at in own:
        lead = _Bid(lead_id, lead_name, lead_at) if lead_id else _Bid(pk, name, declared_at)
        places[(tender_id, agency_id)][lead.id] = lead
        names[agency_id] = name
    namings = within(
        NamedPartner.objects.for_alliance(alliance).filter(
            status=NamedPartner.Status.CONFIRMED, declaration__status__in=COMMITTED
        ),
        "declaration__tender_id",
        scope.tenders,
    ).values_list(
        "declaration__tender_id",
        "agency_id",
        "agency__name",
        "declaration_id",
        "declaration__agency__name",
        "declaration__declared_at",
    )
    for tender_id, agency_id, name, lead_id, lead_name, lead_at in namings:
        places[(tender_id, agency_id)][lead_id] = _Bid(lead_id, lead_name, lead_at)
        names[agency_id] = name
    return places, names


def _latest(bids: Iterable[_Bid], default: datetime) -> datetime:
    moments = [bid.declared_at for bid in bids if bid.declared_at is not None]
    return max(moments, default=default)


def _exclusive_partners_apart(
    alliance: Alliance,
    scope: Scope,
    places: Places,
    names: dict[int, str],
    references: dict[int, str],
    now: datetime,
) -> Iterable[Finding]:
    """Members of a partnership whose MoU is exclusive, bidding against each other in its field.

    The bid declared first stands; each member in a later rival bid broke the exclusivity.
    """
    tenders = {tender for tender, _ in places}
    partnerships = _exclusive_partnerships(alliance)
    if not tenders or not partnerships:
        return
    tender_areas = _grouped(
        within(TenderServiceArea.objects.for_alliance(alliance), "tender_id", scope.tenders)
        .values_list("tender_id", "service_area_id")
        .order_by()
    )
    # Only partnerships with two members placed in bids for the tender can have rival members:
    # looking at those alone keeps this linear in the bids, not tenders times partnerships.
    member_of: dict[int, list[int]] = defaultdict(list)
    for partnership, (_, members, _) in partnerships.items():
        for agency_id in members:
            member_of[agency_id].append(partnership)
    placed: dict[int, Counter[int]] = defaultdict(Counter)
    for tender_id, agency_id in places:
        placed[tender_id].update(member_of.get(agency_id, ()))
    for tender_id in sorted(tenders):
        for partnership in sorted(p for p, n in placed[tender_id].items() if n > 1):
            name, members, areas = partnerships[partnership]
            if not areas & tender_areas.get(tender_id, set()):
                continue
            units: dict[int, _Bid] = {}
            member_units: dict[int, set[int]] = defaultdict(set)
            for agency_id in members:
                for bid in places.get((tender_id, agency_id), {}).values():
                    units[bid.id] = bid
                    member_units[bid.id].add(agency_id)
            if len(units) < 2:
                continue
            first = min(units.values(), key=lambda b: (b.declared_at or now, b.id))
            for bid in sorted(units.values(), key=lambda b: b.id):
                if bid.id == first.id:
                    continue
                for agency_id in sorted(member_units[bid.id] - member_units[first.id]):
                    yield Finding(
                        Kind.RIVAL_CONSORTIA,
                        f"tender:{tender_id}:partnership:{partnership}:agency:{agency_id}",
                        f"{names[agency_id]} bids for {references[tender_id]} in {bid.lead}'s "
                        f"bid, against its {name} partners in {first.lead}'s, though the "
                        f"{name} MoU is exclusive.",
                        bid.declared_at or now,
                        agency_id=agency_id,
                        tender_id=tender_id,
                        partnership_id=partnership,
                        evidence={"bids": [first.id, bid.id], "leads": [first.lead, bid.lead]},
                    )


def _exclusive_partnerships(alliance: Alliance) -> dict[int, tuple[str, set[int], set[int]]]:
    """Partnerships (not dissolved) whose current MoU is exclusive: name, members, areas."""
    exclusive = (
        MouVersion.objects.current()
        .for_alliance(alliance)
        .filter(exclusive=True)
        .exclude(partnership__status=Partnership.Status.DISSOLVED)
    )
    names = dict(exclusive.values_list("partnership_id", "partnership__name"))
    # The partnerships as a subquery, not a list: a large alliance has a thousand.
    ids = exclusive.values("partnership_id")
    members = _grouped(
        PartnershipMember.objects.filter(
            partnership_id__in=ids, status=PartnershipMember.Status.ACTIVE
        ).values_list("partnership_id", "agency_id")
    )
    areas = _grouped(
        PartnershipServiceArea.objects.filter(partnership_id__in=ids).values_list(
            "partnership_id", "service_area_id"
        )
    )
    return {p: (name, members.get(p, set()), areas.get(p, set())) for p, name in names.items()}


def _grouped(rows: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """Pairs grouped by their first member."""
    grouped: dict[int, set[int]] = defaultdict(set)
    for key, value in rows:
        grouped[key].add(value)
    return grouped


def _references(alliance: Alliance, scope: Scope) -> dict[int, str]:
    """Tenders' references: of the alliance, or the scope's (no list of thousands of ids)."""
    tenders = within(Tender.objects.for_alliance(alliance), "pk", scope.tenders)
    return dict(tenders.values_list("pk", "reference").order_by())


def late_declaration(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """Declared after the tender's expression-of-interest deadline (clause 5: open, in time)."""
    late = within(
        Declaration.objects.for_alliance(alliance).filter(
            declared_at__isnull=False,
            tender__eoi_deadline__isnull=False,
            declared_at__gt=F("tender__eoi_deadline"),
        ),
        "tender_id",
        scope.tenders,
    )
    # Plain values, not models: the largest alliance has hundreds of late declarations.
    rows = late.order_by("pk").values_list(
        "pk",
        "agency_id",
        "agency__name",
        "tender_id",
        "tender__reference",
        "declared_at",
        "tender__eoi_deadline",
    )
    for pk, agency, name, tender, reference, declared_at, deadline in rows:
        if declared_at is None or deadline is None:  # excluded by the query; for the types
            continue
        yield Finding(
            Kind.LATE_DECLARATION,
            f"declaration:{pk}",
            f"{name} declared for {reference} on {when(declared_at)}, "
            f"after the expression-of-interest deadline of {when(deadline)}.",
            declared_at,
            agency_id=agency,
            tender_id=tender,
            declaration_id=pk,
            evidence={
                "declared_at": declared_at.isoformat(),
                "eoi_deadline": deadline.isoformat(),
                "days_late": (declared_at - deadline).days,
            },
        )


def bid_candy(alliance: Alliance, scope: Scope, now: datetime) -> Iterable[Finding]:
    """A partner named in the winning bid still has no allocation long after the award."""
    days = Protocol.objects.values_list("allocation_due_days", flat=True).get(alliance=alliance)
    cutoff = timezone.localdate(now) - timedelta(days=days)
    funded = Allocation.objects.filter(
        declaration_id=OuterRef("declaration_id"), agency_id=OuterRef("agency_id")
    )
    unfunded = (
        within(
            NamedPartner.objects.for_alliance(alliance).filter(
                status=NamedPartner.Status.CONFIRMED,
                declaration__status=Status.WON,
                declaration__tender__awarded_on__lte=cutoff,
            ),
            "declaration__tender_id",
            scope.tenders,
        )
        .exclude(Exists(funded))
        .order_by("pk")
    )
    # Plain values, not models: the largest alliance has hundreds of unfunded partners.
    rows = unfunded.values_list(
        "agency_id",
        "agency__name",
        "proposed_share_pct",
        "declaration_id",
        "declaration__agency_id",
        "declaration__agency__name",
        "declaration__tender_id",
        "declaration__tender__reference",
        "declaration__tender__awarded_on",
    )
    for partner, name, share, lead, lead_agency, lead_name, tender, reference, awarded in rows:
        if awarded is None:  # excluded by the query; for the types
            continue
        yield Finding(
            Kind.BID_CANDY,
            f"tender:{tender}:partner:{partner}",
            f"{lead_name} won {reference} naming {name} as a "
            f"partner, and has recorded no allocation to it {days} days after the award.",
            midnight(awarded + timedelta(days=days)),
            agency_id=lead_agency,
            tender_id=tender,
            declaration_id=lead,
            evidence={
                "partner": name,
                "proposed_share_pct": str(share),
                "awarded_on": awarded.isoformat(),
                "allocation_due_days": days,
            },
        )
