"""The conflict-of-interest rules (bids/rules.py) on plain snapshots: no database.

Each test tells a small story about one tender, "TND-042 Debt advice", and the agencies around
it: Lead Advice (declaring, sometimes leading a consortium with Partner Housing), Rival Debt
Line (a competitor, sometimes with Rival Money Help), and Third Sector Law (in partnerships
with them). The properties at the end check the rules over random snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bids import rules
from bids.rules import (
    COMPETITOR,
    KINDS,
    LATE,
    MISSION_DRIFT,
    PUBLIC,
    RIVAL_BIDS,
    SHARED_PARTNERSHIP,
    Bid,
    Finding,
    Partnership,
    Snapshot,
)

LEAD, PARTNER, RIVAL, RIVAL_PARTNER, THIRD = 1, 2, 3, 4, 5
NAMES = {
    LEAD: "Lead Advice",
    PARTNER: "Partner Housing",
    RIVAL: "Rival Debt Line",
    RIVAL_PARTNER: "Rival Money Help",
    THIRD: "Third Sector Law",
}
DEBT, HOUSING, WELFARE = 10, 11, 12
AREA_NAMES = {DEBT: "debt advice", HOUSING: "housing advice", WELFARE: "welfare benefits"}
EVERY_AREA = frozenset(AREA_NAMES)
REFERENCE = "TND-042"
DEADLINE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)  # well before the deadline
STATUSES = (
    "draft",
    "awaiting_board",
    "declared",
    "rejected",
    "withdrawn",
    "submitted",
    "won",
    "lost",
)
PRIVATE_OR_CLOSED = ("draft", "awaiting_board", "rejected", "withdrawn")


# ----------------------------------------------------------------------------- story helpers


def sole(
    bid_id: int, agency: int, status: str = "declared", declared_at: datetime | None = None
) -> Bid:
    """An agency bidding alone."""
    return Bid(id=bid_id, agency=agency, status=status, capacity="sole", declared_at=declared_at)


def lead(bid_id: int, agency: int, partners: Mapping[int, str], status: str = "declared") -> Bid:
    """An agency leading a consortium bid, with where each named partner's naming stands."""
    return Bid(id=bid_id, agency=agency, status=status, capacity="lead", partners=dict(partners))


def partner(bid_id: int, agency: int, lead_id: int, status: str = "declared") -> Bid:
    """An agency's own declaration as a named partner in another member's bid."""
    return Bid(id=bid_id, agency=agency, status=status, capacity="partner", lead=lead_id)


def partnership(
    partnership_id: int, name: str, *members: int, areas: Iterable[int] = (DEBT,)
) -> Partnership:
    return Partnership(
        id=partnership_id, name=name, members=frozenset(members), service_areas=frozenset(areas)
    )


def tender(
    *bids: Bid,
    partnerships: Iterable[Partnership] = (),
    areas: Iterable[int] = (DEBT,),
    deadline: datetime | None = DEADLINE,
    agency_areas: Mapping[int, frozenset[int]] | None = None,
    trustees: Mapping[int, Iterable[int]] | None = None,
) -> Snapshot:
    """TND-042 with these bids; every agency works in every area unless told otherwise."""
    return Snapshot(
        tender_reference=REFERENCE,
        service_areas=frozenset(areas),
        eoi_deadline=deadline,
        bids=bids,
        partnerships=tuple(partnerships),
        agency_areas=agency_areas if agency_areas is not None else dict.fromkeys(NAMES, EVERY_AREA),
        agency_names=NAMES,
        area_names=AREA_NAMES,
        trustees={a: frozenset(people) for a, people in (trustees or {}).items()},
    )


def findings_for(snapshot: Snapshot, bid_id: int, at: datetime = NOW) -> list[Finding]:
    return rules.findings(snapshot, bid_id, at)


def kinds(found: Iterable[Finding]) -> list[str]:
    return [f.kind for f in found]


def only(found: list[Finding], kind: str) -> Finding:
    """The one finding of this kind."""
    matching = [f for f in found if f.kind == kind]
    assert len(matching) == 1, found
    return matching[0]


def rivals_of(snapshot: Snapshot, bid_id: int) -> frozenset[int]:
    return rules.rivals(snapshot, snapshot.bid(bid_id))


def withdrawals_for(snapshot: Snapshot, bid_id: int) -> list[int]:
    return rules.withdrawals_needed(snapshot, snapshot.bid(bid_id))


def conflicted(snapshot: Snapshot, bid_id: int) -> dict[int, str]:
    return rules.conflicted_trustees(snapshot, snapshot.bid(bid_id))


