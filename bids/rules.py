"""Conflict-of-interest rules: pure functions over an in-memory snapshot of one tender.

No database access here: `bids/snapshot.py` reads the facts, these functions judge them, so
every rule is unit-tested on plain values. Each finding names its kind, the agencies it
concerns and says in plain English what it means; the declaration page shows them as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Declaration statuses, as the rules need them (bids.models.Declaration.Status values).
LIVE = frozenset({"draft", "awaiting_board", "declared", "submitted"})
PUBLIC = frozenset({"declared", "submitted", "won", "lost"})
COMPETING = frozenset({"declared", "submitted"})

COMPETITOR = "competitor"
SHARED_PARTNERSHIP = "shared_partnership"
RIVAL_BIDS = "rival_bids"
MISSION_DRIFT = "mission_drift"
LATE = "late"
KINDS = (COMPETITOR, SHARED_PARTNERSHIP, RIVAL_BIDS, MISSION_DRIFT, LATE)


@dataclass(frozen=True)
class Bid:
    """One declaration on the tender."""

    id: int
    agency: int
    status: str
    capacity: str = "sole"  # sole / lead / partner
    lead: int | None = None  # for a partner: the lead's declaration
    declared_at: datetime | None = None
    # For a lead: each named partner agency and where its naming stands (named/confirmed/declined).
    partners: Mapping[int, str] = field(default_factory=dict)

    @property
    def unit(self) -> int:
        """The bid this declaration is part of: the lead's (or its own)."""
        return self.lead if self.lead is not None else self.id


@dataclass(frozen=True)
class Partnership:
    id: int
    name: str
    members: frozenset[int]  # active members
    service_areas: frozenset[int]


@dataclass(frozen=True)
class Snapshot:
    """What the rules know about one tender and the agencies around it."""

    tender_reference: str
    service_areas: frozenset[int]
    eoi_deadline: datetime | None
    bids: tuple[Bid, ...]
    partnerships: tuple[Partnership, ...] = ()
    agency_areas: Mapping[int, frozenset[int]] = field(default_factory=dict)
    agency_names: Mapping[int, str] = field(default_factory=dict)
    area_names: Mapping[int, str] = field(default_factory=dict)
    trustees: Mapping[int, frozenset[int]] = field(default_factory=dict)  # agency -> user ids

    def bid(self, declaration_id: int) -> Bid:
        return next(b for b in self.bids if b.id == declaration_id)

    def name(self, agency: int) -> str:
        return self.agency_names.get(agency, f"Agency {agency}")

    def names(self, agencies: set[int] | frozenset[int]) -> str:
        return _join(sorted(self.name(a) for a in agencies))


@dataclass(frozen=True)
class Finding:
    kind: str
    parties: tuple[int, ...]  # agency ids, the declaring agency first
    explanation: str
    partnership: int | None = None


def team(snapshot: Snapshot, unit: int) -> frozenset[int]:
    """A bid's team: its lead (or sole bidder) and the named partners who confirmed."""
    lead = snapshot.bid(unit)
    confirmed = {a for a, state in lead.partners.items() if state == "confirmed"}
    return frozenset({lead.agency} | confirmed)


def rival_units(snapshot: Snapshot, bid: Bid, statuses: frozenset[str] = PUBLIC) -> list[int]:
    """The other bids on the tender whose lead has declared (only declared bids are public)."""
    return sorted(
        {b.id for b in snapshot.bids if b.lead is None and b.status in statuses} - {bid.unit}
    )


def rivals(snapshot: Snapshot, bid: Bid, statuses: frozenset[str] = PUBLIC) -> frozenset[int]:
    """Every agency in a rival bid's team, less the declaring bid's own team."""
    others = set().union(*(team(snapshot, u) for u in rival_units(snapshot, bid, statuses)))
    # Less the agency itself too: a partner whose naming is unconfirmed is not yet in its
    # lead's team, but it is never its own rival.
    return frozenset(others - team(snapshot, bid.unit) - {bid.agency})


def competitors(snapshot: Snapshot, bid: Bid) -> list[Finding]:
    """Other declarants on the same tender (protocol clause 5: members are open about competing)."""
    found = []
    for unit in rival_units(snapshot, bid):
        other = team(snapshot, unit) - team(snapshot, bid.unit) - {bid.agency}
        if not other:
            continue
        lead = snapshot.bid(unit).agency
        partners = other - {lead}
        with_whom = f" with {snapshot.names(partners)}" if partners else ""
        found.append(
            Finding(
                COMPETITOR,
                (bid.agency, *sorted(other)),
                f"{snapshot.name(lead)} has also declared for {snapshot.tender_reference}"
                f"{with_whom}: you are competitors for this contract.",
            )
        )
    return found


