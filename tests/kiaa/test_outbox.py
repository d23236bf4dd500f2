"""The outbox: a task asked for in a transaction runs once after it commits, broker or not."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from kiaa import outbox
from kiaa.celery import app
from kiaa.models import Invitation, OutboxMessage, Role
from kiaa.services import members

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Celery pointed at a port where nothing listens, with eager mode off."""
    monkeypatch.setattr(outbox, "_broker_down_until", {})
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url="redis://127.0.0.1:9/0", task_always_eager=False)
    yield
    app.conf.update(saved)


def invite(world, admin):
    return members.invitation_create(
        actor=admin,
        alliance=world.alliance,
        email="new@example.org",
        role=Role.STAFF,
        agency=world.lead,
    )


def test_the_task_runs_after_the_commit_and_is_marked_done(
    world, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(world, admin)

    message = OutboxMessage.objects.get(task="kiaa.tasks.invitation_send")
    assert message.kwargs == {"invitation_id": invitation.pk}
    assert message.done_at is not None
    assert Invitation.objects.get(pk=invitation.pk).sent_at is not None


def test_a_rolled_back_transaction_leaves_no_task(world, admin):
    with pytest.raises(RuntimeError), transaction.atomic():
        invite(world, admin)
        raise RuntimeError("the change fails")

    assert not OutboxMessage.objects.exists()


def test_a_message_runs_once_however_often_it_is_delivered(world, admin):
    invitation = invite(world, admin)  # not committed in this test: its message waits
    [message] = OutboxMessage.objects.all()

    assert outbox.run(message.pk) is True
    assert outbox.run(message.pk) is False
    assert Invitation.objects.get(pk=invitation.pk).sent_at is not None


def test_with_the_broker_unreachable_the_write_commits_fast_and_the_task_waits(
    world, admin, broker_down, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(world, admin)
    took = time.monotonic() - started

    assert took < 2, f"the request would have waited {took:.2f} s for the broker"
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    [message] = OutboxMessage.objects.all()
    assert (message.published_at, message.done_at) == (None, None)


def test_the_relay_hands_over_what_waited_and_skips_what_is_fresh_or_done(world, admin):
    old = timezone.now() - timedelta(minutes=1)
    waiting = OutboxMessage.objects.create(task="kiaa.tasks.audit_verify_all", created_at=old)
    fresh = OutboxMessage.objects.create(
        task="kiaa.tasks.audit_verify_all", created_at=timezone.now()
    )
    done = OutboxMessage.objects.create(
        task="kiaa.tasks.audit_verify_all", created_at=old, done_at=old
    )

    assert outbox.relay() == 1  # eager here: the relayed message runs at once

    waiting.refresh_from_db(), fresh.refresh_from_db(), done.refresh_from_db()
    assert waiting.done_at is not None
    assert fresh.done_at is None
    assert done.done_at == old


def test_a_message_published_long_ago_and_never_run_is_published_again(broker_down):
    long_ago = timezone.now() - outbox.REPUBLISH_AFTER - timedelta(minutes=1)
    lost = OutboxMessage.objects.create(
        task="kiaa.tasks.audit_verify_all", created_at=long_ago, published_at=long_ago
    )

    assert outbox.relay() == 0  # the broker is still down: counted as an attempt next time

    lost.refresh_from_db()
    assert lost.done_at is None and lost.published_at == long_ago


def test_a_message_that_keeps_failing_is_left_for_a_person(caplog):
    old = timezone.now() - timedelta(hours=1)
    OutboxMessage.objects.create(
        task="kiaa.tasks.audit_verify_all", created_at=old, attempts=outbox.MAX_ATTEMPTS
    )

    assert outbox.relay() == 0
    assert "not retried" in caplog.text


def test_messages_that_ran_long_ago_are_forgotten():
    long_ago = timezone.now() - outbox.KEEP_DONE - timedelta(days=1)
    OutboxMessage.objects.create(
        task="kiaa.tasks.audit_verify_all", created_at=long_ago, done_at=long_ago
    )

    outbox.relay()

    assert not OutboxMessage.objects.exists()


def test_after_a_failed_publish_new_messages_wait_for_the_relay_without_trying(
    world, admin, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    # During an outage one request pays the timeout, not every request, nor every task of one.
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, admin)
    tried = []
    monkeypatch.setattr(outbox.current_app, "connection_for_write", tried.append)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for _ in range(3):
            outbox.enqueue("kiaa.tasks.audit_verify_all")

    assert tried == []
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 4


def test_the_relay_tries_the_broker_even_after_a_failure(broker_down, monkeypatch):
    outbox._broker_down_until[app.conf.broker_url] = time.monotonic() + 60
    OutboxMessage.objects.create(
        task="kiaa.tasks.audit_verify_all", created_at=timezone.now() - timedelta(minutes=1)
    )
    tried = []

    def refused(**options):
        tried.append(options)
        raise OSError("connection refused")

    monkeypatch.setattr(outbox.current_app, "connection_for_write", refused)

    assert outbox.relay() == 0
    assert len(tried) == 1
    assert OutboxMessage.objects.get().published_at is None
