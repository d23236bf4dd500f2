"""Every read of breaches and disputes that a person sees, narrowed to what their roles show.

The arbiter and admins see every breach of the alliance; a chief officer or trustee sees their
own agencies' (disputes.permissions decides). A dispute is seen by its arbiter, the parties'
leaders and the admins; its submissions by the arbiter and, as each is marked, the parties.
Anything else, like another alliance's breach or dispute, is missing: the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from bids import selectors as bids_selectors
from disputes import permissions as can
from disputes.models import (
    Breach,
    Dispute,
    EvidenceFile,
    ExpulsionMotion,
    RequiredAction,
    Ruling,
    Submission,
    SubmissionPaper,
)
from kiaa import barrier
from kiaa.models import Agency, Alliance, BoardDecision, User
from kiaa.permissions import roles_of

NO_SUCH_BREACH = "No such breach."


@dataclass(frozen=True)
class BreachFilters:
    """What the register is narrowed to; an empty value narrows nothing."""

    status: str = ""
    kind: str = ""
    agency: Agency | None = None


def _filtered(found: QuerySet[Breach], filters: BreachFilters) -> QuerySet[Breach]:
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.agency is not None:
        found = found.filter(agency=filters.agency)
    return found


def breach_list_for(
    *, person: User, alliance: Alliance, filters: BreachFilters | None = None
) -> QuerySet[Breach]:
    """The breaches the person may see, newest first; each says if its declaration is theirs to see."""
    roles = roles_of(person, alliance)
    found: QuerySet[Breach] = Breach.objects.for_alliance(alliance)
    if not can.sees_every_breach(roles):
        found = found.filter(agency_id__in=can.breach_agency_ids(roles))
    if filters is not None:
        found = _filtered(found, filters)
    # A breach may point at a declaration the viewer may not open (another agency's draft):
    # the barrier of bids decides, so pages and API show the link or id only when it says yes.
    declarations = bids_selectors.declaration_list_for(person=person, alliance=alliance)
    visible = declarations.filter(pk=OuterRef("declaration_id"))
    return (
        found.select_related("agency")
        .annotate(declaration_visible=Exists(visible))
        .order_by("-detected_at", "-pk")
    )


def breach_get_for(*, person: User, alliance: Alliance, pk: Any) -> Breach:
    """One breach the person may see; hidden, missing or another alliance's is the same 404."""
    if not str(pk).isdigit():
        raise Http404(NO_SUCH_BREACH)
    breach = (
        breach_list_for(person=person, alliance=alliance)
        .filter(pk=pk)
        .select_related(
            "tender__alliance",
            "partnership",
            "declaration__alliance",
            "declaration__agency",
            "declaration__tender",
        )
        .first()
    )
    if breach is None:
        raise Http404(NO_SUCH_BREACH)
    return breach


def breach_agency_choices_for(*, person: User, alliance: Alliance) -> QuerySet[Agency]:
    """The agencies the register's filter offers: all for those who see all, else their own."""
    roles = roles_of(person, alliance)
    found = Agency.objects.for_alliance(alliance).order_by("name")
    if can.sees_every_breach(roles):
        return found
    return found.filter(pk__in=can.breach_agency_ids(roles))


# -- Disputes -----------------------------------------------------------------------------------

NO_SUCH_DISPUTE = "No such dispute."
NO_SUCH_FILE = "No such file."


def _cvs_id(alliance: Alliance) -> int | None:
    return (
        Agency.objects.for_alliance(alliance)
        .filter(is_arbiter=True)
        .values_list("pk", flat=True)
        .first()
    )


def dispute_list_for(*, person: User, alliance: Alliance, status: str = "") -> QuerySet[Dispute]:
    """The disputes the person may see: as arbiter, as a party's chief officer or trustee, as
    admin; the CVS's arbiters also see those waiting for an arbiter that the CVS is not party to."""
    roles = roles_of(person, alliance)
    found: QuerySet[Dispute] = Dispute.objects.for_alliance(alliance)
    if not roles.is_admin:
        mine = can.reading_agency_ids(roles)
        seen = Q(arbiter_id=person.pk) | Q(complainant_id__in=mine) | Q(respondent_id__in=mine)
        cvs = _cvs_id(alliance)
        if can.is_cvs_arbiter(roles, arbiter_agency_id=cvs):
            waiting = Q(arbiter__isnull=True) & ~Q(complainant_id=cvs) & ~Q(respondent_id=cvs)
            seen |= waiting | Q(arbiter_agency_id=cvs)
        found = found.filter(seen)
    if status:
        found = found.filter(status=status)
    return found.select_related("complainant", "respondent", "arbiter", "arbiter_agency").order_by(
        "-filed_at", "-pk"
    )


