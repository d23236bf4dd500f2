"""Carrying out a barrier plan (tests/bids/barrier_plan.py) through the services.

The order: partnerships form, undertakings are accepted, papers are shared, MoUs are redrafted
and accepted again, members leave, withdrawals start (some end); then the tender is registered,
declarations are drafted, named partners answer (all but the late ones), bid papers are shared,
boards decide (every approval before any rejection, so a team may shrink after its members
declared), late partners answer and their boards decide, leads mark bids submitted, declarations
are withdrawn (partners' before leads'); then the late members join their partnerships (a bidder
joining steps back at once); last, agencies are suspended or expelled.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from bids.models import Declaration, NamedPartner, Tender
from bids.services import declarations, papers
from bids.services.declarations import Naming
from bids.services.tenders import TenderDetails, tender_register
from kiaa import barrier
from kiaa.errors import DomainError
from kiaa.models import Agency, Alliance, BoardDecision, Role, User
from kiaa.services import alliances as alliance_services
from kiaa.services.decisions import decision_vote
from partnerships.models import Document, Partnership
from partnerships.services import documents, mou, partnerships, withdrawals
from tests.bids.barrier_plan import (
    APPROVED,
    COMMERCIAL,
    CONFIRMS,
    DECLINES,
    DRAFT,
    EXPELLED,
    INVITED,
    JOINS_LATE,
    LEFT,
    OTHER_AREA,
    REJECTED,
    SUBMITTED,
    SUSPENDED,
    TENDER_AREA,
    WITHDRAWN,
    BidPaperPlan,
    PaperPlan,
    PartnershipPlan,
    Plan,
)
from tests.factories import AgencyFactory, AllianceFactory, PersonFactory, grant
from tests.factories.partnerships import PDF

STRICTER = "Members keep every shared paper confidential, for five years after the bid."


@dataclass
class Built:
    alliance: Alliance
    agencies: list[Agency]
    people: list[User]
    partnerships: list[Partnership]
    papers: list[Document]  # the partnership papers, then the bid papers (as plan.all_papers)
    contents: list[bytes] = field(default_factory=list)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each example starts from the same empty database: its writes are undone after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class Builder:
    """Carries out a plan through the services, in the order the module describes."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.alliance = AllianceFactory()
        self.agencies = [AgencyFactory(alliance=self.alliance) for _ in plan.statuses]
        self.people: list[User] = []
        for i, held in enumerate(plan.people):
            person = PersonFactory()
            for agency in sorted(held):
                role = Role.CHIEF_OFFICER if plan.chiefs[agency] == i else Role.STAFF
                grant(person, role, self.agencies[agency])
            if not held:
                grant(person, Role.ALLIANCE_ADMIN, alliance=self.alliance)
            self.people.append(person)
        self.admin = self.people[-1]
        self.partnerships: list[Partnership] = []
        self.accepted: set[tuple[int, int, str]] = set()
        self.boards: dict[int, list[User]] = {}
        self.contents: list[bytes] = []
        if any(p.areas for p in plan.partnerships) or plan.bids:
            for slug in (TENDER_AREA, OTHER_AREA):
                alliance_services.service_area_create(
                    actor=self.admin, alliance=self.alliance, name=slug.title(), slug=slug
                )

    def chief(self, agency: int) -> User:
        return self.people[self.plan.chiefs[agency]]

    def build(self) -> Built:
        for i, plan in enumerate(self.plan.partnerships):
            self.partnerships.append(self.partnership(i, plan))
        self.accept_round(1)
        shared = [self.share(i, paper) for i, paper in enumerate(self.plan.papers)]
        for partnership, plan in zip(self.partnerships, self.plan.partnerships, strict=True):
            if plan.redrafted:
                self.draft(partnership, plan, confidentiality=STRICTER)
        self.accept_round(2)
        for partnership, plan in zip(self.partnerships, self.plan.partnerships, strict=True):
            for agency, status in plan.members.items():
                if status == LEFT:
                    member = partnership.members.get(agency=self.agencies[agency])
                    partnerships.member_leave(actor=self.chief(agency), member=member)
        for (pi, agency), ended in self.plan.withdrawals.items():
            withdrawal = withdrawals.withdrawal_start(
                actor=None,
                partnership=self.partnerships[pi],
                agency=self.agencies[agency],
                reason="Bidding for an overlapping contract",
            )
            if ended:
                withdrawals.withdrawal_end(actor=None, withdrawal=withdrawal)
        shared += BidBuilder(self).build()
        self.join_late()
        self.set_statuses()
        return Built(
            self.alliance, self.agencies, self.people, self.partnerships, shared, self.contents
        )

    def partnership(self, i: int, plan: PartnershipPlan) -> Partnership:
        lead = self.chief(plan.lead)
        partnership = partnerships.partnership_propose(
            actor=lead,
            alliance=self.alliance,
            name=f"Partnership {i}",
            kind="network",
            lead_agency=self.agencies[plan.lead],
            service_areas=plan.areas,
        )
        for agency, status in plan.members.items():
            member = partnerships.member_invite(
                actor=lead, partnership=partnership, agency=self.agencies[agency], role="partner"
            )
            if status not in (INVITED, JOINS_LATE):
                partnerships.member_accept(actor=self.chief(agency), member=member)
        if plan.has_mou:
            self.draft(partnership, plan)
        return partnership

    def join_late(self) -> None:
        """The invitations accepted only after the bids are decided."""
        for partnership, plan in zip(self.partnerships, self.plan.partnerships, strict=True):
            for agency, status in plan.members.items():
                if status == JOINS_LATE:
                    member = partnership.members.get(agency=self.agencies[agency])
                    partnerships.member_accept(actor=self.chief(agency), member=member)

    def draft(self, partnership: Partnership, plan: PartnershipPlan, **changes: str) -> None:
        mou.mou_save(
            actor=self.chief(plan.lead),
            partnership=partnership,
            contribution_pence=10_000,
            exclusive=True,
            **{**mou.TEMPLATE, **changes},
        )
        partnership.refresh_from_db()

    def accept(self, person: int, partnership: int) -> None:
        target = self.partnerships[partnership]
        key = (person, partnership, target.undertaking_digest)
        if key in self.accepted:
            return
        if self.plan.people[person] & self.plan.partnerships[partnership].active_then():
            mou.undertaking_acknowledge(actor=self.people[person], partnership=target)
            self.accepted.add(key)
        else:
            with pytest.raises(DomainError):  # only people of its members give the undertaking
                mou.undertaking_acknowledge(actor=self.people[person], partnership=target)

    def accept_round(self, number: int) -> None:
        for person, partnership, r in self.plan.acceptances:
            if r == number:
                self.accept(person, partnership)

    def upload(self, title: str) -> SimpleUploadedFile:
        """A new PDF, kept to compare with what a download gives back."""
        self.contents.append(PDF + f"% {title}\n".encode())
        return SimpleUploadedFile(f"{title}.pdf", self.contents[-1], content_type="application/pdf")

    def share(self, i: int, paper: PaperPlan) -> Document:
        partnership = None if paper.partnership is None else self.partnerships[paper.partnership]
        if paper.sensitivity == COMMERCIAL:
            assert paper.partnership is not None
            self.accept(paper.uploader, paper.partnership)
        title = f"Paper-{i}-{paper.sensitivity}"
        return documents.document_upload(
            actor=self.people[paper.uploader],
            alliance=self.alliance,
            agency=self.agencies[paper.agency],
            title=title,
            sensitivity=paper.sensitivity,
            partnership=partnership,
            upload=self.upload(title),
        )

    def board(self, agency: int) -> list[User]:
        """The agency's two trustees (enough for the quorum), appointed on first use."""
        if agency not in self.boards:
            self.boards[agency] = [PersonFactory(), PersonFactory()]
            for trustee in self.boards[agency]:
                grant(trustee, Role.TRUSTEE, self.agencies[agency])
        return self.boards[agency]

    def set_statuses(self) -> None:
        expelled = False
        for agency, status in zip(self.agencies, self.plan.statuses, strict=True):
            if status == SUSPENDED:
                alliance_services.agency_update(actor=self.admin, agency=agency, status=status)
            elif status == EXPELLED:
                # The disputes app expels through a ruling or the members' vote (tested there);
                # the plan sets the status alone, and the periodic reconcile catches up, as it
                # does after missed events.
                Agency.objects.filter(pk=agency.pk).update(status=status)
                expelled = True
        if expelled:
            barrier.reconcile_alliance(self.alliance)


