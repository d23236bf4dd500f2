"""Creating alliances, their service areas and their member agencies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import uuid4

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from kiaa import audit
from kiaa.errors import Code, DomainError, check_fields
from kiaa.models import Agency, AgencyServiceArea, Alliance, Protocol, ServiceArea, User
from kiaa.permissions import can_manage_alliance, roles_of

NOT_ADMIN = "Only an alliance admin can do this."
SLUG_TAKEN = "An alliance with this address already exists."
AREA_EXISTS = "This alliance already has a service area with that name or slug."
AGENCY_EXISTS = "This alliance already has an agency with that name or charity number."
AREA_NEEDS_SLUG = "Give this service area a short address (slug) in Latin letters."
SLUG_LENGTH = ServiceArea._meta.get_field("slug").max_length or 60
UNKNOWN_AREAS = "Unknown service areas: {slugs}."
EXPULSION_NEEDS_RULING = (
    "An agency is expelled only through a recorded ruling or breach decision, not by editing it."
)
ARBITER_MUST_BE_ACTIVE = "The arbiter agency must be active."
AGENCY_FIELDS = (
    "name",
    "charity_number",
    "company_number",
    "size_band",
    "reach",
    "status",
    "may_arbitrate",
)
CPV_DIGITS = 8
BAD_CPV = "CPV codes are up to 8 digits, e.g. 85312310 or a prefix such as 853123."


def _require_admin(actor: User, alliance: Alliance) -> None:
    if not can_manage_alliance(roles_of(actor, alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)


@transaction.atomic
def alliance_create(*, name: str, slug: str, actor: User | None = None) -> Alliance:
    """Create a tenant with its audit chain and an (empty) protocol."""
    if Alliance.objects.filter(slug=slug).exists():
        raise DomainError(SLUG_TAKEN, field="slug")
    alliance = Alliance.objects.create(name=name, slug=slug)
    audit.chain_start(alliance)
    protocol = Protocol.objects.create(alliance=alliance)
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="alliance.created",
        target=alliance,
        payload={"name": name, "slug": slug, "protocol": protocol.pk},
    )
    return alliance


@transaction.atomic
def service_area_create(
    *, actor: User, alliance: Alliance, name: str, slug: str = "", cpv_codes: Iterable[str] = ()
) -> ServiceArea:
    """Add a field of work (e.g. debt advice) that agencies and tenders are tagged with; its CPV
    code prefixes let imported public notices find it."""
    _require_admin(actor, alliance)
    slug = slug or slugify(name)[:SLUG_LENGTH].strip("-")
    if not slug:
        raise DomainError(AREA_NEEDS_SLUG, field="slug")
    codes = sorted({c.strip() for c in cpv_codes if c.strip()})
    if any(not c.isdigit() or len(c) > CPV_DIGITS for c in codes):
        raise DomainError(BAD_CPV, field="cpv_codes")
    area = ServiceArea(alliance=alliance, name=name, slug=slug, cpv_codes=codes)
    check_fields(area, exclude=["alliance"])
    areas = ServiceArea.objects.for_alliance(alliance)
    if areas.filter(Q(slug=slug) | Q(name__iexact=name)).exists():
        raise DomainError(AREA_EXISTS, field="name")
    area.save()
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="service_area.created",
        target=area,
        payload={"name": name, "slug": slug, "cpv_codes": codes},
    )
    return area


def service_areas_named(alliance: Alliance, slugs: Iterable[str]) -> list[ServiceArea]:
    """The alliance's service areas with these slugs; an unknown slug is a field error."""
    wanted = set(slugs)
    found = list(ServiceArea.objects.for_alliance(alliance).filter(slug__in=wanted))
    missing = wanted - {a.slug for a in found}
    if missing:
        raise DomainError(
            UNKNOWN_AREAS.format(slugs=", ".join(sorted(missing))), field="service_areas"
        )
    return found


def _set_areas(agency: Agency, areas: list[ServiceArea]) -> None:
    AgencyServiceArea.objects.filter(agency=agency).exclude(service_area__in=areas).delete()
    have = set(
        AgencyServiceArea.objects.filter(agency=agency).values_list("service_area_id", flat=True)
    )
    AgencyServiceArea.objects.bulk_create(
        AgencyServiceArea(alliance_id=agency.alliance_id, agency=agency, service_area=a)
        for a in areas
        if a.pk not in have
    )


def _save_agency(agency: Agency) -> None:
    # The unique constraints (name ignoring case, charity number) are the guard, race-free.
    try:
        with transaction.atomic():
            agency.save()
    except IntegrityError:
        raise DomainError(AGENCY_EXISTS, field="name") from None


