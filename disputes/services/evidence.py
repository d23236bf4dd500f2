"""Evidence in a dispute: statements, files and papers from each party and the arbiter.

A party marks what it gives either for the arbiter only or shared with the other party.
Papers already in the system are pointed to, never copied: each reader sees a paper only if
the information barrier shows it to them (kiaa.barrier), so evidence never carries a paper
across the barrier unless its owner shares it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from uuid import uuid4

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from disputes import permissions as can
from disputes.models import Dispute, EvidenceFile, Submission, SubmissionPaper
from disputes.services.disputes import _locked, move, record, tell_arbiter, tell_parties
from kiaa import barrier
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, User
from kiaa.permissions import roles_of
from partnerships.files import check_upload
from partnerships.models import Document

Status = Dispute.Status
MAX_FILES = 10

NOT_A_PARTY = "Only the parties' chief officers and the arbiter give evidence in this dispute."
WHICH_PARTY = "You speak for both parties: say which agency this comes from."
NOT_TAKING_EVIDENCE = "This dispute is {status}: it is not taking evidence."
EVIDENCE_CLOSED = "The last day for evidence was {due:%-d %B %Y}: ask the arbiter to extend it."
STATEMENT_REQUIRED = "Write your statement."
BAD_VISIBILITY = "Choose who may read it: the arbiter only, or the arbiter and the other party."
TOO_MANY_FILES = f"Give at most {MAX_FILES} files with one submission."
PAPER_NOT_YOURS = "Point only to papers you can open yourself."


def _side(actor: User, dispute: Dispute, agency: Agency | None) -> tuple[Agency, bool]:
    """Who the submission comes from: (agency, by the arbiter)."""
    if dispute.arbiter_id == actor.pk and dispute.arbiter_agency is not None:
        return dispute.arbiter_agency, True
    roles = roles_of(actor, dispute.alliance)
    sides = [a for a in (dispute.complainant, dispute.respondent) if can.speaks_for(roles, a.pk)]
    if not sides:
        raise DomainError(NOT_A_PARTY, Code.FORBIDDEN)
    if agency is not None:
        chosen = [a for a in sides if a.pk == agency.pk]
        if not chosen:
            raise DomainError(NOT_A_PARTY, Code.FORBIDDEN)
        return chosen[0], False
    if len(sides) > 1:
        raise DomainError(WHICH_PARTY, field="agency")
    return sides[0], False


def _check_open(dispute: Dispute, by_arbiter: bool) -> None:
    if dispute.status not in (Status.ACCEPTED, Status.EVIDENCE):
        raise DomainError(
            NOT_TAKING_EVIDENCE.format(status=dispute.get_status_display().lower()), Code.CONFLICT
        )
    due = dispute.evidence_due_on
    if not by_arbiter and due is not None and timezone.localdate() > due:
        raise DomainError(EVIDENCE_CLOSED.format(due=due), Code.CONFLICT)


@transaction.atomic
def submission_add(
    *,
    actor: User,
    dispute: Dispute,
    statement: str,
    visibility: str = Submission.Visibility.SHARED,
    files: Sequence[UploadedFile] = (),
    paper_ids: Sequence[int] = (),
    agency: Agency | None = None,
) -> Submission:
    """A party (or the arbiter) gives a statement with files and papers, for the arbiter only
    or shared with the other party; the arbiter's own are always for both parties."""
    dispute = _locked(dispute)
    side, by_arbiter = _side(actor, dispute, agency)
    _check_open(dispute, by_arbiter)
    if by_arbiter:
        visibility = Submission.Visibility.SHARED
    if visibility not in Submission.Visibility.values:
        raise DomainError(BAD_VISIBILITY, field="visibility")
    if not statement.strip():
        raise DomainError(STATEMENT_REQUIRED, field="statement")
    if len(files) > MAX_FILES:
        raise DomainError(TOO_MANY_FILES, field="files")
    checked = [check_upload(f) for f in files]
    refused = next((c for c in checked if isinstance(c, str)), None)
    if refused is not None:
        raise DomainError(refused, field="files")
    papers = _papers(actor, dispute, paper_ids)
    submission = Submission.objects.create(
        alliance_id=dispute.alliance_id,
        dispute=dispute,
        agency=side,
        by_arbiter=by_arbiter,
        author=actor,
        statement=statement.strip(),
        visibility=visibility,
        submitted_at=timezone.now(),
    )
    SubmissionPaper.objects.bulk_create(
        SubmissionPaper(alliance_id=dispute.alliance_id, submission=submission, document=p)
        for p in papers
    )
    stored = _store(submission, files, checked)  # type: ignore[arg-type]
    if dispute.status == Status.ACCEPTED:
        move(dispute, Status.EVIDENCE)
        dispute.save(update_fields=["status"])
    record(
        actor,
        "dispute.submission_added",
        dispute,
        target=submission,
        side=side.name,
        by_arbiter=by_arbiter,
        visibility=visibility,
        files=stored,
        papers=[p.pk for p in papers],
    )
    _tell(dispute, submission)
    return submission


def _papers(actor: User, dispute: Dispute, paper_ids: Sequence[int]) -> list[Document]:
    """The papers pointed to, each one the person may open (asked through the barrier)."""
    wanted = sorted(set(paper_ids))
    if not wanted:
        return []
    visible = list(barrier.visible_to(actor, dispute.alliance).filter(pk__in=wanted))
    if len(visible) != len(wanted):
        raise DomainError(PAPER_NOT_YOURS, field="papers")
    return visible


def _store(
    submission: Submission, files: Sequence[UploadedFile], checked: list[object]
) -> list[str]:
    """Keep the files outside the public path; their digests go into the audit event."""
    digests = []
    for upload, kind in zip(files, checked, strict=True):
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        evidence = EvidenceFile(
            alliance_id=submission.alliance_id,
            submission=submission,
            original_name=(upload.name or "")[-200:],
            content_type=kind.content_type,  # type: ignore[attr-defined]
            size=upload.size or 0,
            sha256=digest.hexdigest(),
        )
        name = f"{submission.alliance_id}/{uuid4().hex}.{kind.extension}"  # type: ignore[attr-defined]
        evidence.file.save(name, upload, save=False)
        try:
            evidence.save()
        except BaseException:
            evidence.file.delete(save=False)
            raise
        digests.append(evidence.sha256)
    return digests


def _tell(dispute: Dispute, submission: Submission) -> None:
    title = f"New evidence in dispute #{dispute.pk} from {submission.agency.name}"
    if not submission.by_arbiter:
        tell_arbiter(dispute, verb="dispute.submission_added", title=title)
    if submission.visibility == Submission.Visibility.SHARED:
        others = [a for a in dispute.parties if a != submission.agency_id]
        for agency_id in others:
            tell_parties(dispute, only=agency_id, verb="dispute.submission_added", title=title)
