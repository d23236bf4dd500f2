"""Celery tasks of the bids app: thin wrappers that call one service."""

from celery import shared_task

from bids.services import withdrawals
from kiaa.schedule import once_per_tick


@shared_task
@once_per_tick
def withdrawals_close_due() -> int:
    """Every few minutes: carry out withdrawals whose end (an award's grace) has come."""
    return withdrawals.withdrawals_close_due()
