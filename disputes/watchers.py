"""Which changes send the detectors to work, and on what: registered with kiaa.watch.

A watcher runs inside the changing transaction and only writes an outbox message; the
detection itself runs after the commit, on a worker, over just the objects the change touched.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from kiaa import outbox, watch
from partnerships.models import Withdrawal

DETECT_TASK = "disputes.tasks.breaches_detect"

# Changes that can start or end a breach, by the object their audit event names.
VERBS = (
    "declaration.declared",
    "declaration.rejected",
    "declaration.withdrawn",
    "declaration.submitted",
    "declaration.partner_confirmed",
    "declaration.partner_declined",
    "declaration.partner_left",
    "tender.awarded",
    "tender.updated",
    "allocation.recorded",
    "withdrawal.started",
    "withdrawal.ended",
    "withdrawal.end_set",
    "document.uploaded",
    "mou.saved",
    "mou.signed",
    "partnership.joined",
    "partnership.left",
    "partnership.dissolved",
    "barrier.attempt",
    "protocol.version_published",
    "protocol.settings_changed",
    "ruling.published",
    "action.confirmed",
)
# Opening a paper is not audited (the access log has it); it matters only while withdrawn.
OPENED = "document.opened"


def detect_after(change: watch.Change) -> None:
    """Ask for detection over what this change touched, once the change commits."""
    outbox.enqueue(
        DETECT_TASK,
        alliance_id=change.alliance_id,
        target_type=change.target_type,
        target_id=change.target_id,
        # Batch events (withdrawals of one agency) list what they touched here.
        payload={k: v for k, v in change.payload.items() if k == "withdrawals"},
    )


def detect_if_withdrawn(change: watch.Change) -> None:
    """A paper opened by an agency withdrawn from the paper's partnership is worth a look."""
    partnership_id = change.payload.get("partnership")
    if partnership_id is None or change.agency_id is None:
        return
    now = timezone.now()
    in_force = Withdrawal.objects.filter(
        alliance_id=change.alliance_id,
        partnership_id=partnership_id,
        agency_id=change.agency_id,
        starts_at__lte=now,
    ).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    if in_force.exists():
        detect_after(change)


def register() -> None:
    watch.watch(VERBS, detect_after)
    watch.watch([OPENED], detect_if_withdrawn)
