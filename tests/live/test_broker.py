"""The database is the source of truth, proved with a real Redis, Celery worker and beat.

A change asks for its breach detection through the outbox; the breach appears whether the
worker was running, stopped, or the broker was down at commit; a request never waits on a
broker that is away; a worker killed mid-task leaves the task to run again, its effect once;
and beat's jobs run once per tick however often beat restarts. The processes are started per
test (tests/live/conftest.py); they see only committed rows, so every test is transactional.
"""

from __future__ import annotations

import math
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from bids.models import Declaration
from bids.services import declarations
from disputes.models import Breach
from disputes.watchers import DETECT_TASK
from kiaa import outbox
from kiaa.celery import app
from kiaa.models import Agency, Alliance, AuditEvent, OutboxMessage, ScheduledRun
from kiaa.schedule import tick_of
from tests.api import api_url
from tests.conftest import World, api_as
from tests.factories import AgencyFactory
from tests.factories.bids import confirm, declare, draft, make_tender
from tests.factories.partnerships import approve_open_decisions, board_of, chief_of
from tests.live.conftest import Beat, PrivateRedis, RowLock, Worker, start_together, wait_for

pytestmark = [pytest.mark.live_broker, pytest.mark.django_db(transaction=True)]

RECONCILE_ALL = "disputes.tasks.breaches_reconcile_all"
# A request must not wait on an absent broker longer than this (the outbox's bounded publish).
REQUEST_BUDGET = 2.0


class Timing(NamedTuple):
    seconds: float
    tasks: int


def late_tender(alliance: Alliance):
    return make_tender(alliance, eoi_deadline=timezone.now() - timedelta(days=2))


def before_the_board(alliance: Alliance, agency: Agency) -> Declaration:
    """A draft for a tender whose EOI deadline passed two days ago, put to the agency's board."""
    declaration = draft(late_tender(alliance), agency)
    declarations.declaration_submit_for_approval(actor=chief_of(agency), declaration=declaration)
    return declaration


def approved(declaration: Declaration) -> Declaration:
    """The board approves: the declaration is declared (late, so a breach to be found)."""
    approve_open_decisions(declaration.agency)
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.DECLARED
    return declaration


def late_declaration(alliance: Alliance, agency: Agency) -> Declaration:
    return approved(before_the_board(alliance, agency))


def breaches_of(declaration: Declaration) -> QuerySet[Breach]:
    return Breach.objects.filter(kind=Breach.Kind.LATE_DECLARATION, declaration=declaration)


def detections_of(declaration: Declaration) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        task=DETECT_TASK, kwargs__target_type="bids.declaration", kwargs__target_id=declaration.pk
    )


def appears(declaration: Declaration, why: str) -> Breach:
    return wait_for(breaches_of(declaration).first, what=f"the breach to appear ({why})")


# -- the event path -----------------------------------------------------------------------------


def test_a_declaration_enqueues_detection_and_the_breach_appears(world, live_app, worker):
    worker.start()

    bid = late_declaration(world.alliance, world.competitor)

    breach = appears(bid, "the worker ran the detection the declaration asked for")
    assert breach.agency == world.competitor
    wait_for(
        lambda: (
            detections_of(bid).exists() and not detections_of(bid).filter(done_at=None).exists()
        ),
        what="the declaration's detection messages to be done",
    )
    assert not detections_of(bid).filter(published_at=None).exists()
    assert breaches_of(bid).count() == 1


# -- catching up ----------------------------------------------------------------------------


def test_with_the_worker_stopped_the_periodic_reconcile_brings_every_breach_in(
    world, live_app: PrivateRedis, worker: Worker, beat: Beat, ticks: dict[str, int]
):
    ticks["breaches"] = 3
    worker.start()
    worker.stop()  # a warm shutdown: it finishes what it runs and takes nothing more

    home = late_declaration(world.alliance, world.competitor)
    elsewhere = late_declaration(world.other_alliance, world.other_agency)
    assert detections_of(home).exclude(published_at=None).exists(), "published, nobody consumed"
    live_app.flush()  # and the broker lost its queue: the messages will not come back
    assert not Breach.objects.exists()

    start_together(worker, beat)

    appears(home, "the reconcile found it")
    appears(elsewhere, "the reconcile looked at every alliance")
    assert Breach.objects.count() == 2
    # The lost messages wait for the relay's republish; the reconcile did not need them.
    assert detections_of(home).filter(done_at=None).exists()


