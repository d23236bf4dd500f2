"""The tender register: opportunities put on it, kept up to date, closed, cancelled and awarded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from bids import permissions as can
from bids.models import Tender, TenderServiceArea
from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, Alliance, User
from kiaa.permissions import roles_of
from kiaa.plausible import check_plausible
from kiaa.services.alliances import service_areas_named

NOT_ALLOWED = "Only an alliance admin or a chief officer can put a tender on the register."
NOT_ADMIN = "Only an alliance admin can change the tender register."
REFERENCE_REQUIRED = "Give the commissioner's reference for this tender."
REFERENCE_TAKEN = "The register already has a tender with the reference {reference}."
TITLE_REQUIRED = "Give the tender a title."
COMMISSIONER_REQUIRED = "Name the commissioner (the body buying the service)."
EOI_AFTER_SUBMISSION = "The expression-of-interest deadline comes before the submission deadline."
INCUMBENT_ELSEWHERE = "The incumbent must be a member agency of this alliance."
CLOSED_FOR_EDITS = "This tender is {status}: its details can no longer change."
BAD_TRANSITION = "This tender is {current}; it cannot become {target}."


@dataclass(frozen=True)
class TenderDetails:
    """What describes an opportunity, as given by a person or an OCDS release."""

    reference: str
    title: str
    commissioner: str
    description: str = ""
    value_pence: int | None = None
    eoi_deadline: datetime | None = None
    submission_deadline: datetime | None = None
    award_expected_on: date | None = None
    incumbent_agency: Agency | None = None


def validate(alliance: Alliance, details: TenderDetails, *, tender: Tender | None = None) -> None:
    """The register's rules for a tender's details (a clear message on the field at fault)."""
    if not details.reference.strip():
        raise DomainError(REFERENCE_REQUIRED, field="reference")
    taken = Tender.objects.for_alliance(alliance).filter(
        reference__iexact=details.reference.strip()
    )
    if tender is not None:
        taken = taken.exclude(pk=tender.pk)
    if taken.exists():
        raise DomainError(REFERENCE_TAKEN.format(reference=details.reference), field="reference")
    if not details.title.strip():
        raise DomainError(TITLE_REQUIRED, field="title")
    if not details.commissioner.strip():
        raise DomainError(COMMISSIONER_REQUIRED, field="commissioner")
    eoi, submission = details.eoi_deadline, details.submission_deadline
    check_plausible(eoi, field="eoi_deadline")
    check_plausible(submission, field="submission_deadline")
    check_plausible(details.award_expected_on, field="award_expected_on")
    if eoi and submission and eoi > submission:
        raise DomainError(EOI_AFTER_SUBMISSION, field="eoi_deadline")
    incumbent = details.incumbent_agency
    if incumbent is not None and incumbent.alliance_id != alliance.pk:
        raise DomainError(INCUMBENT_ELSEWHERE, field="incumbent_agency")


@transaction.atomic
def tender_register(
    *,
    actor: User,
    alliance: Alliance,
    details: TenderDetails,
    service_areas: Iterable[str] = (),
    ocid: str = "",
) -> Tender:
    """Put an opportunity on the register, open for declarations."""
    roles = roles_of(actor, alliance)
    if not can.can_register_tender(roles):
        raise DomainError(NOT_ALLOWED, Code.FORBIDDEN)
    validate(alliance, details)
    areas = service_areas_named(alliance, service_areas)
    now = timezone.now()
    tender = Tender.objects.create(
        alliance=alliance,
        ocid=ocid,
        origin=Tender.Origin.OCDS if ocid else Tender.Origin.REGISTERED,
        created_by=actor,
        created_at=now,
        updated_at=now,
        **_cleaned(details),
    )
    _set_areas(tender, [a.pk for a in areas])
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="tender.registered",
        target=tender,
        payload={**_payload(tender), "service_areas": sorted(a.slug for a in areas)},
    )
    return tender


@transaction.atomic
def tender_update(
    *,
    actor: User,
    tender: Tender,
    details: TenderDetails,
    service_areas: Iterable[str] | None = None,
) -> list[str]:
    """Change a tender's details (an admin, or an OCDS update); returns the fields that changed."""
    if not can.can_manage_tender(roles_of(actor, tender.alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    if tender.status in (Tender.Status.AWARDED, Tender.Status.CANCELLED):
        raise DomainError(
            CLOSED_FOR_EDITS.format(status=tender.get_status_display().lower()), Code.CONFLICT
        )
    validate(tender.alliance, details, tender=tender)
    before = _payload(tender)
    for name, value in _cleaned(details).items():
        setattr(tender, name, value)
    changed = [name for name, value in _payload(tender).items() if before[name] != value]
    if service_areas is not None:
        wanted = {a.pk for a in service_areas_named(tender.alliance, service_areas)}
        if wanted != set(tender.service_areas.values_list("pk", flat=True)):
            _set_areas(tender, sorted(wanted))
            changed.append("service_areas")
    if not changed:
        return []
    tender.updated_at = timezone.now()
    tender.save()
    audit.record(
        alliance=tender.alliance,
        actor=actor,
        verb="tender.updated",
        target=tender,
        payload={"changed": changed, "before": before, "after": _payload(tender)},
    )
    return changed


def move(tender: Tender, target: str) -> None:
    """Change the status if the current one allows it (locked by the caller)."""
    if target not in Tender.ALLOWED_TRANSITIONS[Tender.Status(tender.status)]:
        raise DomainError(
            BAD_TRANSITION.format(
                current=tender.get_status_display().lower(),
                target=Tender.Status(target).label.lower(),
            ),
            Code.CONFLICT,
        )
    tender.status = target
    tender.updated_at = timezone.now()


@transaction.atomic
def tender_close(*, actor: User, tender: Tender) -> Tender:
    """Submissions are closed; declarations stand until the award."""
    return _set_status(actor, tender, Tender.Status.CLOSED, "tender.closed")


@transaction.atomic
def tender_reopen(*, actor: User, tender: Tender) -> Tender:
    """The commissioner extended the deadline: the tender takes submissions again."""
    return _set_status(actor, tender, Tender.Status.OPEN, "tender.reopened")


def _set_status(actor: User, tender: Tender, target: str, verb: str) -> Tender:
    if not can.can_manage_tender(roles_of(actor, tender.alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    move(tender, target)
    tender.save(update_fields=["status", "updated_at"])
    audit.record(alliance=tender.alliance, actor=actor, verb=verb, target=tender)
    return tender


def _cleaned(details: TenderDetails) -> dict[str, object]:
    values = {f.name: getattr(details, f.name) for f in fields(details)}
    for name in ("reference", "title", "commissioner", "description"):
        values[name] = str(values[name]).strip()
    return values


def _payload(tender: Tender) -> dict[str, object]:
    return {
        "reference": tender.reference,
        "title": tender.title,
        "commissioner": tender.commissioner,
        "description": tender.description,
        "value_pence": tender.value_pence,
        "eoi_deadline": tender.eoi_deadline,
        "submission_deadline": tender.submission_deadline,
        "award_expected_on": tender.award_expected_on,
        "incumbent_agency": tender.incumbent_agency_id,
    }


def _set_areas(tender: Tender, area_ids: list[int]) -> None:
    TenderServiceArea.objects.filter(tender=tender).delete()
    TenderServiceArea.objects.bulk_create(
        TenderServiceArea(alliance_id=tender.alliance_id, tender=tender, service_area_id=pk)
        for pk in area_ids
    )
