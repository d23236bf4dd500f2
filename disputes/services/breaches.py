"""Recording what the detectors find: one Breach per situation, audited, and people told.

Detection runs in one transaction per alliance, so a run's breaches and their audit events
commit together. Two runs at once cannot both record a situation: each records new breaches
holding the alliance's audit chain head, and looks again under it (the unique (kind, key)
constraint stands behind that).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from disputes.detectors import DETECTORS
from disputes.findings import EVERYTHING, Detector, Finding, Scope
from disputes.links import breach_url, breaches_url
from disputes.models import Breach
from kiaa import audit
from kiaa.models import Agency, Alliance, Membership, Role
from kiaa.services.notifications import Message, notify_each

VERB = "breach.detected"
# A person hears of each new breach of a run, up to this many; past it, of how many there are.
TELL_EACH_UP_TO = 10
# Breaches still before the arbiter: only these have their evidence refreshed or are cleared.
UNDECIDED = (Breach.Status.OPEN, Breach.Status.UNDER_REVIEW)


@dataclass
class Outcome:
    """What one run did, for the command's report and the tests."""

    found: int = 0
    created: list[Breach] = field(default_factory=list)
    updated: int = 0
    cleared: int = 0


def breaches_detect(
    *,
    alliance: Alliance,
    scope: Scope = EVERYTHING,
    kinds: Iterable[str] | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Run the detectors over the scope and record their findings; idempotent."""
    now = now or timezone.now()
    wanted = set(kinds) if kinds is not None else None
    outcome = Outcome()
    with transaction.atomic():
        for detector in DETECTORS:
            if scope.covers(detector.dimension) and (wanted is None or detector.kind in wanted):
                findings = list(detector.detect(alliance, scope, now))
                _record(alliance, detector, scope, findings, now, outcome)
        _tell(alliance, outcome.created)
    return outcome


def _record(
    alliance: Alliance,
    detector: Detector,
    scope: Scope,
    findings: list[Finding],
    now: datetime,
    outcome: Outcome,
) -> None:
    keys = [f.key for f in findings]
    known = {
        b.key: b
        for b in Breach.objects.for_alliance(alliance)
        .filter(kind=detector.kind, key__in=keys)
        .select_related("alliance")
    }
    outcome.found += len(findings)
    new: dict[str, Finding] = {}
    for finding in findings:
        breach = known.get(finding.key)
        if breach is None:
            new.setdefault(finding.key, finding)
        elif breach.status in UNDECIDED and _refresh(breach, finding):
            outcome.updated += 1
    outcome.created += _create(alliance, detector.kind, list(new.values()), now)
    if detector.ongoing:
        outcome.cleared += _clear(alliance, detector, scope, keys, now)


def _create(alliance: Alliance, kind: str, findings: list[Finding], now: datetime) -> list[Breach]:
    """Record new breaches with their audit events: a few statements however many there are
    (a first run over an alliance may find hundreds).

    The audit chain's head is locked before the keys are looked up again: a concurrent run
    records its breaches under the same lock, so what it committed meanwhile is found here
    rather than recorded twice.
    """
    if not findings:
        return []
    audit.lock_head(alliance)
    taken = set(
        Breach.objects.for_alliance(alliance)
        .filter(kind=kind, key__in=[f.key for f in findings])
        .values_list("key", flat=True)
    )
    breaches = Breach.objects.bulk_create(
        Breach(
            alliance=alliance,
            kind=finding.kind,
            key=finding.key,
            agency_id=finding.agency_id,
            tender_id=finding.tender_id,
            partnership_id=finding.partnership_id,
            declaration_id=finding.declaration_id,
            summary=finding.summary[:300],
            evidence=finding.evidence,
            occurred_at=finding.occurred_at,
            detected_at=now,
        )
        for finding in findings
        if finding.key not in taken
    )
    entries = [audit.Entry(b, b.agency_id, {"kind": b.kind, "key": b.key}) for b in breaches]
    audit.record_many(alliance=alliance, actor=None, verb=VERB, entries=entries)
    return breaches


def _refresh(breach: Breach, finding: Finding) -> bool:
    """Bring an undecided breach's account up to date (more activity, or the situation back)."""
    fields = []
    if breach.evidence != finding.evidence or breach.summary != finding.summary[:300]:
        breach.evidence, breach.summary = finding.evidence, finding.summary[:300]
        fields += ["evidence", "summary"]
    if breach.cleared_at is not None:
        breach.cleared_at = None
        fields.append("cleared_at")
    if not fields:
        return False
    breach.save(update_fields=fields)
    _audit(breach, "breach.updated", changed=fields)
    return True


def _clear(
    alliance: Alliance, detector: Detector, scope: Scope, found: list[str], now: datetime
) -> int:
    """Mark cleared the detector's undecided breaches in scope whose situation has ended."""
    stale: QuerySet[Breach] = Breach.objects.for_alliance(alliance).filter(
        kind=detector.kind, status__in=UNDECIDED, cleared_at__isnull=True
    )
    ids = scope.ids(detector.dimension) if detector.dimension != "alliance" else None
    if ids is not None:
        column = {"tenders": "tender_id", "partnerships": "partnership_id"}[detector.dimension]
        stale = stale.filter(**{f"{column}__in": ids})
    cleared = 0
    for breach in stale.exclude(key__in=found).select_related("alliance").order_by("pk"):
        breach.cleared_at = now
        breach.save(update_fields=["cleared_at"])
        _audit(breach, "breach.cleared")
        cleared += 1
    return cleared


def _audit(breach: Breach, verb: str, **payload: object) -> None:
    entry = audit.Entry(breach, breach.agency_id, payload)
    audit.record_many(alliance=breach.alliance, actor=None, verb=verb, entries=[entry])


def _tell(alliance: Alliance, breaches: list[Breach]) -> None:
    """The arbiter and the alliance's admins hear of each new breach, and so does the agency's
    chief officer; a person who would hear of more than TELL_EACH_UP_TO from one run (a first
    run over an alliance may find hundreds) hears once, with how many of each kind and a link
    to them in the register.

    Two reads and one insert for the whole run, however many it found.
    """
    if not breaches:
        return
    people = (
        Membership.objects.for_alliance(alliance)
        .filter(user__is_active=True)
        .filter(
            Q(role=Role.ARBITER, agency__is_arbiter=True)
            | Q(role=Role.ALLIANCE_ADMIN)
            | Q(role=Role.CHIEF_OFFICER, agency_id__in={b.agency_id for b in breaches})
        )
        .values_list("user_id", "agency_id", "role")
        .distinct()
        .order_by("agency_id", "user_id")
    )
    arbiters, admins = [], []
    chiefs: dict[int, list[int]] = defaultdict(list)
    for user_id, agency_id, role in people:
        if role == Role.ARBITER:
            arbiters.append((user_id, agency_id))
        elif role == Role.ALLIANCE_ADMIN:
            admins.append(user_id)
        else:
            chiefs[agency_id].append(user_id)
    names = dict(
        Agency.objects.filter(pk__in={b.agency_id for b in breaches}).values_list("pk", "name")
    )
    messages: list[Message] = []
    if len(breaches) > TELL_EACH_UP_TO:
        title, body = _counted(breaches, "found in the alliance's records")
        url = breaches_url(alliance, status=Breach.Status.OPEN)
        messages += [Message(u, VERB, title, body, url, a) for u, a in arbiters]
        messages += [Message(u, VERB, title, body, url) for u in admins]
    else:
        for breach in breaches:
            title, url = f"Possible breach: {breach.get_kind_display()}", breach_url(breach)
            messages += [Message(u, VERB, title, breach.summary, url, a) for u, a in arbiters]
            messages += [Message(u, VERB, title, "", url) for u in admins]
    by_agency: dict[int, list[Breach]] = defaultdict(list)
    for breach in breaches:
        if breach.agency_id is not None:
            by_agency[breach.agency_id].append(breach)
    for agency, theirs in by_agency.items():
        messages += _to_chiefs(alliance, agency, names[agency], theirs, chiefs[agency])
    notify_each(alliance=alliance, messages=messages)


def _to_chiefs(
    alliance: Alliance, agency: int, name: str, breaches: list[Breach], chiefs: list[int]
) -> list[Message]:
    if len(breaches) > TELL_EACH_UP_TO:
        title, body = _counted(breaches, f"by {name} in the alliance's records")
        url = breaches_url(alliance, status=Breach.Status.OPEN, agency=agency)
        return [Message(u, VERB, title, body, url, agency) for u in chiefs]
    own = f"The alliance's records show a possible breach by {name}"
    return [
        Message(u, VERB, own, breach.summary, breach_url(breach), agency)
        for breach in breaches
        for u in chiefs
    ]


def _counted(breaches: list[Breach], where: str) -> tuple[str, str]:
    """A notice of many breaches: how many, then how many of each kind."""
    kinds = Counter(breach.get_kind_display() for breach in breaches)
    title = f"{len(breaches):,} possible breaches {where}"
    body = "; ".join(f"{kind}: {n:,}" for kind, n in sorted(kinds.items())) + "."
    return title, body
