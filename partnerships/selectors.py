"""Every read of partnerships and their papers that a person sees; papers only through the barrier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404

from kiaa import barrier
from kiaa.models import Agency, Alliance, Membership, Role, ServiceArea, User
from kiaa.paging import Listed
from kiaa.permissions import roles_of
from partnerships.models import (
    AudienceChange,
    ConfidentialityAcknowledgement,
    Document,
    DocumentAccess,
    DueDiligenceCheck,
    MouVersion,
    Partnership,
    PartnershipMember,
    Withdrawal,
)


def partnership_list_for(*, person: User, alliance: Alliance) -> QuerySet[Partnership]:
    """Who works with whom is open to the whole alliance (protocol clause 5: openness)."""
    members = PartnershipMember.objects.select_related("agency").order_by("role", "agency__name")
    return (
        Partnership.objects.for_alliance(alliance)
        .select_related("lead_agency")
        .prefetch_related(
            Prefetch("members", queryset=members),
            Prefetch("service_areas", queryset=ServiceArea.objects.order_by("name")),
        )
    )


def partnership_get_for(*, person: User, alliance: Alliance, pk: Any) -> Partnership:
    partnership = partnership_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if partnership is None:
        raise Http404("No such partnership.")
    return partnership


def member_get_for(*, person: User, partnership: Partnership, agency_id: Any) -> PartnershipMember:
    """An agency's place in a partnership, by the agency's id (as the API names it)."""
    if not str(agency_id).isdigit():
        raise Http404("No such member.")
    member = (
        partnership.members.select_related("agency", "partnership")
        .filter(agency_id=agency_id)
        .first()
    )
    if member is None:
        raise Http404("No such member.")
    return member


def checks_open_to(*, person: User, partnership: Partnership) -> bool:
    """The vetting of members (financial viability and the like) is for the partnership's own
    agencies and the arbiter, not the whole alliance."""
    roles = roles_of(person, partnership.alliance)
    placed = partnership.members.exclude(status=PartnershipMember.Status.DECLINED)
    return roles.has(Role.ARBITER) or placed.filter(agency_id__in=roles.agency_ids).exists()


def check_list_for(*, person: User, partnership: Partnership) -> QuerySet[DueDiligenceCheck]:
    """The members' checks, for those `checks_open_to` lets read them; none for the rest."""
    if not checks_open_to(person=person, partnership=partnership):
        return DueDiligenceCheck.objects.none()
    return partnership.checks.select_related("agency", "checked_by")


def mou_current_for(*, person: User, partnership: Partnership) -> MouVersion | None:
    """The MoU in force with its signatures, or None before the lead drafts one."""
    return (
        partnership.mou_versions.select_related("created_by")
        .prefetch_related("signatures__agency", "signatures__signed_by")
        .order_by("-number")
        .first()
    )


def undertaking_accepted_by(*, person: User, partnership: Partnership) -> bool:
    """Whether the person accepted the partnership's confidentiality undertaking in its current words."""
    digest = partnership.undertaking_digest
    return (
        bool(digest)
        and ConfidentialityAcknowledgement.objects.filter(
            partnership=partnership, person=person, undertaking_digest=digest
        ).exists()
    )


def withdrawal_list_for(*, person: User, alliance: Alliance) -> QuerySet[Withdrawal]:
    """Withdrawals are open to the alliance: everyone must know who has stepped back from what."""
    return Withdrawal.objects.for_alliance(alliance).select_related("agency", "partnership")


# What a list shows of each paper besides the paper.
PAPER_RELATED = ("owner_agency", "partnership", "uploaded_by")


def document_list_for(
    *,
    person: User,
    alliance: Alliance,
    search: str = "",
    partnership: Any = None,
    sensitivity: str = "",
) -> Listed[Document]:
    """Papers the barrier lets the person see, newest first; search and filters work only within
    those. For a paginator (kiaa.paging.IdsFirst): the page's ids and the count come from the
    barrier's permission rows (barrier.listing), then the page's papers are read.

    Lazy: the page or the API paginates it, so the list costs the same queries at any size.
    """
    kept = _document_filter(search=search, partnership=partnership, sensitivity=sensitivity)
    within = Document.objects.for_alliance(alliance).filter(kept) if kept else None
    # Only the page's ids, from the barrier, are read from `rows`.
    rows = Document.objects.for_alliance(alliance).select_related(*PAPER_RELATED)
    return Listed(rows, barrier.listing(person, alliance, within))


