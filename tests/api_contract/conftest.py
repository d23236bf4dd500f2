"""One shared alliance per test module, each test rolled back to it.

The world is built inside a transaction that stays open for the module; every test runs in a
savepoint inside it (pytest-django's `db`), so what a test writes is gone before the next one
and the world is built once rather than once per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.api_contract.world import Base, build_base


@pytest.fixture(scope="module")
def base(django_db_setup: None, django_db_blocker: Any) -> Iterator[Base]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_base()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_base(request: pytest.FixtureRequest) -> None:
    """A service may have changed a shared agency in memory in a test now rolled back: each
    test starts from what the database holds."""
    if "base" in request.fixturenames:
        shared: Base = request.getfixturevalue("base")
        for agency in (shared.lead, shared.partner, shared.competitor, shared.cvs):
            agency.refresh_from_db()
