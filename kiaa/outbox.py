"""Tasks a transaction asks for, kept in the database until they have run.

`enqueue` writes the request in the caller's transaction, so it exists exactly when the change
does. After the commit it is handed to Celery with a bounded publish: a broker that is down
costs a web request at most about a second, never a hang. Whatever did not reach the broker,
or reached it and was lost, the relay (on Celery beat) hands over again; a message runs once,
because the run marks it done in the same transaction as its work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
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
# A message that failed this many times is left for a person to look at (it is logged).
MAX_ATTEMPTS = 10


def enqueue(task: str, **kwargs: Any) -> OutboxMessage:
    """Run the task `task(**kwargs)` after this transaction commits, and until it has run."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs, created_at=timezone.now())
    transaction.on_commit(_Batch.current().add(message.pk))
    return message


class _Batch:
    """The messages this thread enqueued since its last publish, published together.

    Each message has its own commit hook; the first hook a commit runs publishes its message
    and every one enqueued after it, on one connection, so an absent broker costs the
    transaction one timeout rather than one per message; the later hooks find theirs sent.
    Messages before it are left alone: their hooks were dropped with a rollback, or are yet
    to run.
    """

    _current = threading.local()

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.unsent: set[int] = set()  # positions in `ids`

    @classmethod
    def current(cls) -> _Batch:
        batch: _Batch | None = getattr(cls._current, "batch", None)
        if batch is None or len(batch.unsent) < len(batch.ids):  # a commit published from it
            batch = cls._current.batch = cls()
        return batch

    def add(self, pk: int) -> Callable[[], None]:
        position = len(self.ids)
        self.ids.append(pk)
        self.unsent.add(position)
        return lambda: self.publish_from(position)

    def publish_from(self, position: int) -> None:
        taken = sorted(p for p in self.unsent if p >= position)
        self.unsent.difference_update(taken)
        publish(self.ids[p] for p in taken)


def publish(ids: Iterable[int]) -> int:
    """Hand messages to Celery; returns how many the broker took (0 when it is unreachable)."""
    ids = list(ids)
    if not ids:
        return 0
    app = current_app
    if app.conf.task_always_eager:
        for pk in ids:
            task(RUN_TASK).apply(args=(pk,))
        return len(ids)
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
            for pk in ids:
                app.send_task(RUN_TASK, args=(pk,), connection=connection, retry=False)
    except (OSError, KombuError) as error:
        logger.warning("Broker unreachable; %d task(s) wait in the outbox: %s", len(ids), error)
        return 0
    OutboxMessage.objects.filter(pk__in=ids).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    return len(ids)


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