class BidBuilder:
    """The plan's tender, its declarations and their papers."""

    def __init__(self, world: Builder):
        self.world = world
        self.plan = world.plan
        self.leads: list[Declaration] = []
        self.partners: dict[int, Declaration] = {}  # bid -> the confirmed partner's declaration
        self.agency_of: dict[int, int] = {}  # declaration -> the agency (in the plan) it is of
        self.decided: set[int] = set()  # declarations put to their boards

    def build(self) -> list[Document]:
        if not self.plan.bids:
            return []
        tender = tender_register(
            actor=self.world.admin,
            alliance=self.world.alliance,
            details=TenderDetails(
                reference="KV-1", title="Advice services", commissioner="Kirkvale Council"
            ),
            service_areas=[TENDER_AREA],
        )
        self.draft_all(tender)
        self.answer_all(tender, late=False)
        shared = [self.share(i, paper) for i, paper in enumerate(self.plan.bid_papers)]
        self.decide(self.fates())
        self.answer_all(tender, late=True)
        self.decide(self.fates())  # the late partners' declarations
        for declaration, bid in zip(self.leads, self.plan.bids, strict=True):
            if bid.fate == SUBMITTED:
                declarations.declaration_mark_submitted(
                    actor=self.world.chief(bid.agency), declaration=declaration
                )
        for declaration, fate in self.fates(partners_first=True):
            if fate == WITHDRAWN:
                declarations.declaration_withdraw(
                    actor=self.chief(declaration), declaration=declaration
                )
        return shared

    def chief(self, declaration: Declaration) -> User:
        return self.world.chief(self.agency_of[declaration.pk])

    def draft_all(self, tender: Tender) -> None:
        """Every lead and sole bidder drafts."""
        agencies = self.world.agencies
        for bid in self.plan.bids:
            named = [] if bid.partner is None else [Naming(agencies[bid.partner], Decimal(30))]
            lead = declarations.declaration_draft(
                actor=self.world.chief(bid.agency),
                tender=tender,
                agency=agencies[bid.agency],
                capacity="lead" if named else "sole",
                partners=named,
            )
            self.leads.append(lead)
            self.agency_of[lead.pk] = bid.agency

    def answer_all(self, tender: Tender, late: bool) -> None:
        """The named partners answer (those who answer late, or the others)."""
        agencies = self.world.agencies
        for i, (lead, bid) in enumerate(zip(self.leads, self.plan.bids, strict=True)):
            if bid.partner is None or bid.late != late:
                continue
            chief = self.world.chief(bid.partner)
            if bid.answer == CONFIRMS:
                self.partners[i] = declarations.declaration_draft(
                    actor=chief,
                    tender=tender,
                    agency=agencies[bid.partner],
                    capacity="partner",
                    lead_declaration=lead,
                )
                self.agency_of[self.partners[i].pk] = bid.partner
            elif bid.answer == DECLINES:
                naming = NamedPartner.objects.get(declaration=lead, agency=agencies[bid.partner])
                declarations.named_partner_decline(actor=chief, naming=naming)

    def fates(self, partners_first: bool = False) -> list[tuple[Declaration, str]]:
        leads = list(zip(self.leads, (b.fate for b in self.plan.bids), strict=True))
        partners = [(d, self.plan.bids[i].partner_fate) for i, d in self.partners.items()]
        return partners + leads if partners_first else leads + partners

    def decide(self, fates: list[tuple[Declaration, str]]) -> None:
        """Each declaration going further than a draft goes to its board, which approves or
        rejects it as planned: all the approvals first."""
        asked = [(d, fate) for d, fate in fates if fate != DRAFT and d.pk not in self.decided]
        self.decided |= {d.pk for d, _ in asked}
        for declaration, _ in asked:
            self.world.board(self.agency_of[declaration.pk])
            declarations.declaration_submit_for_approval(
                actor=self.chief(declaration), declaration=declaration
            )
        for declaration, fate in asked:
            if fate in APPROVED:
                self.vote(declaration, "approve", "approve")
        for declaration, fate in asked:
            if fate == REJECTED:
                self.vote(declaration, "reject")  # one no of two: the quorum is out of reach

    def vote(self, declaration: Declaration, *choices: str) -> None:
        decision = BoardDecision.objects.get(
            subject_type=declarations.SUBJECT,
            subject_id=declaration.pk,
            status=BoardDecision.Status.OPEN,
        )
        board = self.world.board(self.agency_of[declaration.pk])
        for trustee, choice in zip(board, choices, strict=False):
            decision_vote(actor=trustee, decision=decision, choice=choice)

    def share(self, i: int, paper: BidPaperPlan) -> Document:
        bid = self.plan.bids[paper.bid]
        own = self.leads[paper.bid] if paper.agency == bid.agency else self.partners[paper.bid]
        title = f"Bid-{i}-{paper.sensitivity}"
        return papers.bid_paper_upload(
            actor=self.world.people[paper.uploader],
            declaration=own,
            agency=self.world.agencies[paper.agency],
            title=title,
            sensitivity=paper.sensitivity,
            upload=self.world.upload(title),
        )
