#!/usr/bin/env python
"""The benchmark suite at scale: every budget of docs/PERFORMANCE.md, measured and checked.

    .venv/bin/python bench/run.py                  # all of it (make bench)
    .venv/bin/python bench/run.py --only list permission --runs 100

It reads the scale data set of bench/generate.py (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kiaa_scale), and, for the document list at 10,000
documents, the set at scale 0.01 (SMALL_DATABASE_URL, default .../kiaa_scale_small); both are
generated when missing. Nothing it writes is kept: each timed write runs in a transaction that
is rolled back, so every run starts from the same data.

Benchmarks (the probe person is `s000.a0000.chief`, chief officer of the hub agency of the
largest alliance, `scale-000`):
- list: the papers list page and API (first page and a deep one), server time through Django's
  test client, with the queries counted; also at 10,000 documents, for the flatness check.
- permission: the barrier's check for one paper (`barrier.get_for`, seen and hidden), the
  paper's page and its download.
- declaring: the trustee's vote that approves a declaration, with everything it sets off: the
  conflict rules, withdrawals from the hub's 20 partnerships, and the barrier's reconcile.
- detectors: every breach detector over one alliance (the largest), and over all of them.
- pdf: bench/report_pdf.py (a ~100-page register) against the same database.
- throughput: bench/throughput.py (gunicorn, 2 workers, wrk on loopback).

Prints one line per measure with its budget, a Markdown table for docs/PERFORMANCE.md, and
exits 1 when any budget is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (
    ROOT,
    SCALE_DATABASE_URL,
    configure,
    database_config,
    load,
    median,
    p95,
    setup_django,
)

SMALL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kiaa_scale_small"
ALLIANCE = "scale-000"
PERSON = "s000.a0000.chief"
PROBE_TENDER = "S000-00001"
BENCHES = ("list", "permission", "declaring", "detectors", "pdf", "throughput", "plans")


@dataclass
class Result:
    name: str
    median_ms: float
    p95_ms: float
    runs: int
    queries: int | None
    budget: str
    met: bool
    note: str = ""


def timed(call: Callable[[], Any], runs: int, warm_up: int = 3) -> list[float]:
    """Milliseconds of each of `runs` calls, after `warm_up` untimed ones."""
    for _ in range(warm_up):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def queries_of(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Whatever the block writes is undone: each run starts from the generated data.

    Foreign keys are checked as each row is written, not at a commit that never comes, so the
    time of those checks is in the measure as it is in a committed request.
    """
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield
        transaction.set_rollback(True)


def result(
    name: str, times: list[float], budget_ms: float, *, queries: int | None = None, **kw: Any
) -> Result:
    """A measure against a p95 budget in milliseconds (and at most `max_queries`, if given)."""
    max_queries = kw.pop("max_queries", None)
    met = p95(times) < budget_ms and (max_queries is None or (queries or 0) <= max_queries)
    budget = f"p95 < {budget_ms:g} ms" + (f", ≤ {max_queries} queries" if max_queries else "")
    return Result(name, median(times), p95(times), len(times), queries, budget, met, **kw)


def median_result(
    name: str, times: list[float], budget_ms: float, *, queries: int | None = None, note: str = ""
) -> Result:
    """A measure against a median budget in milliseconds."""
    unit = f"{budget_ms / 1000:g} s" if budget_ms >= 1000 else f"{budget_ms:g} ms"
    met = median(times) < budget_ms
    return Result(
        name, median(times), p95(times), len(times), queries, f"median < {unit}", met, note
    )


# ----------------------------------------------------------------------------- the benchmarks


def client_for(username: str) -> Any:
    from django.test import Client

    from kiaa.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    return client


def get_ok(client: Any, url: str) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response

    return call


