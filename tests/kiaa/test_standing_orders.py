"""An agency's standing orders: its own decision rules, which tighten the alliance's and never
loosen them. The agency page shows them in words, its chief officer, a trustee or an admin
changes them (page and API), and the board's decisions follow them.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

from kiaa.decisions import ORDERS_MINIMUM
from kiaa.models import AuditEvent, BoardDecision, StandingOrders, User
from kiaa.selectors import ORDERS_ADD_BAR, ORDERS_ADD_FULL_BOARD, ORDERS_ADD_MINIMUM
from kiaa.services.protocol import (
    BAD_LIMIT,
    LOOSER_THAN_ALLIANCE,
    NOT_THEIR_ORDERS,
    protocol_settings_update,
    standing_orders_update,
)
from partnerships.services import partnerships
from tests.api import PERSONAS, api_url
from tests.conftest import World, api_as
from tests.factories.core import _platform_admin
from tests.factories.partnerships import board_of, chief_of
from tests.pages import error_summary, follow, html, page, signed_in, text

pytestmark = pytest.mark.django_db

# Lead Advice's own chief officer and trustee, and the alliance admin, set its standing orders;
# other members may read them (403 to change them); the outsider finds nothing (404).
# fmt: off
#                     chief  trustee partner competitor arbiter admin outsider
PAGE_EXPECTED =      (200,   200,    403,    403,       403,    200,  404)
API_READ_EXPECTED =  (200,   200,    200,    200,       200,    200,  404)
API_WRITE_EXPECTED = (200,   200,    403,    403,       403,    200,  404)
# fmt: on

GOOD = {"minimum_votes": "3", "full_board_above": "250000", "bar_chief_officers": "on"}


def rows() -> dict[str, Any]:
    return {
        "orders": list(
            StandingOrders.objects.values_list(
                "agency", "minimum_votes", "full_board_above_pence", "bar_chief_officers"
            )
        ),
        "AuditEvent": AuditEvent.objects.count(),
    }


def orders_section(response: Any) -> str:
    match = re.search(
        r'<section aria-labelledby="orders-heading">(.*?)</section>', html(response), re.S
    )
    assert match, "the agency page has no standing orders section"
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))))


def set_orders(agency: Any, **orders: Any) -> StandingOrders:
    values = {"minimum_votes": None, "full_board_above_pence": None, "bar_chief_officers": False}
    return standing_orders_update(actor=chief_of(agency), agency=agency, **{**values, **orders})


# ----------------------------------------------------------------------------- the agency page


def test_an_agency_without_standing_orders_follows_the_alliances_rule(
    client: Client, world: World, partner: User
):
    response = signed_in(client, partner).get(page("agency-detail", pk=world.lead.pk))
    assert "No standing orders: the board follows the alliance's rule" in orders_section(response)
    assert "never fewer than 2" in orders_section(response)
    assert page("standing-orders", pk=world.lead.pk) not in html(response)


def test_the_agency_page_says_what_each_standing_order_adds(
    client: Client, world: World, partner: User
):
    protocol_settings_update(
        actor=_platform_admin(world.alliance),
        alliance=world.alliance,
        board_approval_kinds=["consortium"],
        minimum_quorum=2,
        chief_officers_may_vote=True,
    )
    set_orders(
        world.lead, minimum_votes=3, full_board_above_pence=25_000_000, bar_chief_officers=True
    )
    section = orders_section(
        signed_in(client, partner).get(page("agency-detail", pk=world.lead.pk))
    )
    assert ORDERS_ADD_MINIMUM.format(votes=3, minimum=2) in section
    assert ORDERS_ADD_FULL_BOARD.format(limit="£250,000") in section
    assert ORDERS_ADD_BAR in section


@pytest.mark.parametrize("persona", ["chief_officer", "trustee", "admin"])
def test_the_agency_page_offers_the_change_to_those_who_may_make_it(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str
):
    response = signed_in(client, request.getfixturevalue(persona)).get(
        page("agency-detail", pk=world.lead.pk)
    )
    assert f'href="{page("standing-orders", pk=world.lead.pk)}"' in html(response)


# ----------------------------------------------------------------------------- the edit page


def test_the_chief_officer_records_standing_orders_and_the_change_is_audited(
    client: Client, world: World, chief_officer: User
):
    signed_in(client, chief_officer)
    form = html(client.get(page("standing-orders", pk=world.lead.pk)))
    assert 'name="minimum_votes"' in form and 'name="full_board_above"' in form
    assert "already asks at least 2" in unescape(form)
    response = client.post(page("standing-orders", pk=world.lead.pk), GOOD)
    assert response.url == page("agency-detail", pk=world.lead.pk)
    after = follow(client, response)
    assert "Standing orders saved." in text(after)
    assert ORDERS_ADD_MINIMUM.format(votes=3, minimum=2) in orders_section(after)
    assert rows()["orders"] == [(world.lead.pk, 3, 25_000_000, True)]
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.verb == "standing_orders.changed"
    # The form opens again with what was recorded.
    again = html(client.get(page("standing-orders", pk=world.lead.pk)))
    assert 'name="minimum_votes" value="3"' in again
    assert 'name="full_board_above" value="250000"' in again
    assert re.search(r'name="bar_chief_officers"[^>]*checked', again)


def test_clearing_the_fields_returns_the_board_to_the_alliances_rule(
    client: Client, world: World, chief_officer: User
):
    set_orders(world.lead, minimum_votes=3)
    signed_in(client, chief_officer)
    client.post(
        page("standing-orders", pk=world.lead.pk), {"minimum_votes": "", "full_board_above": ""}
    )
    assert rows()["orders"] == [(world.lead.pk, None, None, False)]


@pytest.mark.parametrize("votes", ["1", "0", "-4"])
def test_standing_orders_looser_than_the_alliance_are_refused_with_a_clear_message(
    client: Client, world: World, chief_officer: User, votes: str
):
    signed_in(client, chief_officer)
    before = rows()
    response = client.post(
        page("standing-orders", pk=world.lead.pk), {**GOOD, "minimum_votes": votes}
    )
    assert response.status_code == 400
    summary = error_summary(response)
    assert 'href="#id_minimum_votes"' in summary
    assert LOOSER_THAN_ALLIANCE.format(minimum=2) in summary
    assert rows() == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"full_board_above": "0"}, "full_board_above", BAD_LIMIT),
        ({"full_board_above": "-5"}, "full_board_above", BAD_LIMIT),
        ({"full_board_above": "lots"}, "full_board_above", None),
        ({"full_board_above": str(10**15)}, "full_board_above", None),
        ({"minimum_votes": "three"}, "minimum_votes", None),
        ({"minimum_votes": "100"}, "minimum_votes", None),
    ],
)
def test_bad_standing_orders_are_refused_on_their_field(
    client: Client, world: World, chief_officer: User, data: dict, field: str, message: str | None
):
    signed_in(client, chief_officer)
    before = rows()
    response = client.post(page("standing-orders", pk=world.lead.pk), {**GOOD, **data})
    assert response.status_code == 400
    summary = error_summary(response)
    assert f'href="#id_{field}"' in summary
    if message:
        assert message in summary
    assert rows() == before


@pytest.mark.parametrize(("persona", "expected"), list(zip(PERSONAS, PAGE_EXPECTED, strict=True)))
def test_each_persona_gets_the_standing_orders_page_it_should(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str, expected: int
):
    signed_in(client, request.getfixturevalue(persona))
    url = page("standing-orders", pk=world.lead.pk)
    assert client.get(url).status_code == expected
    before = rows()
    response = client.post(url, GOOD)
    assert response.status_code == (302 if expected == 200 else expected)
    if expected != 200:
        assert rows() == before


def test_another_alliances_agency_has_no_standing_orders_page_here(
    client: Client, world: World, admin: User
):
    signed_in(client, admin)
    url = page("standing-orders", pk=world.other_agency.pk)
    assert client.get(url).status_code == 404
    assert client.post(url, GOOD).status_code == 404
    assert not StandingOrders.objects.exists()


# ----------------------------------------------------------------------------- decisions follow them


def test_standing_orders_tighten_the_quorum_and_the_decision_page_names_the_rule(
    client: Client, world: World, trustee: User
):
    board_of(world.lead, size=3)
    set_orders(world.lead, minimum_votes=3)
    partnership = partnerships.partnership_propose(
        actor=chief_of(world.lead),
        alliance=world.alliance,
        name="Debt Consortium",
        kind="consortium",
        lead_agency=world.lead,
    )
    decision = BoardDecision.objects.get(subject_id=partnership.members.get().pk)
    rule = ORDERS_MINIMUM.format(agency="Lead Advice", votes=3)
    assert (decision.quorum, decision.rule) == (3, rule)
    response = signed_in(client, trustee).get(page("decision-detail", pk=decision.pk))
    assert "Quorum 3 approvals" in text(response)
    assert f'<dd id="quorum-rule">{rule}</dd>' in unescape(html(response))
    assert '<dd id="still-needed">3</dd>' in html(response)


# ----------------------------------------------------------------------------- the API


@pytest.mark.parametrize(
    ("persona", "expected"), list(zip(PERSONAS, API_READ_EXPECTED, strict=True))
)
def test_each_persona_reads_standing_orders_as_api_md_promises(
    request: pytest.FixtureRequest, world: World, persona: str, expected: int
):
    set_orders(world.lead, minimum_votes=3)
    response = api_as(request.getfixturevalue(persona)).get(
        api_url("standing-orders", pk=world.lead.pk)
    )
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert {k: body[k] for k in ("agency", "minimum_votes", "bar_chief_officers")} == {
            "agency": world.lead.pk,
            "minimum_votes": 3,
            "bar_chief_officers": False,
        }
        assert body["rules"] == [ORDERS_ADD_MINIMUM.format(votes=3, minimum=2)]


@pytest.mark.parametrize(
    ("persona", "expected"), list(zip(PERSONAS, API_WRITE_EXPECTED, strict=True))
)
def test_each_persona_changes_standing_orders_as_api_md_promises(
    request: pytest.FixtureRequest, world: World, persona: str, expected: int
):
    client = api_as(request.getfixturevalue(persona))
    before = rows()
    body = {"minimum_votes": 4, "full_board_above_pence": None, "bar_chief_officers": True}
    response = client.put(api_url("standing-orders", pk=world.lead.pk), body, format="json")
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["minimum_votes"] == 4
        assert rows()["orders"] == [(world.lead.pk, 4, None, True)]
        assert rows()["AuditEvent"] == before["AuditEvent"] + 1
    else:
        assert set(response.json()) == {"detail"}
        assert rows() == before
    if expected == 403:
        assert response.json() == {"detail": NOT_THEIR_ORDERS}


def test_an_agency_without_standing_orders_reads_as_empty(world: World, partner: User):
    body = api_as(partner).get(api_url("standing-orders", pk=world.lead.pk)).json()
    assert body == {
        "agency": world.lead.pk,
        "minimum_votes": None,
        "full_board_above_pence": None,
        "bar_chief_officers": False,
        "rules": [],
        "updated_by": None,
        "updated_at": None,
    }


BAD_PUTS = [
    ({"minimum_votes": 1}, "minimum_votes", LOOSER_THAN_ALLIANCE.format(minimum=2)),
    ({"full_board_above_pence": 0}, "full_board_above_pence", BAD_LIMIT),
    ({"minimum_votes": "many"}, "minimum_votes", None),
    ({"minimum_votes": 10**6}, "minimum_votes", None),
    ({"full_board_above_pence": 2**70}, "full_board_above_pence", None),
    ({"bar_chief_officers": None}, "bar_chief_officers", None),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_PUTS)
def test_bad_or_looser_standing_orders_are_a_field_error_over_the_api(
    world: World, chief_officer: User, change: dict, field: str, message: str | None
):
    before = rows()
    body = {"minimum_votes": 3, "full_board_above_pence": None, "bar_chief_officers": False}
    response = api_as(chief_officer).put(
        api_url("standing-orders", pk=world.lead.pk), {**body, **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field] == [message]
    assert rows() == before


def test_a_put_must_give_every_standing_order(world: World, chief_officer: User):
    response = api_as(chief_officer).put(
        api_url("standing-orders", pk=world.lead.pk), {"minimum_votes": 3}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"full_board_above_pence", "bar_chief_officers"}


def test_another_alliances_agency_has_no_standing_orders_over_the_api(world: World, admin: User):
    client = api_as(admin)
    url = api_url("standing-orders", pk=world.other_agency.pk)
    assert client.get(url).status_code == 404
    body = {"minimum_votes": 3, "full_board_above_pence": None, "bar_chief_officers": False}
    assert client.put(url, body, format="json").status_code == 404
    assert not StandingOrders.objects.exists()
