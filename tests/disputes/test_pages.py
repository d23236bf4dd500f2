"""The breach register's pages: who sees which breach, the filters, the evidence as people
read it, the navigation link and query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from disputes.models import Breach
from disputes.views import evidence_facts, evidence_value
from kiaa.models import User
from tests.conftest import World
from tests.disputes.conftest import Breaches
from tests.factories.disputes import BreachFactory
from tests.pages import html, main_nav, page, signed_in, text

pytestmark = pytest.mark.django_db

LEAD = "Lead Advice declared for the debt advice tender after the deadline."
RIVAL = "Rival Debt Line has not signed the network's MoU."
ALLIANCE = "The protocol is overdue for review."
ELSEWHERE = "Elsewhere Advice broke it."

# Which summaries each persona finds on the register (None: the alliance is not theirs, 404).
SEES = {
    "chief_officer": {LEAD},
    "trustee": {LEAD},
    "partner": set(),  # staff answer for no breach
    "competitor": {RIVAL},
    "arbiter": {LEAD, RIVAL, ALLIANCE},
    "admin": {LEAD, RIVAL, ALLIANCE},
    "outsider": None,
}


@pytest.mark.parametrize("persona", SEES)
def test_the_register_lists_only_the_breaches_each_persona_may_see(
    persona: str, breaches: Breaches, client: Client, request: Any
):
    response = signed_in(client, request.getfixturevalue(persona)).get(page("breaches"))
    expected = SEES[persona]
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    words = text(response)
    assert {s for s in (LEAD, RIVAL, ALLIANCE, ELSEWHERE) if s in words} == expected


@pytest.mark.parametrize("persona", SEES)
def test_a_breach_page_opens_for_its_agencys_leaders_the_arbiter_and_admins_only(
    persona: str, breaches: Breaches, client: Client, request: Any
):
    response = signed_in(client, request.getfixturevalue(persona)).get(
        page("breach-detail", pk=breaches.lead.pk)
    )
    expected = 200 if SEES[persona] and LEAD in SEES[persona] else 404
    assert response.status_code == expected


def test_another_alliances_breach_is_missing_even_for_an_admin(
    breaches: Breaches, client: Client, admin: User
):
    response = signed_in(client, admin).get(page("breach-detail", pk=breaches.elsewhere.pk))
    assert response.status_code == 404


def test_anonymous_people_are_sent_to_sign_in(breaches: Breaches, client: Client):
    for url in (page("breaches"), page("breach-detail", pk=breaches.lead.pk)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("chief_officer", True),
        ("trustee", True),
        ("competitor", True),
        ("arbiter", True),
        ("admin", True),
        ("partner", False),
    ],
)
def test_the_navigation_offers_breaches_to_those_who_may_see_one(
    persona: str, offered: bool, world: World, client: Client, request: Any
):
    response = signed_in(client, request.getfixturevalue(persona)).get(page("dashboard"))
    assert (">Breaches</a>" in main_nav(response)) is offered


def test_the_register_is_the_current_page_in_the_navigation(
    world: World, client: Client, admin: User
):
    nav = main_nav(signed_in(client, admin).get(page("breaches")))
    assert f'<a href="{page("breaches")}" aria-current="page">Breaches</a>' in nav


def test_the_breach_page_shows_the_summary_links_times_and_review(
    breaches: Breaches, client: Client, chief_officer: User
):
    response = signed_in(client, chief_officer).get(page("breach-detail", pk=breaches.lead.pk))
    words = text(response)
    assert LEAD in words
    assert "Declared after the deadline" in words  # the kind's label, not its code
    assert "Agency Lead Advice" in words
    assert f'href="{page("tender-detail", pk=breaches.tender.pk)}"' in html(response)
    assert f'href="{page("partnership-detail", pk=breaches.partnership.pk)}"' in html(response)
    assert f'href="{page("declaration-detail", pk=breaches.lead_draft.pk)}"' in html(response)
    assert "Declaration Lead Advice's declaration for KV-" in words
    assert "Happened 1 March 2026, 10:30" in words
    assert "Found by the system 2 March 2026, 09:00" in words
    assert "Status Open" in words
    assert "not reviewed this breach yet" in words
    assert "Put right" not in words


def test_a_declaration_the_viewer_may_not_open_is_not_linked(
    breaches: Breaches, client: Client, admin: User
):
    """The lead's draft is its own: the admin sees the breach but not a link to the draft."""
    response = signed_in(client, admin).get(page("breach-detail", pk=breaches.lead.pk))
    assert response.status_code == 200
    assert page("declaration-detail", pk=breaches.lead_draft.pk) not in html(response)
    assert "Lead Advice's declaration" not in text(response)
    assert f'href="{page("tender-detail", pk=breaches.tender.pk)}"' in html(response)


