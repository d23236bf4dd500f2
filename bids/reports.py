"""The bids app's reports: the declarations register (PDF and CSV) and a tender's conflict map.

Both are read for the requester through the selectors the register and declaration pages use,
so a draft they could not open, a rival's bid papers or a board's vote notes never reach the
file (DESIGN.md: every path that shows something asks the same selector).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from bids import selectors
from bids.models import Declaration, NamedPartner, StepBack, Tender
from bids.report_forms import (
    ConflictMapForm,
    RegisterForm,
    admin_or_chief,
    map_scope,
    refuse_map,
    refuse_register,
    register_scope,
)
from kiaa.models import Alliance, BoardDecision, BoardVote, User
from kiaa.permissions import Roles
from kiaa.reports import kinds
from kiaa.reports.content import Report, Section, Table, day
from partnerships import selectors as partnership_selectors
from partnerships.models import Partnership, PartnershipMember, Withdrawal

REGISTER, CONFLICT_MAP = "declarations_register", "tender_conflicts"
Status, Capacity = Declaration.Status, Declaration.Capacity
HEADER = [
    "Entry",
    "Tender reference",
    "Tender title",
    "Agency",
    "Capacity",
    "Lead agency",
    "Status",
    "Declared or stepped back at",
    "Board outcome",
    "Conflicts",
    "Withdrawals",
    "Reason",
]
CAPACITY = {Capacity.SOLE: "Sole bidder", Capacity.LEAD: "Lead", Capacity.PARTNER: "Partner"}
NAMING = {
    NamedPartner.Status.CONFIRMED: "confirmed",
    NamedPartner.Status.NAMED: "not yet confirmed",
    NamedPartner.Status.DECLINED: "declined",
}
# No longer bidding: left out of who shares a partnership with whom.
ENDED = (Status.WITHDRAWN, Status.REJECTED)
REGISTER_EMPTY = "No declarations or step-backs you can see match this choice."


# ----------------------------------------------------------------------------- shared words


def capacity_words(declaration: Declaration) -> str:
    """Sole bidder / Lead, with X (confirmed) / Partner in X's bid."""
    if declaration.capacity == Capacity.PARTNER:
        lead = declaration.lead_declaration
        return f"Partner in {lead.agency.name}'s bid" if lead else "Partner"
    if declaration.capacity == Capacity.SOLE:
        return "Sole bidder"
    named = [  # prefetched by declaration_list_for, with their agencies
        f"{n.agency.name} ({NAMING[NamedPartner.Status(n.status)]})"
        for n in declaration.named_partners.all()
    ]
    return f"Lead, with {', '.join(named)}" if named else "Lead of a consortium bid"


def board_words(decision: BoardDecision | None) -> str:
    """The board's question as the declaration page shows it: status, approvals, quorum."""
    if decision is None:
        return "Not yet put to the board"
    votes = list(decision.votes.all())  # prefetched
    approvals = sum(v.choice == BoardVote.Choice.APPROVE for v in votes)
    tally = (
        f"{approvals} approval{'s' if approvals != 1 else ''} of {len(votes)} "
        f"vote{'s' if len(votes) != 1 else ''} cast; quorum {decision.quorum}"
    )
    if decision.status == BoardDecision.Status.OPEN:
        needed = max(decision.quorum - approvals, 0)
        return f"Before the board ({tally}; {needed} more needed)"
    when = f" on {day(decision.decided_at)}" if decision.decided_at else ""
    return f"{decision.get_status_display()}{when} ({tally})"


def withdrawal_words(withdrawal: Withdrawal) -> str:
    """Debt advice network: from 2 Dec 2026 until the bidding ends, in force."""
    name, start, end = withdrawal.partnership.name, withdrawal.starts_at, withdrawal.ends_at
    if getattr(withdrawal, "in_force", False):  # annotated by tender_withdrawal_list_for
        until = f"until {day(end)}" if end else "until the bidding ends"
        return f"{name}: from {day(start)} {until}, in force"
    if end is None:
        return f"{name}: from {day(start)}"
    return f"{name}: {day(start)} to {day(end)}, ended"


# ----------------------------------------------------------------------------- the register


