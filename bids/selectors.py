"""Every read of tenders, declarations and their papers that a person sees.

Openness (protocol clause 5): the register, declared intents, step-backs and withdrawals are
the whole alliance's; a draft or a bid awaiting its board is its agency's (and the partners it
names); a bid's papers reach only its team, through the barrier.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from bids import rules
from bids.models import (
    Allocation,
    Declaration,
    NamedPartner,
    StepBack,
    Tender,
    TenderImport,
    TupeReceipt,
    TupeRelease,
)
from bids.snapshot import bid_team, snapshot, snapshots
from kiaa import barrier
from kiaa.models import Agency, Alliance, BoardDecision, Role, ServiceArea, User
from kiaa.permissions import roles_of
from partnerships.models import Document, Withdrawal

# The subject under which a declaration goes to its board (bids.services.declarations.SUBJECT).


def _pk(pk: Any, what: str) -> str:
    if not str(pk).isdigit():
        raise Http404(f"No such {what}.")
    return str(pk)


def tender_list_for(*, person: User, alliance: Alliance) -> QuerySet[Tender]:
    """The alliance's tender register: every member sees it."""
    return (
        Tender.objects.for_alliance(alliance)
        .select_related("incumbent_agency", "winner__agency")
        .prefetch_related(Prefetch("service_areas", queryset=ServiceArea.objects.order_by("name")))
    )


def tender_get_for(*, person: User, alliance: Alliance, pk: Any) -> Tender:
    tender = tender_list_for(person=person, alliance=alliance).filter(pk=_pk(pk, "tender")).first()
    if tender is None:
        raise Http404("No such tender.")
    return tender


def _visible_declarations(person: User, alliance: Alliance) -> Q:
    roles = roles_of(person, alliance)
    mine = roles.agency_ids
    return (
        Q(status__in=Declaration.PUBLIC)
        | Q(agency_id__in=mine)
        | Q(named_partners__agency_id__in=mine)  # a lead's draft, for the partners it names
        | Q(lead_declaration__agency_id__in=mine)  # a partner's, for its lead
    )


def declaration_list_for(*, person: User, alliance: Alliance) -> QuerySet[Declaration]:
    """Declared intents are public; drafts and bids before the board are their agencies' own."""
    ids = (
        Declaration.objects.for_alliance(alliance)
        .filter(_visible_declarations(person, alliance))
        .values("pk")
    )
    return (
        Declaration.objects.for_alliance(alliance)
        .filter(pk__in=ids)
        .select_related("tender", "agency", "lead_declaration__agency", "drafted_by")
        .prefetch_related(
            Prefetch(
                "named_partners",
                queryset=NamedPartner.objects.select_related("agency").order_by("agency__name"),
            )
        )
    )


def declaration_get_for(*, person: User, alliance: Alliance, pk: Any) -> Declaration:
    found = declaration_list_for(person=person, alliance=alliance).filter(pk=_pk(pk, "declaration"))
    declaration = found.first()
    if declaration is None:
        raise Http404("No such declaration.")
    return declaration


def conflicts_for(
    declarations: list[Declaration], at: datetime | None = None
) -> dict[int, list[rules.Finding]]:
    """The rules' findings for each declaration, the tenders read together (fixed queries)."""
    tenders = {d.tender_id: d.tender for d in declarations}
    found = snapshots(tenders.values())
    now = at or timezone.now()
    return {d.pk: rules.findings(found[d.tender_id], d.pk, now) for d in declarations}


def naming_list_for(*, person: User, alliance: Alliance) -> QuerySet[NamedPartner]:
    """Namings in other members' bids waiting for the person's agencies to answer."""
    roles = roles_of(person, alliance)
    answering = [a for a in roles.agency_ids if roles.has(Role.CHIEF_OFFICER, a)]
    return (
        NamedPartner.objects.for_alliance(alliance)
        .filter(agency_id__in=answering, status=NamedPartner.Status.NAMED)
        .exclude(
            declaration__status__in=[Declaration.Status.WITHDRAWN, Declaration.Status.REJECTED]
        )
        .select_related("declaration__tender", "declaration__agency", "agency")
    )


