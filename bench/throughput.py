#!/usr/bin/env python
"""Benchmark: HTTP throughput of the documents list, with the barrier and without it.

Budget: the product's list, `GET /api/v1/a/<slug>/documents/` (only the papers the barrier lets
the person see), serves at least 0.70 of the requests per second of the same list without the
barrier (bench/bare.py: same authentication, tenant lookup, serializer, pagination, related
rows and order, but every paper of the alliance), on the same page size of the same alliance.

    .venv/bin/python bench/throughput.py
    .venv/bin/python bench/throughput.py --alliance scale-000 --person s000.a0000.chief \
        --duration 20 --connections 4 --page-size 25

How: a token for the person from the product's token service (revoked afterwards); gunicorn
with 2 sync workers on a free port of 127.0.0.1 (DJANGO_SETTINGS_MODULE=bench.settings: the
bench URLs, DEBUG off, no throttles, no access log); each URL fetched once to check it answers
200 with as many results as the other; a short warm-up of each; then wrk against the bare and
the filtered list in turn, ROUNDS times each, so a change in the background load falls on both.
wrk reports requests, the median and 95th percentile latency (bench/throughput.lua) and the
responses that were not 2xx or 3xx.

gunicorn's workers, PostgreSQL and wrk's two threads all share the 2-core development
machine, so the req/s are well below what a server with its own load generator would show.
The budget is on the ratio, which holds both lists to the same conditions. Measure when
`uptime` shows a 1-minute load average under about 1; the script prints it.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/kiaa_scale; each request
opens its own connection, as in production, unless the URL asks for `?conn_max_age=`).

Exits 1 when the ratio is under the budget, 2 when the measurement cannot be made or trusted
(a person or alliance not found, an answer other than 200, lists of different lengths, a
request under load that failed or was not answered with 2xx or 3xx).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kiaa_scale"
BUDGET = 0.70  # filtered req/s / bare req/s, at least
ROUNDS = 2
WARM_UP_SECONDS = 2
START_TIMEOUT = 30  # seconds for gunicorn to listen
# Longer than wrk's 2 s default: a slow answer is latency to measure, not a dropped request.
REQUEST_TIMEOUT = 30
LUA = Path(__file__).with_suffix(".lua")
LOG = Path(tempfile.gettempdir()) / "kiaa-throughput-gunicorn.log"
RESULT = re.compile(r"^throughput: (.+)$", re.MULTILINE)


class BenchError(Exception):
    """The measurement cannot be made or trusted (exit status 2)."""


@dataclass(frozen=True)
class Run:
    """One wrk run against one endpoint."""

    endpoint: str
    requests: int
    seconds: float
    median_ms: float
    p95_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alliance", default="scale-000", help="alliance slug")
    parser.add_argument("--person", default="s000.a0000.chief", help="username to call as")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--page-size", type=int, default=25)
    return parser.parse_args(argv)


def configure() -> None:
    """The environment Django reads here and in gunicorn's workers (they inherit it)."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    # Set, not defaulted: only the bench settings route the bare list.
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")


