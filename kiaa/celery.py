"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app."""

from celery import Celery

from kiaa import use_settings
from kiaa.schedule import beat_schedule

use_settings()

app = Celery("kiaa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = beat_schedule()
