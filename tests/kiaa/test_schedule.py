"""Periodic jobs: beat's schedule, and each job running once per tick whoever sends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiaa import schedule, tasks
from kiaa.celery import app
from kiaa.models import ScheduledRun

pytestmark = pytest.mark.django_db


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name
        assert entry["kwargs"] == {"job": name}


def test_ticks_are_aligned_so_every_process_agrees_on_them():
    every = timedelta(minutes=10)
    moment = datetime(2026, 11, 22, 9, 47, 13, tzinfo=UTC)

    assert schedule.tick_of(moment, every) == datetime(2026, 11, 22, 9, 40, tzinfo=UTC)
    assert schedule.tick_of(moment + timedelta(minutes=2), every) == datetime(
        2026, 11, 22, 9, 40, tzinfo=UTC
    )


def test_a_job_is_claimed_once_per_tick():
    now = datetime(2026, 11, 22, 9, 47, tzinfo=UTC)

    assert schedule.claim("reconcile-breaches", now=now) is not None
    assert schedule.claim("reconcile-breaches", now=now + timedelta(minutes=1)) is None
    assert schedule.claim("reconcile-barrier", now=now) is not None
    assert schedule.claim("reconcile-breaches", now=now + timedelta(minutes=15)) is not None


def test_a_second_delivery_in_the_same_tick_does_nothing(world):
    assert tasks.barrier_reconcile_all(job="reconcile-barrier") == {"granted": 0, "revoked": 0}
    assert tasks.barrier_reconcile_all(job="reconcile-barrier") is None
    assert ScheduledRun.objects.filter(job="reconcile-barrier").count() == 1


def test_a_run_that_fails_leaves_its_tick_for_the_retry(monkeypatch):
    def broken():
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks.outbox, "relay", broken)
    with pytest.raises(RuntimeError):
        tasks.outbox_relay(job="relay-outbox")

    assert not ScheduledRun.objects.exists()


def test_run_by_hand_without_a_job_a_task_always_runs():
    assert tasks.outbox_relay() == 0
    assert tasks.outbox_relay() == 0
    assert not ScheduledRun.objects.exists()
