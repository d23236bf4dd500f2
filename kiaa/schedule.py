"""The periodic jobs Celery beat sends, and the guard that runs each once per tick.

Beat keeps its own record of what it sent in a local file; a beat restarted without it (a new
container) or two beats by mistake would send a job again. Each job therefore claims its tick
in the database first: a second delivery in the same tick finds the claim and does nothing.
A run that fails gives the claim back for its retry; one killed outright keeps it, and the
next tick's run (every job is an idempotent catch-up) does the work. The claim commits on its
own, so a long job holds no lock on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from celery.schedules import crontab
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

T = TypeVar("T")


DAY = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    task: str
    every: timedelta  # the tick: the job runs once in each
    at: crontab | None = None  # a daily job's time of day; others run every `every`


def jobs() -> dict[str, Job]:
    """Every periodic job by name; the intervals come from settings so operators can tune them."""
    every = settings.SCHEDULE_EVERY
    return {
        # A broken chain must be noticed within a day, not when someone next looks.
        "verify-audit-chains": Job("kiaa.tasks.audit_verify_all", DAY, crontab(3, 17)),
        # Withdrawals end by the clock; the barrier catches up within the interval.
        "reconcile-barrier": Job("kiaa.tasks.barrier_reconcile_all", every["barrier"]),
        # Tasks that never reached the broker, or were lost by it.
        "relay-outbox": Job("kiaa.tasks.outbox_relay", every["outbox"]),
        # A winner's withdrawals end after the award's grace period.
        "close-due-withdrawals": Job("bids.tasks.withdrawals_close_due", every["withdrawals"]),
        # Report exports the broker lost, and expired exports' files.
        "report-exports": Job("kiaa.tasks.reports_catch_up", every["reports"]),
        # Every alliance's breaches, found again from the facts: nothing missed while down.
        "reconcile-breaches": Job("disputes.tasks.breaches_reconcile_all", every["breaches"]),
        "send-reminders": Job("kiaa.tasks.reminders_send", every["reminders"]),
        "send-digests": Job(
            "kiaa.tasks.notifications_digest", DAY, crontab(settings.DIGEST_HOUR, 0)
        ),
    }


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery beat's schedule: each job's task at its time, told which job it is."""
    return {
        name: {"task": job.task, "schedule": job.at or job.every, "kwargs": {"job": name}}
        for name, job in jobs().items()
    }


def tick_of(moment: datetime, every: timedelta) -> datetime:
    """The start of the tick `moment` falls in: ticks are aligned to the epoch, in UTC."""
    step = every.total_seconds()
    seconds = moment.timestamp()
    return datetime.fromtimestamp(seconds - seconds % step, tz=UTC)


def claim(job: str, *, now: datetime | None = None) -> int | None:
    """Claim this tick of `job`: the claim's id, or None if the tick is already claimed."""
    # Imported here: the Celery app reads the schedule before Django is set up.
    from kiaa.models import ScheduledRun

    now = now or timezone.now()
    tick = tick_of(now, jobs()[job].every)
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(job=job, tick=tick, started_at=now).pk
    except IntegrityError:
        return None


def once_per_tick(work: Callable[..., T]) -> Callable[..., T | None]:
    """Run a periodic task's body only for the first delivery in its tick.

    Beat passes `job`; called without it (by hand, from a command) the body just runs.
    """

    @wraps(work)
    def guarded(*args: Any, job: str | None = None, **kwargs: Any) -> T | None:
        if job is None:
            return work(*args, **kwargs)
        claimed = claim(job)
        if claimed is None:
            return None
        try:
            return work(*args, **kwargs)
        except Exception:
            from kiaa.models import ScheduledRun

            ScheduledRun.objects.filter(pk=claimed).delete()
            raise

    return guarded