@transaction.atomic
def agency_create(
    *,
    actor: User | None,
    alliance: Alliance,
    name: str,
    size_band: str,
    reach: str,
    charity_number: str = "",
    company_number: str = "",
    service_areas: Iterable[str] = (),
    is_arbiter: bool = False,
) -> Agency:
    """Admit an agency to the alliance (actor None only for platform setup commands)."""
    if actor is not None:
        _require_admin(actor, alliance)
    areas = service_areas_named(alliance, service_areas)
    agency = Agency(
        alliance=alliance,
        name=name,
        size_band=size_band,
        reach=reach,
        charity_number=charity_number,
        company_number=company_number,
    )
    check_fields(agency, exclude=["alliance", "service_areas", "group"])
    if is_arbiter:
        _clear_arbiter(alliance)
        agency.is_arbiter = True
    agency.group = Group.objects.create(name=f"agency-{uuid4().hex}")
    _save_agency(agency)
    _set_areas(agency, areas)
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="agency.created",
        target=agency,
        agency=agency,
        payload={**_agency_fields(agency), "service_areas": sorted(a.slug for a in areas)},
    )
    return agency


def _agency_fields(agency: Agency) -> dict[str, Any]:
    return {f: getattr(agency, f) for f in (*AGENCY_FIELDS, "is_arbiter")}


def _clear_arbiter(alliance: Alliance) -> None:
    # One arbiter per alliance is a database constraint; moving the role clears the old one first.
    Agency.objects.for_alliance(alliance).filter(is_arbiter=True).update(is_arbiter=False)


@transaction.atomic
def agency_update(
    *, actor: User, agency: Agency, service_areas: Iterable[str] | None = None, **changes: Any
) -> Agency:
    """Change an agency's details, service areas, status (not expulsion), arbiter flag, or
    whether it may lend an arbiter when the CVS is a party."""
    _require_admin(actor, agency.alliance)
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    before = _agency_fields(agency)
    if (
        changes.get("status") == Agency.Status.EXPELLED
        and before["status"] != Agency.Status.EXPELLED
    ):
        raise DomainError(EXPULSION_NEEDS_RULING, Code.CONFLICT, field="status")
    is_arbiter = changes.pop("is_arbiter", None)
    for field in AGENCY_FIELDS:
        if field in changes:
            setattr(agency, field, changes[field])
    check_fields(agency, exclude=["alliance", "service_areas", "group"])
    if is_arbiter is not None and is_arbiter != agency.is_arbiter:
        if is_arbiter and agency.status != Agency.Status.ACTIVE:
            raise DomainError(ARBITER_MUST_BE_ACTIVE, field="is_arbiter")
        if is_arbiter:
            _clear_arbiter(agency.alliance)
        agency.is_arbiter = is_arbiter
    if agency.is_arbiter and agency.status != Agency.Status.ACTIVE:
        raise DomainError(ARBITER_MUST_BE_ACTIVE, field="status")
    _save_agency(agency)
    payload: dict[str, Any] = {
        k: [before[k], v] for k, v in _agency_fields(agency).items() if before[k] != v
    }
    if service_areas is not None:
        areas = service_areas_named(agency.alliance, service_areas)
        old = sorted(agency.service_areas.values_list("slug", flat=True))
        _set_areas(agency, areas)
        new = sorted(a.slug for a in areas)
        if old != new:
            payload["service_areas"] = [old, new]
    audit.record(
        alliance=agency.alliance,
        actor=actor,
        verb="agency.updated",
        target=agency,
        agency=agency,
        payload=payload,
    )
    return agency


NOT_ACTIVE = "{agency} is {status}: only an active member agency can {what}."


def not_active(agency: Agency, *, what: str) -> str:
    """Why an agency that is suspended or expelled may not do something (clause 6), in words."""
    status = agency.get_status_display().lower()
    return NOT_ACTIVE.format(agency=agency.name, status=status, what=what)


ALREADY_EXPELLED = "{agency} has already been expelled."
CANNOT_SANCTION_ARBITER = (
    "{agency} is the alliance's arbiter: move the arbiter role to another agency before "
    "suspending or expelling it."
)
SANCTIONS = (Agency.Status.SUSPENDED, Agency.Status.EXPELLED)


@transaction.atomic
def agency_sanction(
    *, actor: User, agency: Agency, status: str, authority: dict[str, Any]
) -> Agency:
    """Suspend or expel an agency on the authority of a reviewed breach, a ruling or a vote.

    Only the disputes services call this, once they have checked that authority (clause 6:
    a member's standing changes through the alliance's governing process, which `authority`
    records, never through an edit); the audit event keeps it with the change.
    """
    if status not in SANCTIONS:
        raise DomainError(f"Unknown sanction: {status}.", field="status")
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if agency.status == Agency.Status.EXPELLED:
        raise DomainError(ALREADY_EXPELLED.format(agency=agency.name), Code.CONFLICT)
    if agency.is_arbiter:
        raise DomainError(CANNOT_SANCTION_ARBITER.format(agency=agency.name), Code.CONFLICT)
    before = agency.status
    agency.status = status
    agency.save(update_fields=["status"])
    audit.record(
        alliance=agency.alliance,
        actor=actor,
        verb=f"agency.{status}",
        target=agency,
        agency=agency,
        payload={"status": [before, status], **authority},
    )
    return agency
