"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app."""

from celery import Celery
from celery.schedules import crontab

from kiaa import use_settings

use_settings()

app = Celery("kiaa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # A broken chain must be noticed within a day, not when someone next looks.
    "verify-audit-chains": {
        "task": "kiaa.tasks.audit_verify_all",
        "schedule": crontab(hour=3, minute=17),
    },
    # Withdrawals end by the clock; the barrier catches up within ten minutes.
    "reconcile-barrier": {
        "task": "kiaa.tasks.barrier_reconcile_all",
        "schedule": crontab(minute="*/10"),
    },
    # A winner's withdrawals end after the award's grace period: papers back, people told.
    "close-due-withdrawals": {
        "task": "bids.tasks.withdrawals_close_due",
        "schedule": crontab(minute="*/5"),
    },
}
