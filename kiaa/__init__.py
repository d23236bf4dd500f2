"""KIAA governance: project configuration and the alliance core app."""

import os


def use_settings() -> None:
    """Point Django at the settings module named by DJANGO_ENV (local when unset)."""
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", f"kiaa.settings.{os.environ.get('DJANGO_ENV', 'local')}"
    )


# Load the Celery app with Django so @shared_task binds to it.
from kiaa.celery import app as celery_app  # noqa: E402

__all__ = ["celery_app", "use_settings"]