# ----------------------------------------------------------------------------- competitors


def test_a_bid_alone_on_a_tender_has_no_findings() -> None:
    snapshot = tender(sole(1, LEAD))

    assert findings_for(snapshot, 1) == []
    assert rivals_of(snapshot, 1) == frozenset()


def test_two_declared_bids_on_one_tender_are_competitors() -> None:
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL))

    found = findings_for(snapshot, 1)

    assert kinds(found) == [COMPETITOR]
    assert found[0].parties == (LEAD, RIVAL)
    assert found[0].partnership is None
    assert "Rival Debt Line" in found[0].explanation
    assert REFERENCE in found[0].explanation
    assert "competitors" in found[0].explanation


def test_competition_is_seen_from_both_sides() -> None:
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL))

    theirs = only(findings_for(snapshot, 2), COMPETITOR)

    assert theirs.parties == (RIVAL, LEAD)
    assert "Lead Advice has also declared for TND-042" in theirs.explanation


@pytest.mark.parametrize("status", ["declared", "submitted"])
def test_a_declared_or_submitted_rival_is_a_competitor(status: str) -> None:
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL, status=status))

    assert kinds(findings_for(snapshot, 1)) == [COMPETITOR]
    assert rivals_of(snapshot, 1) == {RIVAL}


@pytest.mark.parametrize("status", PRIVATE_OR_CLOSED)
def test_draft_rival_bids_stay_private_and_are_not_competitors(status: str) -> None:
    # Only a declaration its board has approved is open to the alliance (clause 5, openness).
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL, status=status))

    assert findings_for(snapshot, 1) == []
    assert rivals_of(snapshot, 1) == frozenset()


def test_a_bid_still_awaiting_its_board_already_sees_declared_competitors() -> None:
    # The trustees vote knowing who they would compete with.
    snapshot = tender(sole(1, LEAD, status="awaiting_board"), sole(2, RIVAL))

    assert only(findings_for(snapshot, 1), COMPETITOR).parties == (LEAD, RIVAL)


def test_a_rivals_confirmed_partner_is_a_competitor_named_in_the_explanation() -> None:
    snapshot = tender(
        sole(1, LEAD),
        lead(2, RIVAL, {RIVAL_PARTNER: "confirmed"}),
        partner(3, RIVAL_PARTNER, lead_id=2),
    )

    found = only(findings_for(snapshot, 1), COMPETITOR)

    assert found.parties == (LEAD, RIVAL, RIVAL_PARTNER)
    assert "Rival Debt Line has also declared for TND-042 with Rival Money Help" in (
        found.explanation
    )
    assert rivals_of(snapshot, 1) == {RIVAL, RIVAL_PARTNER}


def test_a_rivals_several_partners_are_listed_in_plain_english() -> None:
    snapshot = tender(
        sole(1, LEAD), lead(2, RIVAL, {RIVAL_PARTNER: "confirmed", THIRD: "confirmed"})
    )

    found = only(findings_for(snapshot, 1), COMPETITOR)

    assert found.parties == (LEAD, RIVAL, RIVAL_PARTNER, THIRD)
    assert "with Rival Money Help and Third Sector Law" in found.explanation


@pytest.mark.parametrize("naming", ["named", "declined"])
def test_a_rivals_named_but_unconfirmed_partner_is_not_a_competitor(naming: str) -> None:
    # Nobody is in a bid team until they confirm, even with their own declaration declared.
    snapshot = tender(
        sole(1, LEAD),
        lead(2, RIVAL, {RIVAL_PARTNER: naming}),
        partner(3, RIVAL_PARTNER, lead_id=2),
    )

    found = only(findings_for(snapshot, 1), COMPETITOR)

    assert found.parties == (LEAD, RIVAL)
    assert "Rival Money Help" not in found.explanation
    assert rivals_of(snapshot, 1) == {RIVAL}


def test_a_partner_declaration_is_part_of_its_leads_bid_not_a_bid_of_its_own() -> None:
    snapshot = tender(
        sole(1, LEAD),
        lead(2, RIVAL, {RIVAL_PARTNER: "confirmed"}),
        partner(3, RIVAL_PARTNER, lead_id=2),
    )

    assert rules.rival_units(snapshot, snapshot.bid(1)) == [2]
    assert len(rules.competitors(snapshot, snapshot.bid(1))) == 1


