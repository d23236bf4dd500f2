"""A tender's papers: each bid's own (for its team only) and the incumbent's TUPE information.

TUPE information goes to every declared bidder at one moment, with a receipt for each, and
never before that moment; a bidder who declares later receives it on declaring.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from bids import permissions as can
from bids.links import tender_url
from bids.models import Declaration, Tender, TenderPaper, TupeReceipt, TupeRelease
from bids.snapshot import bid_team
from kiaa import audit, barrier
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, User
from kiaa.permissions import roles_of
from kiaa.services.notifications import notify
from partnerships.models import Document
from partnerships.services.documents import document_store

NOT_IN_TEAM = "Only the bid team's chief officers and staff share its papers."
NOT_YOUR_AGENCY = "Share papers for an agency you work for."
BID_CLOSED = "This bid has been {status}: it takes no more papers."
NOT_INCUMBENT = "Only the incumbent's chief officer or staff share TUPE information."
NO_INCUMBENT = "This tender has no incumbent member agency, so there is no TUPE room."
TENDER_OVER = "This tender is {status}: its TUPE room is closed."
NOT_RELEASER = "Only the incumbent's chief officer or an alliance admin releases TUPE information."
ALREADY_RELEASED = "The TUPE information was released on {when:%-d %B %Y at %H:%M}."
NOTHING_TO_RELEASE = "Upload the TUPE information before releasing it."

TUPE_PAPERS = "TUPE information"


def reconcile_tender(tender: Tender) -> None:
    """Recompute who sees the tender's papers, in the caller's transaction (who is in which
    team and who has declared just changed)."""
    barrier.reconcile(Document.objects.filter(tender_paper__tender=tender))


@transaction.atomic
def bid_paper_upload(
    *,
    actor: User,
    declaration: Declaration,
    agency: Agency,
    title: str,
    upload: UploadedFile,
    sensitivity: str = Document.Sensitivity.COMMERCIAL,
) -> Document:
    """A bid's paper, commercial by default: its team sees it, a rival bidder never does."""
    roles = roles_of(actor, declaration.alliance)
    if agency.pk not in roles.acting_agency_ids:
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN, field="agency")
    if agency.pk not in bid_team(declaration) or not can.can_share_bid_papers(roles, [agency.pk]):
        raise DomainError(NOT_IN_TEAM, Code.FORBIDDEN)
    if declaration.status not in (*Declaration.LIVE, Declaration.Status.WON):
        status = declaration.get_status_display().lower()
        raise DomainError(BID_CLOSED.format(status=status), Code.CONFLICT)
    return document_store(
        actor=actor,
        alliance=declaration.alliance,
        agency=agency,
        title=title,
        sensitivity=sensitivity,
        upload=upload,
        attach=lambda document: _attach(document, declaration.tender, declaration),
    )


def _attach(
    document: Document, tender: Tender, declaration: Declaration | None
) -> dict[str, object]:
    TenderPaper.objects.create(
        alliance_id=document.alliance_id,
        document=document,
        tender=tender,
        declaration=declaration,
        kind=TenderPaper.Kind.BID if declaration else TenderPaper.Kind.TUPE,
    )
    return {"tender": tender.pk, "declaration": declaration.pk if declaration else None}


@transaction.atomic
def tupe_paper_upload(*, actor: User, tender: Tender, title: str, upload: UploadedFile) -> Document:
    """The incumbent puts its staff-transfer information in the room, unseen until release."""
    if tender.incumbent_agency is None:
        raise DomainError(NO_INCUMBENT, Code.CONFLICT)
    if not can.can_share_tupe(roles_of(actor, tender.alliance), tender):
        raise DomainError(NOT_INCUMBENT, Code.FORBIDDEN)
    if tender.status in (Tender.Status.AWARDED, Tender.Status.CANCELLED):
        status = tender.get_status_display().lower()
        raise DomainError(TENDER_OVER.format(status=status), Code.CONFLICT)
    return document_store(
        actor=actor,
        alliance=tender.alliance,
        agency=tender.incumbent_agency,
        title=title,
        sensitivity=Document.Sensitivity.COMMERCIAL,
        upload=upload,
        attach=lambda document: _attach(document, tender, None),
    )


@transaction.atomic
def tupe_release(*, actor: User, tender: Tender) -> TupeRelease:
    """Open the TUPE room to every declared bidder at the same moment, with a receipt each."""
    if not can.can_release_tupe(roles_of(actor, tender.alliance), tender):
        raise DomainError(NOT_RELEASER, Code.FORBIDDEN)
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    done = TupeRelease.objects.filter(tender=tender).first()
    if done is not None:
        raise DomainError(ALREADY_RELEASED.format(when=done.released_at), Code.CONFLICT)
    if not TenderPaper.objects.filter(tender=tender, kind=TenderPaper.Kind.TUPE).exists():
        raise DomainError(NOTHING_TO_RELEASE, Code.CONFLICT)
    release = TupeRelease.objects.create(
        alliance_id=tender.alliance_id, tender=tender, released_by=actor, released_at=timezone.now()
    )
    bidders = declared_bidders(tender)
    TupeReceipt.objects.bulk_create(
        TupeReceipt(
            alliance_id=tender.alliance_id,
            tender=tender,
            agency_id=a,
            received_at=release.released_at,
        )
        for a in sorted(bidders)
    )
    audit.record(
        alliance=tender.alliance,
        actor=actor,
        verb="tupe.released",
        target=tender,
        payload={"bidders": sorted(bidders)},
    )
    reconcile_tender(tender)
    _tell_released(tender, bidders)
    return release


def declared_bidders(tender: Tender) -> set[int]:
    """The agencies with a declaration the board approved (still bidding or decided)."""
    return set(
        Declaration.objects.filter(tender=tender, status__in=Declaration.PUBLIC).values_list(
            "agency_id", flat=True
        )
    )


def tupe_receive(declaration: Declaration) -> None:
    """A bidder declaring after the release receives the TUPE information on declaring."""
    release = TupeRelease.objects.filter(tender_id=declaration.tender_id).first()
    if release is None:
        return
    _, created = TupeReceipt.objects.get_or_create(
        alliance_id=declaration.alliance_id,
        tender_id=declaration.tender_id,
        agency_id=declaration.agency_id,
        defaults={"received_at": timezone.now()},
    )
    if created:
        _tell_released(declaration.tender, {declaration.agency_id})


def _tell_released(tender: Tender, agencies: set[int]) -> None:
    notify(
        alliance=tender.alliance,
        agencies=agencies,
        verb="tupe.released",
        title=f"TUPE information for {tender.reference} is available to you",
        body=(
            f"The incumbent's staff-transfer information for {tender.title} has been released "
            "to every declared bidder at the same moment."
        ),
        url=tender_url(tender),
    )
