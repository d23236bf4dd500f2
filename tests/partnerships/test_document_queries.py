"""The papers list, as a page and over the API, costs the same few queries at any size."""

from __future__ import annotations

import re
from itertools import cycle

import pytest
from django.test import Client
from django.urls import reverse

from kiaa import barrier
from kiaa.models import User
from kiaa.paging import IdsFirst
from partnerships import selectors
from partnerships.services import mou
from tests.conftest import World, api_as
from tests.factories.partnerships import chief_of, draft_mou, make_partnership, upload

pytestmark = pytest.mark.django_db

# session, person, alliance, roles with their agencies; the filter's partnerships with the papers
# waiting on an undertaking; count and page of papers; the alliance switcher.
PAGE_QUERIES = 8
# alliance, roles with their agencies; count and page of papers (uploader, agency, partnership
# joined to the page's rows only).
API_QUERIES = 4


@pytest.fixture
def papers(world: World, partner: User):
    """Papers of every sensitivity, in a consortium the partner is in (and has accepted the
    undertaking of) and a network whose undertaking the partner has not accepted."""
    consortium = make_partnership(world.lead, world.partner, kind="consortium", name="Consortium")
    network = make_partnership(world.lead, world.partner, name="Network")
    chief = chief_of(world.lead)
    for partnership in (consortium, network):
        draft_mou(partnership)
        partnership.refresh_from_db()
        mou.undertaking_acknowledge(actor=chief, partnership=partnership)
    mou.undertaking_acknowledge(actor=partner, partnership=consortium)
    kinds = cycle(
        [
            ("alliance", None),
            ("partnership", consortium),
            ("commercial", consortium),
            ("partnership", network),
            ("commercial", network),  # waiting on the partner's undertaking
        ]
    )

    def grow(n: int) -> int:
        """n papers; how many of them the partner may open."""
        seen = 0
        for i in range(n):
            sensitivity, partnership = next(kinds)
            upload(
                chief,
                world.lead,
                title=f"Paper {i:03}",
                sensitivity=sensitivity,
                partnership=partnership,
            )
            seen += not (sensitivity == "commercial" and partnership == network)
        return seen

    return grow


@pytest.mark.parametrize("size", [10, 200])
def test_the_papers_page_takes_the_same_few_queries_at_any_size(
    size, papers, partner, django_assert_max_num_queries
):
    seen = papers(size)
    client = Client()
    client.force_login(partner)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("documents", kwargs={"alliance_slug": "home"}))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"{seen} papers" in text
    assert len(re.findall(r'<th scope="row">', text)) == min(seen, 25)
    assert f"Network: {size // 5} commercially sensitive paper" in text


@pytest.mark.parametrize("size", [10, 200])
def test_the_papers_api_takes_the_same_few_queries_at_any_size(
    size, papers, partner, django_assert_max_num_queries
):
    seen = papers(size)
    client = api_as(partner)
    url = reverse("api:document-list", kwargs={"alliance_slug": "home"})
    with django_assert_max_num_queries(API_QUERIES):
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200
    results = response.json()["results"]
    assert response.json()["count"] == len(results) == seen
    assert all(r["uploaded_by"]["username"] and r["file"] for r in results)


def test_a_page_read_ids_first_is_the_plain_page_with_its_related_rows_in_one_query(
    papers, partner, world, django_assert_num_queries
):
    papers(60)
    listed = barrier.visible_to(partner, world.alliance).select_related(*selectors.PAPER_RELATED)
    for start in (0, 25, 50):
        expected = list(listed.values_list("pk", flat=True)[start : start + 25])
        with django_assert_num_queries(1):
            page = IdsFirst(listed)[start : start + 25]
            shown = [(d.pk, d.owner_agency.name, d.uploaded_by.username) for d in page]
        assert [pk for pk, _, _ in shown] == expected
    assert IdsFirst(listed).count() == listed.count() == len(IdsFirst(listed))


def test_a_listed_page_takes_its_ids_from_the_permission_rows_then_reads_their_papers(
    papers, partner, world, django_assert_num_queries
):
    seen = papers(60)
    listed = selectors.document_list_for(person=partner, alliance=world.alliance)
    newest = barrier.visible_to(partner, world.alliance).values_list("pk", flat=True)
    for start in range(0, seen, 25):
        expected = list(newest[start : start + 25])
        with django_assert_num_queries(2):
            page = IdsFirst(listed)[start : start + 25]
            shown = [(d.pk, d.owner_agency.name, d.uploaded_by.username) for d in page]
        assert [pk for pk, _, _ in shown] == expected
    assert IdsFirst(listed).count() == newest.count() == seen


@pytest.mark.parametrize("number", [1, 2, 3])
def test_the_page_asked_for_and_the_length_of_the_list_come_from_one_query(
    number, papers, partner, world, django_assert_num_queries
):
    seen = papers(60)
    listed = selectors.document_list_for(person=partner, alliance=world.alliance)
    start = (number - 1) * 25
    newest = barrier.visible_to(partner, world.alliance).values_list("pk", flat=True)
    expected = list(newest[start : start + 25])
    hinted = IdsFirst(listed, per_page=25, page=number)
    with django_assert_num_queries(2):  # the ids with the count, then the rows
        assert hinted.count() == seen
        page = hinted[start : min(start + 25, seen)]
    assert [d.pk for d in page] == expected


def test_a_page_past_the_end_still_counts_the_list(papers, partner, world):
    seen = papers(10)
    listed = selectors.document_list_for(person=partner, alliance=world.alliance)
    assert IdsFirst(listed, per_page=25, page=9).count() == seen