def test_a_rival_consortium_led_from_a_draft_is_not_a_competitor_yet() -> None:
    snapshot = tender(
        sole(1, LEAD),
        lead(2, RIVAL, {RIVAL_PARTNER: "confirmed"}, status="draft"),
        partner(3, RIVAL_PARTNER, lead_id=2),
    )

    assert rivals_of(snapshot, 1) == frozenset()
    assert COMPETITOR not in kinds(findings_for(snapshot, 1))


def test_a_partner_joins_its_leads_team_only_once_it_confirms() -> None:
    named = tender(lead(1, LEAD, {PARTNER: "named"}), partner(2, PARTNER, lead_id=1))
    declined = tender(lead(1, LEAD, {PARTNER: "declined"}), partner(2, PARTNER, lead_id=1))
    confirmed = tender(lead(1, LEAD, {PARTNER: "confirmed"}), partner(2, PARTNER, lead_id=1))

    assert rules.team(named, 1) == {LEAD}
    assert rules.team(declined, 1) == {LEAD}
    assert rules.team(confirmed, 1) == {LEAD, PARTNER}


def test_own_confirmed_partner_is_not_a_competitor() -> None:
    snapshot = tender(lead(1, LEAD, {PARTNER: "confirmed"}), partner(2, PARTNER, lead_id=1))

    assert findings_for(snapshot, 1) == []
    assert findings_for(snapshot, 2) == []


def test_a_confirmed_partner_sees_the_competitors_of_its_leads_bid() -> None:
    snapshot = tender(
        lead(1, LEAD, {PARTNER: "confirmed"}), partner(2, PARTNER, lead_id=1), sole(3, RIVAL)
    )

    found = only(findings_for(snapshot, 2), COMPETITOR)

    assert found.parties == (PARTNER, RIVAL)
    assert "Rival Debt Line" in found.explanation
    assert rivals_of(snapshot, 2) == {RIVAL}


def test_an_agency_is_never_its_own_rival_while_its_naming_is_unconfirmed() -> None:
    # Partner Housing is confirmed in Rival Debt Line's bid and, on a separate partner
    # declaration not yet confirmed, named in Lead Advice's: a breach of exclusivity, but
    # Partner Housing is not its own competitor.
    snapshot = tender(
        lead(1, LEAD, {PARTNER: "named"}),
        partner(2, PARTNER, lead_id=1, status="awaiting_board"),
        lead(3, RIVAL, {PARTNER: "confirmed"}),
        trustees={PARTNER: {201, 202}, RIVAL: {301}},
    )

    found = findings_for(snapshot, 2)

    assert PARTNER not in rivals_of(snapshot, 2)
    assert only(found, COMPETITOR).parties == (PARTNER, RIVAL)
    assert "with Partner Housing" not in only(found, COMPETITOR).explanation
    assert only(found, RIVAL_BIDS).parties == (PARTNER, LEAD, RIVAL)
    assert conflicted(snapshot, 2) == {}


# ----------------------------------------------------------------------------- shared partnerships


def test_partnership_shared_with_a_competitor_in_the_tenders_area_is_a_conflict() -> None:
    forum = partnership(7, "Debt Advice Forum", LEAD, RIVAL, THIRD)
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL), partnerships=[forum])

    found = only(findings_for(snapshot, 1), SHARED_PARTNERSHIP)

    assert found.parties == (LEAD, RIVAL)
    assert found.partnership == 7
    for words in (
        "Lead Advice",
        "Rival Debt Line",
        "Debt Advice Forum",
        "debt advice",
        "steps back",
    ):
        assert words in found.explanation
    assert "Third Sector Law" not in found.explanation
    assert withdrawals_for(snapshot, 1) == [7]
    assert withdrawals_for(snapshot, 2) == [7]


def test_partnership_outside_the_tenders_areas_is_not_a_conflict() -> None:
    housing = partnership(7, "Housing Network", LEAD, RIVAL, areas=[HOUSING])
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL), partnerships=[housing], areas=[DEBT])

    assert kinds(findings_for(snapshot, 1)) == [COMPETITOR]
    assert withdrawals_for(snapshot, 1) == []


def test_partnership_overlapping_one_of_the_tenders_areas_is_a_conflict() -> None:
    welfare = partnership(7, "Welfare Rights Group", LEAD, RIVAL, areas=[WELFARE, HOUSING])
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL), partnerships=[welfare], areas=[DEBT, WELFARE])

    found = only(findings_for(snapshot, 1), SHARED_PARTNERSHIP)

    assert "housing advice and welfare benefits" in found.explanation
    assert withdrawals_for(snapshot, 1) == [7]


