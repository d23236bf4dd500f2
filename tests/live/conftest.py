"""Real processes for the live-broker tests: a private Redis, a Celery worker and Celery beat.

Each runs as a subprocess with the local settings against this test's database (so the tests
are transactional: the processes see only committed rows) and a Redis of its own on a free
port, never the shared one. Every wait polls with a deadline; each process's log goes to a
file whose tail is added to the report of a test that fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import psycopg2
import pytest
import redis
from django.conf import settings
from django.db import connection

from kiaa.celery import app

T = TypeVar("T")
S = TypeVar("S", bound="Service")

CELERY = str(Path(sys.executable).parent / "celery")
# The longest any one wait may take: a process starting, a task running, a tick passing.
WAIT = 30.0
# Periodic jobs a test does not want are pushed out of its run.
NEVER = 3600
SERVICES = pytest.StashKey[list["Service"]]()


def wait_for(check: Callable[[], T], *, what: str, timeout: float = WAIT) -> T:
    """Poll `check` until it returns something true; fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """One subprocess, restartable, with its output appended to one log file."""

    name = "service"

    def __init__(self, log: Path) -> None:
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None
        self.run_offset = 0  # where the current run's output begins in the log

    def argv(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        return None

    def start(self) -> None:
        self.launch()
        self.ready()

    def launch(self) -> None:
        """Start the process without waiting for it to be ready."""
        assert not self.running, f"{self.name} is already running"
        self.run_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as out:
            # A session of its own, so a stop reaches the children (the prefork pool) too.
            self.process = subprocess.Popen(
                self.argv(),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env(),
                cwd=settings.BASE_DIR,
                start_new_session=True,
            )

    def ready(self) -> None:
        """Wait until the process can do its work."""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Signal the process and wait for it; anything left after `timeout` is killed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the process and whatever it started (at teardown: no need to be gentle)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group is already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(5)
        self.process = None

    def output(self) -> str:
        """What the current run has written so far."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self.run_offset)
            return log.read().decode(errors="replace")

    def tail(self, lines: int = 150) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_output(self, text: str, *, what: str) -> None:
        def seen() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited ({self.process.returncode}) before {what}"
                )
            return text in self.output()

        wait_for(seen, what=what)


class PrivateRedis(Service):
    """A Redis of this test's own: stopped and started again on the same port."""

    name = "redis"

    def __init__(self, log: Path) -> None:
        super().__init__(log)
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        return [
            "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
        ]

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def ready(self) -> None:
        def answers() -> bool:
            if not self.running:
                raise AssertionError(f"redis-server exited on port {self.port}:\n{self.tail(20)}")
            return self.ping()

        wait_for(answers, what=f"redis-server on port {self.port} to answer PING", timeout=10)

    def flush(self) -> None:
        """The broker loses everything it held, as one restarted without persistence does."""
        self.client().flushall()


def live_env(broker: str, ticks: dict[str, int]) -> dict[str, str]:
    """The environment of a worker or beat: local settings, this test's database and broker.

    Both get the same ticks, as they must in a deployment: beat sends a job at its interval,
    and the worker claims the job's tick by its own settings.
    """
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    database = (
        f"postgres://{quote(db['USER'] or '')}{password}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "SCHEDULE_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "LOG_LEVEL")
    }
    return {
        **inherited,
        "DJANGO_ENV": "local",
        "DJANGO_SETTINGS_MODULE": "kiaa.settings.local",
        "DATABASE_URL": database,
        "REDIS_URL": broker,
        "SECRET_KEY": "live-broker-tests-only",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        # Django's system checks (run by `make check`) would add a second and a half to each start.
        "CELERY_SKIP_CHECKS": "1",
        # The console backend would print every notification email into the worker's log.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # Every periodic job waits an hour unless the test asks for it sooner.
        **{
            f"SCHEDULE_{job.upper()}_SECONDS": str(ticks.get(job, NEVER))
            for job in settings.SCHEDULE_EVERY
        },
    }


class Worker(Service):
    """`celery worker` with one prefork child, on the default queue of the private Redis."""

    name = "worker"

    def __init__(self, log: Path, broker: PrivateRedis, ticks: dict[str, int]) -> None:
        super().__init__(log)
        self.broker = broker
        self.ticks = ticks

    def argv(self) -> list[str]:
        return [
            *(CELERY, "-A", "kiaa", "worker", "--pool", "prefork", "--concurrency", "1"),
            *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            *("-Q", app.conf.task_default_queue, "--loglevel", "INFO"),
            *("--hostname", f"live-{self.broker.port}@%h"),
        ]

    def env(self) -> dict[str, str]:
        return live_env(self.broker.url, self.ticks)

    def ready(self) -> None:
        self.wait_for_output(" ready.", what="the worker to be ready")

    def child(self) -> int:
        """The prefork pool's process, which runs the tasks."""

        def found() -> int | None:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            return int(children[0]) if children else None

        return wait_for(found, what="the worker's pool process")

    def kill_child(self) -> int:
        """SIGKILL the pool process mid-task, as the kernel's OOM killer would."""
        child = self.child()
        os.kill(child, signal.SIGKILL)
        return child

    def received(self, task: str) -> list[str]:
        """The ids of the deliveries of `task` this worker has taken, in order (repeats too)."""
        return re.findall(rf"Task {re.escape(task)}\[([^]]+)\] received", self.tail(100_000))