def test_the_evidence_reads_as_sentences_and_labelled_facts(
    breaches: Breaches, client: Client, arbiter: User
):
    response = signed_in(client, arbiter).get(page("breach-detail", pk=breaches.lead.pk))
    assert "<li>The declaration came two days late.</li>" in html(response)
    words = text(response)
    assert "Declared 1 March 2026, 10:30" in words
    assert "Expression-of-interest deadline 27 February 2026" in words
    assert "Days late 2" in words
    assert "Activity during the withdrawal Paper opened: 3" in words
    assert "eoi_deadline" not in html(response)


def test_a_breach_put_right_says_when_and_a_reviewed_one_its_sanction(
    breaches: Breaches, client: Client, admin: User
):
    signed_in(client, admin)
    rival = text(client.get(page("breach-detail", pk=breaches.rival.pk)))
    assert "Put right on 5 March 2026" in rival
    reviewed = text(client.get(page("breach-detail", pk=breaches.alliance.pk)))
    assert "Agency The alliance itself" in reviewed
    assert "Status Upheld" in reviewed
    assert "Sanction Warning" in reviewed


def test_evidence_values_read_as_words():
    assert evidence_value("2026-02-27") == "27 February 2026"
    assert evidence_value("2026-13-45") == "2026-13-45"  # looks like a date, is not one
    assert evidence_value(["a", "b"]) == "a, b"
    assert evidence_value(None) == "—"
    assert evidence_value(True) == "Yes"
    assert evidence_facts({"details": ["x"], "tender_id": 4}) == [("Tender id", "4")]
    assert evidence_facts("not a dict") == []


# ----------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "upheld"}, {ALLIANCE}),
        ({"status": "open"}, {LEAD, RIVAL}),
        ({"kind": "mou_unsigned"}, {RIVAL}),
        ({"kind": "late_declaration", "status": "open"}, {LEAD}),
    ],
)
def test_the_filters_narrow_the_register(
    params: dict[str, str], expected: set[str], breaches: Breaches, client: Client, arbiter: User
):
    response = signed_in(client, arbiter).get(page("breaches"), params)
    assert response.status_code == 200
    words = text(response)
    assert {s for s in (LEAD, RIVAL, ALLIANCE) if s in words} == expected


def test_the_agency_filter_offers_the_persons_own_agencies_and_narrows(
    breaches: Breaches, client: Client, arbiter: User, chief_officer: User
):
    world = breaches.world
    response = signed_in(client, arbiter).get(page("breaches"), {"agency": world.competitor.pk})
    assert {s for s in (LEAD, RIVAL) if s in text(response)} == {RIVAL}
    assert f'value="{world.lead.pk}"' in html(response)
    mine = signed_in(Client(), chief_officer).get(page("breaches"))
    assert f'value="{world.lead.pk}"' in html(mine)
    assert f'value="{world.competitor.pk}"' not in html(mine)


def test_a_refused_filter_says_so_and_filters_nothing(
    breaches: Breaches, client: Client, arbiter: User
):
    response = signed_in(client, arbiter).get(page("breaches"), {"kind": "nonsense"})
    assert response.status_code == 400
    assert {s for s in (LEAD, RIVAL, ALLIANCE) if s in text(response)} == {LEAD, RIVAL, ALLIANCE}


def test_another_alliances_agency_is_not_a_filter(breaches: Breaches, client: Client, admin: User):
    response = signed_in(client, admin).get(
        page("breaches"), {"agency": breaches.world.other_agency.pk}
    )
    assert response.status_code == 400
    assert ELSEWHERE not in text(response)


def test_an_empty_register_says_what_breaches_are_and_who_finds_them(
    world: World, client: Client, arbiter: User
):
    words = text(signed_in(client, arbiter).get(page("breaches")))
    assert "A breach is a situation the protocol" in words
    assert "the system checks declarations, partnerships and papers on its own" in words
    assert "No breaches found that you may see" in words


def test_the_register_is_newest_first_and_pages_keep_the_filters(
    world: World, client: Client, arbiter: User
):
    for n in range(30):
        BreachFactory(agency=world.lead, summary=f"Breach number {n:02d}.")
    response = signed_in(client, arbiter).get(page("breaches"), {"status": "open"})
    words = text(response)
    assert words.index("Breach number 29.") < words.index("Breach number 28.")
    assert "Breach number 04." not in words  # on the second page
    assert "?status=open&amp;page=2" in html(response)
    second = client.get(page("breaches"), {"status": "open", "page": 2})
    assert "Breach number 04." in text(second)


# ----------------------------------------------------------------------------- query counts

LIST_QUERIES = 12


@pytest.mark.parametrize("size", [3, 15])
def test_the_register_makes_the_same_queries_at_any_size(
    size: int, world: World, client: Client, arbiter: User, django_assert_max_num_queries: Any
):
    for n in range(size):
        agency = world.lead if n % 2 else world.competitor
        BreachFactory(agency=agency, kind=Breach.Kind.BID_CANDY)
    signed_in(client, arbiter)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(page("breaches"), {"kind": "bid_candy"})
    assert response.status_code == 200
    assert text(response).count("broke the protocol.") == size