@dataclass(frozen=True)
class Entry:
    """One line of the register: a declaration or a step-back, as the requester sees it."""

    kind: str  # "declaration" or "step-back"
    tender: Tender
    agency: str
    status: str
    when: datetime | None
    capacity: str = ""
    capacity_words: str = ""
    lead: str = ""
    board: str = ""
    conflicts: tuple[str, ...] = ()
    withdrawals: tuple[str, ...] = ()
    reason: str = ""

    def row(self) -> list[Any]:
        """The entry as a CSV row, in HEADER's order."""
        t = self.tender
        return [
            *(self.kind, t.reference, t.title, self.agency, self.capacity, self.lead),
            *(self.status, self.when, self.board, " ".join(self.conflicts)),
            *("; ".join(self.withdrawals), self.reason),
        ]


def build_register(
    *, person: User, alliance: Alliance, roles: Roles, params: dict[str, Any]
) -> Report:
    """Every declaration and step-back in the scope the requester can see, tender by tender."""
    declarations = list(_declarations(person, alliance, params))
    step_backs = list(_step_backs(person, alliance, params))
    entries = _declaration_entries(person, alliance, declarations)
    entries += [_step_back_entry(s) for s in step_backs]
    by_tender: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_tender[entry.tender.pk].append(entry)
    groups = sorted(by_tender.values(), key=lambda found: found[0].tender.reference)
    sections = [_register_section(found) for found in groups]
    facts = [
        ("Tenders", str(len(groups))),
        ("Declarations", str(len(declarations))),
        ("Step-backs", str(len(step_backs))),
        ("Conflicts found", str(sum(len(e.conflicts) for e in entries))),
        ("Withdrawals opened", str(sum(len(e.withdrawals) for e in entries))),
    ]
    table = Table(HEADER, [entry.row() for found in groups for entry in found])
    return Report(
        "Declarations register", register_scope(params), sections, facts, table, REGISTER_EMPTY
    )


def _declarations(person: User, alliance: Alliance, params: dict[str, Any]) -> QuerySet[Any]:
    """The declarations the person sees (the declarations page's selector), in the scope."""
    found = selectors.declaration_list_for(person=person, alliance=alliance).annotate(
        made=Coalesce("declared_at", "created_at")
    )
    return _in_scope(found, params, on="made").order_by("made", "pk")


def _step_backs(person: User, alliance: Alliance, params: dict[str, Any]) -> QuerySet[StepBack]:
    found = selectors.step_back_list_for(person=person, alliance=alliance)
    return _in_scope(found, params, on="recorded_at").order_by("recorded_at", "pk")


def _in_scope(found: QuerySet[Any], params: dict[str, Any], *, on: str) -> QuerySet[Any]:
    """The register's scope: its tender, its agency and its period (by the `on` date)."""
    if params.get("tender"):
        found = found.filter(tender=params["tender"])
    if params.get("agency"):
        found = found.filter(agency=params["agency"])
    if params.get("date_from"):
        found = found.filter(**{f"{on}__date__gte": params["date_from"]})
    if params.get("date_to"):
        found = found.filter(**{f"{on}__date__lte": params["date_to"]})
    return found


def _declaration_entries(
    person: User, alliance: Alliance, declarations: list[Declaration]
) -> list[Entry]:
    """Each declaration with its board, conflicts and withdrawals, all read together."""
    if not declarations:
        return []
    # The declaration page shows every finding of a declaration to whoever may open it.
    conflicts = selectors.conflicts_for(declarations)
    opened = _withdrawals_of(person, alliance, declarations)
    boards = selectors.board_question_list_for(
        person=person, alliance=alliance, declarations=declarations
    )
    return [
        Entry(
            kind="declaration",
            tender=d.tender,
            agency=d.agency.name,
            status=d.get_status_display(),
            when=d.declared_at,
            capacity=CAPACITY[Capacity(d.capacity)],
            capacity_words=capacity_words(d),
            lead=d.lead_declaration.agency.name if d.lead_declaration else "",
            board=board_words(boards.get(d.pk)),
            conflicts=tuple(f.explanation for f in conflicts[d.pk]),
            withdrawals=tuple(withdrawal_words(w) for w in opened.get(d.pk, [])),
            reason=d.closing_reason,
        )
        for d in declarations
    ]


def _step_back_entry(step_back: StepBack) -> Entry:
    return Entry(
        kind="step-back",
        tender=step_back.tender,
        agency=step_back.agency.name,
        status="Stepped back",
        when=step_back.recorded_at,
        reason=step_back.reason,
    )


def _withdrawals_of(
    person: User, alliance: Alliance, declarations: list[Declaration]
) -> dict[int, list[Withdrawal]]:
    """The withdrawals each declaration opened (the tender page's selector), in one query."""
    found = selectors.tender_withdrawal_list_for(person=person, alliance=alliance).filter(
        bid__declaration_id__in=[d.pk for d in declarations]
    )
    grouped: dict[int, list[Withdrawal]] = defaultdict(list)
    for withdrawal in found:
        grouped[withdrawal.bid.declaration_id].append(withdrawal)
    return grouped