def test_partnership_shared_with_every_member_of_a_rival_consortium_names_them_all() -> None:
    forum = partnership(7, "Debt Advice Forum", LEAD, RIVAL, RIVAL_PARTNER, THIRD)
    snapshot = tender(
        sole(1, LEAD), lead(2, RIVAL, {RIVAL_PARTNER: "confirmed"}), partnerships=[forum]
    )

    found = only(findings_for(snapshot, 1), SHARED_PARTNERSHIP)

    assert found.parties == (LEAD, RIVAL, RIVAL_PARTNER)
    assert "Rival Debt Line and Rival Money Help are both in Debt Advice Forum" in (
        found.explanation
    )


def test_partnership_shared_only_with_a_rivals_unconfirmed_partner_is_not_a_conflict() -> None:
    forum = partnership(7, "Money Help Circle", LEAD, RIVAL_PARTNER)
    snapshot = tender(sole(1, LEAD), lead(2, RIVAL, {RIVAL_PARTNER: "named"}), partnerships=[forum])

    assert SHARED_PARTNERSHIP not in kinds(findings_for(snapshot, 1))


def test_partnership_shared_with_a_draft_rival_is_not_a_conflict() -> None:
    forum = partnership(7, "Debt Advice Forum", LEAD, RIVAL)
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL, status="draft"), partnerships=[forum])

    assert findings_for(snapshot, 1) == []


def test_partnership_the_agency_is_not_in_is_none_of_its_business() -> None:
    others = partnership(7, "Rivals Together", RIVAL, THIRD)
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL), partnerships=[others])

    assert SHARED_PARTNERSHIP not in kinds(findings_for(snapshot, 1))
    assert withdrawals_for(snapshot, 1) == []


def test_each_shared_partnership_is_a_finding_of_its_own_in_snapshot_order() -> None:
    forum = partnership(7, "Debt Advice Forum", LEAD, RIVAL)
    circle = partnership(4, "Advice Circle", LEAD, RIVAL, THIRD, areas=[DEBT, WELFARE])
    snapshot = tender(sole(1, LEAD), sole(2, RIVAL), partnerships=[forum, circle])

    shared = [f for f in findings_for(snapshot, 1) if f.kind == SHARED_PARTNERSHIP]

    assert [f.partnership for f in shared] == [7, 4]
    assert withdrawals_for(snapshot, 1) == [7, 4]


# ----------------------------------------------------------------------------- withdrawals


def test_overlapping_partnership_needs_withdrawal_even_without_a_competitor() -> None:
    # Clause 5: a member withdraws from partnership working while it bids, competitor or not.
    forum = partnership(7, "Debt Advice Forum", LEAD, THIRD)
    snapshot = tender(sole(1, LEAD), partnerships=[forum])

    assert findings_for(snapshot, 1) == []
    assert withdrawals_for(snapshot, 1) == [7]


def test_consortium_of_the_bid_team_itself_needs_no_withdrawal() -> None:
    consortium = partnership(7, "Lead and Partner Consortium", LEAD, PARTNER)
    snapshot = tender(
        lead(1, LEAD, {PARTNER: "confirmed"}),
        partner(2, PARTNER, lead_id=1),
        sole(3, RIVAL),
        partnerships=[consortium],
    )

    assert withdrawals_for(snapshot, 1) == []
    assert withdrawals_for(snapshot, 2) == []
    assert SHARED_PARTNERSHIP not in kinds(findings_for(snapshot, 1))


def test_consortium_with_a_partner_yet_to_confirm_is_still_a_partnership_to_leave() -> None:
    consortium = partnership(7, "Lead and Partner Consortium", LEAD, PARTNER)
    snapshot = tender(lead(1, LEAD, {PARTNER: "named"}), partnerships=[consortium])

    assert withdrawals_for(snapshot, 1) == [7]


def test_consortium_with_one_member_outside_the_bid_team_needs_withdrawal() -> None:
    forum = partnership(7, "Debt Advice Forum", LEAD, PARTNER, THIRD)
    snapshot = tender(
        lead(1, LEAD, {PARTNER: "confirmed"}), partner(2, PARTNER, lead_id=1), partnerships=[forum]
    )

    assert withdrawals_for(snapshot, 1) == [7]
    assert withdrawals_for(snapshot, 2) == [7]


def test_partnership_outside_the_tenders_areas_needs_no_withdrawal() -> None:
    housing = partnership(7, "Housing Network", LEAD, THIRD, areas=[HOUSING])
    snapshot = tender(sole(1, LEAD), partnerships=[housing], areas=[DEBT, WELFARE])

    assert withdrawals_for(snapshot, 1) == []