def dispute_get_for(*, person: User, alliance: Alliance, pk: Any) -> Dispute:
    """One dispute the person may see; hidden, missing or another alliance's is the same 404."""
    if not str(pk).isdigit():
        raise Http404(NO_SUCH_DISPUTE)
    dispute = (
        dispute_list_for(person=person, alliance=alliance)
        .filter(pk=pk)
        .select_related(
            "alliance",
            "breach",
            "declaration__tender",
            "declaration__agency",
            "partnership",
            "filed_by",
            "appointed_by",
        )
        .first()
    )
    if dispute is None:
        raise Http404(NO_SUCH_DISPUTE)
    return dispute


def dispute_queue_for(*, person: User, alliance: Alliance) -> QuerySet[Dispute]:
    """dispute_list_for, each with the earliest date a party must still confirm an action by."""
    outstanding = Q(actions__confirmed_at__isnull=True, actions__superseded_at__isnull=True)
    return dispute_list_for(person=person, alliance=alliance).annotate(
        next_action_due=Min("actions__due_on", filter=outstanding)
    )


def evidence_owed(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Of these (already selected) disputes, those taking evidence, each saying whether each
    party has given any yet."""
    given = Submission.objects.filter(dispute_id=OuterRef("pk"), by_arbiter=False)
    return disputes.filter(status__in=(Dispute.Status.ACCEPTED, Dispute.Status.EVIDENCE)).annotate(
        from_complainant=Exists(given.filter(agency_id=OuterRef("complainant_id"))),
        from_respondent=Exists(given.filter(agency_id=OuterRef("respondent_id"))),
    )


def actions_owed(disputes: QuerySet[Dispute], *, agency_ids: list[int]) -> QuerySet[RequiredAction]:
    """The outstanding actions these (already selected) disputes' rulings require of the agencies."""
    return (
        RequiredAction.objects.filter(
            dispute_id__in=disputes.values("pk"),
            agency_id__in=agency_ids,
            confirmed_at__isnull=True,
            superseded_at__isnull=True,
        )
        .select_related("dispute__complainant", "dispute__respondent", "agency")
        .order_by("due_on", "pk")
    )


@dataclass(frozen=True)
class Evidence:
    """A submission as one reader may see it: the papers the barrier shows them, and how many
    it points to that it does not."""

    submission: Submission
    files: list[EvidenceFile]
    papers: list[Any]
    hidden_papers: int


def submission_list_for(*, person: User, dispute: Dispute) -> list[Evidence]:
    """The dispute's submissions this person may read, oldest first (a fixed number of queries)."""
    roles = roles_of(person, dispute.alliance)
    readable = [
        s
        for s in Submission.objects.filter(dispute=dispute)
        .select_related("agency", "author")
        .order_by("submitted_at", "pk")
        if can.sees_submission(person, roles, s, dispute)
    ]
    ids = [s.pk for s in readable]
    files: dict[int, list[EvidenceFile]] = {i: [] for i in ids}
    for f in EvidenceFile.objects.filter(submission_id__in=ids).order_by("pk"):
        files[f.submission_id].append(f)
    links = list(
        SubmissionPaper.objects.filter(submission_id__in=ids).values_list(
            "submission_id", "document_id"
        )
    )
    visible = {
        d.pk: d
        for d in barrier.visible_to(person, dispute.alliance).filter(pk__in={d for _, d in links})
    }
    papers: dict[int, list[Any]] = {i: [] for i in ids}
    hidden: dict[int, int] = dict.fromkeys(ids, 0)
    for submission_id, document_id in links:
        if document_id in visible:
            papers[submission_id].append(visible[document_id])
        else:
            hidden[submission_id] += 1
    return [Evidence(s, files[s.pk], papers[s.pk], hidden[s.pk]) for s in readable]


def evidence_file_get_for(*, person: User, dispute: Dispute, pk: Any) -> EvidenceFile:
    """A file of a submission the person may read; else 404."""
    if not str(pk).isdigit():
        raise Http404(NO_SUCH_FILE)
    found = (
        EvidenceFile.objects.filter(pk=pk, submission__dispute=dispute)
        .select_related("submission")
        .first()
    )
    roles = roles_of(person, dispute.alliance)
    if found is None or not can.sees_submission(person, roles, found.submission, dispute):
        raise Http404(NO_SUCH_FILE)
    return found


def ruling_list_for(*, dispute: Dispute) -> list[Ruling]:
    """The dispute's rulings, latest first, each with its actions (the dispute was already found
    through dispute_get_for: whoever sees the dispute reads its published rulings)."""
    return list(
        Ruling.objects.filter(dispute=dispute)
        .select_related("published_by", "sanctioned_agency", "corrects")
        .prefetch_related(
            Prefetch(
                "actions", queryset=RequiredAction.objects.select_related("agency", "confirmed_by")
            )
        )
        .order_by("-number")
    )


def action_get_for(*, person: User, alliance: Alliance, dispute_pk: Any, pk: Any) -> RequiredAction:
    """A required action of a dispute the person may see; else 404."""
    dispute = dispute_get_for(person=person, alliance=alliance, pk=dispute_pk)
    if not str(pk).isdigit():
        raise Http404("No such action.")
    action = (
        RequiredAction.objects.filter(dispute=dispute, pk=pk)
        .select_related("agency", "dispute__alliance")
        .first()
    )
    if action is None:
        raise Http404("No such action.")
    return action


def breach_choices_for_filing(*, alliance: Alliance, agency: Agency) -> QuerySet[Breach]:
    """The breaches an agency may file a dispute about: those that concern it."""
    from disputes.services.disputes import breaches_concerning

    return (
        Breach.objects.filter(breaches_concerning(alliance, agency))
        .select_related("agency")
        .order_by("-detected_at")
    )


def breach_ruling_list_for(*, person: User, alliance: Alliance, breach: Breach) -> QuerySet[Ruling]:
    """The published rulings of the disputes about a breach that the person may see, latest first
    (what a reviewer may name as the authority for an expulsion)."""
    disputes = dispute_list_for(person=person, alliance=alliance).filter(breach=breach)
    return (
        Ruling.objects.filter(alliance=alliance, dispute__in=disputes.values("pk"))
        .select_related("dispute", "sanctioned_agency")
        .order_by("-published_at", "-pk")
    )


@dataclass(frozen=True)
class MotionProgress:
    """Where the boards' vote on expelling a breach's agency stands."""

    motion: ExpulsionMotion
    approved: int
    rejected: int
    boards: int


def motion_progress_for(*, breach: Breach) -> MotionProgress | None:
    """The vote on expelling the agency in breach, if the review put one to the boards (the
    breach was already found through breach_get_for: whoever sees it sees the vote's count)."""
    motion = ExpulsionMotion.objects.filter(breach=breach).select_related("agency").first()
    if motion is None:
        return None
    decided = BoardDecision.objects.filter(
        subject_type=ExpulsionMotion._meta.label_lower, subject_id=motion.pk
    )
    counts = dict(decided.values_list("status").annotate(n=Count("pk")).order_by())
    return MotionProgress(
        motion,
        approved=counts.get(BoardDecision.Status.APPROVED, 0),
        rejected=counts.get(BoardDecision.Status.REJECTED, 0),
        boards=motion.boards,
    )


def motion_tallies_for(*, alliance: Alliance, motion_ids: list[int]) -> dict[int, tuple[int, int]]:
    """How many boards approved and rejected each motion, (approved, rejected): one query for
    a whole list of breaches."""
    ids = list(motion_ids)
    tallies = dict.fromkeys(ids, (0, 0))
    if not ids:
        return tallies
    decided = (
        BoardDecision.objects.for_alliance(alliance)
        .filter(subject_type=ExpulsionMotion._meta.label_lower, subject_id__in=ids)
        .filter(status__in=(BoardDecision.Status.APPROVED, BoardDecision.Status.REJECTED))
        .values_list("subject_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for motion_id, status, n in decided:
        approved, rejected = tallies[motion_id]
        if status == BoardDecision.Status.APPROVED:
            tallies[motion_id] = (n, rejected)
        else:
            tallies[motion_id] = (approved, n)
    return tallies


def dispute_arbiter_queue_for(*, person: User, alliance: Alliance) -> QuerySet[Dispute]:
    """dispute_queue_for narrowed to the person's work as arbiter: the disputes they arbitrate
    and, for the CVS's arbiters, those with the CVS and those waiting for an arbiter that the
    CVS is not a party to (the queue of the disputes page)."""
    queue = Q(arbiter_id=person.pk)
    cvs = _cvs_id(alliance)
    if can.is_cvs_arbiter(roles_of(person, alliance), arbiter_agency_id=cvs):
        waiting = Q(arbiter__isnull=True) & ~Q(complainant_id=cvs) & ~Q(respondent_id=cvs)
        queue |= waiting | Q(arbiter_agency_id=cvs)
    return dispute_queue_for(person=person, alliance=alliance).filter(queue)