def _register_section(entries: list[Entry]) -> Section:
    tender = entries[0].tender
    return Section(
        anchor=f"tender-{tender.pk}",
        heading=f"{tender.reference}: {tender.title}",
        template="reports/declarations_register/tender.html",
        context={"tender": tender, "entries": entries},
        weight=len(entries),
    )


# ----------------------------------------------------------------------------- the conflict map


@dataclass(frozen=True)
class Team:
    """A bid on the tender: its lead (or sole bidder) and who is in it."""

    lead: Declaration
    members: tuple[str, ...]  # the lead first, then the partners who confirmed


def build_conflict_map(
    *, person: User, alliance: Alliance, roles: Roles, params: dict[str, Any]
) -> Report:
    """One tender's bids, the partnerships around them and what the barrier keeps from whom.

    Names only: no declaration summaries and no paper contents.
    """
    tender: Tender = params["tender"]
    declarations = list(
        selectors.tender_declaration_list_for(
            person=person, alliance=alliance, tender=tender
        ).order_by("created_at", "pk")
    )
    teams = _teams(declarations)
    units = {d.pk: teams.get(_unit(d)) for d in declarations}
    withdrawals = list(
        selectors.tender_withdrawal_list_for(person=person, alliance=alliance, tender=tender)
    )
    papers = list(selectors.tender_papers_for(person=person, alliance=alliance, tender=tender))
    step_backs = list(
        selectors.step_back_list_for(person=person, alliance=alliance)
        .filter(tender=tender)
        .order_by("recorded_at", "pk")
    )
    partnerships = _partnership_rows(person, alliance, tender, declarations)
    sections = [
        _section("declarants", "Who has declared", _declarant_rows(declarations, teams)),
        _section("partnerships", "The declarants' partnerships", partnerships),
        _section("withdrawals", "Withdrawals from partnership working", withdrawals),
        _section(
            "barrier", "Who can see what", _barrier(person, alliance, tender, teams, withdrawals)
        ),
        _section("papers", "Papers of this tender you can open", _paper_rows(papers, units)),
        _section("step-backs", "Who has stepped back", step_backs),
    ]
    areas = ", ".join(a.name for a in tender.service_areas.all()) or "None recorded"
    facts = [
        ("Commissioner", tender.commissioner),
        ("Tender status", tender.get_status_display()),
        ("Service areas", areas),
        ("Bids", str(len(teams))),
        (
            "Withdrawals in force",
            str(sum(bool(getattr(w, "in_force", False)) for w in withdrawals)),
        ),
        ("Papers you can open", str(len(papers))),
    ]
    return Report("Tender conflict map", map_scope(params), sections, facts)


def _section(anchor: str, heading: str, rows: list[Any]) -> Section:
    return Section(
        anchor=anchor,
        heading=heading,
        template=f"reports/tender_conflicts/{anchor}.html",
        context={"rows": rows},
        weight=max(len(rows), 1),
    )


def _teams(declarations: list[Declaration]) -> dict[int, Team]:
    """Each visible lead's or sole bidder's bid and its team (`rules.team`, from the prefetch)."""
    teams: dict[int, Team] = {}
    for d in declarations:
        if d.capacity == Capacity.PARTNER:
            continue
        confirmed = [n for n in d.named_partners.all() if n.status == NamedPartner.Status.CONFIRMED]
        teams[d.pk] = Team(
            lead=d,
            members=(d.agency.name, *(n.agency.name for n in confirmed)),
        )
    return teams


def _unit(declaration: Declaration) -> int:
    return declaration.lead_declaration_id or declaration.pk


def _declarant_rows(
    declarations: list[Declaration], teams: dict[int, Team]
) -> list[dict[str, Any]]:
    rows = []
    for d in declarations:
        team = teams.get(_unit(d))
        rows.append(
            {
                "declaration": d,
                "capacity": capacity_words(d),
                "team": ", ".join(team.members) if team else "Not open to you",
            }
        )
    return rows


def _partnership_rows(
    person: User, alliance: Alliance, tender: Tender, declarations: list[Declaration]
) -> list[dict[str, Any]]:
    """The working partnerships of the agencies still bidding, and which rival bids share one."""
    bidding = {d.agency_id: _unit(d) for d in declarations if d.status not in ENDED}
    found = (
        partnership_selectors.partnership_list_for(person=person, alliance=alliance)
        .filter(
            members__agency_id__in=list(bidding), members__status=PartnershipMember.Status.ACTIVE
        )
        .exclude(status=Partnership.Status.DISSOLVED)
        .distinct()
        .order_by("name")
    )
    tender_areas = {a.pk for a in tender.service_areas.all()}  # prefetched by tender_list_for
    return [_partnership_row(p, bidding, tender_areas) for p in found]


