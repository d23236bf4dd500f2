"""Importing tenders from an Open Contracting (OCDS 1.1) release package, with a report of each.

A package is how UK public notices (Find a Tender, Contracts Finder) are published. Each OCID
is one tender; its latest release says what the tender is now. Every release is read on its
own: one that cannot be read is reported with its reasons and the rest of the file still
imports. What the importer did is kept as a TenderImport with its report, audited once.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bids import permissions as can
from bids.models import Tender, TenderImport
from bids.services.outcomes import tender_cancel
from bids.services.tenders import TenderDetails, tender_close, tender_register, tender_update
from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Alliance, ServiceArea, User
from kiaa.permissions import roles_of

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PENCE = 2**63 - 1  # what the value column holds
MIN_YEAR, MAX_YEAR = 1990, 2200

# The whole file is refused, and nothing written:
NOT_ADMIN = "Only an alliance admin can import tenders."
FILE_TOO_LARGE = (
    f"The file is larger than {MAX_FILE_BYTES // 2**20} MB; "
    "split the release package and import each part."
)
FILE_NOT_JSON = "The file is not valid JSON in UTF-8; an OCDS release package is a JSON file."
NOT_A_PACKAGE = (
    'The file is not an OCDS release package: it needs an object with a "releases" list.'
)
NO_RELEASES = "The release package has no releases."

# One release is refused (a reason in the report):
NOT_A_RELEASE = "The release is not a JSON object."
NO_OCID = "The release has no ocid."
NO_TITLE = "The tender has no title (tender.title)."
NO_BUYER = 'The release names no buyer (buyer.name, or a party with the role "buyer").'
NOT_GBP = "The value is in {currency}; the register holds values in pounds sterling (GBP) only."
BAD_AMOUNT = "The value (tender.value.amount) is not a number of pounds the register can hold."
BAD_DATE = "{field} is not an ISO 8601 date and time: {value!r}."
DATE_OUT_OF_RANGE = "{field} is not a date the register can hold: {value!r}."
TOO_LONG = "{field} is longer than the register allows ({limit} characters)."
CANCELLED_BEFORE_REGISTER = "The tender was cancelled before it reached the register."
ALREADY_FINAL = "The tender is already {status} on the register."
RACED = "The register changed while this release was read; import the file again."

# Told about, but imported (a note in the report):
NO_CPV_CODES = "The release gives no CPV codes: add service areas on the tender page."
NO_AREA_MATCHED = "No service area matched CPV codes {codes}: add them on the tender page."
UNKNOWN_STATUS = "The tender status {status!r} is not one the register knows; status left as it is."
CLOSED_BY_NOTICE = "Closed for submissions: the notice says the tender is complete."
CANCELLED_BY_NOTICE = (
    "Cancelled: the notice says the tender is {status} (every live bid for it is withdrawn)."
)
REOPEN_NOT_APPLIED = "The notice says the tender is open; not applied: reopen it on the register."

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
KINDS = (CREATED, UPDATED, UNCHANGED, REJECTED)

STATUS_FROM_OCDS = {
    "planning": Tender.Status.OPEN,
    "planned": Tender.Status.OPEN,
    "active": Tender.Status.OPEN,
    "complete": Tender.Status.CLOSED,
    "cancelled": Tender.Status.CANCELLED,
    "unsuccessful": Tender.Status.CANCELLED,
    "withdrawn": Tender.Status.CANCELLED,
}
EARLIEST = datetime.min.replace(tzinfo=UTC)


class Rejected(Exception):
    """A release the register cannot take, with every reason found."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Mapped:
    """What one release says about its tender, in the register's terms."""

    ocid: str
    details: TenderDetails
    status: str | None  # the register status the notice implies; None when it says none we know
    notice_status: str  # tender.status as published
    cpv_codes: list[str]
    notes: list[str]


@dataclass
class Outcome:
    """What happened to one tender of the file: one entry of the report."""

    kind: str
    ocid: str
    reference: str
    title: str
    tender_id: int | None = None
    notes: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        """The report's JSON for this outcome."""
        entry: dict[str, Any] = {
            "ocid": self.ocid,
            "reference": self.reference,
            "title": self.title,
            "tender_id": self.tender_id,
            "notes": self.notes,
        }
        if self.kind == UPDATED:
            entry["changed"] = self.changed
        if self.kind == REJECTED:
            entry["reasons"] = self.reasons
        return entry