def _document_filter(*, search: str, partnership: Any, sensitivity: str) -> Q:
    kept = Q()
    if search:
        kept &= Q(title__icontains=search) | Q(original_name__icontains=search)
    if partnership:
        kept &= Q(partnership=partnership)
    if sensitivity:
        kept &= Q(sensitivity=sensitivity)
    return kept


def _papers_seen(*, person: User, alliance: Alliance, kept: Q) -> QuerySet[Document]:
    return barrier.visible_to(person, alliance).filter(kept).select_related(*PAPER_RELATED)


@dataclass(frozen=True)
class PapersIn:
    """A partnership of the person's agencies, and how many of its papers wait on an undertaking
    the person has yet to accept."""

    partnership_id: int
    name: str
    waiting: int


def document_partnerships_seen(*, person: User, alliance: Alliance) -> list[PapersIn]:
    """The partnerships the papers list can be filtered by (those the person's agencies are
    active members of: only members see a partnership's papers), by name, each with how many of
    its papers wait on the person's undertaking. One query, whatever the number of papers.

    Counts only, never titles: what a paper is called is shown once the person may see it.
    """
    agencies = Membership.objects.filter(
        alliance=alliance, user_id=person.pk, agency__isnull=False
    ).values("agency_id")
    places = PartnershipMember.objects.filter(
        alliance=alliance, agency_id__in=agencies, status=PartnershipMember.Status.ACTIVE
    ).values("partnership_id")
    waiting = (
        barrier.awaiting_undertaking(person, alliance)
        .filter(partnership=OuterRef("pk"))
        .order_by()
        .values("partnership")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Partnership.objects.for_alliance(alliance)
        .filter(pk__in=places)
        .annotate(waiting=Coalesce(Subquery(waiting), 0))
        .order_by("name")
        .values_list("pk", "name", "waiting")
    )
    return [PapersIn(*row) for row in rows]


def partnership_names_for(*, alliance: Alliance, ids: list[int]) -> list[tuple[int, str]]:
    """(id, name) of these partnerships of the alliance: names are open to the whole alliance."""
    return list(
        Partnership.objects.for_alliance(alliance).filter(pk__in=ids).values_list("pk", "name")
    )


def document_partnerships_for(
    *, person: User, alliance: Alliance, agency: Agency | None
) -> QuerySet[Partnership]:
    """Partnerships the agency may share papers in: those it is an active member of."""
    if agency is None:
        return Partnership.objects.none()
    return Partnership.objects.for_alliance(alliance).filter(
        members__agency=agency, members__status=PartnershipMember.Status.ACTIVE
    )


def document_get_for(
    *,
    person: User,
    alliance: Alliance,
    pk: Any,
    action: str,
    channel: str,
    agency: Agency | None = None,
) -> Document:
    """One paper, or 404; a paper that exists but is hidden is recorded as an attempt.

    `agency` is the one the person acts for, kept with an attempt.
    """
    document: Document = barrier.get_for(
        person=person,
        alliance=alliance,
        pk=pk,
        action=action,
        channel=channel,
        related=("owner_agency", "partnership", "uploaded_by"),
        agency=agency,
    )
    return document


TIMELINE_NOT_YOURS = "Only the agency that shared a paper, and the arbiter, read who opened it."


def document_timeline_for(
    *,
    person: User,
    alliance: Alliance,
    pk: Any,
    channel: str = "page",
    agency: Agency | None = None,
) -> tuple[Document, list[Any]]:
    """Who could see a paper, and who opened it, in time order: the arbiter's evidence.

    The arbiter reads the timeline of any paper; otherwise only people of the agency that shared
    it, for a paper they can see (who opened what is not every reader's business: 403).
    `channel` and `agency` are kept with an attempt across the barrier, as document_get_for's.
    """
    roles = roles_of(person, alliance)
    if roles.has(Role.ARBITER):
        document = (
            Document.objects.for_alliance(alliance)
            .filter(pk=pk if str(pk).isdigit() else None)
            .select_related("partnership", "owner_agency", "uploaded_by")
            .first()
        )
        if document is None:
            raise Http404("No such document.")
    else:
        document = document_get_for(
            person=person,
            alliance=alliance,
            pk=pk,
            action="timeline",
            channel=channel,
            agency=agency,
        )
        if document.owner_agency_id not in roles.agency_ids:
            raise PermissionDenied(TIMELINE_NOT_YOURS)
    changes = AudienceChange.objects.filter(document=document).select_related("agency")
    accesses = DocumentAccess.objects.filter(document=document).select_related("person", "agency")
    events: list[AudienceChange | DocumentAccess] = [*changes, *accesses]
    events.sort(key=lambda e: (e.at, e.pk))
    return document, events