def step_back_list_for(*, person: User, alliance: Alliance) -> QuerySet[StepBack]:
    """Who chose not to bid, and why: shown in the tender's register."""
    return StepBack.objects.for_alliance(alliance).select_related("agency", "tender")


def allocation_list_for(*, person: User, alliance: Alliance) -> QuerySet[Allocation]:
    """Funding passed under won bids: for the lead, the partner funded, admins and the arbiter."""
    roles = roles_of(person, alliance)
    found = Allocation.objects.for_alliance(alliance).select_related(
        "agency", "declaration__tender", "declaration__agency"
    )
    if roles.is_admin or roles.has(Role.ARBITER):
        return found
    mine = roles.agency_ids
    return found.filter(Q(agency_id__in=mine) | Q(declaration__agency_id__in=mine))


def tender_papers_for(
    *, person: User, alliance: Alliance, tender: Tender, kind: str | None = None
) -> QuerySet[Document]:
    """The tender's papers the barrier lets the person see (bid papers, TUPE information)."""
    found = barrier.visible_to(person, alliance).filter(tender_paper__tender=tender)
    if kind is not None:
        found = found.filter(tender_paper__kind=kind)
    return found.select_related("owner_agency", "uploaded_by", "tender_paper").order_by(
        "-created_at", "-pk"
    )


def tupe_receipt_list_for(*, person: User, tender: Tender) -> QuerySet[TupeReceipt]:
    """Who received the TUPE information and when: for the incumbent, admins and the arbiter."""
    roles = roles_of(person, tender.alliance)
    if not (
        roles.is_admin
        or roles.has(Role.ARBITER)
        or (tender.incumbent_agency_id and tender.incumbent_agency_id in roles.agency_ids)
    ):
        return TupeReceipt.objects.none()
    return tender.tupe_receipts.select_related("agency")


def tender_import_list_for(*, person: User, alliance: Alliance) -> QuerySet[TenderImport]:
    """The register's imports and their reports: the admins'."""
    if not roles_of(person, alliance).is_admin:
        return TenderImport.objects.none()
    return TenderImport.objects.for_alliance(alliance).select_related("imported_by")


# ----------------------------------------------------------------------------- for the pages


def tender_register_for(
    *,
    person: User,
    alliance: Alliance,
    search: str = "",
    status: str = "",
    area: ServiceArea | None = None,
    deadline_from: date | None = None,
    deadline_to: date | None = None,
    declared_by: Agency | None = None,
) -> QuerySet[Tender]:
    """The register as its page lists it: searched, filtered, with public bids and step-backs.

    The deadline window is of submission deadlines, by the local day; `declared_by` keeps the
    tenders that agency has a declaration for, in any state (it is the person's own agency,
    whose drafts they see).
    """
    found = tender_list_for(person=person, alliance=alliance)
    if search:
        found = found.filter(
            Q(reference__icontains=search)
            | Q(title__icontains=search)
            | Q(commissioner__icontains=search)
        )
    if status:
        found = found.filter(status=status)
    if area is not None:
        found = found.filter(service_areas=area)
    if deadline_from is not None:
        found = found.filter(submission_deadline__date__gte=deadline_from)
    if deadline_to is not None:
        found = found.filter(submission_deadline__date__lte=deadline_to)
    if declared_by is not None:
        ours = Declaration.objects.filter(tender=OuterRef("pk"), agency=declared_by)
        found = found.filter(Exists(ours))
    public = (
        Declaration.objects.for_alliance(alliance)
        .filter(status__in=Declaration.PUBLIC, lead_declaration__isnull=True)
        .select_related("agency")
        .order_by("agency__name")
    )
    return found.prefetch_related(
        Prefetch("declarations", queryset=public, to_attr="public_bids"),
        Prefetch("step_backs", queryset=StepBack.objects.select_related("agency")),
    )