@dataclass(frozen=True)
class Run:
    """What every release of one import shares: who, where, the areas, the tenders already there."""

    actor: User
    alliance: Alliance
    areas: dict[str, list[str]]  # service area slug -> CPV prefixes (digits)
    existing: dict[str, Tender]  # ocid -> the alliance's tender

    def areas_for(self, codes: list[str]) -> list[str]:
        """Slugs of the service areas whose CPV prefixes start any of these codes."""
        return sorted(
            slug
            for slug, prefixes in self.areas.items()
            if any(code.startswith(prefix) for code in codes for prefix in prefixes)
        )


@transaction.atomic
def tenders_import(*, actor: User, alliance: Alliance, file_name: str, data: bytes) -> TenderImport:
    """Read an OCDS release package into the alliance's register and keep the report."""
    if not can.can_manage_tender(roles_of(actor, alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    releases = package_releases(data)
    latest = latest_per_ocid(releases)
    ocids = {_text(r.get("ocid")) for r in latest if isinstance(r, dict)} - {""}
    # One transaction for the whole file, so the report never disagrees with the register;
    # each release has its own savepoint, so a rejected one leaves nothing behind.
    run = Run(
        actor=actor,
        alliance=alliance,
        areas=_areas_by_cpv(alliance),
        existing={t.ocid: t for t in Tender.objects.for_alliance(alliance).filter(ocid__in=ocids)},
    )
    outcomes = [_import_one(run, release) for release in latest]
    return _record(run, file_name, outcomes, releases=len(releases))


def package_releases(data: bytes) -> list[Any]:
    """The releases of a package file, or a DomainError on the file saying why it is not one."""
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(FILE_TOO_LARGE, field="file")
    try:
        package = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DomainError(FILE_NOT_JSON, field="file") from None
    if not isinstance(package, dict) or not isinstance(package.get("releases"), list):
        raise DomainError(NOT_A_PACKAGE, field="file")
    if not package["releases"]:
        raise DomainError(NO_RELEASES, field="file")
    return package["releases"]


def _no_constant(name: str) -> None:
    """Refuse NaN and Infinity: not JSON, though Python's parser takes them."""
    raise ValueError(name)


def latest_per_ocid(releases: list[Any]) -> list[Any]:
    """One release per OCID, in file order: the latest by date, a tie going to the later one."""
    latest: dict[tuple[str, object], tuple[datetime, Any]] = {}
    for index, release in enumerate(releases):
        ocid = _text(release.get("ocid")) if isinstance(release, dict) else ""
        # A release without an ocid stands alone, to be reported as rejected.
        key: tuple[str, object] = ("ocid", ocid) if ocid else ("index", index)
        when = _release_date(release)
        if key not in latest or when >= latest[key][0]:
            latest[key] = (when, release)
    return [release for _, release in latest.values()]


def _release_date(release: Any) -> datetime:
    """When a release was published; one without a readable date counts as the earliest."""
    value = release.get("date") if isinstance(release, dict) else None
    return _moment(value, "date", problems=[]) or EARLIEST


def _import_one(run: Run, release: Any) -> Outcome:
    """Create or update the tender of one release, or report why not; atomic on its own."""
    ocid, reference, title = _labels(release)
    existing = run.existing.get(ocid)
    try:
        mapped = map_release(release)
        with transaction.atomic():
            if existing is None:
                return _create(run, mapped)
            return _update(run, mapped, existing)
    except Rejected as refused:
        reasons = refused.reasons
    except DomainError as refused:
        reasons = [refused.message]
    except IntegrityError:
        # Another import of the same notice committed first (the ocid or reference is taken).
        reasons = [RACED]
    tender_id = existing.pk if existing is not None else None
    return Outcome(REJECTED, ocid, reference, title, tender_id=tender_id, reasons=reasons)


def _create(run: Run, mapped: Mapped) -> Outcome:
    """Put a new OCID on the register (closed at once when the notice says it is complete)."""
    if mapped.status == Tender.Status.CANCELLED:
        raise Rejected([CANCELLED_BEFORE_REGISTER])
    slugs = run.areas_for(mapped.cpv_codes)
    tender = tender_register(
        actor=run.actor,
        alliance=run.alliance,
        details=mapped.details,
        service_areas=slugs,
        ocid=mapped.ocid,
    )
    notes = [*mapped.notes, *_area_notes(mapped.cpv_codes, slugs)]
    if mapped.status == Tender.Status.CLOSED:
        tender_close(actor=run.actor, tender=tender)
        notes.append(CLOSED_BY_NOTICE)
    return _outcome(CREATED, mapped, tender, notes=notes)


def _update(run: Run, mapped: Mapped, tender: Tender) -> Outcome:
    """Bring an OCID already on the register up to date with its latest release."""
    if tender.status in (Tender.Status.AWARDED, Tender.Status.CANCELLED):
        raise Rejected([ALREADY_FINAL.format(status=tender.get_status_display().lower())])
    # The import adds the areas it finds and never drops one set by hand; OCDS names no
    # incumbent, so the one on the register stays.
    have = set(tender.service_areas.values_list("slug", flat=True))
    slugs = sorted(have | set(run.areas_for(mapped.cpv_codes)))
    details = replace(mapped.details, incumbent_agency=tender.incumbent_agency)
    changed = tender_update(actor=run.actor, tender=tender, details=details, service_areas=slugs)
    notes = [*mapped.notes, *_area_notes(mapped.cpv_codes, slugs)]
    if mapped.status == Tender.Status.CLOSED and tender.status == Tender.Status.OPEN:
        tender_close(actor=run.actor, tender=tender)
        changed.append("status")
    elif mapped.status == Tender.Status.CANCELLED:
        note = CANCELLED_BY_NOTICE.format(status=mapped.notice_status)
        tender_cancel(actor=run.actor, tender=tender, reason=note)
        notes.append(note)
        changed.append("status")
    elif mapped.status == Tender.Status.OPEN and tender.status == Tender.Status.CLOSED:
        notes.append(REOPEN_NOT_APPLIED)
    kind = UPDATED if changed else UNCHANGED
    return _outcome(kind, mapped, tender, notes=notes, changed=changed)


def _outcome(kind: str, mapped: Mapped, tender: Tender, **extra: Any) -> Outcome:
    """The report entry of a tender the release was applied to."""
    details = mapped.details
    return Outcome(kind, mapped.ocid, details.reference, details.title, tender.pk, **extra)


def _area_notes(codes: list[str], slugs: list[str]) -> list[str]:
    """A note asking for service areas by hand when the CPV codes found none."""
    if slugs:
        return []
    if not codes:
        return [NO_CPV_CODES]
    return [NO_AREA_MATCHED.format(codes=", ".join(codes))]


def map_release(release: Any) -> Mapped:
    """The tender a release describes, or Rejected with every reason it cannot be taken."""
    if not isinstance(release, dict):
        raise Rejected([NOT_A_RELEASE])
    tender = _object(release.get("tender"))
    problems: list[str] = []
    ocid, reference, title = _labels(release)
    commissioner = _buyer(release)
    for value, missing in ((ocid, NO_OCID), (title, NO_TITLE), (commissioner, NO_BUYER)):
        if not value:
            problems.append(missing)
    problems += _too_long(ocid=ocid, reference=reference, title=title, commissioner=commissioner)
    details = TenderDetails(
        reference=reference,
        title=title,
        commissioner=commissioner,
        description=_text(tender.get("description")),
        value_pence=_value_pence(tender.get("value"), problems),
        eoi_deadline=_deadline(tender, "enquiryPeriod", problems),
        submission_deadline=_deadline(tender, "tenderPeriod", problems),
        award_expected_on=_award_expected_on(tender, problems),
    )
    status, notes = _status(tender)
    if problems:
        raise Rejected(problems)
    notice_status = _text(tender.get("status"))
    return Mapped(ocid, details, status, notice_status, _cpv_codes(tender), notes)


def _labels(release: Any) -> tuple[str, str, str]:
    """A release's ocid, reference (tender.id, else the ocid) and title, as far as it gives them."""
    if not isinstance(release, dict):
        return "", "", ""
    ocid = _text(release.get("ocid"))
    tender = _object(release.get("tender"))
    return ocid, _text(tender.get("id")) or ocid, _text(tender.get("title"))


def _buyer(release: dict[str, Any]) -> str:
    """The buyer's name: buyer.name, else the first party whose roles include "buyer"."""
    name = _text(_object(release.get("buyer")).get("name"))
    if name:
        return name
    for party in _list(release.get("parties")):
        party = _object(party)
        if "buyer" in _list(party.get("roles")) and _text(party.get("name")):
            return _text(party.get("name"))
    return ""


def _too_long(**values: str) -> list[str]:
    """A reason for each value longer than its column on the register."""
    problems = []
    for name, value in values.items():
        limit = getattr(Tender._meta.get_field(name), "max_length", None) or 0
        if len(value) > limit:
            problems.append(TOO_LONG.format(field=name, limit=limit))
    return problems


def _value_pence(value: Any, problems: list[str]) -> int | None:
    """The tender's value in whole pence, when given in pounds sterling."""
    value = _object(value)
    amount = value.get("amount")
    if amount is None:
        return None
    currency = _text(value.get("currency")).upper()
    if currency != "GBP":
        problems.append(NOT_GBP.format(currency=currency or "no currency"))
        return None
    # Checked before Decimal sees it: a huge amount would exceed its precision.
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        problems.append(BAD_AMOUNT)
        return None
    if not 0 <= amount * 100 <= MAX_PENCE:
        problems.append(BAD_AMOUNT)
        return None
    # Through the decimal text, so 0.005 pounds is half a penny, not a float just below it.
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _deadline(tender: dict[str, Any], period: str, problems: list[str]) -> datetime | None:
    """The end of one of the tender's periods (tenderPeriod, enquiryPeriod)."""
    value = _object(tender.get(period)).get("endDate")
    return _moment(value, f"tender.{period}.endDate", problems)


def _award_expected_on(tender: dict[str, Any], problems: list[str]) -> date | None:
    """The day the award is expected: awardPeriod's start, else the contract's."""
    for period in ("awardPeriod", "contractPeriod"):
        value = _object(tender.get(period)).get("startDate")
        if value not in (None, ""):
            moment = _moment(value, f"tender.{period}.startDate", problems)
            return timezone.localtime(moment).date() if moment else None
    return None


def _moment(value: Any, name: str, problems: list[str]) -> datetime | None:
    """An ISO 8601 date and time, aware (a naive one is in the project's time zone)."""
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but impossible, e.g. 30 February
        parsed = None
    if parsed is None:
        problems.append(BAD_DATE.format(field=name, value=str(value)[:40]))
        return None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        # Year 1 or 9999 would overflow on the way to local time and the database.
        problems.append(DATE_OUT_OF_RANGE.format(field=name, value=value[:40]))
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _status(tender: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The register status a tender.status implies, with a note when it is not one we know."""
    published = _text(tender.get("status"))
    if not published:
        return None, []
    status = STATUS_FROM_OCDS.get(published.lower())
    return status, [] if status else [UNKNOWN_STATUS.format(status=published[:40])]


def _cpv_codes(tender: dict[str, Any]) -> list[str]:
    """The tender's CPV codes, as digits without the check digit, in the order given."""
    found = [tender.get("classification"), *_list(tender.get("additionalClassifications"))]
    for item in _list(tender.get("items")):
        item = _object(item)
        found += [item.get("classification"), *_list(item.get("additionalClassifications"))]
    codes: list[str] = []
    for classification in map(_object, found):
        if _text(classification.get("scheme")).upper() == "CPV":
            code = cpv_digits(_text(classification.get("id")))
            if code and code not in codes:
                codes.append(code)
    return codes


def cpv_digits(code: str) -> str:
    """A CPV code or prefix as its digits: "85312310-5" -> "85312310" (no check digit)."""
    return "".join(c for c in code.split("-")[0] if c in string.digits)


def _areas_by_cpv(alliance: Alliance) -> dict[str, list[str]]:
    """The alliance's service areas that list CPV prefixes, as slug -> prefixes (digits)."""
    areas = ServiceArea.objects.for_alliance(alliance).only("slug", "cpv_codes")
    prefixes = {
        area.slug: [cpv_digits(p) for p in _list(area.cpv_codes) if isinstance(p, str)]
        for area in areas
    }
    return {slug: [p for p in found if p] for slug, found in prefixes.items() if any(found)}


def _record(run: Run, file_name: str, outcomes: list[Outcome], *, releases: int) -> TenderImport:
    """Keep the report and audit the import, in the import's transaction."""
    report: dict[str, Any] = {kind: [] for kind in KINDS}
    for outcome in outcomes:
        report[outcome.kind].append(outcome.entry())
    report.update(total=len(outcomes), releases=releases)
    tender_import = TenderImport.objects.create(
        alliance=run.alliance,
        file_name=file_name[: TenderImport._meta.get_field("file_name").max_length or 200],
        imported_by=run.actor,
        imported_at=timezone.now(),
        report=report,
    )
    counts = {kind: len(report[kind]) for kind in KINDS}
    audit.record(
        alliance=run.alliance,
        actor=run.actor,
        verb="tenders.imported",
        target=tender_import,
        payload={"file_name": tender_import.file_name, **counts, "total": len(outcomes)},
    )
    return tender_import


def _text(value: Any) -> str:
    """A JSON string (or integer, as some publishers write ids) as stripped text; else ""."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one in its place."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """A JSON array, or an empty one in its place."""
    return value if isinstance(value, list) else []
