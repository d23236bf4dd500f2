"""Celery tasks of the alliance core: thin wrappers that take ids and call one service.

Periodic tasks take `job` from beat and run once per tick of their schedule (kiaa/schedule.py).
"""

import logging

from celery import shared_task

from kiaa import audit, barrier, outbox
from kiaa.models import Alliance
from kiaa.schedule import once_per_tick
from kiaa.services import members, notifications, reminders, reports

logger = logging.getLogger(__name__)


# Acknowledged late (settings), so a worker killed mid-run leaves the message to run again; the
# work and the message's "done" commit together, so it takes effect once. Failures retry a few
# times with growing waits, then the relay tries again later.
@shared_task(
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
)
def outbox_run(message_id: int) -> bool:
    return outbox.run(message_id)


@shared_task
@once_per_tick
def outbox_relay() -> int:
    """Hand the broker what never reached it, or was lost by it."""
    return outbox.relay()


@shared_task
def invitation_send(invitation_id: int) -> None:
    members.invitation_send(invitation_id=invitation_id)


@shared_task
@once_per_tick
def audit_verify_all() -> int:
    """Nightly: prove every alliance's chain; each broken one is logged as an error."""
    broken = audit.verify_all()
    for link in broken:
        logger.error("Audit chain broken: %s", link)
    return len(broken)


@shared_task
@once_per_tick
def barrier_reconcile_all() -> dict[str, int]:
    """Periodic catch-up: bring every alliance's document permissions to the facts.

    Services reconcile as they change the facts; this repairs anything missed (and ends
    withdrawals whose end date has passed), and changes nothing when all is in order.
    """
    granted = revoked = 0
    for alliance in Alliance.objects.order_by("pk"):
        added, removed = barrier.reconcile_alliance(alliance)
        granted, revoked = granted + added, revoked + removed
    return {"granted": granted, "revoked": revoked}


@shared_task
def notifications_email(ids: list[int]) -> int:
    return notifications.notifications_email(ids=ids)


@shared_task
@once_per_tick
def notifications_digest() -> int:
    """Daily: each person who chose a digest gets one email of what they were not yet sent."""
    return notifications.notifications_digest()


@shared_task
@once_per_tick
def reminders_send() -> int:
    """Remind people of what falls due soon or has just passed undone; each of it once."""
    return reminders.reminders_send()


# Not through the outbox: a report commits its progress as it goes, so it cannot run inside a
# message's transaction. The periodic catch-up below sends again what the broker never took.
@shared_task
def report_render(export_id: int) -> str | None:
    export = reports.report_render(export_id=export_id)
    return export.status if export else None


@shared_task
@once_per_tick
def reports_catch_up() -> dict[str, int]:
    """Send again the exports the broker lost, and delete expired exports' files."""
    return reports.reports_catch_up()
