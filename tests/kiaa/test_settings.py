"""Settings come from the environment; production mode passes Django's deployment checklist."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from django.conf import settings

# The test process's own, never a deployment's (the browser tests turn off the ORM's async check).
HARNESS = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in HARNESS}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**environ, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )


PRODUCTION = {
    "DJANGO_ENV": "production",
    "ALLOWED_HOSTS": "kiaa.example.org",
    "DATABASE_URL": "sqlite:////tmp/kiaa-deploy-check.sqlite3",
}


def test_production_passes_check_deploy_with_no_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        SECRET_KEY=secrets.token_urlsafe(60),
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_real_secret_key():
    result = manage("check", **PRODUCTION, SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_url_chooses_the_database():
    result = manage(
        "shell",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        DJANGO_ENV="local",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
    )
    assert result.stdout.strip().splitlines()[-1] == "postgresql"
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
        DJANGO_ENV="local",
        DATABASE_URL="",
    )
    assert result.stdout.strip().splitlines()[-1].endswith("db.sqlite3")


def test_files_are_stored_outside_the_static_path():
    assert not str(settings.MEDIA_ROOT).startswith(str(settings.STATIC_ROOT))
    assert settings.MEDIA_URL in ("", "/")
