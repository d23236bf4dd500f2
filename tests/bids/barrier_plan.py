"""The plan of a random alliance for the barrier's property tests, and the rule, written plainly.

Hypothesis plans a small alliance — agencies (some suspended or expelled), people with roles in
one or two agencies and an admin who holds none, partnerships whose members end up active, left,
still invited or joining only after the bids are decided, MoUs (some redrafted, so earlier acceptances lapse), withdrawals (some ended),
papers of every sensitivity and people accepting undertakings. With bids, it also plans one
tender in a service area that partnerships may also carry: agencies that declare for it (alone,
or as a lead naming one other agency, which confirms, declines or does not answer), what becomes
of each declaration (left as a draft, before the board, declared, submitted, rejected by the
board, withdrawn after declaring) and bid papers shared by the bid teams.

`sees` is the rule from the issues' words, worked out from the plan alone: it calls neither
kiaa.barrier nor bids.rules. tests/bids/barrier_builder.py carries a plan out through the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

ACTIVE, LEFT, INVITED = "active", "left", "invited"
JOINS_LATE = "joins late"  # invited at first; accepts once the bids are decided
EXPELLED, SUSPENDED = "expelled", "suspended"
ALLIANCE, PARTNERSHIP, COMMERCIAL = "alliance", "partnership", "commercial"
TENDER_AREA, OTHER_AREA = "tender-area", "other-area"

# What becomes of a declaration, in the order the builder carries it out.
DRAFT, AWAITING, DECLARED, SUBMITTED = "draft", "awaiting_board", "declared", "submitted"
REJECTED, WITHDRAWN = "rejected", "withdrawn"  # by its board / by the agency after declaring
LEAD_ENDED = (REJECTED, WITHDRAWN)  # a lead's end that ends its partners' declarations too
LEAD_FATES = (DRAFT, AWAITING, DECLARED, SUBMITTED, REJECTED, WITHDRAWN)
PARTNER_FATES = (DRAFT, AWAITING, DECLARED, REJECTED, WITHDRAWN)  # the lead marks submitted
APPROVED = (DECLARED, SUBMITTED, WITHDRAWN)  # fates the board said yes to on the way
# A named partner's answer.
CONFIRMS, DECLINES, SILENT = "confirms", "declines", "silent"


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PartnershipPlan:
    lead: int
    members: dict[int, str]  # agency -> the status it ends in (the lead is always active)
    has_mou: bool
    redrafted: bool  # the MoU changes after the papers are shared: acceptances before lapse
    areas: tuple[str, ...] = ()  # the service areas it works in (the tender's, another)

    def active_then(self) -> set[int]:
        """Members while papers are shared and undertakings accepted (before anyone leaves)."""
        return {self.lead} | {a for a, s in self.members.items() if s in (ACTIVE, LEFT)}

    def active_now(self) -> set[int]:
        """Members at the end: some have left, some joined after the bids were decided."""
        return {self.lead} | {a for a, s in self.members.items() if s in (ACTIVE, JOINS_LATE)}


@dataclass(frozen=True)
class PaperPlan:
    sensitivity: str
    partnership: int | None
    uploader: int  # a person
    agency: int  # the uploader's agency it is shared for


@dataclass(frozen=True)
class BidPlan:
    """One bid for the tender: a sole bidder, or a lead naming one partner."""

    agency: int  # the sole bidder or lead
    fate: str  # of its declaration
    partner: int | None = None
    answer: str = SILENT  # the named partner's
    partner_fate: str = DRAFT  # of the declaration a confirming partner drafts
    late: bool = False  # the partner answers after the lead's board has declared the bid

    def formed(self) -> set[int]:
        """The lead and the partner if it confirmed."""
        if self.answer == CONFIRMS and self.partner is not None:
            return {self.agency, self.partner}
        return {self.agency}

    def team(self) -> set[int]:
        """The team at the end: a confirmed partner leaves it when its own declaration is
        rejected or withdrawn, and when the lead withdraws or its board rejects the bid (taking
        its partners' declarations with it)."""
        stays = self.partner_fate not in (REJECTED, WITHDRAWN) and self.fate not in LEAD_ENDED
        return self.formed() if stays else {self.agency}

    def sharers(self) -> set[int]:
        """Who shares its papers: its team before any board decides."""
        return {self.agency} if self.late else self.formed()

    def in_the_race(self) -> bool:
        """Live (draft, awaiting the board, declared, submitted) or public (won, lost: none
        planned): its team keeps out of every rival bid's papers."""
        return self.fate in (DRAFT, AWAITING, DECLARED, SUBMITTED)

    def competing(self) -> set[int]:
        """The agencies whose declaration in this bid is declared or submitted at the end."""
        found = {self.agency} if self.fate in (DECLARED, SUBMITTED) else set()
        if (
            self.answer == CONFIRMS
            and self.partner_fate == DECLARED
            and self.fate not in LEAD_ENDED
        ):
            assert self.partner is not None
            found.add(self.partner)
        return found


@dataclass(frozen=True)
class BidPaperPlan:
    bid: int
    agency: int  # the team member it is shared for (the lead, or the confirmed partner)
    uploader: int  # a person of that agency
    sensitivity: str  # commercial (the default) or partnership (the team): the same audience


@dataclass(frozen=True)
class Plan:
    statuses: tuple[str, ...]  # each agency's status at the end
    people: tuple[frozenset[int], ...]  # the agencies each person holds roles in
    chiefs: tuple[int, ...]  # each agency's chief officer (a person)
    partnerships: tuple[PartnershipPlan, ...]
    papers: tuple[PaperPlan, ...]
    # (person, partnership, round): round 1 before the papers, round 2 after any redraft.
    acceptances: tuple[tuple[int, int, int], ...]
    withdrawals: dict[tuple[int, int], bool]  # (partnership, agency) -> ended
    search: tuple[int, int]  # a person who searches for a paper's title (of all_papers)
    bids: tuple[BidPlan, ...] = ()  # for the one tender, declared in this order
    bid_papers: tuple[BidPaperPlan, ...] = ()

    def all_papers(self) -> list[PaperPlan | BidPaperPlan]:
        return [*self.papers, *self.bid_papers]


def draw_people(
    draw: Any, agencies: list[int]
) -> tuple[tuple[frozenset[int], ...], tuple[int, ...]]:
    """Chief officers first (some run two agencies), then perhaps someone else with roles in
    one or two agencies, then the alliance admin, who holds none; and each agency's chief."""
    chiefs: list[set[int]] = []
    for a in agencies:
        if chiefs and len(chiefs[-1]) == 1 and draw(st.booleans(), label="runs two"):
            chiefs[-1].add(a)
        else:
            chiefs.append({a})
    extra = draw(
        st.lists(st.frozensets(st.sampled_from(agencies), min_size=1, max_size=2), max_size=1)
    )
    people = (*(frozenset(c) for c in chiefs), *extra, frozenset())
    return people, tuple(next(i for i, c in enumerate(chiefs) if a in c) for a in agencies)


AREAS = st.sampled_from([(TENDER_AREA,), (), (OTHER_AREA,), (TENDER_AREA, OTHER_AREA)])


def draw_partnerships(draw: Any, agencies: list[int], with_bids: bool) -> list[PartnershipPlan]:
    plans = []
    # With bids, at least one partnership for the declarants to step back from.
    for _ in range(draw(st.integers(int(with_bids), 3), label="partnerships")):
        lead = draw(st.sampled_from(agencies))
        others = [a for a in agencies if a != lead]
        members = draw(
            st.dictionaries(
                st.sampled_from(others),
                st.sampled_from([ACTIVE, LEFT, INVITED, JOINS_LATE]),
                min_size=int(with_bids),  # someone to compete with, or to bid with
            )
        )
        # With bids, mostly with an MoU: commercial papers for a withdrawal to hide.
        has_mou = draw(st.sampled_from([True, True, False]) if with_bids else st.booleans())
        redrafted = has_mou and draw(st.booleans())
        areas = draw(AREAS, label="areas") if with_bids else ()
        plans.append(PartnershipPlan(lead, members, has_mou, redrafted, areas))
    return plans


def draw_papers(
    draw: Any, people: tuple[frozenset[int], ...], partnerships: list[PartnershipPlan]
) -> list[PaperPlan]:
    """Papers of every sensitivity (commercial only where there is an MoU), each shared by
    someone of an agency that is an active member at the time (any agency for alliance papers
    without a partnership)."""
    kinds: list[tuple[str, int | None]] = [(ALLIANCE, None)]
    for i, p in enumerate(partnerships):
        kinds += [(ALLIANCE, i), (PARTNERSHIP, i)] + ([(COMMERCIAL, i)] if p.has_mou else [])
    everyone = set().union(*people)
    papers = []
    for _ in range(draw(st.integers(0, 6), label="papers")):
        sensitivity, partnership = draw(st.sampled_from(kinds))
        allowed = everyone if partnership is None else partnerships[partnership].active_then()
        uploader = draw(st.sampled_from([i for i, held in enumerate(people) if held & allowed]))
        agency = draw(st.sampled_from(sorted(people[uploader] & allowed)))
        papers.append(PaperPlan(sensitivity, partnership, uploader, agency))
    return papers


# Half the declarations end competing (declared or submitted), to open withdrawals often.
FATE = st.one_of(st.sampled_from((DECLARED, SUBMITTED)), st.sampled_from(LEAD_FATES))
PARTNER_FATE = st.one_of(st.just(DECLARED), st.sampled_from(PARTNER_FATES))
UNDECIDED_OR_DECLARED = (DRAFT, AWAITING, DECLARED)


def draw_bids(draw: Any, agencies: list[int]) -> list[BidPlan]:
    """Up to three declarants, each alone or leading with one named partner.

    One live declaration per agency and tender: a declarant, or an agency that has confirmed in
    another bid, may be named but cannot confirm (it declines or does not answer).
    """
    declarants = draw(
        st.lists(st.sampled_from(agencies), unique=True, min_size=1, max_size=3),
        label="declarants",
    )
    bids, confirmed = [], set()
    for agency in declarants:
        fate = draw(FATE, label="fate")
        if not draw(st.booleans(), label="consortium"):
            bids.append(BidPlan(agency, fate))
            continue
        partner = draw(st.sampled_from([a for a in agencies if a != agency]), label="partner")
        free = partner not in declarants and partner not in confirmed
        answers = [CONFIRMS, CONFIRMS, DECLINES, SILENT] if free else [DECLINES, SILENT]
        answer = draw(st.sampled_from(answers), label="answer")
        partner_fate = DRAFT
        if answer == CONFIRMS:
            confirmed.add(partner)
            # A lead whose board rejects withdraws its partners' declarations with it: the
            # partner's own board has nothing left to decide, nor the partner to withdraw.
            fates = PARTNER_FATE if fate != REJECTED else st.sampled_from(UNDECIDED_OR_DECLARED)
            partner_fate = draw(fates, label="partner's fate")
        # Answering late (to a declared bid) changes the team of a competing bid: its
        # withdrawals follow.
        late = (
            answer != SILENT
            and fate in (DECLARED, SUBMITTED)
            and draw(st.booleans(), label="answers late")
        )
        bids.append(BidPlan(agency, fate, partner, answer, partner_fate, late))
    return bids


def draw_bid_papers(
    draw: Any, people: tuple[frozenset[int], ...], bids: list[BidPlan]
) -> list[BidPaperPlan]:
    """Papers shared for a bid by someone of its team before any board decides (all its
    declarations are drafts then), mostly commercial."""
    papers: list[BidPaperPlan] = []
    if not bids:
        return papers
    for _ in range(draw(st.integers(0, 4), label="bid papers")):
        b = draw(st.integers(0, len(bids) - 1), label="bid")
        agency = draw(st.sampled_from(sorted(bids[b].sharers())))
        uploader = draw(st.sampled_from([i for i, held in enumerate(people) if agency in held]))
        sensitivity = draw(st.sampled_from([COMMERCIAL, COMMERCIAL, PARTNERSHIP]))
        papers.append(BidPaperPlan(b, agency, uploader, sensitivity))
    return papers


@st.composite
def plans(draw: Any, with_bids: bool = False) -> Plan:
    n = draw(st.integers(2, 5), label="agencies")
    agencies = list(range(n))
    statuses = draw(
        st.lists(st.sampled_from([ACTIVE, ACTIVE, SUSPENDED, EXPELLED]), min_size=n, max_size=n)
    )
    people, chiefs = draw_people(draw, agencies)
    partnerships = draw_partnerships(draw, agencies, with_bids)
    papers = draw_papers(draw, people, partnerships)
    with_mou = [i for i, p in enumerate(partnerships) if p.has_mou]
    acceptance = st.tuples(
        st.integers(0, len(people) - 1), st.sampled_from(with_mou or [0]), st.sampled_from([1, 2])
    )
    acceptances = draw(st.lists(acceptance, max_size=6)) if with_mou else []
    withdrawal = st.tuples(st.integers(0, max(len(partnerships) - 1, 0)), st.sampled_from(agencies))
    withdrawals = (
        draw(st.dictionaries(withdrawal, st.booleans(), max_size=3)) if partnerships else {}
    )
    bids = draw_bids(draw, agencies) if with_bids else []
    bid_papers = draw_bid_papers(draw, people, bids)
    search = (
        draw(st.integers(0, len(people) - 1), label="searcher"),
        draw(st.integers(0, max(len(papers) + len(bid_papers) - 1, 0)), label="sought"),
    )
    return Plan(
        tuple(statuses),
        people,
        chiefs,
        tuple(partnerships),
        tuple(papers),
        tuple(acceptances),
        withdrawals,
        search,
        tuple(bids),
        tuple(bid_papers),
    )


# ----------------------------------------------------------------------------- the rule, plainly


def accepted(plan: Plan, person: int, partnership: int) -> bool:
    """Has the person accepted the partnership's undertaking as it reads now?

    Only people of an agency then active in the partnership may accept; an acceptance made
    before the MoU was redrafted is of words that no longer stand.
    """
    p = plan.partnerships[partnership]
    if not p.has_mou or not plan.people[person] & p.active_then():
        return False
    rounds = {r for who, pi, r in plan.acceptances if (who, pi) == (person, partnership)}
    # Sharing a commercial paper needs the undertaking accepted first (in round 1).
    if any(
        (x.uploader, x.partnership, x.sensitivity) == (person, partnership, COMMERCIAL)
        for x in plan.papers
    ):
        rounds.add(1)
    return 2 in rounds or (1 in rounds and not p.redrafted)


def withdrawn(plan: Plan, partnership: int) -> set[int]:
    """The agencies in a withdrawal from the partnership at the end.

    Those withdrawn by hand and not back yet; and, where the partnership works in the tender's
    area, each member whose declaration is declared or submitted at the end, unless every other
    member of the partnership is in its own bid's team (then the partnership is the bid, not one
    to step back from). The team as it stands at the end: the withdrawals follow it as partners
    confirm or leave. A withdrawn declaration has ended its withdrawals.
    """
    p = plan.partnerships[partnership]
    by_hand = {a for (pi, a), ended in plan.withdrawals.items() if pi == partnership and not ended}
    if TENDER_AREA not in p.areas:
        return by_hand
    members = p.active_now()
    bidding = {
        agency
        for bid in plan.bids
        for agency in bid.competing()
        if agency in members and members - bid.team()
    }
    return by_hand | bidding


def standing(plan: Plan) -> set[int]:
    """Every agency of the alliance that has not been expelled."""
    return {a for a, status in enumerate(plan.statuses) if status != EXPELLED}


def bid_audience(plan: Plan, paper: BidPaperPlan) -> set[int]:
    """A bid paper's: its team at the end, less anyone in another bid still in the race."""
    rivals = set().union(
        *(b.team() for i, b in enumerate(plan.bids) if i != paper.bid and b.in_the_race())
    )
    return (plan.bids[paper.bid].team() - rivals) & standing(plan)


def audience(plan: Plan, paper: PaperPlan | BidPaperPlan) -> set[int]:
    """The agencies that may see a paper."""
    if isinstance(paper, BidPaperPlan):
        return bid_audience(plan, paper)
    if paper.sensitivity == ALLIANCE:
        return standing(plan)
    assert paper.partnership is not None
    members = plan.partnerships[paper.partnership].active_now() & standing(plan)
    if paper.sensitivity == PARTNERSHIP:
        return members
    return members - withdrawn(plan, paper.partnership)


def sees(plan: Plan, person: int, paper: PaperPlan | BidPaperPlan) -> bool:
    """May this person see this paper?"""
    held = plan.people[person]
    if paper.sensitivity == ALLIANCE and not held:
        return True  # an alliance admin, who holds no agency, sees what every member sees
    if not held & audience(plan, paper):
        return False
    if isinstance(paper, PaperPlan) and paper.sensitivity == COMMERCIAL:
        # A partnership's commercial papers wait on its undertaking; a bid's team is bound by
        # the bid, not an MoU.
        assert paper.partnership is not None
        return accepted(plan, person, paper.partnership)
    return True