def bench_list(runs: int, label: str = "") -> list[Result]:
    """The papers a person may see, as the list page and the API give them."""
    from kiaa.models import Alliance, User
    from partnerships.selectors import document_partnerships_seen

    client = client_for(PERSON)
    api = f"/api/v1/a/{ALLIANCE}/documents/"
    count = client.get(api).json()["count"]
    deep = max(1, count // 25 // 2)  # a page half-way down the list
    # The first partnership of the person's in the papers page's filter.
    place = document_partnerships_seen(
        person=User.objects.get(username=PERSON), alliance=Alliance.objects.get(slug=ALLIANCE)
    )[0].partnership_id
    found = []
    for name, url in (
        ("list page", f"/a/{ALLIANCE}/documents/"),
        (f"list page {deep}", f"/a/{ALLIANCE}/documents/?page={deep}"),
        ("list API", api),
        (f"list API page {deep}", f"{api}?page={deep}"),
        ("list API, searched", f"{api}?search=pricing"),
        ("list API, one partnership", f"{api}?partnership={place}"),
        ("list API, commercial", f"{api}?sensitivity=commercial"),
    ):
        call = get_ok(client, url)
        queries = queries_of(call)
        found.append(
            result(
                f"{name}{label}",
                timed(call, runs),
                50,
                queries=queries,
                max_queries=8,
                note=f"{count:,} papers seen",
            )
        )
    return found


def _papers() -> tuple[Any, Any, Any]:
    """The probe person, a paper they may see and one behind the barrier (same alliance)."""
    from kiaa import barrier
    from kiaa.models import Alliance, User
    from partnerships.models import Document

    person = User.objects.get(username=PERSON)
    alliance = Alliance.objects.get(slug=ALLIANCE)
    seen = barrier.visible_to(person, alliance).order_by("pk").first()
    hidden = (
        Document.objects.filter(alliance=alliance, sensitivity="commercial")
        .exclude(pk__in=barrier.visible_to(person, alliance).values("pk"))
        .order_by("pk")
        .first()
    )
    return person, seen, hidden


def bench_permission(runs: int) -> list[Result]:
    from django.http import Http404

    from partnerships import selectors

    person, seen, hidden = _papers()
    alliance = seen.alliance

    def check(pk: int) -> Callable[[], Any]:
        """The check a paper's page, API and download make before anything else."""

        def call() -> Any:
            try:
                return selectors.document_get_for(
                    person=person, alliance=alliance, pk=pk, action="view", channel="api"
                )
            except Http404:  # the hidden paper's answer, which is what is measured
                return None

        return call

    client = client_for(PERSON)
    page = get_ok(client, f"/a/{ALLIANCE}/documents/{seen.pk}/")
    download = get_ok(client, f"/a/{ALLIANCE}/documents/{seen.pk}/download/")
    found = [
        median_result(  # the budget for the check is on the median, like the others
            "permission check (a paper the person may see)",
            timed(check(seen.pk), runs * 5),
            5,
            queries=queries_of(check(seen.pk)),
        )
    ]
    with rolled_back():  # a hidden paper's ask is recorded as an attempt across the barrier
        found.append(
            result(
                "hidden paper: the check, then the attempt recorded (404)",
                timed(check(hidden.pk), runs * 5),
                50,
                queries=queries_of(check(hidden.pk)),
                note="a request's budget: the check is the same query, the record a write",
            )
        )
    with rolled_back():  # opening a paper writes the access log
        found.append(result("paper page", timed(page, runs), 50, queries=queries_of(page)))
        found.append(
            result("paper download", timed(download, runs), 50, queries=queries_of(download))
        )
    return found


def bench_declaring(runs: int) -> list[Result]:
    """The second trustee's approval: declared, conflicts, withdrawals, barrier reconcile."""
    from bids.models import Declaration, Tender
    from bids.services import declarations
    from kiaa.models import Agency, BoardDecision, User
    from kiaa.services import decisions
    from partnerships.models import PartnershipMember

    chief = User.objects.get(username=PERSON)
    first, second = (
        User.objects.get(username=PERSON.replace("chief", f"trustee{n}")) for n in (1, 2)
    )
    tender = Tender.objects.get(reference=PROBE_TENDER)
    agency = Agency.objects.get(memberships__user=chief, memberships__role="chief_officer")
    places = PartnershipMember.objects.filter(agency=agency, status="active").count()
    times, queries, opened = [], 0, 0
    for run in range(runs + 1):  # the first is the warm-up
        with rolled_back():
            draft = declarations.declaration_draft(
                actor=chief, tender=tender, agency=agency, capacity=Declaration.Capacity.SOLE
            )
            declarations.declaration_submit_for_approval(actor=chief, declaration=draft)
            question = BoardDecision.objects.get(
                subject_type="bids.declaration", subject_id=draft.pk
            )
            decisions.decision_vote(actor=first, decision=question, choice="approve")
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                decisions.decision_vote(actor=second, decision=question, choice="approve")
                elapsed = (time.perf_counter() - started) * 1000
            draft.refresh_from_db()
            if draft.status != Declaration.Status.DECLARED:
                raise SystemExit(f"the probe declaration ended {draft.status}, not declared")
            if run:
                times.append(elapsed)
                queries = len(captured)
                opened = draft.withdrawals.count()
    return [
        median_result(
            "declaring: approve → conflicts → withdrawals → reconcile",
            times,
            300,
            queries=queries,
            note=f"agency in {places} partnerships; {opened} withdrawals opened",
        )
    ]


def bench_detectors(runs: int) -> list[Result]:
    """Every breach detector over the largest alliance, then over every alliance once.

    Twice each time: the first run finds and records every breach (the worst case, as after a
    restore), the second finds them all again and changes nothing (the periodic steady state).
    """
    from disputes.services.breaches import breaches_detect
    from kiaa.models import Alliance

    def detect_twice(alliance: Any) -> tuple[float, float, int]:
        with rolled_back():
            started = time.perf_counter()
            found = len(breaches_detect(alliance=alliance).created)
            middle = time.perf_counter()
            again = breaches_detect(alliance=alliance)
            assert not again.created, "a second run found new breaches"  # noqa: S101
            return (middle - started) * 1000, (time.perf_counter() - middle) * 1000, found

    largest = Alliance.objects.get(slug=ALLIANCE)
    detect_twice(largest)  # warm-up
    one = [detect_twice(largest) for _ in range(runs)]
    every = Alliance.objects.order_by("pk")
    started = time.perf_counter()
    all_runs = [detect_twice(alliance) for alliance in every]
    wall = (time.perf_counter() - started) * 1000
    firsts = sum(r[0] for r in all_runs)
    return [
        median_result(
            "detectors, largest alliance, first run",
            [r[0] for r in one],
            1000,
            note=f"{one[0][2]:,} breaches recorded",
        ),
        median_result("detectors, largest alliance, again", [r[1] for r in one], 1000),
        median_result(
            f"detectors, all {len(all_runs)} alliances, first run",
            [firsts],
            180_000,
            note=f"{sum(r[2] for r in all_runs):,} breaches; with the second runs {wall / 1000:.0f} s",
        ),
        median_result(
            f"detectors, all {len(all_runs)} alliances, again",
            [sum(r[1] for r in all_runs)],
            180_000,
        ),
    ]


def bench_script(name: str, script: str, *args: str) -> Result:
    """A benchmark of its own (it checks its budget and says so with its exit status)."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own script, run by this interpreter
        [sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, check=False
    )
    wall = (time.perf_counter() - started) * 1000
    return Result(
        name,
        wall,
        wall,
        1,
        None,
        f"{script}'s own (exit 0)",
        done.returncode == 0,
        note=f"exit {done.returncode}",
    )


def explain_hot_queries() -> list[Result]:
    """EXPLAIN ANALYZE of the queries the papers list and a paper's check make, as the product
    makes them (captured from the selectors, not written here), for docs/PERFORMANCE.md."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kiaa import barrier
    from kiaa.paging import IdsFirst
    from partnerships import selectors

    person, seen, _ = _papers()
    alliance = seen.alliance
    papers = selectors.document_list_for(person=person, alliance=alliance)

    def first_page() -> list[Any]:
        listed = IdsFirst(papers, per_page=25, page=1)  # as the page and the API read it
        listed.count()
        return listed[0:25]

    hot: list[tuple[str, Callable[[], Any]]] = [
        ("papers list: the first page's ids with the count, then its rows", first_page),
        (
            "papers list page: the filter's partnerships, with papers waiting on an undertaking",
            lambda: selectors.document_partnerships_seen(person=person, alliance=alliance),
        ),
        (
            "one paper: barrier.get_for",
            lambda: barrier.get_for(
                person=person, alliance=alliance, pk=seen.pk, action="view", channel="api"
            ),
        ),
    ]
    for title, call in hot:
        with CaptureQueriesContext(connection) as captured:
            call()
        for query in captured.captured_queries:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\n#### {title}\n\n```\n{query['sql']}\n\n{plan}\n```", flush=True)
    return []  # plans to read, nothing timed


# ----------------------------------------------------------------------------- the suite


def ensure_data(url: str, scale: float) -> None:
    """Generate a data set that is missing (its database has no alliances yet)."""
    import psycopg2

    env = {**os.environ, "DATABASE_URL": url}
    config = database_config_for(url)
    try:
        with psycopg2.connect(**config) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM kiaa_alliance WHERE slug LIKE 'scale-%%'")
            if cursor.fetchone()[0]:
                return
    except psycopg2.Error:
        pass
    print(f"Generating the scale {scale} data set in {config['dbname']} ...", flush=True)
    subprocess.run(  # noqa: S603 - our own script, run by this interpreter
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--scale", str(scale)],
        env=env,
        check=True,
    )


def database_config_for(url: str) -> dict[str, Any]:
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        return database_config()
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved


def small_list(runs: int) -> list[Result]:
    """The list benchmark at 10,000 documents, in a process of its own (its own database)."""
    small = os.environ.get("SMALL_DATABASE_URL", SMALL_DATABASE_URL)
    ensure_data(small, 0.01)
    done = subprocess.run(  # noqa: S603 - our own script, run by this interpreter
        [sys.executable, __file__, "--only", "list", "--runs", str(runs), "--json"],
        env={**os.environ, "DATABASE_URL": small},
        check=True,
        capture_output=True,
        text=True,
    )
    return [Result(**r) for r in json.loads(done.stdout)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=list(BENCHES))
    parser.add_argument("--runs", type=int, default=50, help="timed runs of each fast measure")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure(SCALE_DATABASE_URL)
    url = os.environ["DATABASE_URL"]
    if not args.json:
        ensure_data(url, 1.0)
    setup_django()
    runs = max(1, args.runs)
    if not args.json:
        print(
            f"Database {database_config()['dbname']}; load {load()}; {runs} runs each", flush=True
        )

    results: list[Result] = []
    steps: dict[str, Callable[[], list[Result]]] = {
        "list": lambda: (
            bench_list(runs, "" if args.json else ", 1M") + ([] if args.json else small_list(runs))
        ),
        "permission": lambda: bench_permission(runs),
        "declaring": lambda: bench_declaring(max(5, runs // 5)),
        "detectors": lambda: bench_detectors(max(3, runs // 10)),
        "pdf": lambda: [bench_script("100-page PDF register", "report_pdf.py", "--runs", "3")],
        "throughput": lambda: [bench_script("list API throughput vs bare", "throughput.py")],
        "plans": explain_hot_queries,
    }
    for name in args.only:
        for found in steps[name]():
            results.append(found)
            if not args.json:
                print(line(found), flush=True)
    if args.json:
        print(json.dumps([asdict(r) for r in results]))
        return 0
    print(f"\nload at the end {load()}\n")
    print(table(results))
    missed = [r.name for r in results if not r.met]
    if missed:
        print(f"\nBudget missed: {', '.join(missed)}")
    return 1 if missed else 0


def line(r: Result) -> str:
    queries = f", {r.queries} queries" if r.queries is not None else ""
    verdict = "met" if r.met else "MISSED"
    return (
        f"{r.name}: median {r.median_ms:.1f} ms, p95 {r.p95_ms:.1f} ms ({r.runs} runs{queries}); "
        f"budget {r.budget}: {verdict}" + (f" [{r.note}]" if r.note else "")
    )


def table(results: list[Result]) -> str:
    rows = [
        "| measure | median | p95 | runs | queries | budget | met | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        queries = "" if r.queries is None else str(r.queries)
        rows.append(
            f"| {r.name} | {r.median_ms:.1f} ms | {r.p95_ms:.1f} ms | {r.runs} | {queries} | "
            f"{r.budget} | {'yes' if r.met else '**no**'} | {r.note} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