# ----------------------------------------------------------------------------- a partnership's papers

PAPERS_SHOWN = 10  # of each sensitivity on the partnership's page; the papers list has the rest


@dataclass(frozen=True)
class PaperGroup:
    """The partnership's papers of one sensitivity that the person may see: the newest few."""

    sensitivity: str
    label: str
    papers: list[Document]
    total: int


def partnership_papers_for(
    *, person: User, alliance: Alliance, partnership: Partnership, shown: int = PAPERS_SHOWN
) -> list[PaperGroup]:
    """The partnership's papers the barrier lets the person see, grouped by sensitivity (in the
    order of the model's choices): the newest `shown` of each and how many there are in all.

    Two queries at any size: the totals, then the newest of every group at once.
    """
    visible = _papers_seen(person=person, alliance=alliance, kept=Q(partnership=partnership))
    totals = dict(
        visible.order_by()
        .values("sensitivity")
        .annotate(n=Count("pk"))
        .values_list("sensitivity", "n")
    )
    newest = (F("created_at").desc(), F("pk").desc())
    ranked = visible.annotate(
        rank=Window(RowNumber(), partition_by=[F("sensitivity")], order_by=newest)
    ).filter(rank__lte=shown)
    papers: dict[str, list[Document]] = {}
    for paper in ranked.order_by(*newest):
        papers.setdefault(paper.sensitivity, []).append(paper)
    return [
        PaperGroup(value, str(label), papers.get(value, []), totals.get(value, 0))
        for value, label in Document.Sensitivity.choices
    ]


@dataclass(frozen=True)
class Unseen:
    """Why the barrier keeps papers of some sensitivities of a partnership from the person, for
    one of their agencies (none: they act for no agency). Never which papers, nor how many."""

    labels: tuple[str, ...]  # the sensitivities' labels, in the model's order
    agency: Agency | None
    reason: str  # one of kiaa.barrier's reasons (barrier.why_not, barrier.NO_AGENCY)
    withdrawal: Withdrawal | None = None  # the withdrawal in force, for barrier.WITHDRAWN


def partnership_unseen_for(
    *, person: User, alliance: Alliance, partnership: Partnership
) -> list[Unseen]:
    """What the barrier keeps from the person in this partnership, by kind of paper and why.

    It asks the barrier about a paper of each sensitivity as it would be in this partnership,
    not about the papers themselves: whether any are hidden, or how many, is never said
    (API.md: existence is never revealed). The reasons come with the withdrawal behind them.
    """
    kinds = [
        Document(pk=-n, alliance=alliance, partnership=partnership, sensitivity=value)
        for n, value in enumerate(Document.Sensitivity.values, start=1)
    ]
    hidden = barrier.hidden_from(person, alliance, kinds)
    labels = dict(Document.Sensitivity.choices)
    by_reason: dict[tuple[int | None, str], list[str]] = {}
    for paper in kinds:
        for agency_id, reason in hidden.get(paper.pk, {}).items():
            by_reason.setdefault((agency_id, reason), []).append(str(labels[paper.sensitivity]))
    ids = {a for a, _ in by_reason if a is not None}
    agencies = Agency.objects.in_bulk(ids) if ids else {}
    withdrawn = {a for a, r in by_reason if a is not None and r == barrier.WITHDRAWN}
    withdrawals: dict[int, Withdrawal] = {}
    if withdrawn:
        for w in (
            Withdrawal.objects.filter(
                alliance=alliance, partnership=partnership, agency_id__in=withdrawn
            )
            .active()
            .order_by("starts_at")
        ):
            withdrawals[w.agency_id] = w  # the latest in force, if ever two overlap
    return [
        Unseen(
            tuple(names),
            agencies.get(agency_id) if agency_id is not None else None,
            reason,
            withdrawals.get(agency_id) if agency_id is not None else None,
        )
        for (agency_id, reason), names in by_reason.items()
    ]


def partnership_awaiting_undertaking_for(
    *, person: User, alliance: Alliance, partnership: Partnership
) -> int:
    """How many of the partnership's papers the person's agency may see that wait on an
    undertaking the person has yet to accept (a count is theirs to know: they may see them)."""
    return barrier.awaiting_undertaking(person, alliance).filter(partnership=partnership).count()