def test_with_the_broker_down_at_commit_the_write_succeeds_and_the_relay_catches_up(
    world, live_app: PrivateRedis, worker: Worker, beat: Beat, ticks: dict[str, int]
):
    bid = before_the_board(world.alliance, world.competitor)
    live_app.stop()

    started = time.monotonic()
    approved(bid)
    took = time.monotonic() - started

    assert took < REQUEST_BUDGET, f"the board's approval waited {took:.2f} s on a stopped broker"
    assert not breaches_of(bid).exists()
    [message] = detections_of(bid).filter(published_at=None)  # the approval's
    assert message.done_at is None

    live_app.start()
    ticks["outbox"] = 2  # the relay publishes what waited (once it is five seconds old)
    start_together(worker, beat)

    appears(bid, "the relay published the waiting message")
    wait_for(
        lambda: OutboxMessage.objects.filter(pk=message.pk, done_at__isnull=False).exists(),
        what="the waiting message to be done",
    )
    assert breaches_of(bid).count() == 1


# -- a request never waits on the broker ----------------------------------------------------


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """An address that takes a connection and never answers: a hung broker, not a refusal."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # never accepted: the first connects and waits, the next hang
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def requests_by_api(world: World, chief_officer, consortium: Declaration) -> dict[str, Timing]:
    """Draft, put to the board and approve a bid through the API, then withdraw a consortium's:
    each request's seconds, and how many tasks it asked for (each one the broker never took)."""
    chief = api_as(chief_officer)
    first, second = (api_as(trustee) for trustee in board_of(world.lead))
    times: dict[str, Timing] = {}

    def timed(step: str, send: Callable[[], Any]) -> Any:
        before = OutboxMessage.objects.count()
        started = time.monotonic()
        response = send()
        took = time.monotonic() - started
        times[step] = Timing(took, OutboxMessage.objects.count() - before)
        assert response.status_code in (200, 201), (step, response.json())
        return response.json()

    body = {"tender": late_tender(world.alliance).pk, "capacity": "sole"}
    pk = timed("draft", lambda: chief.post(api_url("declaration-list"), body, format="json"))["id"]
    timed("submit", lambda: chief.post(api_url("declaration-submit-for-approval", pk=pk)))
    vote = api_url("declaration-vote", pk=pk)
    timed("vote", lambda: first.post(vote, {"decision": "approve"}, format="json"))
    declared = timed("declare", lambda: second.post(vote, {"decision": "approve"}, format="json"))
    assert declared["status"] == "declared"
    withdraw = api_url("declaration-withdraw", pk=consortium.pk)
    timed("withdraw", lambda: chief.post(withdraw, {"reason": "Capacity"}, format="json"))
    assert OutboxMessage.objects.filter(published_at=None).count() == sum(
        t.tasks for t in times.values()
    ), "the broker took a task"
    return times


@pytest.mark.parametrize("broker", ["stopped", "silent", "unroutable"])
def test_with_the_broker_away_a_declaration_request_completes_in_under_two_seconds(
    world, chief_officer, live_app: PrivateRedis, silent_broker: str, broker: str
):
    # A lead naming three partners, two confirmed: withdrawing it asks for several tasks.
    third = AgencyFactory(alliance=world.alliance, name="Third Sector Advice")
    partners = {world.partner: 30, world.competitor: 20, third: 10}
    consortium = declare(make_tender(world.alliance), world.lead, partners=partners)
    confirm(consortium, world.partner)
    confirm(consortium, third)
    api_as(chief_officer).get(api_url("declaration-list"))  # the first request imports the API
    OutboxMessage.objects.all().delete()  # published to the broker before it went away
    live_app.stop()
    app.conf.update(
        broker_url={
            "stopped": live_app.url,  # connection refused
            "silent": silent_broker,  # takes the connection (or leaves it pending), never answers
            "unroutable": "redis://10.255.255.1:6379/0",  # no route: packets vanish
        }[broker]
    )

    times = requests_by_api(world, chief_officer, consortium)

    shown = ", ".join(f"{step} {t.seconds:.2f} s ({t.tasks} tasks)" for step, t in times.items())
    print(f"\n{broker} broker: {shown}")
    assert max(t.seconds for t in times.values()) < REQUEST_BUDGET, f"{broker} broker: {shown}"


# -- a worker killed mid-task ---------------------------------------------------------------