# ----------------------------------------------------------------------------- exclusivity


def test_agency_named_in_a_rival_bid_while_bidding_itself_breaks_exclusivity() -> None:
    snapshot = tender(sole(1, LEAD), lead(2, RIVAL, {LEAD: "named"}))

    found = only(findings_for(snapshot, 1), RIVAL_BIDS)

    assert found.parties == (LEAD, RIVAL)
    for words in ("Lead Advice", "more than one bid", REFERENCE, "Rival Debt Line", "only one bid"):
        assert words in found.explanation


def test_confirmed_partner_in_a_rival_bid_while_bidding_itself_breaks_exclusivity() -> None:
    snapshot = tender(sole(1, LEAD), lead(2, RIVAL, {LEAD: "confirmed"}))

    assert only(findings_for(snapshot, 1), RIVAL_BIDS).parties == (LEAD, RIVAL)


def test_being_named_in_a_rivals_draft_already_breaks_exclusivity() -> None:
    # The agency knows it has been named, so it must choose before either bid goes further.
    snapshot = tender(sole(1, LEAD), lead(2, RIVAL, {LEAD: "named"}, status="draft"))

    assert RIVAL_BIDS in kinds(findings_for(snapshot, 1))


def test_declined_naming_does_not_break_exclusivity() -> None:
    snapshot = tender(sole(1, LEAD), lead(2, RIVAL, {LEAD: "declined"}))

    assert RIVAL_BIDS not in kinds(findings_for(snapshot, 1))


@pytest.mark.parametrize("status", ["rejected", "withdrawn"])
def test_naming_in_a_bid_that_is_no_longer_live_does_not_break_exclusivity(status: str) -> None:
    snapshot = tender(sole(1, LEAD), lead(2, RIVAL, {LEAD: "confirmed"}, status=status))

    assert RIVAL_BIDS not in kinds(findings_for(snapshot, 1))


def test_a_partner_in_its_leads_bid_alone_keeps_exclusivity() -> None:
    snapshot = tender(lead(1, LEAD, {PARTNER: "confirmed"}), partner(2, PARTNER, lead_id=1))

    assert RIVAL_BIDS not in kinds(findings_for(snapshot, 2))
    assert RIVAL_BIDS not in kinds(findings_for(snapshot, 1))


def test_a_partner_declaring_in_two_rival_bids_breaks_exclusivity() -> None:
    snapshot = tender(
        lead(1, LEAD, {PARTNER: "confirmed"}),
        partner(2, PARTNER, lead_id=1),
        lead(3, RIVAL, {PARTNER: "named"}),
        partner(4, PARTNER, lead_id=3, status="draft"),
    )

    found = only(findings_for(snapshot, 2), RIVAL_BIDS)

    assert found.parties == (PARTNER, LEAD, RIVAL)
    assert "Lead Advice and Rival Debt Line" in found.explanation


def test_a_withdrawn_bid_of_its_own_does_not_count_against_exclusivity() -> None:
    snapshot = tender(
        sole(1, LEAD, status="withdrawn"),
        lead(2, RIVAL, {LEAD: "confirmed"}),
        partner(3, LEAD, lead_id=2),
    )

    assert RIVAL_BIDS not in kinds(findings_for(snapshot, 3))


# ----------------------------------------------------------------------------- mission drift


def test_tender_outside_the_agencys_areas_warns_of_mission_drift() -> None:
    snapshot = tender(sole(1, LEAD), areas=[DEBT], agency_areas={LEAD: frozenset({HOUSING})})

    found = only(findings_for(snapshot, 1), MISSION_DRIFT)

    assert found.parties == (LEAD,)
    for words in ("debt advice", "Lead Advice", "charitable objects"):
        assert words in found.explanation


def test_mission_drift_names_only_the_areas_outside_the_agencys_work() -> None:
    snapshot = tender(
        sole(1, LEAD),
        areas=[DEBT, HOUSING, WELFARE],
        agency_areas={LEAD: frozenset({HOUSING})},
    )

    found = only(findings_for(snapshot, 1), MISSION_DRIFT)

    assert "debt advice and welfare benefits" in found.explanation
    assert "housing advice" not in found.explanation


def test_tender_within_the_agencys_areas_is_no_drift() -> None:
    snapshot = tender(sole(1, LEAD), areas=[DEBT], agency_areas={LEAD: frozenset({DEBT, HOUSING})})

    assert findings_for(snapshot, 1) == []