def _partnership_row(
    partnership: Partnership, bidding: dict[int, int], tender_areas: set[int]
) -> dict[str, Any]:
    active = [m for m in partnership.members.all() if m.status == PartnershipMember.Status.ACTIVE]
    declarants = [m.agency for m in active if m.agency_id in bidding]
    overlap = [a.name for a in partnership.service_areas.all() if a.pk in tender_areas]
    # Partners in one bid team sharing a partnership is the bid itself, not a conflict.
    shared = len({bidding[a.pk] for a in declarants}) > 1
    return {
        "partnership": partnership,
        "members": ", ".join(
            m.agency.name + (" (lead)" if m.role == PartnershipMember.Role.LEAD else "")
            for m in active
        ),
        "declarants": ", ".join(a.name for a in declarants),
        "overlap": ", ".join(overlap),
        "shared": shared,
    }


def _barrier(
    person: User,
    alliance: Alliance,
    tender: Tender,
    teams: dict[int, Team],
    withdrawals: list[Withdrawal],
) -> list[str]:
    """What the information barrier keeps from whom on this tender, a sentence each."""
    said = [_withdrawal_sentence(w) for w in withdrawals]
    said += [
        f"{team.lead.agency.name}'s bid papers are open to its bid team only: "
        f"{', '.join(team.members)}."
        for team in teams.values()
    ]
    incumbent = tender.incumbent_agency
    if incumbent is not None:
        release = selectors.tupe_release_for(person=person, alliance=alliance, tender=tender)
        said.append(
            f"The TUPE staff-transfer information is open to {incumbent.name} and every "
            f"declared bidder since {day(release.released_at)}."
            if release
            else f"The TUPE staff-transfer information is open to {incumbent.name} only, "
            "until it is released to every declared bidder at once."
        )
    return said


def _withdrawal_sentence(withdrawal: Withdrawal) -> str:
    """The barrier's effect of one withdrawal (kiaa.barrier.audience: commercial papers)."""
    agency, name = withdrawal.agency.name, withdrawal.partnership.name
    start, end = withdrawal.starts_at, withdrawal.ends_at
    if getattr(withdrawal, "in_force", False) or end is None:
        until = f"until {day(end)}" if end else "until its bid ends"
        return (
            f"{agency} cannot see {name}'s commercially sensitive papers {until}; "
            "the partnership's other papers stay open to it."
        )
    return (
        f"{agency} could not see {name}'s commercially sensitive papers from {day(start)} "
        f"to {day(end)}; it can see them again."
    )


def _paper_rows(papers: list[Any], units: dict[int, Team | None]) -> list[dict[str, Any]]:
    """The tender's papers the barrier lets the requester open, by title, with whose bid."""
    rows = []
    for paper in papers:
        link = paper.tender_paper
        team = units.get(link.declaration_id) if link.declaration_id else None
        kind = f"Bid paper ({team.lead.agency.name}'s bid)" if team else link.get_kind_display()
        rows.append({"paper": paper, "kind": kind})
    return rows


# ----------------------------------------------------------------------------- registration


def register() -> None:
    """Register this app's report kinds with kiaa.reports.kinds."""
    kinds.register(
        kinds.Kind(
            name=REGISTER,
            title="Declarations register",
            description=(
                "Every declaration of intent to bid you can see, tender by tender: who "
                "declared, when and in what capacity, what the trustee board decided, the "
                "conflicts the rules found, the withdrawals the bids opened and who stepped "
                "back. A chief officer exports their own agency's register."
            ),
            form=RegisterForm,
            build=build_register,
            offered=admin_or_chief,
            refuse=refuse_register,
            tabular=True,
        )
    )
    kinds.register(
        kinds.Kind(
            name=CONFLICT_MAP,
            title="Tender conflict map",
            description=(
                "One tender's bids and the partnerships around them: who bids with whom, "
                "which partnerships rival bidders share, the withdrawals their bids opened "
                "and what the information barrier keeps from whom. Names only: no summaries "
                "and no paper contents."
            ),
            form=ConflictMapForm,
            build=build_conflict_map,
            offered=admin_or_chief,
            refuse=refuse_map,
        )
    )