@contextlib.contextmanager
def api_token(username: str) -> Iterator[str]:
    """A key for the person from the product's token service, revoked after the run."""
    from django.db import connection

    from kiaa.models import User
    from kiaa.services import tokens

    user = User.objects.filter(username=username).first()
    if user is None:
        raise BenchError(f"No person {username!r} in this database.")
    token, key = tokens.token_issue(user=user, name="bench/throughput.py", days=1)
    connection.close()  # not held open, idle, while the workers are measured
    try:
        yield key
    finally:
        tokens.token_revoke(actor=user, token=token)
        connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def gunicorn(port: int, log: IO[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn with 2 sync workers, stopped however the run ends."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "kiaa.wsgi:application",
        *("--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"),
    ]  # no --access-logfile: no access log is written
    server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield server
    finally:
        server.terminate()  # graceful: the workers finish the request they are on
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with status {server.returncode}; see {LOG}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
            return
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not listen within {START_TIMEOUT} s; see {LOG}")


def fetch_page(url: str, key: str) -> dict[str, Any]:
    """One page of a list, which must be a 200 from that very URL (not a redirect)."""
    # S310: the URL is the bench's own http://127.0.0.1 one, never a file: URL.
    request = urllib.request.Request(url, headers={"Authorization": f"Token {key}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
            if response.status != 200 or response.url != url:
                raise BenchError(f"{url} answered {response.status} from {response.url}")
            page: dict[str, Any] = json.load(response)
            return page
    except urllib.error.HTTPError as error:
        raise BenchError(f"{url} answered {error.code}: {error.read()[:300]!r}") from None


def check_endpoints(urls: dict[str, str], key: str) -> None:
    """Both lists answer 200 and serialize as many papers per page, or the race is unfair."""
    pages = {name: fetch_page(url, key) for name, url in urls.items()}
    sizes = {name: len(page["results"]) for name, page in pages.items()}
    if len(set(sizes.values())) != 1 or not sizes["filtered"]:
        raise BenchError(
            f"Results per page differ or are none: {sizes}. Choose a person who sees at "
            "least --page-size papers, or a smaller --page-size."
        )
    counts = ", ".join(f"{name} {page['count']}" for name, page in pages.items())
    print(f"Both lists answer 200 with {sizes['filtered']} results a page (of {counts}).")


def run_wrk(name: str, url: str, key: str, *, seconds: int, connections: int) -> Run:
    command = [
        *("wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s"),
        *("--timeout", f"{REQUEST_TIMEOUT}s", "-s", str(LUA)),
        *("-H", f"Authorization: Token {key}", url),
    ]
    wrk = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    match = RESULT.search(wrk.stdout)
    if wrk.returncode or match is None:
        raise BenchError(f"wrk failed (status {wrk.returncode}):\n{wrk.stdout}{wrk.stderr}")
    fields = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    return Run(
        endpoint=name,
        requests=fields["requests"],
        seconds=fields["duration_us"] / 1e6,
        median_ms=fields["p50_us"] / 1e3,
        p95_ms=fields["p95_us"] / 1e3,
        non_2xx=fields["non2xx"],
        socket_errors=fields["socket_errors"],
    )


def measure(urls: dict[str, str], key: str, *, seconds: int, connections: int) -> list[Run]:
    """A warm-up of each list, then the lists in turn, ROUNDS times: bare, filtered, ..."""
    for name, url in urls.items():
        run_wrk(name, url, key, seconds=WARM_UP_SECONDS, connections=connections)
    return [
        run_wrk(name, url, key, seconds=seconds, connections=connections)
        for _ in range(ROUNDS)
        for name, url in urls.items()
    ]


def combined_rate(runs: list[Run], endpoint: str) -> float:
    """All of the endpoint's rounds together: their requests over their time."""
    mine = [run for run in runs if run.endpoint == endpoint]
    return sum(run.requests for run in mine) / sum(run.seconds for run in mine)


def report(runs: list[Run]) -> float:
    """Print a row per run and the ratio; return the ratio."""
    print(
        f"{'endpoint':<10} {'req/s':>8} {'median ms':>10} {'p95 ms':>8} {'non-2xx':>8} {'errors':>7}"
    )
    for run in runs:
        print(
            f"{run.endpoint:<10} {run.per_second:>8.1f} {run.median_ms:>10.1f} "
            f"{run.p95_ms:>8.1f} {run.non_2xx:>8} {run.socket_errors:>7}"
        )
    bare, filtered = combined_rate(runs, "bare"), combined_rate(runs, "filtered")
    ratio = filtered / bare
    verdict = "within" if ratio >= BUDGET else "OVER"
    print(f"\nreq/s over all rounds: bare {bare:.1f}, filtered {filtered:.1f}")
    print(f"Ratio filtered / bare: {ratio:.2f} (budget at least {BUDGET:.2f}): {verdict} budget")
    return ratio


def benchmark(args: argparse.Namespace) -> float:
    port = free_port()
    base, query = f"http://127.0.0.1:{port}", f"?page_size={args.page_size}"
    # Bare first: the order in which measure() takes them in each round.
    urls = {
        "bare": f"{base}/bench/bare/{args.alliance}/documents/{query}",
        "filtered": f"{base}/api/v1/a/{args.alliance}/documents/{query}",
    }
    with LOG.open("wb") as log, api_token(args.person) as key, gunicorn(port, log) as server:
        wait_until_listening(port, server)
        check_endpoints(urls, key)
        runs = measure(urls, key, seconds=args.duration, connections=args.connections)
    ratio = report(runs)
    if any(run.non_2xx or run.socket_errors for run in runs):
        raise BenchError(f"Requests failed under load (non-2xx or socket errors); see {LOG}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure()
    import django

    # The kiaa package first, as manage.py and kiaa.wsgi load it: it reads settings as it
    # loads the Celery app, which a half-imported bench.settings could not answer.
    import kiaa  # noqa: F401

    django.setup()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average at start: {load} (1, 5, 15 min; {os.cpu_count()} cores)")
    try:
        ratio = benchmark(args)
    except BenchError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; gunicorn stopped.", file=sys.stderr)
        return 130
    return 0 if ratio >= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