def test_agency_with_no_recorded_areas_is_warned_for_every_area_of_the_tender() -> None:
    snapshot = tender(sole(1, LEAD), areas=[DEBT, WELFARE], agency_areas={})

    found = only(findings_for(snapshot, 1), MISSION_DRIFT)

    assert "debt advice and welfare benefits" in found.explanation


def test_tender_with_no_areas_never_warns_of_drift() -> None:
    snapshot = tender(sole(1, LEAD), areas=[], agency_areas={})

    assert findings_for(snapshot, 1) == []


def test_mission_drift_is_judged_for_the_declaring_agency_only() -> None:
    snapshot = tender(
        sole(1, LEAD),
        sole(2, RIVAL, status="draft"),
        areas=[DEBT],
        agency_areas={LEAD: frozenset({DEBT}), RIVAL: frozenset({HOUSING})},
    )

    assert MISSION_DRIFT not in kinds(findings_for(snapshot, 1))
    assert only(findings_for(snapshot, 2), MISSION_DRIFT).parties == (RIVAL,)


# ----------------------------------------------------------------------------- late declaration


def test_declaring_after_the_eoi_deadline_is_late() -> None:
    snapshot = tender(sole(1, LEAD, declared_at=DEADLINE + timedelta(days=1)))

    found = only(findings_for(snapshot, 1), LATE)

    assert found.parties == (LEAD,)
    for words in ("2 March 2025", "1 March 2025", "expression-of-interest deadline"):
        assert words in found.explanation


def test_declaring_exactly_at_the_eoi_deadline_is_not_late() -> None:
    snapshot = tender(sole(1, LEAD, declared_at=DEADLINE))

    assert findings_for(snapshot, 1) == []


def test_declaring_a_second_after_the_eoi_deadline_is_late() -> None:
    snapshot = tender(sole(1, LEAD, declared_at=DEADLINE + timedelta(seconds=1)))

    assert kinds(findings_for(snapshot, 1)) == [LATE]


def test_tender_without_an_eoi_deadline_is_never_late() -> None:
    years_later = DEADLINE + timedelta(days=3650)
    snapshot = tender(sole(1, LEAD, declared_at=years_later), deadline=None)

    assert findings_for(snapshot, 1, at=years_later) == []


def test_a_bid_not_yet_declared_is_judged_by_when_it_would_be_declared() -> None:
    snapshot = tender(sole(1, LEAD, status="awaiting_board"))

    assert findings_for(snapshot, 1, at=DEADLINE - timedelta(hours=1)) == []
    late = only(findings_for(snapshot, 1, at=DEADLINE + timedelta(days=4)), LATE)
    assert "5 March 2025" in late.explanation


def test_a_declaration_in_time_stays_in_time_when_read_later() -> None:
    snapshot = tender(sole(1, LEAD, declared_at=DEADLINE - timedelta(days=1)))

    assert findings_for(snapshot, 1, at=DEADLINE + timedelta(days=30)) == []


# ----------------------------------------------------------------------------- every kind at once


def test_findings_come_in_the_order_the_page_shows_them() -> None:
    forum = partnership(7, "Debt Advice Forum", LEAD, RIVAL)
    snapshot = tender(
        sole(1, LEAD, declared_at=DEADLINE + timedelta(days=1)),
        lead(2, RIVAL, {LEAD: "named"}),
        partnerships=[forum],
        agency_areas={LEAD: frozenset({HOUSING})},
    )

    found = findings_for(snapshot, 1)

    assert kinds(found) == list(KINDS)
    assert all(f.parties[0] == LEAD for f in found)


def test_an_agency_without_a_recorded_name_is_called_by_its_number() -> None:
    snapshot = tender(sole(1, LEAD), sole(2, 99))

    assert "Agency 99 has also declared" in only(findings_for(snapshot, 1), COMPETITOR).explanation


# ----------------------------------------------------------------------------- trustees


def test_trustee_on_a_rival_board_is_conflicted_with_the_reason() -> None:
    snapshot = tender(
        sole(1, LEAD, status="awaiting_board"),
        sole(2, RIVAL),
        trustees={LEAD: {101, 102}, RIVAL: {102, 301}},
    )

    reasons = conflicted(snapshot, 1)

    assert list(reasons) == [102]
    for words in ("trustee of Rival Debt Line", REFERENCE, "rival bid"):
        assert words in reasons[102]


def test_trustee_on_a_draft_rivals_board_is_not_conflicted() -> None:
    # The rival's intent is still private: its draft cannot be a reason anyone can see.
    snapshot = tender(
        sole(1, LEAD, status="awaiting_board"),
        sole(2, RIVAL, status="draft"),
        trustees={LEAD: {101, 102}, RIVAL: {102}},
    )

    assert conflicted(snapshot, 1) == {}


