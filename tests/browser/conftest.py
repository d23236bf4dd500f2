"""Browser journeys: Debian's Chromium, driven by Playwright, against Django's live server.

The demo alliance (seed_demo) is the world: the same Kirkvale agencies, people and tenders a
new user meets with `make run`, loaded afresh for each journey. Every page a journey looks at
goes through `Site.look` (tests/browser/site.py).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Playwright

from .site import AXE, CHROMIUM, SHOTS, Site


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium or axe-core the journeys cannot run: skipped locally, an error in CI."""
    missing = [
        f"{path} (install {how})"
        for path, how in ((CHROMIUM, "Debian's chromium"), (AXE, "npm ci"))
        if not path.exists()
    ]
    if not missing:
        return
    reason = "missing " + ", ".join(missing)
    for item in items:
        if "tests/browser/" in item.nodeid:
            if os.environ.get("CI"):
                raise pytest.UsageError(f"CI must run {item.nodeid}, but {reason}.")
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def playwright(playwright: Playwright) -> Playwright:
    """Playwright's sync API keeps an event loop running in this thread from its start to the
    session's end; Django's ORM, used by the fixtures and by any test this process runs after,
    refuses to run beside one unless told it is safe (it is: the loop never runs our code)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def demo(transactional_db: None) -> None:
    """The Kirkvale demo alliance, as `make run` loads it."""
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def site(
    live_server: Any, browser: Browser, demo: None, request: pytest.FixtureRequest
) -> Iterator[Site]:
    shots = SHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    journey = Site(base=live_server.url, browser=browser, shots=shots)
    yield journey
    for context in browser.contexts:
        context.close()
    assert not journey.problems, "\n".join(journey.problems)
