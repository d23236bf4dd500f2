"""Celery: eager in-process without REDIS_URL; a real worker on Redis when it is set."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail

from kiaa.celery import app
from kiaa.models import Invitation, Role
from kiaa.services import members

MANAGE = [sys.executable, "manage.py", "shell", "-c"]


def settings_value(expression: str, **env: str) -> str:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    result = subprocess.run(
        [*MANAGE, f"from django.conf import settings; print({expression})"],
        env={**environ, "DJANGO_ENV": "local", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_without_redis_tasks_run_eagerly_in_process():
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER") == "True"


def test_with_redis_url_tasks_go_to_the_broker():
    url = "redis://127.0.0.1:6379/3"
    assert (
        settings_value(
            "(settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL)", REDIS_URL=url
        )
        == f"(False, '{url}')"
    )


def test_the_beat_schedule_verifies_the_audit_chains_nightly():
    entry = app.conf.beat_schedule["verify-audit-chains"]
    assert entry["task"] == "kiaa.tasks.audit_verify_all"
    assert entry["task"] in app.tasks


@pytest.fixture
def real_broker():
    """The app pointed at the real Redis, on a queue of this test's own, with eager off."""
    queue = f"test-{uuid.uuid4().hex}"
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(
        broker_url=settings.TEST_REDIS_URL, task_always_eager=False, task_default_queue=queue
    )
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10
        ):
            yield
    finally:
        app.conf.update(saved)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_invitation_email_after_commit(world, admin, real_broker):
    invitation = members.invitation_create(
        actor=admin,
        alliance=world.alliance,
        email="w@example.org",
        role=Role.STAFF,
        agency=world.lead,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if Invitation.objects.get(pk=invitation.pk).sent_at is not None:
            break
        time.sleep(0.1)
    assert Invitation.objects.get(pk=invitation.pk).sent_at is not None, (
        "the worker never ran the task"
    )
    assert [m.to for m in mail.outbox] == [["w@example.org"]]