class Beat(Service):
    """`celery beat`; each start forgets what it sent before, as in a new container."""

    name = "beat"

    def __init__(self, log: Path, broker: PrivateRedis, ticks: dict[str, int]) -> None:
        super().__init__(log)
        self.broker = broker
        self.ticks = ticks
        self.starts = 0

    def argv(self) -> list[str]:
        # A fresh schedule file each start: a beat restarted in a new container knows nothing.
        schedule = self.log_path.with_name(f"{self.log_path.stem}-{self.starts}.schedule")
        return [CELERY, "-A", "kiaa", "beat", "--schedule", str(schedule), "--loglevel", "INFO"]

    def env(self) -> dict[str, str]:
        return live_env(self.broker.url, self.ticks)

    def launch(self) -> None:
        self.starts += 1
        super().launch()

    def ready(self) -> None:
        self.wait_for_output("beat: Starting...", what="beat to start")

    def sent(self, job: str) -> int:
        """How many times this beat has sent `job`, over all its starts."""
        return self.tail(100_000).count(f"Scheduler: Sending due task {job} (")


class RowLock:
    """Row locks held by a connection of our own, as another process holding them would."""

    def __init__(self) -> None:
        db = connection.settings_dict
        self.connection = psycopg2.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db.get("PASSWORD") or None,
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
        )

    def hold(self, sql: str, params: Any = ()) -> None:
        """Run a `SELECT ... FOR UPDATE` and keep its transaction open."""
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            assert cursor.fetchall(), "the lock query matched no row"

    def release(self) -> None:
        self.connection.rollback()

    def close(self) -> None:
        self.connection.close()


def start_together(*services: Service) -> None:
    """Start processes side by side (each takes seconds to import Django and Celery)."""
    for service in services:
        service.launch()
    for service in services:
        service.ready()


def _service(request: pytest.FixtureRequest, service: S) -> S:
    request.node.stash.setdefault(SERVICES, []).append(service)
    request.addfinalizer(service.kill)
    return service


@pytest.fixture
def private_redis(request: pytest.FixtureRequest, tmp_path: Path) -> PrivateRedis:
    """A running Redis of this test's own on a free port; killed at teardown."""
    for attempt in range(3):  # another process may take the free port before redis binds it
        server = _service(request, PrivateRedis(tmp_path / f"redis-{attempt}.log"))
        try:
            server.start()
            return server
        except AssertionError:
            server.kill()
    raise AssertionError(f"redis-server would not start:\n{server.tail(20)}")


@pytest.fixture
def live_app(private_redis: PrivateRedis) -> Iterator[PrivateRedis]:
    """This process's Celery app publishing to the private Redis, eager mode off."""
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=private_redis.url, task_always_eager=False)
    try:
        yield private_redis
    finally:
        app.conf.update(saved)


@pytest.fixture
def ticks() -> dict[str, int]:
    """Seconds per tick of the periodic jobs a test wants ({"breaches": 3}); set before starting."""
    return {}


# The processes below are killed before the test's tables are emptied (they use the database).


@pytest.fixture
def worker(
    request: pytest.FixtureRequest,
    transactional_db: None,
    private_redis: PrivateRedis,
    ticks: dict[str, int],
    tmp_path: Path,
) -> Worker:
    """A Celery worker on the private Redis, not yet started."""
    return _service(request, Worker(tmp_path / "worker.log", private_redis, ticks))


@pytest.fixture
def beat(
    request: pytest.FixtureRequest,
    transactional_db: None,
    private_redis: PrivateRedis,
    ticks: dict[str, int],
    tmp_path: Path,
) -> Beat:
    """Celery beat on the private Redis, not yet started."""
    return _service(request, Beat(tmp_path / "beat.log", private_redis, ticks))


@pytest.fixture
def second_beat(
    request: pytest.FixtureRequest,
    transactional_db: None,
    private_redis: PrivateRedis,
    ticks: dict[str, int],
    tmp_path: Path,
) -> Beat:
    """Another beat, as when an old one still runs beside its replacement."""
    return _service(request, Beat(tmp_path / "second-beat.log", private_redis, ticks))


@pytest.fixture
def row_lock(transactional_db: None) -> Iterator[RowLock]:
    """A second database connection to hold locks with; closed (so released) at teardown."""
    lock = RowLock()
    try:
        yield lock
    finally:
        lock.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing test's report carries the tail of each process's log."""
    report = yield
    if report.failed:
        for service in item.stash.get(SERVICES, []):
            report.sections.append((f"{service.name} log ({service.log_path})", service.tail()))
    return report
