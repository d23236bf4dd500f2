"""What every benchmark needs before it measures: the environment, the database, Django, and
the statistics it reports (median and p95 of repeated runs)."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The scale data set of bench/generate.py, which the timing benchmarks read.
SCALE_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kiaa_scale"


def configure(database_url: str) -> None:
    """The environment Django reads, before it is set up (children inherit it)."""
    os.environ.setdefault("DATABASE_URL", database_url)
    os.environ.setdefault("DJANGO_ENV", "local")
    os.environ.setdefault("DEBUG", "0")  # local settings default DEBUG on: it keeps every query
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("REPORT_RENDER_PROCESSES", "2")
    # Never hand a task to a shared broker: without REDIS_URL Celery runs tasks in-process.
    os.environ["REDIS_URL"] = ""
    media = Path(tempfile.gettempdir()) / "kiaa-bench-media"
    media.mkdir(exist_ok=True)
    os.environ.setdefault("MEDIA_ROOT", str(media))


def database_config() -> dict[str, str | None]:
    """psycopg2's connection keywords for DATABASE_URL (empty for a database that is not
    PostgreSQL)."""
    import environ

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    if "postgresql" not in config["ENGINE"]:
        return {}
    return {
        "dbname": config["NAME"],
        "host": config.get("HOST") or None,
        "port": str(config.get("PORT") or "") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }


def ensure_database(*, fresh: bool = False) -> None:
    """Create the PostgreSQL database named by DATABASE_URL when it does not exist (`fresh`:
    drop it first)."""
    import psycopg2

    config = database_config()
    if not config:
        return
    name = config.pop("dbname")
    admin = psycopg2.connect(dbname="postgres", **config)
    admin.autocommit = True
    with admin.cursor() as cursor:
        if fresh:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}", flush=True)
    admin.close()


def setup_django() -> None:
    from kiaa import use_settings

    use_settings()
    import django

    django.setup()


def ensure_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("Migrating the bench database ...", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            check=True,
        )


def load() -> str:
    """The 1-minute load average, to write next to the numbers."""
    return f"{os.getloadavg()[0]:.2f}"


def p95(values: list[float]) -> float:
    """The 95th percentile by the nearest-rank method: a value that was measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    return statistics.median(values)
