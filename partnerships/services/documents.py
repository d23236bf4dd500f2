"""Papers: uploading, the access log, attempts across the barrier, reconciling."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from uuid import uuid4

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from kiaa import audit, barrier, watch
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, Alliance, User
from kiaa.permissions import roles_of
from partnerships.files import Checked, check_upload
from partnerships.models import (
    BarrierAttempt,
    ConfidentialityAcknowledgement,
    Document,
    DocumentAccess,
    Partnership,
    PartnershipMember,
)

NOT_YOUR_AGENCY = "Upload for an agency you hold a role in."
NOT_A_MEMBER = "Only an active member of the partnership can share papers in it."
NEEDS_PARTNERSHIP = "Partnership and commercial papers belong to a partnership: choose one."
NEEDS_UNDERTAKING = "Commercial papers need the partnership's confidentiality undertaking: the lead drafts the MoU first."
NEEDS_ACKNOWLEDGEMENT = (
    "Accept the partnership's confidentiality undertaking before sharing commercial papers."
)
TITLE_REQUIRED = "Give the paper a title."


def reconcile_partnership(partnership: Partnership) -> None:
    """Recompute the barrier for every paper of the partnership, in the caller's transaction.

    Synchronous on purpose: a member who leaves or withdraws must lose sight of the papers
    when the change commits, not when a worker gets to it.
    """
    barrier.reconcile(Document.objects.filter(partnership=partnership))


@transaction.atomic
def document_upload(
    *,
    actor: User,
    alliance: Alliance,
    agency: Agency,
    title: str,
    sensitivity: str,
    upload: UploadedFile,
    partnership: Partnership | None = None,
) -> Document:
    """Share a paper; the barrier decides at once who may see it."""
    roles = roles_of(actor, alliance)
    if agency.alliance_id != alliance.pk or agency.pk not in roles.acting_agency_ids:
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN, field="agency")
    if not title.strip():
        raise DomainError(TITLE_REQUIRED, field="title")
    if sensitivity not in Document.Sensitivity.values:
        raise DomainError(f"Unknown sensitivity: {sensitivity}.", field="sensitivity")
    if partnership is not None and partnership.alliance_id != alliance.pk:
        raise DomainError(NEEDS_PARTNERSHIP, field="partnership")
    if sensitivity != Document.Sensitivity.ALLIANCE:
        _check_sharing_in(partnership, agency, sensitivity, actor)
    return document_store(
        actor=actor,
        alliance=alliance,
        agency=agency,
        title=title,
        sensitivity=sensitivity,
        upload=upload,
        partnership=partnership,
    )


def document_store(
    *,
    actor: User,
    alliance: Alliance,
    agency: Agency,
    title: str,
    sensitivity: str,
    upload: UploadedFile,
    partnership: Partnership | None = None,
    attach: Callable[[Document], dict[str, object]] | None = None,
) -> Document:
    """Keep a paper the caller has authorised, audit it and let the barrier set its audience.

    `attach` lets a higher app tie the new document to its own records (a bid's papers) before
    the barrier first reads its facts; what it returns is added to the audit event.
    """
    if not title.strip():
        raise DomainError(TITLE_REQUIRED, field="title")
    if sensitivity not in Document.Sensitivity.values:
        raise DomainError(f"Unknown sensitivity: {sensitivity}.", field="sensitivity")
    checked = check_upload(upload)
    if isinstance(checked, str):
        raise DomainError(checked, field="file")
    document = Document(
        alliance=alliance,
        title=title.strip(),
        sensitivity=sensitivity,
        owner_agency=agency,
        partnership=partnership,
        original_name=(upload.name or "")[-200:],
        content_type=checked.content_type,
        size=upload.size or 0,
        sha256=_sha256(upload),
        uploaded_by=actor,
        created_at=timezone.now(),
    )
    document.file.save(_stored_name(alliance, checked), upload, save=False)
    # A failure after the file is stored must not leave it behind.
    try:
        document.save()
        linked = attach(document) if attach else {}
        audit.record(
            alliance=alliance,
            actor=actor,
            verb="document.uploaded",
            target=document,
            agency=agency,
            payload={
                "title": document.title,
                "sensitivity": sensitivity,
                "sha256": document.sha256,
                "partnership": partnership.pk if partnership else None,
                **linked,
            },
        )
        barrier.reconcile([document])
    except BaseException:
        document.file.delete(save=False)
        raise
    return document


def _check_sharing_in(
    partnership: Partnership | None, agency: Agency, sensitivity: str, actor: User
) -> None:
    if partnership is None:
        raise DomainError(NEEDS_PARTNERSHIP, field="partnership")
    active = PartnershipMember.objects.filter(
        partnership=partnership, agency=agency, status=PartnershipMember.Status.ACTIVE
    )
    if not active.exists():
        raise DomainError(NOT_A_MEMBER, Code.FORBIDDEN, field="partnership")
    if sensitivity != Document.Sensitivity.COMMERCIAL:
        return
    if not partnership.undertaking_digest:
        raise DomainError(NEEDS_UNDERTAKING, Code.CONFLICT, field="sensitivity")
    accepted = ConfidentialityAcknowledgement.objects.filter(
        partnership=partnership, person=actor, undertaking_digest=partnership.undertaking_digest
    )
    if not accepted.exists():
        raise DomainError(NEEDS_ACKNOWLEDGEMENT, Code.CONFLICT, field="sensitivity")


def _stored_name(alliance: Alliance, checked: Checked) -> str:
    # Never the uploader's file name: stored names reveal nothing and cannot collide.
    return f"{alliance.pk}/{uuid4().hex}.{checked.extension}"


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _acting_agency(person: User, document: Document) -> int | None:
    """The agency through which the person sees the paper (for the log), if one of theirs does."""
    mine = roles_of(person, document.alliance).agency_ids
    return next(iter(mine), None)


# No transaction of its own: one INSERT is atomic by itself, and every open of a paper pays
# for this call.
def document_access_record(
    *,
    person: User,
    document: Document,
    action: str,
    channel: str,
    agency: Agency | None = None,
) -> DocumentAccess:
    """Every view and download is logged: who, which paper, when, through which face.

    `agency` is the one the person is acting for (pages and API know it); without it, one of
    the person's agencies is logged.
    """
    access = DocumentAccess.objects.create(
        alliance_id=document.alliance_id,
        document=document,
        person=person,
        agency_id=agency.pk if agency is not None else _acting_agency(person, document),
        action=action,
        channel=channel,
        at=timezone.now(),
    )
    if document.partnership_id is not None:
        # Partnership working while withdrawn is a breach; the detectors' watcher decides.
        watch.changed(
            watch.Change(
                alliance_id=document.alliance_id,
                verb="document.opened",
                target_type=document._meta.label_lower,
                target_id=document.pk,
                agency_id=access.agency_id,
                payload={"partnership": document.partnership_id},
            )
        )
    return access


@transaction.atomic
def barrier_attempt_record(
    *,
    person: User,
    document: Document,
    action: str,
    channel: str,
    agency: Agency | None = None,
) -> BarrierAttempt:
    """A member asked for a paper hidden from them; the breach detectors read these.

    `agency` is the one the person was acting for, when the caller knows it.
    """
    attempt = BarrierAttempt.objects.create(
        alliance_id=document.alliance_id,
        document=document,
        person=person,
        agency_id=agency.pk if agency is not None else _acting_agency(person, document),
        action=action,
        channel=channel,
        at=timezone.now(),
    )
    audit.record(
        alliance=document.alliance,
        actor=person,
        verb="barrier.attempt",
        target=document,
        agency=agency if agency is not None else attempt.agency,
        payload={"action": action, "channel": channel},
    )
    return attempt