def test_trustee_on_a_rival_partners_board_is_conflicted_once_the_partner_confirms() -> None:
    trustees = {LEAD: {101, 102}, RIVAL_PARTNER: {102}}
    named = tender(
        sole(1, LEAD, status="awaiting_board"),
        lead(2, RIVAL, {RIVAL_PARTNER: "named"}),
        trustees=trustees,
    )
    confirmed = tender(
        sole(1, LEAD, status="awaiting_board"),
        lead(2, RIVAL, {RIVAL_PARTNER: "confirmed"}),
        trustees=trustees,
    )

    assert conflicted(named, 1) == {}
    assert "trustee of Rival Money Help" in conflicted(confirmed, 1)[102]


def test_trustee_shared_with_a_partner_in_the_same_bid_is_not_conflicted() -> None:
    snapshot = tender(
        lead(1, LEAD, {PARTNER: "confirmed"}, status="awaiting_board"),
        partner(2, PARTNER, lead_id=1),
        trustees={LEAD: {101, 102}, PARTNER: {102}},
    )

    assert conflicted(snapshot, 1) == {}
    assert conflicted(snapshot, 2) == {}


def test_trustee_on_two_rival_boards_gets_one_reason() -> None:
    snapshot = tender(
        sole(1, LEAD, status="awaiting_board"),
        sole(2, RIVAL),
        sole(3, THIRD),
        trustees={LEAD: {102}, RIVAL: {102}, THIRD: {102}},
    )

    reasons = conflicted(snapshot, 1)

    assert list(reasons) == [102]
    assert "Rival Debt Line" in reasons[102]  # the first rival, by agency


def test_trustee_of_a_rival_only_is_not_the_declaring_boards_business() -> None:
    snapshot = tender(
        sole(1, LEAD, status="awaiting_board"), sole(2, RIVAL), trustees={RIVAL: {301}}
    )

    assert conflicted(snapshot, 1) == {}


# ----------------------------------------------------------------------------- properties

AGENCIES = tuple(range(1, 7))
AGENCY_NAMES = {a: f"Agency number {a}" for a in AGENCIES}  # no name inside another
AREAS = (DEBT, HOUSING, WELFARE)
TIMES = (None, DEADLINE - timedelta(days=2), DEADLINE, DEADLINE + timedelta(days=2))
PROPERTIES = settings(max_examples=100, deadline=None)


@st.composite
def random_tenders(draw: st.DrawFn) -> tuple[Snapshot, int]:
    """A small tender with lead/sole bids, partner declarations, partnerships and boards;
    and the declaration to judge."""
    bids: list[Bid] = []
    for bid_id in range(1, draw(st.integers(1, 4)) + 1):
        agency = draw(st.sampled_from(AGENCIES))
        partners = draw(
            st.dictionaries(
                st.sampled_from([a for a in AGENCIES if a != agency]),
                st.sampled_from(("named", "confirmed", "declined")),
                max_size=3,
            )
        )
        bids.append(
            Bid(
                id=bid_id,
                agency=agency,
                status=draw(st.sampled_from(STATUSES)),
                capacity="lead" if partners else "sole",
                declared_at=draw(st.sampled_from(TIMES)),
                partners=partners,
            )
        )
    leads = list(bids)
    for bid_id in range(len(leads) + 1, len(leads) + 1 + draw(st.integers(0, 3))):
        lead_bid = draw(st.sampled_from(leads))
        agency = draw(st.sampled_from([a for a in AGENCIES if a != lead_bid.agency]))
        bids.append(
            partner(bid_id, agency, lead_id=lead_bid.id, status=draw(st.sampled_from(STATUSES)))
        )
    partnerships = [
        Partnership(
            id=pk,
            name=f"Partnership number {pk}",
            members=draw(st.frozensets(st.sampled_from(AGENCIES), min_size=1, max_size=4)),
            service_areas=draw(st.frozensets(st.sampled_from(AREAS), max_size=2)),
        )
        for pk in range(1, draw(st.integers(0, 4)) + 1)
    ]
    snapshot = Snapshot(
        tender_reference=REFERENCE,
        service_areas=draw(st.frozensets(st.sampled_from(AREAS), max_size=2)),
        eoi_deadline=draw(st.sampled_from((None, DEADLINE))),
        bids=tuple(draw(st.permutations(bids))),
        partnerships=tuple(partnerships),
        agency_areas=draw(
            st.dictionaries(
                st.sampled_from(AGENCIES), st.frozensets(st.sampled_from(AREAS), max_size=3)
            )
        ),
        agency_names=AGENCY_NAMES,
        area_names=AREA_NAMES,
        trustees=draw(
            st.dictionaries(
                st.sampled_from(AGENCIES),
                st.frozensets(st.integers(100, 105), max_size=3),
            )
        ),
    )
    return snapshot, draw(st.sampled_from(bids)).id