def board_question_for(
    *, person: User, alliance: Alliance, declaration: Declaration
) -> BoardDecision | None:
    """The latest question put to the declaring agency's board about this declaration.

    Whoever may see the declaration may see that its board is deciding and how far it has got;
    the votes' notes stay on the decision page, which only the board's trustees open.
    """
    return (
        BoardDecision.objects.for_alliance(alliance)
        .filter(subject_type=Declaration._meta.label_lower, subject_id=declaration.pk)
        .select_related("agency")
        .prefetch_related("votes")
        .order_by("-opened_at", "-pk")
        .first()
    )


def board_question_list_for(
    *, person: User, alliance: Alliance, declarations: list[Declaration]
) -> dict[int, BoardDecision]:
    """`board_question_for` for many declarations at once (a register), in two queries: the
    latest question put to each one's board, with its votes, by declaration id."""
    found = (
        BoardDecision.objects.for_alliance(alliance)
        .filter(
            subject_type=Declaration._meta.label_lower,
            subject_id__in=[d.pk for d in declarations],
        )
        .select_related("agency")
        .prefetch_related("votes")
        .order_by("-opened_at", "-pk")
    )
    latest: dict[int, BoardDecision] = {}
    for decision in found:
        latest.setdefault(decision.subject_id, decision)
    return latest


def tender_withdrawal_list_for(
    *, person: User, alliance: Alliance, tender: Tender | None = None, declaration: Any = None
) -> QuerySet[Withdrawal]:
    """Withdrawals from partnership working opened by bids for a tender (or one declaration)."""
    found = Withdrawal.objects.for_alliance(alliance).filter(bid__isnull=False)
    if tender is not None:
        found = found.filter(bid__tender=tender)
    if declaration is not None:
        found = found.filter(bid__declaration=declaration)
    active = Withdrawal.objects.active().filter(pk=OuterRef("pk"))
    return (
        found.select_related("agency", "partnership", "bid__declaration")
        .annotate(in_force=Exists(active))
        .order_by("-in_force", "-starts_at", "-pk")
    )


def tender_declaration_list_for(
    *, person: User, alliance: Alliance, tender: Tender
) -> QuerySet[Declaration]:
    """The declarations on one tender the person may see (public ones and their own)."""
    return declaration_list_for(person=person, alliance=alliance).filter(tender=tender)


def winnable_declaration_list_for(
    *, person: User, alliance: Alliance, tender: Tender
) -> QuerySet[Declaration]:
    """Bids that can win the award: declared or submitted, alone or as a consortium's lead."""
    return (
        Declaration.objects.for_alliance(alliance)
        .filter(
            tender=tender,
            status__in=Declaration.COMPETING,
            capacity__in=[Declaration.Capacity.SOLE, Declaration.Capacity.LEAD],
        )
        .select_related("agency")
        .order_by("agency__name")
    )


def tupe_release_for(*, person: User, alliance: Alliance, tender: Tender) -> TupeRelease | None:
    """When the tender's TUPE information was released, if it has been (public to the alliance)."""
    return (
        TupeRelease.objects.for_alliance(alliance)
        .filter(tender=tender)
        .select_related("released_by")
        .first()
    )


def withdrawals_needed_for(*, person: User, declaration: Declaration) -> list[str]:
    """The partnerships the agency would step back from if its board declared it now (clause 5)."""
    found = snapshot(declaration.tender)
    needed = set(rules.withdrawals_needed(found, found.bid(declaration.pk)))
    return [p.name for p in found.partnerships if p.id in needed]


def bid_team_for(*, person: User, alliance: Alliance, declaration: Declaration) -> set[int]:
    """The agencies in the declaration's bid: its lead (or sole bidder) and confirmed partners."""
    return bid_team(declaration)
