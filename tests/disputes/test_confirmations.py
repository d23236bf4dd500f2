"""The arbiter's ruling and a breach's review with its sanction are read back before they are
recorded: the first POST of the filled form only shows what will happen and who is told (no
ruling, no sanction, no audit event); "Go back and change it" returns to the form with the
answers kept; only Confirm publishes or sanctions, audits it and says so. A form shown again
after a refusal carries no confirmation, so the next try is read back again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from disputes.models import Ruling
from kiaa.models import Agency, AuditEvent, ExpulsionBy
from tests.conftest import World
from tests.disputes import story as stories
from tests.pages import follow, html, page, signed_in, text

pytestmark = pytest.mark.django_db


def ruling_form(world: World, **changes: Any) -> dict[str, Any]:
    """The ruling form as a browser first posts it: one required action, no confirmation."""
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    return {
        "findings": "The partner kept working in the network while withdrawn.",
        "decision": "The partner shares its rota log with the lead.",
        "sanction": "warning",
        "sanctioned_agency": world.partner.pk,
        "actions-TOTAL_FORMS": "5",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "5",
        "actions-0-agency": world.partner.pk,
        "actions-0-description": "Send the rota log to the lead.",
        "actions-0-due_on": due,
        **changes,
    }


def review_form(**changes: Any) -> dict[str, Any]:
    return {"outcome": "upheld", "note": "The rota shows work during the withdrawal.",
            "sanction": "suspension", **changes}  # fmt: skip


# ----------------------------------------------------------------------------- the ruling


def test_the_first_post_of_a_ruling_only_reads_it_back(world: World, client: Client):
    story, dispute = stories.accepted(world)
    url = page("dispute-rule", pk=dispute.pk)
    audited, status = AuditEvent.objects.count(), dispute.status
    shown = signed_in(client, story.arbiter).post(url, ruling_form(world))
    assert shown.status_code == 200
    words = text(shown)
    assert "Check the ruling before publishing" in words
    assert f"Your ruling on dispute #{dispute.pk} is published. It cannot be edited" in words
    assert "Findings: The partner kept working in the network while withdrawn." in words
    assert "It orders a sanction on Partner Housing: warning." in words
    assert "Partner Housing must: Send the rota log to the lead. (by" in words
    assert "Lead Advice, Partner Housing and the alliance's admins are told at once" in words
    assert ">Publish the ruling<" in html(shown)
    assert "Go back and change it" in words
    assert "Cancel, go back" in words
    assert not Ruling.objects.exists()
    assert AuditEvent.objects.count() == audited
    dispute.refresh_from_db()
    assert dispute.status == status


def test_going_back_from_the_ruling_keeps_what_was_written(world: World, client: Client):
    story, dispute = stories.accepted(world)
    url = page("dispute-rule", pk=dispute.pk)
    response = signed_in(client, story.arbiter).post(url, {**ruling_form(world), "change": "on"})
    assert response.status_code == 200
    assert "<h1>Publish the ruling" in html(response)
    assert "The partner shares its rota log with the lead.</textarea>" in html(response)
    assert 'name="confirm"' not in html(response)
    assert not Ruling.objects.exists()


def test_confirming_the_ruling_publishes_it_and_says_so(world: World, client: Client):
    story, dispute = stories.accepted(world)
    url = page("dispute-rule", pk=dispute.pk)
    signed_in(client, story.arbiter)
    shown = html(client.post(url, ruling_form(world)))
    assert 'name="confirm" value="on"' in shown
    audited = AuditEvent.objects.count()
    response = client.post(url, {**ruling_form(world), "confirm": "on"})
    assert "Your ruling is published as ruling 1." in text(follow(client, response))
    ruling = Ruling.objects.get()
    assert (ruling.sanction, ruling.sanctioned_agency) == ("warning", world.partner)
    assert AuditEvent.objects.filter(verb="ruling.published").count() == 1
    assert AuditEvent.objects.count() > audited


# ----------------------------------------------------------------------------- the sanction


def test_the_first_post_of_a_sanction_only_reads_it_back(world: World, client: Client):
    story = stories.rival_bids(world)
    url = page("breach-review", pk=story.breach.pk)
    audited = AuditEvent.objects.count()
    shown = signed_in(client, story.arbiter).post(url, review_form())
    assert shown.status_code == 200
    words = text(shown)
    assert f"Check your review of breach #{story.breach.pk}" in words
    assert "is upheld, with your note: The rota shows work during the withdrawal." in words
    assert "Suspension, at once" in words and "It applies to Partner Housing." in words
    assert "Partner Housing's leaders and the alliance's admins are told" in words
    assert ">Record the review<" in html(shown)
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE
    story.breach.refresh_from_db()
    assert story.breach.status == "open"
    assert AuditEvent.objects.count() == audited


def test_confirming_the_sanction_applies_it_and_says_so(world: World, client: Client):
    story = stories.rival_bids(world)
    url = page("breach-review", pk=story.breach.pk)
    signed_in(client, story.arbiter)
    client.post(url, review_form())
    response = client.post(url, {**review_form(), "confirm": "on"})
    words = text(follow(client, response))
    assert "The breach is upheld, with a sanction: suspension. It applies now." in words
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.SUSPENDED
    assert AuditEvent.objects.filter(verb="breach.reviewed").count() == 1


def test_an_expulsion_says_the_agency_ceases_to_be_a_member_before_it_does(
    world: World, client: Client
):
    story, _dispute, ruling = stories.expulsion_ordered(world)
    stories.expulsion_by(world, ExpulsionBy.RULING)
    url = page("breach-review", pk=story.breach.pk)
    data = review_form(sanction="expulsion", ruling=ruling.pk)
    shown = text(signed_in(client, story.arbiter).post(url, data))
    assert f"Partner Housing is expelled at once on the authority of ruling {ruling.number}" in (
        shown
    )
    assert "it ceases to be a member (clause 6)" in shown
    world.partner.refresh_from_db()
    assert world.partner.status == Agency.Status.ACTIVE


def test_after_a_refused_confirmation_the_next_try_is_read_back_again(world: World, client: Client):
    story = stories.rival_bids(world)
    url = page("breach-review", pk=story.breach.pk)
    signed_in(client, story.arbiter)
    refused = client.post(url, {**review_form(outcome="dismissed"), "confirm": "on"})
    assert refused.status_code == 400
    assert "A dismissed breach carries no sanction." in text(refused)
    assert 'name="confirm"' not in html(refused)  # the confirmation is not carried back
    again = client.post(url, review_form(outcome="dismissed", sanction="none"))
    assert again.status_code == 200
    assert "is dismissed, with your note" in text(again)
    story.breach.refresh_from_db()
    assert story.breach.status == "open"
