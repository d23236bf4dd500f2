"""Celery tasks of the alliance core: thin wrappers that take ids and call one service."""

import logging

from celery import shared_task

from kiaa import audit
from kiaa.services import members

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
