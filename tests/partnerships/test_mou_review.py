"""The MoU's review date: set by the lead with a version, shown, and never set in the past."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kiaa.errors import DomainError
from kiaa.models import AuditEvent, User
from partnerships.models import MouVersion, Partnership
from partnerships.services import mou
from tests.api import api_url, is_field_error
from tests.conftest import World, api_as
from tests.factories.partnerships import draft_mou, make_partnership
from tests.pages import assert_refused_on, follow, page, signed_in, text

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def network(world: World, chief_officer: User) -> Partnership:
    """Lead Advice (our chief officer's agency) leads a network Partner Housing has joined."""
    return make_partnership(world.lead, world.partner, name="Advice Network")


def mou_body(**changes: Any) -> dict[str, Any]:
    return {"sections": mou.TEMPLATE, "contribution_amount": 50_000, "exclusive": True, **changes}


def versions(partnership: Partnership) -> list[tuple[int, Any]]:
    return list(
        MouVersion.objects.filter(partnership=partnership)
        .order_by("number")
        .values_list("number", "review_due_on")
    )


def test_the_lead_sets_a_review_date_with_a_version_and_it_is_audited(network: Partnership):
    review_on = timezone.localdate() + 90 * DAY
    version = draft_mou(network, review_due_on=review_on)
    assert version.review_due_on == review_on
    event = AuditEvent.objects.filter(verb="mou.saved").latest("seq")
    assert event.payload["review_due_on"] == review_on.isoformat()


def test_a_review_date_in_the_past_is_refused_and_nothing_is_written(network: Partnership):
    with pytest.raises(DomainError) as refused:
        draft_mou(network, review_due_on=timezone.localdate() - DAY)
    assert (refused.value.message, refused.value.field) == (mou.REVIEW_IN_PAST, "review_due_on")
    assert versions(network) == []


def test_changing_only_the_review_date_makes_a_new_version(network: Partnership):
    draft_mou(network)
    later = timezone.localdate() + 30 * DAY
    draft_mou(network, review_due_on=later)
    assert versions(network) == [(1, None), (2, later)]
    with pytest.raises(DomainError, match=mou.UNCHANGED):
        draft_mou(network, review_due_on=later)


def test_a_passed_review_date_carried_over_is_kept_when_a_section_changes(network: Partnership):
    draft_mou(network, review_due_on=timezone.localdate() + DAY)
    passed = timezone.localdate() - 10 * DAY
    # The date passing, without waiting ten days for it.
    MouVersion.objects.filter(partnership=network).update(review_due_on=passed)
    draft_mou(network, review_due_on=passed, costs="Costs are shared by turnover.")
    assert versions(network)[-1] == (2, passed)


def test_the_edit_page_sets_the_review_date_and_the_mou_page_shows_it(
    client: Client, network: Partnership, chief_officer: User
):
    review_on = timezone.localdate() + 60 * DAY
    signed_in(client, chief_officer)
    assert (
        'name="review_due_on"'
        in client.get(page("partnership-mou-edit", pk=network.pk)).content.decode()
    )
    data = {**mou.TEMPLATE, "contribution_pounds": "500", "review_due_on": review_on.isoformat()}
    response = client.post(page("partnership-mou-edit", pk=network.pk), data)
    assert f"Review by {review_on:%-d %B %Y}" in text(follow(client, response))
    form = client.get(page("partnership-mou-edit", pk=network.pk)).content.decode()
    assert f'value="{review_on.isoformat()}"' in form  # the next version starts from it


def test_the_edit_page_refuses_a_past_review_date(
    client: Client, network: Partnership, chief_officer: User
):
    past = (timezone.localdate() - DAY).isoformat()
    data = {**mou.TEMPLATE, "contribution_pounds": "500", "review_due_on": past}
    response = signed_in(client, chief_officer).post(
        page("partnership-mou-edit", pk=network.pk), data
    )
    assert_refused_on(response, "review_due_on", mou.REVIEW_IN_PAST)
    assert versions(network) == []


def test_the_api_sets_keeps_and_clears_the_review_date(network: Partnership, chief_officer: User):
    client = api_as(chief_officer)
    url = api_url("partnership-mou", pk=network.pk)
    review_on = (timezone.localdate() + 45 * DAY).isoformat()
    first = client.put(url, mou_body(review_due_on=review_on), format="json")
    assert first.status_code == 200, first.content
    assert first.json()["review_due_on"] == review_on
    kept = client.put(url, mou_body(contribution_amount=60_000), format="json")
    assert (kept.json()["number"], kept.json()["review_due_on"]) == (2, review_on)
    cleared = client.put(
        url, mou_body(contribution_amount=60_000, review_due_on=None), format="json"
    )
    assert (cleared.json()["number"], cleared.json()["review_due_on"]) == (3, None)
    assert client.get(url).json()["review_due_on"] is None


@pytest.mark.parametrize("value", ["yesterday", "2020-01-01"])
def test_the_api_refuses_a_bad_or_past_review_date_as_a_field_error(
    network: Partnership, chief_officer: User, value: str
):
    response = api_as(chief_officer).put(
        api_url("partnership-mou", pk=network.pk), mou_body(review_due_on=value), format="json"
    )
    assert response.status_code == 400
    assert is_field_error(response.json(), "review_due_on"), response.content
    assert versions(network) == []
