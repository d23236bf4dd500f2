"""Reviewing a breach through the API (API.md `breaches/<id>/review/`): who may, what the breach
reads as afterwards, and the sanctions taking effect (a suspended agency cannot declare, an
expelled one keeps only the disputes about it). State is built as members build it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from disputes.models import Breach, ExpulsionMotion
from disputes.services import reviews
from kiaa.models import AuditEvent, ExpulsionBy, User
from tests.api import api_url, is_field_error, row_counts, tolerant
from tests.conftest import World, api_as
from tests.disputes import story as stories
from tests.disputes.story import Story
from tests.factories.bids import make_tender
from tests.factories.disputes import BreachFactory
from tests.factories.partnerships import approve_open_decisions

pytestmark = pytest.mark.django_db

# The columns of the matrix: the lead's chief officer (the breach is not its agency's), the
# partner's chief officer (its agency is in breach), the CVS's arbiter, a member with no part,
# another alliance's chief officer and an alliance admin.
WHO = ("complainant", "respondent", "arbiter", "competitor", "outsider", "admin")
DISMISS = {"outcome": "dismissed", "note": "The rota gave no advantage."}
SUSPEND = {
    "outcome": "upheld",
    "note": "Worked in the network while bidding.",
    "sanction": "suspension",
}


def person(who: str, story: Story, request: Any) -> User:
    """A persona of the matrix: the story's own people, or the conftest's."""
    if who in ("complainant", "respondent", "arbiter"):
        return getattr(story, who)
    return request.getfixturevalue(who)


def review_url(breach: Breach) -> str:
    return api_url("breach-review", pk=breach.pk)


# complainant, respondent, arbiter, competitor, outsider, admin
REVIEWS = (404, 403, 200, 404, 404, 200)


@pytest.mark.parametrize("who", WHO)
def test_only_the_arbiter_or_an_admin_reviews_and_others_learn_nothing(
    who: str, world: World, request: Any
):
    story = stories.rival_bids(world)
    response = tolerant(person(who, story, request)).post(
        review_url(story.breach), DISMISS, format="json"
    )
    assert response.status_code == REVIEWS[WHO.index(who)], response.content
    expected = "dismissed" if response.status_code == 200 else "open"
    assert Breach.objects.get(pk=story.breach.pk).status == expected


def test_the_agency_in_breach_is_told_why_it_may_not_review(world: World):
    story = stories.rival_bids(world)
    response = tolerant(story.respondent).post(review_url(story.breach), DISMISS, format="json")
    assert response.json() == {"detail": reviews.NOT_A_REVIEWER}


def test_a_reviewed_breach_reads_with_its_review(world: World):
    story = stories.rival_bids(world)
    response = api_as(story.arbiter).post(review_url(story.breach), DISMISS, format="json")
    assert response.status_code == 200
    body = response.json()
    assert {"review_note", "reviewed_at", "reviewed_by", "ruling", "motion"} <= set(body)
    assert (body["status"], body["sanction"], body["reviewed_by"]) == (
        "dismissed",
        "none",
        "cvs.arbiter",
    )
    assert body["review_note"] == DISMISS["note"]
    assert body["reviewed_at"] is not None
    assert (body["ruling"], body["motion"]) == (None, None)
    again = api_as(story.respondent).get(api_url("breach-detail", pk=story.breach.pk)).json()
    assert again == body


def test_upholding_with_suspension_stops_the_agency_declaring(world: World):
    story = stories.rival_bids(world)
    response = api_as(story.arbiter).post(review_url(story.breach), SUSPEND, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["sanction"]) == ("upheld", "suspension")
    agency = api_as(story.respondent).get(api_url("agency-detail", pk=world.partner.pk)).json()
    assert agency["status"] == "suspended"
    tender = make_tender(world.alliance, title="Housing advice 2028")
    declared = tolerant(story.respondent).post(
        api_url("declaration-list"), {"tender": tender.pk, "capacity": "sole"}, format="json"
    )
    assert declared.status_code == 409, declared.content
    assert "suspended" in declared.json()["detail"]
    assert "Partner Housing" in declared.json()["detail"]


def test_a_decided_breach_is_not_reviewed_again(world: World):
    story = stories.rival_bids(world)
    api_as(story.arbiter).post(review_url(story.breach), DISMISS, format="json")
    response = tolerant(story.arbiter).post(review_url(story.breach), SUSPEND, format="json")
    assert response.status_code == 409
    assert Breach.objects.get(pk=story.breach.pk).status == "dismissed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DISMISS, "outcome": "maybe"}, "outcome"),
        ({"note": "No outcome."}, "outcome"),
        ({**DISMISS, "note": ""}, "note"),
        ({**SUSPEND, "sanction": "fine"}, "sanction"),
        ({**DISMISS, "sanction": "warning"}, "sanction"),  # a dismissed breach takes none
        ({**DISMISS, "ruling": 99999999}, "ruling"),
        ({**DISMISS, "ruling": True}, "ruling"),
        ({**DISMISS, "ruling": "99999999999999999999999"}, "ruling"),
    ],
)
def test_a_bad_review_is_a_400_on_its_field_and_changes_nothing(
    body: dict[str, Any], field: str, world: World
):
    story = stories.rival_bids(world)
    before = row_counts(AuditEvent, ExpulsionMotion)
    response = tolerant(story.arbiter).post(review_url(story.breach), body, format="json")
    assert response.status_code == 400, response.content
    assert is_field_error(response.json(), field), response.json()
    breach = Breach.objects.get(pk=story.breach.pk)
    assert (breach.status, breach.reviewed_at, breach.sanction) == ("open", None, "")
    assert row_counts(AuditEvent, ExpulsionMotion) == before


# --- Expulsion ----------------------------------------------------------------------------------


def test_an_expulsion_needs_the_ruling_that_orders_it(world: World):
    story, _, ruling = stories.expulsion_ordered(world)
    body = {"outcome": "upheld", "note": "As ruled.", "sanction": "expulsion"}
    refused = tolerant(story.arbiter).post(review_url(story.breach), body, format="json")
    assert refused.status_code == 409
    assert refused.json() == {"detail": reviews.NEEDS_RULING}
    response = api_as(story.arbiter).post(
        review_url(story.breach), {**body, "ruling": ruling.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["sanction"], response.json()["ruling"]) == ("expulsion", ruling.pk)


def test_an_expelled_agency_keeps_only_the_disputes_about_it(world: World):
    story, dispute, ruling = stories.expulsion_ordered(world)
    body = {"outcome": "upheld", "note": "As ruled.", "sanction": "expulsion", "ruling": ruling.pk}
    assert (
        api_as(story.arbiter).post(review_url(story.breach), body, format="json").status_code == 200
    )
    expelled = tolerant(story.respondent)
    listed = expelled.get(api_url("dispute-list"))
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()["results"]] == [dispute.pk]
    assert expelled.get(api_url("dispute-ruling", pk=dispute.pk)).status_code == 200
    assert expelled.get(api_url("breach-list")).status_code == 404
    assert expelled.get(api_url("breach-detail", pk=story.breach.pk)).status_code == 404
    assert expelled.get(api_url("declaration-list")).status_code == 404


def test_an_expulsion_put_to_the_vote_shows_the_motion_until_the_boards_carry_it(
    world: World, admin: User
):
    story = stories.rival_bids(world)
    stories.expulsion_by(world, ExpulsionBy.MEMBERS_VOTE)
    body = {"outcome": "upheld", "note": "Put to the members.", "sanction": "expulsion"}
    response = api_as(admin).post(review_url(story.breach), body, format="json")
    assert response.status_code == 200, response.content
    opened = response.json()
    assert opened["sanction"] == ""  # no sanction until the boards carry it
    # Only the lead's board can reach its quorum (the other agencies have no trustees yet).
    assert opened["motion"] == {"status": "open", "boards": 1, "approved": 0, "rejected": 0}
    assert Breach.objects.get(pk=story.breach.pk).agency.status == "active"
    approve_open_decisions(world.lead)
    carried = api_as(admin).get(api_url("breach-detail", pk=story.breach.pk)).json()
    assert carried["motion"] == {"status": "carried", "boards": 1, "approved": 1, "rejected": 0}
    assert carried["sanction"] == "expulsion"


# --- Query counts -------------------------------------------------------------------------------

# Measured: 7 at every size, the motion's board count included (one query for the page).
LIST_QUERIES = 7


@pytest.mark.parametrize("size", [2, 8])
def test_the_breach_list_with_a_motion_takes_the_same_few_queries_at_any_size(
    size: int, world: World, admin: User, django_assert_max_num_queries: Any
):
    story = stories.rival_bids(world)
    stories.expulsion_by(world, ExpulsionBy.MEMBERS_VOTE)
    reviews.breach_review(
        actor=admin,
        breach=story.breach,
        outcome=Breach.Status.UPHELD,
        note="Put to the members.",
        sanction=Breach.Sanction.EXPULSION,
    )
    for _ in range(size):
        BreachFactory(agency=world.competitor, detected_at=timezone.now() - timedelta(days=1))
    client = api_as(admin)
    with django_assert_max_num_queries(LIST_QUERIES):
        body = client.get(api_url("breach-list"), {"page_size": 200}).json()
    assert sum(1 for b in body["results"] if b["motion"]) == 1
    assert body["count"] >= size + 1
