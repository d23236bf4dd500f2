"""Leaving a partnership and dissolving one cannot be undone, so each is confirmed first.

The button on the partnership page leads to a page that says what will happen and who will
know; reaching it (a GET, or a POST without the confirmation) writes nothing and records no
audit event; only its Confirm does the step. Those who may not act get a 403 before any of it.
"""

from __future__ import annotations

import pytest
from django.test import Client

from kiaa.models import AuditEvent, User
from partnerships.models import Partnership, PartnershipMember
from tests.api import row_counts
from tests.conftest import World
from tests.factories.partnerships import chief_of, make_partnership
from tests.pages import follow, html, page, signed_in, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(world: World, chief_officer: User) -> Partnership:
    """Lead Advice leads a network (no board approval) with Partner Housing in it."""
    return make_partnership(world.lead, world.partner, name="Advice Network")


def written() -> dict[str, int]:
    return row_counts(AuditEvent, Partnership, PartnershipMember)


def statuses(network: Partnership) -> tuple[str, ...]:
    network.refresh_from_db()
    members = network.members.order_by("agency__name").values_list("status", flat=True)
    return (network.status, *members)


@pytest.mark.parametrize("method", ["get", "post"])
def test_dissolving_says_what_will_happen_first_and_changes_nothing(
    client: Client, network: Partnership, chief_officer: User, method: str
):
    before, was = written(), statuses(network)
    url = page("partnership-dissolve", pk=network.pk)
    shown = getattr(signed_in(client, chief_officer), method)(url)
    assert shown.status_code == 200
    words = text(shown)
    assert "What will happen" in words
    assert "Advice Network ends for good: it cannot be reopened." in words
    assert "Every member leaves it now: Lead Advice, Partner Housing." in words
    assert "Every member sees that it is dissolved" in words
    assert 'name="confirmed" value="on"' in html(shown)
    assert f'<a href="{page("partnership-detail", pk=network.pk)}">Cancel, go back</a>' in html(
        shown
    )
    assert (written(), statuses(network)) == (before, was)


def test_confirming_dissolves_and_says_so(
    client: Client, network: Partnership, chief_officer: User
):
    url = page("partnership-dissolve", pk=network.pk)
    response = signed_in(client, chief_officer).post(url, {"confirmed": "on"})
    assert "Advice Network is dissolved; its members have left." in text(follow(client, response))
    assert statuses(network) == ("dissolved", "left", "left")
    assert AuditEvent.objects.filter(verb="partnership.dissolved").count() == 1


def test_a_dissolved_partnership_says_it_cannot_be_dissolved_again(
    client: Client, network: Partnership, chief_officer: User
):
    url = page("partnership-dissolve", pk=network.pk)
    signed_in(client, chief_officer).post(url, {"confirmed": "on"})
    again = client.get(url)
    assert "This cannot be done" in text(again)
    assert "This partnership is already dissolved." in text(again)
    assert 'name="confirmed"' not in html(again)


@pytest.mark.parametrize("method", ["get", "post"])
def test_leaving_says_what_will_happen_first_and_changes_nothing(
    client: Client, world: World, network: Partnership, method: str
):
    before, was = written(), statuses(network)
    url = page("partnership-member-leave", pk=network.pk, agency_id=world.partner.pk)
    shown = getattr(signed_in(client, chief_of(world.partner)), method)(url)
    assert shown.status_code == 200
    words = text(shown)
    assert "Partner Housing leaves Advice Network" in words
    assert "no longer sees the papers shared only with the partnership's members" in words
    assert "It cannot be undone: to come back, Partner Housing must be invited again." in words
    assert (written(), statuses(network)) == (before, was)


def test_confirming_leaves_and_says_so(client: Client, world: World, network: Partnership):
    url = page("partnership-member-leave", pk=network.pk, agency_id=world.partner.pk)
    response = signed_in(client, chief_of(world.partner)).post(url, {"confirmed": "on"})
    assert "Partner Housing has left Advice Network." in text(follow(client, response))
    assert statuses(network) == ("forming", "active", "left")
    assert AuditEvent.objects.filter(verb="partnership.left").count() == 1


@pytest.mark.parametrize("persona", ["trustee", "partner", "competitor", "admin"])
def test_people_who_may_not_act_get_no_confirmation_page(
    client: Client,
    request: pytest.FixtureRequest,
    world: World,
    network: Partnership,
    persona: str,
):
    signed_in(client, request.getfixturevalue(persona))
    before = written()
    for url in (
        page("partnership-dissolve", pk=network.pk),
        page("partnership-member-leave", pk=network.pk, agency_id=world.partner.pk),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirmed": "on"}).status_code == 403
    assert written() == before


def test_the_partnership_page_links_to_the_confirmations_instead_of_acting(
    client: Client, world: World, network: Partnership, chief_officer: User
):
    lead = html(signed_in(client, chief_officer).get(page("partnership-detail", pk=network.pk)))
    assert f'href="{page("partnership-dissolve", pk=network.pk)}">Dissolve' in lead
    leave = page("partnership-member-leave", pk=network.pk, agency_id=world.partner.pk)
    partner = html(
        signed_in(client, chief_of(world.partner)).get(page("partnership-detail", pk=network.pk))
    )
    assert f'href="{leave}">Leave' in partner
    assert f'action="{leave}"' not in partner
