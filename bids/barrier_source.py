"""The bids app's papers, as the information barrier (kiaa/barrier.py) sees them.

A bid paper's audience is its bid team (the lead and the partners who confirmed); any agency
in another live bid for the same tender is excluded, even if it is also in this team.
TUPE information is the incumbent's until released, then every declared bidder's too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bids import rules
from bids.models import Tender, TenderPaper, TupeRelease
from bids.snapshot import snapshots
from kiaa.barrier import Facts

# A bid still in the race, or decided: its team keeps out of every rival bid's papers.
IN_A_BID = rules.LIVE | rules.PUBLIC


def refine(documents: list[Any], facts: dict[int, Facts]) -> dict[int, Facts]:
    """Facts for the tender papers among these documents; others are returned as they were."""
    papers = list(
        TenderPaper.objects.filter(document_id__in=[d.pk for d in documents]).values(
            "document_id", "tender_id", "declaration_id", "kind"
        )
    )
    if not papers:
        return facts
    tender_ids = {p["tender_id"] for p in papers}
    tenders = Tender.objects.in_bulk(tender_ids)
    found = snapshots(tenders.values())
    released = set(
        TupeRelease.objects.filter(tender_id__in=tender_ids).values_list("tender_id", flat=True)
    )
    refined = dict(facts)
    for paper in papers:
        snapshot, base = found[paper["tender_id"]], facts[paper["document_id"]]
        if paper["kind"] == TenderPaper.Kind.BID:
            refined[paper["document_id"]] = _bid_paper(snapshot, base, paper["declaration_id"])
        else:
            tender = tenders[paper["tender_id"]]
            open_room = paper["tender_id"] in released
            refined[paper["document_id"]] = _tupe_paper(snapshot, base, tender, open_room)
    return refined


def _bid_paper(snapshot: rules.Snapshot, base: Facts, declaration_id: int) -> Facts:
    unit = snapshot.bid(declaration_id).unit
    others = [
        rules.team(snapshot, b.id)
        for b in snapshot.bids
        if b.lead is None and b.id != unit and b.status in IN_A_BID
    ]
    return replace(
        base,
        members=rules.team(snapshot, unit),
        withdrawn=frozenset(),
        excluded=frozenset().union(*others),
    )


def _tupe_paper(snapshot: rules.Snapshot, base: Facts, tender: Tender, released: bool) -> Facts:
    bidders = {b.agency for b in snapshot.bids if b.status in rules.PUBLIC} if released else set()
    if tender.incumbent_agency_id is not None:
        bidders.add(tender.incumbent_agency_id)
    return replace(
        base,
        members=frozenset(bidders),
        withdrawn=frozenset(),
        excluded=frozenset(),
    )
