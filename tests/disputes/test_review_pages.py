"""The breach review page: who may open it, upholding with a sanction that applies at once,
refusals that change nothing, expulsion as each protocol asks (a ruling, or the boards' vote),
and how the breach page shows the outcome.

Personas: party A is the story's complainant (the lead's chief officer), party B its respondent
(the partner's, whose agency is in breach), the arbiter the CVS arbiter; `competitor` is an
unrelated member, `outsider` is of another alliance, `admin` keeps the alliance."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from disputes.models import ExpulsionMotion
from kiaa.models import Agency, ExpulsionBy, User
from tests.conftest import World
from tests.disputes import story as stories
from tests.disputes.story import Story
from tests.pages import assert_refused_on, follow, html, page, signed_in, text

pytestmark = pytest.mark.django_db

PERSONAS = ("party_a", "party_b", "arbiter", "competitor", "outsider", "admin")


def person(name: str, story: Story, request: Any) -> User:
    """The persona of the story (parties, its arbiter) or of the conftest (the others)."""
    found = {"party_a": story.complainant, "party_b": story.respondent, "arbiter": story.arbiter}
    return found[name] if name in found else request.getfixturevalue(name)


def review(**changes: Any) -> dict[str, Any]:
    """The review form as a browser posts it: upheld, with a note, confirmed."""
    return {"outcome": "upheld", "note": "The rota shows work during the withdrawal.",
            "sanction": "none", "confirm": "on", **changes}  # fmt: skip


# ----------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("persona", "expected"),
    # Party A's agency is not the one in breach: the breach itself is hidden from it.
    list(zip(PERSONAS, [404, 403, 200, 404, 404, 200], strict=True)),
)
def test_only_the_cvs_arbiter_and_admins_open_the_review(
    persona: str, expected: int, world: World, client: Client, request: Any
):
    story = stories.rival_bids(world)
    response = signed_in(client, person(persona, story, request)).get(
        page("breach-review", pk=story.breach.pk)
    )
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "offered"), [("arbiter", True), ("admin", True), ("party_b", False)]
)
def test_the_breach_page_offers_the_review_to_those_who_may(
    persona: str, offered: bool, world: World, client: Client, request: Any
):
    story = stories.rival_bids(world)
    response = signed_in(client, person(persona, story, request)).get(
        page("breach-detail", pk=story.breach.pk)
    )
    assert (page("breach-review", pk=story.breach.pk) in html(response)) is offered


# ----------------------------------------------------------------------------- reviewing


def test_the_page_says_what_each_sanction_does_and_what_expulsion_needs_here(
    world: World, client: Client
):
    story = stories.rival_bids(world)
    response = signed_in(client, story.arbiter).get(page("breach-review", pk=story.breach.pk))
    words = text(response)
    assert story.breach.summary in words
    assert "Suspension, at once: the agency's people can still read" in words
    assert "expels only on a published ruling that orders it" in words
    assert 'name="ruling"' in html(response)
    assert "you read it back on the next page before it is recorded" in words


def test_upholding_with_a_suspension_suspends_the_agency_at_once(world: World, client: Client):
    story, _ = stories.filed(world)
    signed_in(client, story.arbiter)
    response = client.post(page("breach-review", pk=story.breach.pk), review(sanction="suspension"))
    assert response.url == page("breach-detail", pk=story.breach.pk)
    words = text(follow(client, response))
    assert "The breach is upheld, with a sanction: suspension. It applies now." in words
    assert f"Reviewed By {story.arbiter} on" in words
    assert "Why The rota shows work during the withdrawal." in words
    assert "Sanction Suspension" in words
    assert page("breach-review", pk=story.breach.pk) not in html(
        client.get(page("breach-detail", pk=story.breach.pk))
    )  # decided once
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.SUSPENDED
    story.breach.refresh_from_db()
    assert (story.breach.status, story.breach.reviewed_by) == ("upheld", story.arbiter)


def test_dismissing_with_a_sanction_is_refused_and_changes_nothing(world: World, client: Client):
    story, _ = stories.filed(world)
    response = signed_in(client, story.arbiter).post(
        page("breach-review", pk=story.breach.pk),
        review(outcome="dismissed", sanction="warning"),
    )
    assert_refused_on(response, "sanction", "A dismissed breach carries no sanction.")
    story.breach.refresh_from_db()
    assert (story.breach.status, story.breach.sanction) == ("under_review", "")
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE


@pytest.mark.parametrize("missing", ["note", "confirm"])
def test_a_review_without_its_note_or_confirmation_changes_nothing(
    missing: str, world: World, client: Client
):
    story = stories.rival_bids(world)
    data = review(sanction="suspension")
    del data[missing]
    response = signed_in(client, story.arbiter).post(
        page("breach-review", pk=story.breach.pk), data
    )
    if missing == "note":
        assert_refused_on(response, "note")
    else:  # without the confirmation page's answer the review is read back, not recorded
        assert response.status_code == 200
        assert f"Check your review of breach #{story.breach.pk}" in text(response)
    story.breach.refresh_from_db()
    assert story.breach.status == "open"
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE


def test_a_reviewed_breach_says_so_instead_of_offering_the_form(
    world: World, client: Client, admin: User
):
    story = stories.rival_bids(world)
    signed_in(client, admin)
    client.post(page("breach-review", pk=story.breach.pk), review(outcome="dismissed"))
    response = client.get(page("breach-review", pk=story.breach.pk))
    assert "This breach was already dismissed on" in text(response)
    assert 'name="outcome"' not in html(response)
    again = client.post(page("breach-review", pk=story.breach.pk), review())
    assert_refused_on(again, None, "This breach was already dismissed on")


# ----------------------------------------------------------------------------- expulsion


def test_an_expulsion_without_the_ruling_behind_it_is_refused(world: World, client: Client):
    story, _, _ = stories.expulsion_ordered(world)
    response = signed_in(client, story.arbiter).post(
        page("breach-review", pk=story.breach.pk), review(sanction="expulsion")
    )
    assert_refused_on(response, "ruling", "expels a member only on a published ruling")
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE


def test_an_expulsion_on_the_ruling_that_orders_it_expels_and_links_the_ruling(
    world: World, client: Client
):
    story, dispute, ruling = stories.expulsion_ordered(world)
    signed_in(client, story.arbiter)
    form = client.get(page("breach-review", pk=story.breach.pk))
    assert f'<option value="{ruling.pk}">Ruling 1 on dispute #{dispute.pk}' in html(form)
    response = client.post(
        page("breach-review", pk=story.breach.pk), review(sanction="expulsion", ruling=ruling.pk)
    )
    detail = follow(client, response)
    assert "Sanction Expulsion" in text(detail)
    assert f'href="{page("dispute-detail", pk=dispute.pk)}#ruling-1"' in html(detail)
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.EXPELLED
    # Its people keep the disputes about it, and nothing else.
    expelled = signed_in(Client(), story.respondent)
    assert expelled.get(page("dispute-detail", pk=dispute.pk)).status_code == 200
    assert expelled.get(page("disputes")).status_code == 200
    assert expelled.get(page("breach-detail", pk=story.breach.pk)).status_code == 404


def test_where_members_vote_an_expulsion_goes_to_the_boards_and_the_breach_shows_the_count(
    world: World, client: Client, admin: User
):
    story = stories.rival_bids(world)
    stories.expulsion_by(world, ExpulsionBy.MEMBERS_VOTE)
    signed_in(client, story.arbiter)
    form = client.get(page("breach-review", pk=story.breach.pk))
    assert "only if the other member agencies' trustee boards vote for it" in text(form)
    assert 'name="ruling"' not in html(form)
    response = client.post(page("breach-review", pk=story.breach.pk), review(sanction="expulsion"))
    words = text(follow(client, response))
    motion = ExpulsionMotion.objects.get()
    assert "Its expulsion is put to the other member agencies' boards." in words
    assert "Sanction Expulsion put to a vote of the member agencies' boards" in words
    assert "The vote on expelling Partner Housing" in words
    assert "Boards voting." in words
    assert f"{motion.boards // 2 + 1} must approve to carry it" in words
    assert "So far 0 boards approved and 0 rejected" in words
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE  # until the boards carry it