def lock_waiters() -> list[int]:
    """Backends of this database waiting for a row lock on an audit head."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query ILIKE %s",
            ["%kiaa_audithead%"],
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_a_worker_killed_mid_task_leaves_it_to_run_again_with_its_effect_once(
    world, live_app: PrivateRedis, worker: Worker, row_lock: RowLock
):
    bid = late_declaration(world.alliance, world.competitor)
    live_app.flush()  # the declaration's own detection is lost: only ours below will run
    worker.start()
    # Another transaction holds the alliance's audit head, so the detection stops at its audit.
    row_lock.hold(
        "SELECT id FROM kiaa_audithead WHERE alliance_id = %s FOR UPDATE", [world.alliance.pk]
    )
    with transaction.atomic():
        message = outbox.enqueue(
            DETECT_TASK,
            alliance_id=world.alliance.pk,
            target_type="bids.declaration",
            target_id=bid.pk,
            payload={},
        )

    wait_for(lock_waiters, what="the worker's detection to wait for the audit head")
    assert not breaches_of(bid).exists()  # recorded, not committed: the task is mid-way
    killed = worker.kill_child()
    row_lock.release()

    breach = appears(bid, "the task ran again in a new pool process")
    wait_for(
        lambda: OutboxMessage.objects.filter(pk=message.pk, done_at__isnull=False).exists(),
        what="the message to be done",
    )
    assert worker.child() != killed
    assert breaches_of(bid).count() == 1
    detected = AuditEvent.objects.filter(
        verb="breach.detected", target_type="disputes.breach", target_id=str(breach.pk)
    )
    assert detected.count() == 1
    runs = Counter(worker.received(outbox.RUN_TASK))
    assert 2 in runs.values(), f"the killed task was not delivered again: {runs}"


# -- beat ------------------------------------------------------------------------------------


def drained(worker: Worker, deliveries: int) -> datetime:
    """Wait until the worker took `deliveries` of the reconcile and ran them and what they asked."""
    wait_for(
        lambda: len(worker.received(RECONCILE_ALL)) >= deliveries,
        what=f"the worker to take all {deliveries} deliveries",
    )
    # One pool process runs tasks in the order it took them: a task sent now runs after them.
    with transaction.atomic():
        last = outbox.enqueue("kiaa.tasks.outbox_relay")
    wait_for(lambda: not outbox.pending(), what="the reconciles and the last task to finish")
    ended = OutboxMessage.objects.get(pk=last.pk).done_at
    assert ended is not None
    return ended


def test_beat_runs_each_job_once_per_tick_even_when_restarted(
    world, live_app, worker: Worker, beat: Beat, second_beat: Beat, ticks: dict[str, int]
):
    every = ticks["breaches"] = 4
    began = timezone.now()
    start_together(worker, beat)
    runs = ScheduledRun.objects.filter(job="reconcile-breaches")
    wait_for(runs.exists, what="beat's first reconcile")

    # Beat dies and comes back with no memory of what it sent, beside a second beat by mistake.
    beat.stop(signal.SIGKILL)
    start_together(beat, second_beat)
    time.sleep(3 * every)
    beat.stop()
    second_beat.stop()
    sent = beat.sent("reconcile-breaches") + second_beat.sent("reconcile-breaches")
    drained(worker, sent)
    ran = runs.count()
    # And a delivery repeated within one tick, for certain (beats' sends may straddle a tick):
    # early in a tick none of the runs so far claimed.
    tick = timedelta(seconds=every)
    last = runs.latest("tick").tick
    wait_for(
        lambda: (
            tick_of(timezone.now(), tick) > last
            and timezone.now() - tick_of(timezone.now(), tick) < tick / 2
        ),
        what="the first half of a new tick",
    )
    for _ in range(2):
        app.send_task(RECONCILE_ALL, kwargs={"job": "reconcile-breaches"})
    ended = drained(worker, sent + 2)

    elapsed = math.floor(ended.timestamp() / every) - math.floor(began.timestamp() / every) + 1
    print(f"\nbeats sent {sent} times; {ran} ran; {elapsed} ticks in all")
    assert ran <= sent and runs.count() == ran + 1, "the repeated delivery ran twice"
    ticks_run = [run.tick for run in runs]
    assert len(ticks_run) == len(set(ticks_run)) <= elapsed
    assert all(tick_of(run.started_at, tick) == run.tick for run in runs)
    assert ran >= 2, "beat did not run the job again after its restart"
    # Each run asked for one reconcile per alliance: the work happened once per tick.
    reconciles = OutboxMessage.objects.filter(task="disputes.tasks.breaches_reconcile")
    assert reconciles.count() == len(ticks_run) * Alliance.objects.count()