def shared_partnerships(snapshot: Snapshot, bid: Bid) -> list[Finding]:
    """Partnerships shared with a competitor whose work overlaps the tender (clause 5)."""
    others = rivals(snapshot, bid)
    found = []
    for p in snapshot.partnerships:
        shared = (p.members & others) - {bid.agency}
        if bid.agency not in p.members or not shared or not _overlaps(snapshot, p):
            continue
        found.append(
            Finding(
                SHARED_PARTNERSHIP,
                (bid.agency, *sorted(shared)),
                f"{snapshot.name(bid.agency)} and {snapshot.names(shared)} are both in "
                f"{p.name}, which works in {_areas(snapshot, p.service_areas)} like this tender: "
                "each steps back from its partnership working and commercial papers while "
                "you compete.",
                partnership=p.id,
            )
        )
    return found


def rival_bids(snapshot: Snapshot, bid: Bid) -> list[Finding]:
    """The agency is in two rival bids for one contract (exclusivity)."""
    units = {b.unit for b in snapshot.bids if b.agency == bid.agency and b.status in LIVE}
    named_in = {
        b.id
        for b in snapshot.bids
        if b.lead is None
        and b.status in LIVE | PUBLIC
        and b.partners.get(bid.agency) in {"named", "confirmed"}
    }
    units |= named_in
    if len(units) < 2:
        return []
    leads = sorted({snapshot.bid(u).agency for u in units} - {bid.agency})
    return [
        Finding(
            RIVAL_BIDS,
            (bid.agency, *leads),
            f"{snapshot.name(bid.agency)} is in more than one bid for "
            f"{snapshot.tender_reference} (with {snapshot.names(set(leads))}): a member may be "
            "in only one bid for a contract, so decline or withdraw from all but one.",
        )
    ]


def mission_drift(snapshot: Snapshot, bid: Bid) -> list[Finding]:
    """The tender covers work outside the agency's service areas (a warning: charitable objects)."""
    outside = snapshot.service_areas - snapshot.agency_areas.get(bid.agency, frozenset())
    if not outside:
        return []
    return [
        Finding(
            MISSION_DRIFT,
            (bid.agency,),
            f"This tender covers {_areas(snapshot, outside)}, outside the service areas "
            f"{snapshot.name(bid.agency)} works in: check it is within your charitable objects.",
        )
    ]


def late(snapshot: Snapshot, bid: Bid, at: datetime) -> list[Finding]:
    """Declared (or declaring now, `at`) after the expression-of-interest deadline."""
    when = bid.declared_at or at
    deadline = snapshot.eoi_deadline
    if deadline is None or when <= deadline:
        return []
    return [
        Finding(
            LATE,
            (bid.agency,),
            f"Declared on {when:%-d %B %Y} after the expression-of-interest deadline of "
            f"{deadline:%-d %B %Y}: the protocol asks members to declare in good time.",
        )
    ]


def findings(snapshot: Snapshot, declaration_id: int, at: datetime) -> list[Finding]:
    """Every finding for one declaration, in the order the page shows them."""
    bid = snapshot.bid(declaration_id)
    return [
        *competitors(snapshot, bid),
        *shared_partnerships(snapshot, bid),
        *rival_bids(snapshot, bid),
        *mission_drift(snapshot, bid),
        *late(snapshot, bid, at),
    ]


def conflicted_trustees(snapshot: Snapshot, bid: Bid) -> dict[int, str]:
    """Trustees of the declaring agency who also sit on a rival declarant's board.

    They take no part in the vote and do not count towards the quorum (clause 4 with 5).
    """
    mine = snapshot.trustees.get(bid.agency, frozenset())
    reasons: dict[int, str] = {}
    for other in sorted(rivals(snapshot, bid)):
        for person in sorted(mine & snapshot.trustees.get(other, frozenset())):
            reasons.setdefault(
                person,
                f"Also a trustee of {snapshot.name(other)}, which has declared for "
                f"{snapshot.tender_reference} in a rival bid.",
            )
    return reasons


def withdrawals_needed(snapshot: Snapshot, bid: Bid) -> list[int]:
    """The partnerships the agency withdraws from while it competes (clause 5).

    Those whose work overlaps the tender and that have a member outside the agency's own bid
    team; a consortium made of the bid team itself is the bid, not a partnership to leave.
    """
    own = team(snapshot, bid.unit)
    return [
        p.id
        for p in snapshot.partnerships
        if bid.agency in p.members and p.members - own and _overlaps(snapshot, p)
    ]


def _overlaps(snapshot: Snapshot, partnership: Partnership) -> bool:
    return bool(partnership.service_areas & snapshot.service_areas)


def _areas(snapshot: Snapshot, areas: frozenset[int]) -> str:
    return _join(sorted(snapshot.area_names.get(a, f"area {a}") for a in areas))


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
