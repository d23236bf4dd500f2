"""Tasks a transaction asks for, kept in the database until they have run.

`enqueue` writes the request in the caller's transaction, so it exists exactly when the change
does. After the commit it is handed to Celery with a bounded publish: a broker that is down
costs a web request at most about a second, never a hang, and after one failure the process
leaves new messages to the relay for a while, so the next requests cost nothing. Whatever did
not reach the broker,
or reached it and was lost, the relay (on Celery beat) hands over again; a message runs once,
because the run marks it done in the same transaction as its work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from importlib import import_module
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError

from kiaa.models import OutboxMessage

logger = logging.getLogger(__name__)

RUN_TASK = "kiaa.tasks.outbox_run"
# The publish waits this long for the broker, once; the relay retries later.
PUBLISH_TIMEOUT_SECONDS = 0.5
# A message published this long ago and still not run was lost (a broker restarted empty).
REPUBLISH_AFTER = timedelta(minutes=5)
# Messages that ran are kept a while, to answer "did it run?".
KEEP_DONE = timedelta(days=7)
RELAY_BATCH = 500
# After a failed publish, this process leaves what commits to the relay for this long: during an
# outage one request in that time pays the timeout, not every request (nor every task of one).
BROKER_RETRY_AFTER_SECONDS = 30
_broker_down_until: dict[str, float] = {}  # per broker URL
# A message that failed this many times is left for a person to look at (it is logged).
MAX_ATTEMPTS = 10


def enqueue(task: str, **kwargs: Any) -> OutboxMessage:
    """Run the task `task(**kwargs)` after this transaction commits, and until it has run."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs, created_at=timezone.now())
    transaction.on_commit(lambda: _publish_after_commit(message.pk))
    return message


def _publish_after_commit(pk: int) -> None:
    """Publish unless the broker failed us lately: then the relay will, and nobody waits."""
    if _broker_may_be_up():
        publish([pk])


def _broker_may_be_up() -> bool:
    return time.monotonic() >= _broker_down_until.get(current_app.conf.broker_url, 0.0)


def publish(ids: Iterable[int]) -> int:
    """Hand messages to Celery; returns how many the broker took (0 when it is unreachable)."""
    ids = list(ids)
    if not ids:
        return 0
    if not _send([(RUN_TASK, (pk,)) for pk in ids]):
        return 0
    OutboxMessage.objects.filter(pk__in=ids).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    return len(ids)


def send_after_commit(name: str, *args: Any) -> None:
    """Send a long job straight to Celery once this transaction commits, not through a message.

    For work that must commit as it goes (a report's progress) and so cannot run inside a
    message's transaction. The job's own record in the database says what is still to do, and
    its periodic catch-up sends again whatever the broker never took.
    """
    transaction.on_commit(lambda: _broker_may_be_up() and _send([(name, args)]))


def _send(calls: list[tuple[str, tuple[Any, ...]]]) -> bool:
    """Send the tasks with one bounded connection; False when the broker is unreachable."""
    app = current_app
    if app.conf.task_always_eager:
        for name, args in calls:
            task(name).apply(args=args)
        return True
    options = {
        **(app.conf.broker_transport_options or {}),
        # One connection attempt, with short socket timeouts: kombu otherwise retries forever.
        "max_retries": 0,
        "socket_connect_timeout": PUBLISH_TIMEOUT_SECONDS,
        "socket_timeout": PUBLISH_TIMEOUT_SECONDS,
    }
    try:
        with app.connection_for_write(
            connect_timeout=PUBLISH_TIMEOUT_SECONDS, transport_options=options
        ) as connection:
            for name, args in calls:
                app.send_task(name, args=args, connection=connection, retry=False)
    except (OSError, KombuError) as error:
        _broker_down_until[app.conf.broker_url] = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
        logger.warning(
            "Broker unreachable; %d task(s) left for the catch-up: %s", len(calls), error
        )
        return False
    return True


def run(message_id: int) -> bool:
    """Run one message's task, once: False when it already ran (a second delivery)."""
    with transaction.atomic():
        # The lock makes a concurrent second delivery wait, then find the message done.
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=message_id, done_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        task(message.task).run(**message.kwargs)
        message.done_at = timezone.now()
        message.save(update_fields=["done_at"])
    return True


def task(name: str) -> Any:
    """The Celery task of a dotted name (its module imported: autodiscovery is lazy)."""
    module, _, function = name.rpartition(".")
    return getattr(import_module(module), function)


def relay() -> int:
    """Publish what is waiting (never published, or published and lost); forget old done ones."""
    now = timezone.now()
    OutboxMessage.objects.filter(done_at__lt=now - KEEP_DONE).delete()
    waiting = list(
        OutboxMessage.objects.filter(done_at__isnull=True)
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=now - REPUBLISH_AFTER))
        .filter(attempts__lt=MAX_ATTEMPTS)
        # Leave a just-committed message to its own publish, which is under way.
        .filter(created_at__lt=now - timedelta(seconds=5))
        .order_by("created_at")
        .values_list("pk", flat=True)[:RELAY_BATCH]
    )
    stuck = OutboxMessage.objects.filter(done_at__isnull=True, attempts__gte=MAX_ATTEMPTS)
    for message in stuck.order_by("pk")[:RELAY_BATCH]:
        logger.error("Outbox message %s failed %d times; not retried.", message, message.attempts)
    return publish(waiting)


def pending() -> int:
    """How many messages have not run yet (for health checks and tests)."""
    return OutboxMessage.objects.filter(done_at__isnull=True).count()
