"""The append-only, hash-chained audit trail.

Each alliance has its own chain: an event's hash covers its fields and the previous
event's hash, so changing, reordering or deleting a stored event breaks every later link.
Services call `record` inside their transaction; nothing else writes AuditEvent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from kiaa import watch
from kiaa.models import Agency, Alliance, AuditEvent, AuditHead, User

GENESIS_HASH = "0" * 64


def _number(text: str) -> float | int:
    # PostgreSQL's jsonb gives integral floats back as integers (1e16 -> 10000000000000000);
    # store them as integers so the payload read back hashes as it did when recorded.
    value = float(text)
    return int(value) if value.is_integer() else value


def _canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload exactly as the JSON column will give it back (dates as strings)."""
    loaded: dict[str, Any] = json.loads(
        json.dumps(payload, cls=DjangoJSONEncoder), parse_float=_number
    )
    return loaded


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the event's recorded fields and the hash of the event before it."""
    body = {
        "alliance": event.alliance_id,
        "seq": event.seq,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "actor": event.actor_id,
        "agency": event.agency_id,
        "verb": event.verb,
        "target": [event.target_type, event.target_id, event.target_repr],
        "payload": event.payload,
        "prev": event.prev_hash,
    }
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(encoded.encode()).hexdigest()


def chain_start(alliance: Alliance) -> None:
    """Create the alliance's chain head; called once, when the alliance is created."""
    AuditHead.objects.create(alliance=alliance, last_hash=GENESIS_HASH)


@dataclass(frozen=True)
class Entry:
    """One event of a batch (`record_many`): what it is about, for which agency, and details."""

    target: models.Model
    agency_id: int | None = None
    payload: dict[str, Any] | None = None


def record(
    *,
    alliance: Alliance,
    actor: User | None,
    verb: str,
    target: models.Model,
    agency: Agency | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the alliance's chain, in the caller's transaction."""
    entry = Entry(target, agency.pk if agency else None, payload)
    return record_many(alliance=alliance, actor=actor, verb=verb, entries=[entry])[0]


def record_many(
    *, alliance: Alliance, actor: User | None, verb: str, entries: Sequence[Entry]
) -> list[AuditEvent]:
    """Append an event per entry, in order, to the alliance's chain, in the caller's
    transaction: three statements for the batch (a first breach detection records hundreds),
    where `record` in a loop would take three per event."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the service's transaction")
    if not entries:
        return []
    # Lock the head: two concurrent appends would otherwise both link to the same event.
    head = lock_head(alliance)
    now = timezone.now()
    events = []
    for entry in entries:
        event = AuditEvent(
            alliance=alliance,
            seq=head.last_seq + 1,
            created_at=now,
            actor=actor,
            agency_id=entry.agency_id,
            verb=verb,
            target_type=entry.target._meta.label_lower,
            target_id=str(entry.target.pk),
            target_repr=str(entry.target)[:200],
            payload=_canonical(entry.payload or {}),
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(event)
        events.append(event)
        head.last_seq, head.last_hash = event.seq, event.hash
    AuditEvent.objects.bulk_create(events)
    head.save(update_fields=["last_seq", "last_hash"])
    for entry, event in zip(entries, events, strict=True):
        watch.changed(
            watch.Change(
                alliance_id=alliance.pk,
                verb=verb,
                target_type=event.target_type,
                target_id=entry.target.pk,
                agency_id=event.agency_id,
                payload=event.payload,
            )
        )
    return events


def lock_head(alliance: Alliance) -> AuditHead:
    """The alliance's chain head, locked until the caller's transaction ends: held, it also
    makes other writers of the alliance's audited facts wait their turn."""
    return AuditHead.objects.select_for_update().get(alliance=alliance)


@dataclass(frozen=True)
class BrokenLink:
    """Where and why an alliance's chain stops proving itself."""

    alliance: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"{self.alliance}: event #{self.seq}: {self.reason}"


def verify(alliance: Alliance) -> BrokenLink | None:
    """Walk the alliance's chain in order; return the first broken link, or None if intact."""
    expected_seq, prev_hash = 1, GENESIS_HASH
    events = AuditEvent.objects.for_alliance(alliance).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return BrokenLink(alliance.slug, expected_seq, "missing (deleted or out of order)")
        if event.prev_hash != prev_hash:
            return BrokenLink(alliance.slug, event.seq, "does not link to the event before it")
        if event_hash(event) != event.hash:
            return BrokenLink(alliance.slug, event.seq, "contents changed after it was recorded")
        expected_seq, prev_hash = event.seq + 1, event.hash
    head = AuditHead.objects.get(alliance=alliance)
    if head.last_seq != expected_seq - 1 or head.last_hash != prev_hash:
        return BrokenLink(alliance.slug, expected_seq, "missing (the end of the chain was deleted)")
    return None


def verify_all() -> list[BrokenLink]:
    """Verify every alliance's chain; the broken links, one per broken alliance."""
    links = (verify(alliance) for alliance in Alliance.objects.order_by("slug"))
    return [link for link in links if link is not None]
