"""Celery tasks of the disputes app: thin wrappers that call one service."""

from typing import Any

from celery import shared_task
from django.db import transaction

from disputes.scope import scope_of
from disputes.services import breaches
from kiaa import outbox
from kiaa.models import Alliance
from kiaa.schedule import once_per_tick


@shared_task
def breaches_detect(
    alliance_id: int, target_type: str, target_id: int, payload: dict[str, Any] | None = None
) -> int:
    """After a change: detect over just what it touched; returns how many breaches are new."""
    alliance = Alliance.objects.get(pk=alliance_id)
    scope = scope_of(target_type, target_id, payload or {})
    return len(breaches.breaches_detect(alliance=alliance, scope=scope).created)


@shared_task
def breaches_reconcile(alliance_id: int) -> int:
    """One alliance's full detection: finds whatever the events missed."""
    alliance = Alliance.objects.get(pk=alliance_id)
    return len(breaches.breaches_detect(alliance=alliance).created)


@shared_task
@once_per_tick
def breaches_reconcile_all() -> int:
    """Periodic: one reconcile per alliance, each its own task so alliances run in parallel."""
    with transaction.atomic():
        ids = list(Alliance.objects.order_by("pk").values_list("pk", flat=True))
        for pk in ids:
            outbox.enqueue("disputes.tasks.breaches_reconcile", alliance_id=pk)
    return len(ids)
