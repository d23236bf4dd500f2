"""Celery tasks of the alliance core: thin wrappers that take ids and call one service."""

import logging

from celery import shared_task

from kiaa import audit, barrier
from kiaa.models import Alliance
from kiaa.services import members, notifications

logger = logging.getLogger(__name__)


@shared_task
def invitation_send(invitation_id: int) -> None:
    members.invitation_send(invitation_id=invitation_id)


@shared_task
def audit_verify_all() -> int:
    """Nightly: prove every alliance's chain; each broken one is logged as an error."""
    broken = audit.verify_all()
    for link in broken:
        logger.error("Audit chain broken: %s", link)
    return len(broken)


@shared_task
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
