"""The demo alliance: realistic, complete, audited, and idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from kiaa import audit
from kiaa.management.commands.seed_demo import DEMO_PASSWORD
from kiaa.models import Agency, Alliance, Membership, ProtocolAcceptance, Role, ServiceArea

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_demo_alliance_has_what_the_protocol_needs():
    seed()
    alliance = Alliance.objects.get(slug="kirkvale")
    agencies = Agency.objects.filter(alliance=alliance)
    assert agencies.count() >= 8
    assert agencies.filter(is_arbiter=True).count() == 1
    for agency in agencies:
        roles = list(Membership.objects.filter(agency=agency).values_list("role", flat=True))
        assert roles.count(Role.CHIEF_OFFICER) == 1, agency
        assert roles.count(Role.TRUSTEE) >= 2, agency
        assert Role.STAFF in roles, agency
    areas = set(ServiceArea.objects.filter(alliance=alliance).values_list("slug", flat=True))
    assert {"debt-advice", "housing", "immigration", "disability", "older-people"} <= areas
    assert Membership.objects.filter(
        alliance=alliance, role=Role.ARBITER, agency__is_arbiter=True
    ).exists()
    assert Membership.objects.filter(alliance=alliance, role=Role.ALLIANCE_ADMIN).exists()
    assert ProtocolAcceptance.objects.filter(alliance=alliance).count() >= 5
    assert audit.verify(alliance) is None


def test_running_twice_changes_nothing():
    seed()
    before = row_counts()
    second = seed()
    assert row_counts() == before
    assert "nothing changed" in second


def test_printed_logins_work():
    out = seed()
    assert "alliance.admin" in out and DEMO_PASSWORD in out
    client = Client()
    response = client.post("/accounts/login/", {"username": "cab.chief", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/a/kirkvale/"
