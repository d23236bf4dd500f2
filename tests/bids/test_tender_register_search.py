"""The tender register's search and filters: a labelled GET form that works without scripts,
the count of what it found, pages that keep the query, and an empty result that says what to
try. State is built through the services."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from bids.forms import DEADLINES_BACKWARDS
from bids.models import Tender
from bids.services import outcomes, tenders
from kiaa.models import User
from tests.conftest import World
from tests.factories import ServiceAreaFactory
from tests.factories.bids import declare, draft, make_tender
from tests.factories.partnerships import chief_of
from tests.pages import assert_refused_on, html, page, signed_in, text

pytestmark = pytest.mark.django_db


def shown(response: Any) -> set[str]:
    """The references the register lists."""
    return set(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', html(response)))


def due(now: Any, days: int) -> dict[str, Any]:
    """Deadlines for a tender: submissions in `days` days, interest a few days before."""
    return {
        "submission_deadline": now + timedelta(days=days),
        "eoi_deadline": now + timedelta(days=days - 3),
    }


def day(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


@pytest.fixture
def register(world: World, admin: User, chief_officer: User) -> dict[str, Tender]:
    """Four tenders: debt and housing, two commissioners, deadlines 10 to 80 days away; Lead
    Advice has declared on one and drafts on another; one is closed."""
    for name in ("Debt advice", "Housing"):
        ServiceAreaFactory(alliance=world.alliance, name=name)
    now = timezone.now()
    made = {
        "KBC-101": make_tender(
            world.alliance,
            reference="KBC-101",
            title="Debt advice service",
            areas=("debt-advice",),
            **due(now, 10),
        ),
        "KBC-102": make_tender(
            world.alliance,
            reference="KBC-102",
            title="Housing advice",
            areas=("housing",),
            **due(now, 40),
        ),
        "NHS-7": make_tender(
            world.alliance,
            reference="NHS-7",
            title="Welfare rights in surgeries",
            commissioner="Kirkvale Integrated Care Board",
            **due(now, 80),
        ),
        "KBC-103": make_tender(
            world.alliance,
            reference="KBC-103",
            title="Debt outreach",
            areas=("debt-advice",),
            **due(now, 40),
        ),
    }
    declare(made["KBC-101"], world.lead)
    draft(made["NHS-7"], world.lead)
    declare(made["KBC-102"], world.competitor)
    tenders.tender_close(actor=admin, tender=made["KBC-103"])
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"KBC-101", "KBC-102", "KBC-103", "NHS-7"}),
        ({"q": "nhs-7"}, {"NHS-7"}),  # by reference, any case
        ({"q": "housing"}, {"KBC-102"}),  # by title
        ({"q": "integrated care"}, {"NHS-7"}),  # by commissioner
        ({"q": "  debt  "}, {"KBC-101", "KBC-103"}),  # spaces around the words do not count
        ({"status": "closed"}, {"KBC-103"}),
        ({"area": "debt-advice"}, {"KBC-101", "KBC-103"}),
        ({"deadline_from": day(30)}, {"KBC-102", "KBC-103", "NHS-7"}),
        ({"deadline_to": day(40)}, {"KBC-101", "KBC-102", "KBC-103"}),
        ({"deadline_from": day(30), "deadline_to": day(50)}, {"KBC-102", "KBC-103"}),
        ({"mine": "on"}, {"KBC-101", "NHS-7"}),  # its declaration and its draft
        ({"mine": "on", "q": "debt"}, {"KBC-101"}),
        ({"area": "debt-advice", "status": "open", "deadline_to": day(20)}, {"KBC-101"}),
    ],
)
def test_the_register_finds_tenders_by_each_search_and_filter(
    client: Client,
    register: dict[str, Tender],
    chief_officer: User,
    query: dict[str, str],
    expected: set[str],
):
    response = signed_in(client, chief_officer).get(page("tenders"), query)
    assert response.status_code == 200
    assert shown(response) == expected
    count = len(expected)
    assert f"{count} tender{'s' if count != 1 else ''}{' found' if query else ''}" in text(response)


def test_ones_we_declared_on_are_the_acting_agencys_own(
    client: Client, world: World, register: dict[str, Tender], competitor: User
):
    response = signed_in(client, competitor).get(page("tenders"), {"mine": "on"})
    assert "Only tenders Rival Debt Line has declared for" in text(response)
    assert shown(response) == {"KBC-102"}


def test_an_admin_who_acts_for_no_agency_is_not_offered_ones_we_declared_on(
    client: Client, register: dict[str, Tender], admin: User
):
    response = signed_in(client, admin).get(page("tenders"), {"mine": "on"})
    assert 'name="mine"' not in html(response)
    assert len(shown(response)) == 4  # the parameter means nothing without an agency


def test_the_search_form_is_labelled_and_works_without_scripts(
    client: Client, register: dict[str, Tender], chief_officer: User
):
    content = html(signed_in(client, chief_officer).get(page("tenders")))
    form = re.search(r'<form method="get" role="search"[^>]*>(.*?)</form>', content, re.S)
    assert form, "no search form"
    assert 'aria-labelledby="search-heading"' in content
    fields = re.findall(r'<(?:input|select)[^>]*\bname="([^"]+)"[^>]*\bid="([^"]+)"', form.group(1))
    assert {name for name, _ in fields} == {
        "q",
        "status",
        "area",
        "deadline_from",
        "deadline_to",
        "mine",
    }
    for _, field_id in fields:
        assert f'<label for="{field_id}"' in form.group(1), f"{field_id} has no label"
    assert 'type="date"' in form.group(1)
    assert "<script" not in form.group(1)


def test_a_window_that_ends_before_it_starts_is_refused_and_filters_nothing_by_it(
    client: Client, register: dict[str, Tender], chief_officer: User
):
    response = signed_in(client, chief_officer).get(
        page("tenders"), {"deadline_from": day(30), "deadline_to": day(20), "q": "kbc"}
    )
    assert_refused_on(response, "deadline_to", DEADLINES_BACKWARDS)
    # The search and the window's valid start still count; only the refused end is dropped.
    assert shown(response) == {"KBC-102", "KBC-103"}


def test_no_match_says_what_to_try_and_offers_every_tender(
    client: Client, register: dict[str, Tender], chief_officer: User
):
    response = signed_in(client, chief_officer).get(page("tenders"), {"q": "lighthouse"})
    words = text(response)
    assert "0 tenders found" in words
    assert "No tenders match. Try fewer words or filters, or a wider deadline window." in words
    assert f'<a href="{page("tenders")}">Show every tender</a>' in html(response)
    assert "<table" not in html(response)


def test_an_empty_register_says_so_without_a_search_hint(
    client: Client, world: World, chief_officer: User
):
    words = text(signed_in(client, chief_officer).get(page("tenders")))
    assert "No tenders on the register yet." in words
    assert "Try fewer words" not in words


def test_every_page_of_a_search_keeps_the_whole_query(
    client: Client, world: World, admin: User, partner: User
):
    for n in range(60):
        make_tender(world.alliance, reference=f"KBC-{n:02d}", title="Advice lot")
    query = {"q": "advice", "status": "open", "deadline_to": day(60)}
    signed_in(client, partner)
    first = client.get(page("tenders"), query)
    assert "60 tenders found" in text(first)
    assert "Page 1 of 3" in text(first)
    links = re.findall(r'<a href="(\?[^"]+)">Next', html(first))
    assert links, "no link to the next page"
    params = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert params == {k: [v] for k, v in query.items()} | {"page": ["2"]}
    second = client.get(page("tenders"), {**query, "page": "2"})
    previous = re.findall(r'<a href="(\?[^"]+)">Previous', html(second))
    assert parse_qs(urlsplit(previous[0].replace("&amp;", "&")).query)["q"] == ["advice"]
    assert len(shown(second)) == 25
    assert not shown(first) & shown(second)


@pytest.mark.parametrize("size", [3, 20])
def test_the_filtered_register_makes_the_same_queries_at_any_size(
    client: Client,
    world: World,
    admin: User,
    chief_officer: User,
    django_assert_max_num_queries: Any,
    size: int,
):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    for _ in range(size):
        tender = make_tender(world.alliance, areas=("debt-advice",))
        declare(tender, world.lead)
        outcomes.step_back_record(
            actor=chief_of(world.competitor), tender=tender, agency=world.competitor, reason="No"
        )
    signed_in(client, chief_officer)
    query = {"q": "advice", "area": "debt-advice", "mine": "on", "deadline_to": day(90)}
    # 13 measured at both sizes: the tenant, the form's areas, the count and one page with its
    # areas, public bids and step-backs each fetched once.
    with django_assert_max_num_queries(13):
        response = client.get(page("tenders"), query)
    assert response.status_code == 200
    assert len(shown(response)) == size
