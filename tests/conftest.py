"""Personas and shared fixtures.

One alliance ("home") with a lead agency, a partner agency, a competitor agency and the CVS;
plus an outsider from another alliance. Each persona says what it may see.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from kiaa.models import Agency, Alliance, Role, User
from tests.factories import AgencyFactory, AllianceFactory, PersonFactory, grant


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need the real PostgreSQL or Redis are skipped locally without them, failed in CI."""
    vendor = settings.DATABASES["default"]["ENGINE"]
    missing = {
        "postgres": None
        if "postgresql" in vendor
        else "PostgreSQL not running (DATABASE_URL unset)",
        "redis": None if settings.TEST_REDIS_URL else "Redis not running (REDIS_URL unset)",
    }
    # The live-broker tests start their own redis-server, worker and beat on PostgreSQL.
    missing["live_broker"] = missing["postgres"] or (
        None if shutil.which("redis-server") else "redis-server not installed"
    )
    for item in items:
        for marker, reason in missing.items():
            if reason and item.get_closest_marker(marker):
                if os.environ.get("CI"):
                    raise pytest.UsageError(f"CI must run {item.nodeid}, but {reason}.")
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle counts live in the cache: each test starts with a full sign-in budget."""
    cache.clear()


@dataclass
class World:
    alliance: Alliance
    lead: Agency  # the agency our chief officer runs
    partner: Agency
    competitor: Agency
    cvs: Agency  # the arbiter
    other_alliance: Alliance
    other_agency: Agency


@pytest.fixture
def world(db: None) -> World:
    alliance = AllianceFactory(name="Home Alliance", slug="home")
    other = AllianceFactory(name="Other Alliance", slug="other")
    return World(
        alliance=alliance,
        lead=AgencyFactory(alliance=alliance, name="Lead Advice"),
        partner=AgencyFactory(alliance=alliance, name="Partner Housing"),
        competitor=AgencyFactory(alliance=alliance, name="Rival Debt Line"),
        cvs=AgencyFactory(alliance=alliance, name="Home CVS", is_arbiter=True),
        other_alliance=other,
        other_agency=AgencyFactory(alliance=other, name="Elsewhere Advice"),
    )


def _person(username: str, role: str, agency: Agency | None, alliance: Alliance) -> User:
    user = PersonFactory(username=username)
    grant(user, role, agency, alliance=alliance)
    return user


@pytest.fixture
def chief_officer(world: World) -> User:
    # Runs the lead agency: sees the alliance, invites to their own agency's roles.
    return _person("chief", Role.CHIEF_OFFICER, world.lead, world.alliance)


@pytest.fixture
def trustee(world: World) -> User:
    # Sits on the lead agency's board: records its acceptance of the protocol.
    return _person("trustee", Role.TRUSTEE, world.lead, world.alliance)


@pytest.fixture
def partner(world: World) -> User:
    # Staff of the partner agency: an ordinary member.
    return _person("partner", Role.STAFF, world.partner, world.alliance)


@pytest.fixture
def competitor(world: World) -> User:
    # Chief officer of the competitor agency: an ordinary member, no rights over the lead's people.
    return _person("competitor", Role.CHIEF_OFFICER, world.competitor, world.alliance)


@pytest.fixture
def arbiter(world: World) -> User:
    # The CVS arbiter: reads the audit trail.
    return _person("arbiter", Role.ARBITER, world.cvs, world.alliance)


@pytest.fixture
def admin(world: World) -> User:
    # Alliance admin: manages agencies, service areas, protocol versions, any role.
    return _person("admin", Role.ALLIANCE_ADMIN, None, world.alliance)


@pytest.fixture
def outsider(world: World) -> User:
    # Chief officer in another alliance: must see nothing of the home alliance (404 everywhere).
    return _person("outsider", Role.CHIEF_OFFICER, world.other_agency, world.other_alliance)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