def public_rival_teams(snapshot: Snapshot, bid: Bid) -> list[set[int]]:
    """Plainly: the team of every other bid whose lead's declaration the alliance can see."""
    return [
        {b.agency} | {a for a, state in b.partners.items() if state == "confirmed"}
        for b in snapshot.bids
        if b.lead is None and b.status in PUBLIC and b.id != bid.unit
    ]


@PROPERTIES
@given(random_tenders())
def test_rivals_are_never_in_the_declaring_bids_own_team(case: tuple[Snapshot, int]) -> None:
    snapshot, bid_id = case
    bid = snapshot.bid(bid_id)

    found = rules.rivals(snapshot, bid)

    assert not found & rules.team(snapshot, bid.unit)
    assert bid.agency not in found
    # ...and each is in the team of another bid the alliance can see.
    assert all(any(a in t for t in public_rival_teams(snapshot, bid)) for a in found)
    # The competitor findings name exactly these agencies (one may be in two rival bids).
    named = {a for f in rules.competitors(snapshot, bid) for a in f.parties[1:]}
    assert named == found


@PROPERTIES
@given(random_tenders(), st.sampled_from((NOW, DEADLINE, DEADLINE + timedelta(days=1))))
def test_findings_and_withdrawals_are_deterministic_and_stay_within_the_agencys_partnerships(
    case: tuple[Snapshot, int], at: datetime
) -> None:
    snapshot, bid_id = case
    bid = snapshot.bid(bid_id)
    reordered = replace(snapshot, bids=tuple(reversed(snapshot.bids)))

    found = rules.findings(snapshot, bid_id, at)
    withdrawals = rules.withdrawals_needed(snapshot, bid)

    assert found == rules.findings(snapshot, bid_id, at) == rules.findings(reordered, bid_id, at)
    assert withdrawals == rules.withdrawals_needed(reordered, reordered.bid(bid_id))
    own = {p.id for p in snapshot.partnerships if bid.agency in p.members}
    assert {f.partnership for f in found if f.partnership is not None} <= own
    assert set(withdrawals) <= own
    for f in found:
        assert f.kind in KINDS
        assert f.parties[0] == bid.agency
        assert len(f.parties) == len(set(f.parties))
        assert f.explanation
        assert (f.partnership is not None) == (f.kind == SHARED_PARTNERSHIP)
    # A conflict over a shared partnership always means leaving it.
    assert {f.partnership for f in found if f.kind == SHARED_PARTNERSHIP} <= set(withdrawals)


@PROPERTIES
@given(random_tenders())
def test_withdrawals_never_include_a_consortium_of_the_bid_team_itself(
    case: tuple[Snapshot, int],
) -> None:
    snapshot, bid_id = case
    bid = snapshot.bid(bid_id)
    own_team = rules.team(snapshot, bid.unit)

    withdrawals = rules.withdrawals_needed(snapshot, bid)

    for p in snapshot.partnerships:
        if p.members <= own_team:
            assert p.id not in withdrawals
        if p.id in withdrawals:
            assert p.service_areas & snapshot.service_areas


@PROPERTIES
@given(random_tenders())
def test_conflicted_trustees_sit_on_the_declaring_board_and_a_public_rivals_board(
    case: tuple[Snapshot, int],
) -> None:
    snapshot, bid_id = case
    bid = snapshot.bid(bid_id)
    mine = snapshot.trustees.get(bid.agency, frozenset())
    own_team = rules.team(snapshot, bid.unit) | {bid.agency}
    rival_boards = {
        a: snapshot.trustees.get(a, frozenset())
        for t in public_rival_teams(snapshot, bid)
        for a in t - own_team
    }

    reasons = rules.conflicted_trustees(snapshot, bid)

    expected = {p for p in mine if any(p in board for board in rival_boards.values())}
    assert set(reasons) == expected
    for person, reason in reasons.items():
        assert any(
            person in board and f"trustee of {AGENCY_NAMES[a]}," in reason
            for a, board in rival_boards.items()
        )
        assert REFERENCE in reason
