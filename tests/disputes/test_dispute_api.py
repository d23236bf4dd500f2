"""The disputes API, held to API.md: who may see and do what at each step (the access matrix),
what each side reads of the evidence, a dispute from filing to closing through the API, bad
input refused whole, and query counts. State is built as members build it (tests/disputes/story.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from disputes.models import Dispute, EvidenceFile, RequiredAction, Ruling, Submission
from disputes.services import disputes, evidence, rulings
from disputes.services.rulings import ActionSpec
from kiaa.models import AuditEvent, Role, User
from kiaa.services.alliances import agency_update
from tests.api import api_url, is_field_error, row_counts, tolerant
from tests.conftest import World, api_as
from tests.disputes import story as stories
from tests.disputes.story import Story
from tests.factories import PersonFactory, grant
from tests.factories.bids import bid_paper
from tests.factories.partnerships import PDF

pytestmark = pytest.mark.django_db

# The columns of every matrix: the parties' chief officers (A files against B), the dispute's
# arbiter, a member agency's chief officer with no part in it, another alliance's chief officer
# and an alliance admin.
WHO = ("complainant", "respondent", "arbiter", "competitor", "outsider", "admin")
WRITES = (Dispute, Submission, EvidenceFile, Ruling, RequiredAction, AuditEvent)


def person(who: str, story: Story, request: Any) -> User:
    """A persona of the matrix: the story's own people, or the conftest's."""
    if who in ("complainant", "respondent", "arbiter"):
        return getattr(story, who)
    return request.getfixturevalue(who)


def day(n: int) -> str:
    """The date n days from today, as the API reads and writes dates."""
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def pdf(name: str = "evidence.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    """A small real PDF, as a client uploads it."""
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def ruled(world: World) -> tuple[Story, Dispute, Ruling]:
    """The arbiter rules: the respondent must send its rota to the complainant within a week."""
    story, dispute = stories.accepted(world)
    ruling = rulings.ruling_publish(
        actor=story.arbiter,
        dispute=dispute,
        findings="The partner used the network during its withdrawal.",
        decision="The partner shares the rota it used.",
        actions=[
            ActionSpec(
                world.partner,
                "Send the rota to Lead Advice.",
                timezone.localdate() + timedelta(days=7),
            )
        ],
    )
    return story, dispute, ruling


DEADLINES = {"evidence_due_on": day(5), "ruling_due_on": day(10)}


# --- Reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_each_persona_lists_only_the_disputes_they_may_see(who: str, world: World, request: Any):
    story, dispute = stories.accepted(world)
    response = tolerant(person(who, story, request)).get(api_url("dispute-list"))
    if who == "outsider":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    listed = {d["id"] for d in response.json()["results"]}
    assert listed == (set() if who == "competitor" else {dispute.pk})


# complainant, respondent, arbiter, competitor, outsider, admin
READS = (200, 200, 200, 404, 404, 200)


@pytest.mark.parametrize("who", WHO)
def test_each_persona_reads_the_dispute_or_gets_404(who: str, world: World, request: Any):
    story, dispute = stories.accepted(world)
    response = tolerant(person(who, story, request)).get(api_url("dispute-detail", pk=dispute.pk))
    assert response.status_code == READS[WHO.index(who)]


def test_a_dispute_reads_as_api_md_says(world: World):
    story, dispute = stories.accepted(world)
    body = api_as(story.respondent).get(api_url("dispute-detail", pk=dispute.pk)).json()
    assert set(body) == {
        "id", "complainant", "respondent", "subject", "breach", "declaration", "partnership",
        "summary", "status", "arbiter", "arbiter_agency", "appointment_reason", "filed_at",
        "accepted_at", "evidence_due_on", "ruling_due_on", "closed_at", "closing_reason",
    }  # fmt: skip
    assert (body["complainant"], body["respondent"]) == (world.lead.pk, world.partner.pk)
    assert (body["subject"], body["breach"]) == ("breach", story.breach.pk)
    assert (body["status"], body["arbiter"], body["arbiter_agency"]) == (
        "accepted",
        "cvs.arbiter",
        world.cvs.pk,
    )
    assert body["evidence_due_on"] == day(7)
    assert body["closed_at"] is None


def test_anonymous_clients_get_401(world: World):
    _, dispute = stories.filed(world)
    assert APIClient().get(api_url("dispute-list")).status_code == 401
    assert APIClient().get(api_url("dispute-detail", pk=dispute.pk)).status_code == 401
    assert APIClient().post(api_url("dispute-accept", pk=dispute.pk), {}).status_code == 401


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_dispute_changes_only_through_its_steps(method: str, world: World, admin: User):
    _, dispute = stories.filed(world)
    client = tolerant(admin)
    assert getattr(client, method)(api_url("dispute-list"), {}, format="json").status_code == 405
    detail = api_url("dispute-detail", pk=dispute.pk)
    assert getattr(client, method)(detail, {}, format="json").status_code == 405


@pytest.mark.parametrize("pk", ["abc", "-1", "99999999999999999999999"])
def test_a_malformed_id_is_404_not_500(pk: str, world: World, admin: User):
    stories.filed(world)
    client = tolerant(admin)
    assert client.get(api_url("dispute-detail", pk=pk)).status_code == 404
    assert client.get(api_url("dispute-submissions", pk=pk)).status_code == 404


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"status": "accepted"}, True),
        ({"status": "filed"}, False),
        ({"complainant": "lead"}, True),
        ({"respondent": "lead"}, False),
        ({"respondent": "partner", "status": "accepted"}, True),
    ],
)
def test_the_filters_narrow_the_list(params: dict[str, str], found: bool, world: World):
    story, dispute = stories.accepted(world)
    query = {k: getattr(world, v).pk if k != "status" else v for k, v in params.items()}
    body = api_as(story.arbiter).get(api_url("dispute-list"), query).json()
    assert [d["id"] for d in body["results"]] == ([dispute.pk] if found else [])


@pytest.mark.parametrize(("field", "value"), [("status", "open"), ("complainant", "abc")])
def test_a_bad_filter_is_a_400_on_its_field(field: str, value: str, world: World, admin: User):
    stories.filed(world)
    response = tolerant(admin).get(api_url("dispute-list"), {field: value})
    assert response.status_code == 400
    assert is_field_error(response.json(), field)


def test_another_alliances_agency_is_not_a_valid_filter(world: World, admin: User):
    stories.filed(world)
    response = tolerant(admin).get(api_url("dispute-list"), {"respondent": world.other_agency.pk})
    assert response.status_code == 400
    assert is_field_error(response.json(), "respondent")


# --- Each step, by persona ----------------------------------------------------------------------

STEPS = {  # complainant, respondent, arbiter, competitor, outsider, admin
    "file":      (201,  403,  403,  403,  404,  403),
    "accept":    (403,  403,  200,  404,  404,  403),
    "appoint":   (403,  403,  403,  404,  404,  409),  # the CVS is no party: its arbiter takes it
    "deadlines": (403,  403,  200,  404,  404,  403),
    "withdraw":  (200,  403,  403,  404,  404,  403),
    "submit":    (201,  201,  201,  404,  404,  403),
    "rule":      (403,  403,  201,  404,  404,  403),
    "confirm":   (403,  200,  403,  404,  404,  403),  # the action is the respondent's
}  # fmt: skip


def at_step(step: str, world: World) -> tuple[Story, str, dict[str, Any]]:
    """The story at the point where the step may be taken, its URL and a valid body."""
    if step == "file":
        story = stories.rival_bids(world)
        body = {
            "complainant": world.lead.pk,
            "respondent": world.partner.pk,
            "subject": "breach",
            "breach": story.breach.pk,
            "summary": "They kept working in the network.",
        }
        return story, api_url("dispute-list"), body
    if step == "accept":
        story, dispute = stories.filed(world)
        return story, api_url("dispute-accept", pk=dispute.pk), DEADLINES
    if step == "confirm":
        story, dispute, ruling = ruled(world)
        action = ruling.actions.get()
        url = api_url("dispute-action-confirm", pk=dispute.pk, action_id=action.pk)
        return story, url, {"note": "Sent on Monday."}
    story, dispute = stories.accepted(world)
    bodies: dict[str, tuple[str, dict[str, Any]]] = {
        "appoint": (
            "dispute-appoint",
            {
                **DEADLINES,
                "arbiter": story.arbiter.pk,
                "agency": world.competitor.pk,
                "reason": "-",
            },
        ),
        "deadlines": ("dispute-deadlines", DEADLINES),
        "withdraw": ("dispute-withdraw", {"reason": "We settled."}),
        "submit": ("dispute-submissions", {"statement": "Our account of it."}),
        "rule": (
            "dispute-ruling",
            {
                "findings": "It happened.",
                "decision": "Share the rota.",
                "actions": [{"agency": world.partner.pk, "description": "Share", "due_on": day(7)}],
            },
        ),
    }
    name, body = bodies[step]
    return story, api_url(name, pk=dispute.pk), body


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("step", STEPS)
def test_each_step_is_taken_only_by_whom_the_protocol_names(
    step: str, who: str, world: World, request: Any
):
    story, url, body = at_step(step, world)
    client = tolerant(person(who, story, request))
    response = client.post(url, body, format="multipart" if step == "submit" else "json")
    assert response.status_code == STEPS[step][WHO.index(who)], response.content


def test_a_refusal_says_why(world: World):
    story, url, body = at_step("rule", world)
    response = tolerant(story.complainant).post(url, body, format="json")
    assert response.json() == {"detail": rulings.NOT_THE_ARBITER}


# --- Evidence, as each side reads it -----------------------------------------------------------

SEES = {  # which of the story's submissions each persona reads (None: the dispute is missing)
    "complainant": {"shared_by_lead", "private_to_arbiter", "shared_by_partner", "from_arbiter"},
    "respondent": {"shared_by_lead", "shared_by_partner", "from_arbiter"},
    "arbiter": {"shared_by_lead", "private_to_arbiter", "shared_by_partner", "from_arbiter"},
    "competitor": None,
    "outsider": None,
    "admin": set(),  # admins keep the dispute, not its evidence: that is for the ruling
}


@pytest.mark.parametrize("who", WHO)
def test_each_persona_reads_only_the_evidence_shown_to_them(who: str, world: World, request: Any):
    story, dispute, given = stories.with_evidence(world)
    url = api_url("dispute-submissions", pk=dispute.pk)
    response = tolerant(person(who, story, request)).get(url)
    expected = SEES[who]
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    names = {getattr(given, n).pk: n for n in SEES["arbiter"]}
    assert {names[s["id"]] for s in response.json()["results"]} == expected


def test_a_submission_reads_as_api_md_says_with_papers_through_the_barrier(world: World):
    story, dispute = stories.accepted(world)
    pricing = bid_paper(story.partner_bid, title="Our pricing")  # a rival's: never the lead's
    given = evidence.submission_add(
        actor=story.respondent,
        dispute=dispute,
        statement="See our pricing.",
        paper_ids=[pricing.pk],
    )
    url = api_url("dispute-submissions", pk=dispute.pk)
    [own] = api_as(story.respondent).get(url).json()["results"]
    assert set(own) == {
        "id", "agency", "by_arbiter", "author", "statement", "visibility", "submitted_at",
        "files", "papers", "hidden_papers",
    }  # fmt: skip
    assert (own["id"], own["agency"], own["author"], own["visibility"], own["by_arbiter"]) == (
        given.pk,
        world.partner.pk,
        story.respondent.username,
        "shared",
        False,
    )
    assert (own["papers"], own["hidden_papers"]) == ([pricing.pk], 0)
    # The lead bids against it: it learns a paper is there, not which.
    [seen] = api_as(story.complainant).get(url).json()["results"]
    assert (seen["papers"], seen["hidden_papers"]) == ([], 1)


FILES = {  # complainant, respondent, arbiter, competitor, outsider, admin
    "private": (200,  404,  200,  404,  404,  404),  # the lead's, for the arbiter only
    "shared":  (200,  200,  200,  404,  404,  404),  # the partner's
}  # fmt: skip


def with_files(world: World) -> tuple[Story, Dispute, dict[str, EvidenceFile]]:
    story, dispute = stories.accepted(world)
    private = evidence.submission_add(
        actor=story.complainant,
        dispute=dispute,
        statement="Our pricing.",
        visibility=Submission.Visibility.ARBITER,
        files=[pdf("pricing.pdf")],
    )
    shared = evidence.submission_add(
        actor=story.respondent, dispute=dispute, statement="Our rota.", files=[pdf("rota.pdf")]
    )
    return story, dispute, {"private": private.files.get(), "shared": shared.files.get()}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("which", FILES)
def test_each_persona_downloads_only_the_files_they_may_read(
    which: str, who: str, world: World, request: Any
):
    story, dispute, files = with_files(world)
    url = api_url("dispute-file", pk=dispute.pk, file_id=files[which].pk)
    response = tolerant(person(who, story, request)).get(url)
    assert response.status_code == FILES[which][WHO.index(who)]


def test_a_file_downloads_as_an_attachment_never_rendered(world: World):
    story, dispute, files = with_files(world)
    url = api_url("dispute-file", pk=dispute.pk, file_id=files["private"].pk)
    response = api_as(story.arbiter).get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response.getvalue() == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="pricing.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("file_id", ["abc", "99999999"])
def test_a_missing_file_is_404(file_id: str, world: World):
    story, dispute = stories.accepted(world)
    url = api_url("dispute-file", pk=dispute.pk, file_id=file_id)
    assert tolerant(story.arbiter).get(url).status_code == 404


def test_a_file_of_another_dispute_is_404_through_this_one(world: World):
    story, _dispute, files = with_files(world)
    other = stories.another_dispute(story)
    url = api_url("dispute-file", pk=other.pk, file_id=files["private"].pk)
    assert tolerant(story.complainant).get(url).status_code == 404


# --- Rulings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_each_persona_reads_the_ruling_or_gets_404(who: str, world: World, request: Any):
    story, dispute, ruling = ruled(world)
    response = tolerant(person(who, story, request)).get(api_url("dispute-ruling", pk=dispute.pk))
    assert response.status_code == READS[WHO.index(who)]
    if response.status_code == 200:
        assert response.json()["number"] == ruling.number


def test_before_a_ruling_there_is_none_to_read(world: World):
    story, dispute = stories.accepted(world)
    response = tolerant(story.complainant).get(api_url("dispute-ruling", pk=dispute.pk))
    assert response.status_code == 404


def test_a_correction_replaces_the_outstanding_actions_and_keeps_the_history(world: World):
    story, dispute, first = ruled(world)
    url = api_url("dispute-ruling", pk=dispute.pk)
    body = {
        "corrects": first.number,
        "findings": "As before.",
        "decision": "The lead shares its pricing instead.",
        "actions": [{"agency": world.lead.pk, "description": "Send pricing.", "due_on": day(3)}],
    }
    response = api_as(story.arbiter).post(url, body, format="json")
    assert response.status_code == 201, response.content
    latest = response.json()
    assert (latest["number"], latest["corrects"]) == (2, 1)
    assert [a["agency"] for a in latest["actions"]] == [world.lead.pk]
    [earlier] = latest["history"]
    assert earlier["number"] == 1
    assert earlier["actions"][0]["superseded_at"] is not None
    # Correcting an earlier ruling than the latest is refused by the state, not the input.
    again = tolerant(story.arbiter).post(url, {**body, "corrects": 1}, format="json")
    assert again.status_code == 409


def test_a_ruling_reads_as_api_md_says(world: World):
    story, dispute, _ruling = ruled(world)
    body = api_as(story.respondent).get(api_url("dispute-ruling", pk=dispute.pk)).json()
    assert set(body) == {
        "id", "number", "corrects", "findings", "decision", "sanction", "sanctioned_agency",
        "published_by", "published_at", "actions", "history",
    }  # fmt: skip
    assert (body["corrects"], body["sanction"], body["published_by"]) == (
        None,
        "none",
        "cvs.arbiter",
    )
    [action] = body["actions"]
    assert set(action) == {
        "id", "agency", "description", "due_on", "confirmed_at", "confirmed_by", "superseded_at",
    }  # fmt: skip
    assert (action["agency"], action["due_on"], action["confirmed_by"]) == (
        world.partner.pk,
        day(7),
        None,
    )
    assert body["history"] == []


# --- Appointing an arbiter where the CVS is a party --------------------------------------------


def test_an_admin_appoints_an_independent_arbiter_where_the_cvs_is_a_party(
    world: World, admin: User
):
    story = stories.rival_bids(world)
    dispute = disputes.dispute_file(
        actor=story.complainant,
        alliance=world.alliance,
        complainant=world.lead,
        respondent=world.cvs,
        subject=Dispute.Subject.GENERAL,
        summary="The CVS shared our bid plans.",
    )
    agency_update(actor=admin, agency=world.competitor, may_arbitrate=True)
    lent = PersonFactory(username="lent.arbiter")
    grant(lent, Role.STAFF, world.competitor)
    # The CVS's own arbiter cannot take on a dispute the CVS is party to.
    refused = tolerant(story.arbiter).post(
        api_url("dispute-accept", pk=dispute.pk), DEADLINES, format="json"
    )
    assert refused.status_code == 404  # while it waits, the CVS's arbiters see it not at all
    body = {
        **DEADLINES,
        "arbiter": lent.pk,
        "agency": world.competitor.pk,
        "reason": "Independent.",
    }
    response = api_as(admin).post(api_url("dispute-appoint", pk=dispute.pk), body, format="json")
    assert response.status_code == 200, response.content
    appointed = response.json()
    assert (appointed["arbiter"], appointed["arbiter_agency"]) == (
        "lent.arbiter",
        world.competitor.pk,
    )
    assert appointed["appointment_reason"] == "Independent."
    # The appointed arbiter now reads the dispute and sets its deadlines.
    moved = api_as(lent).post(api_url("dispute-deadlines", pk=dispute.pk), DEADLINES, format="json")
    assert moved.status_code == 200


# --- The whole flow through the API -------------------------------------------------------------


def file_through_api(story: Story) -> int:
    """The lead's chief officer files about the breach; its agency is implied."""
    world = story.world
    filed = api_as(story.complainant).post(
        api_url("dispute-list"),
        {
            "respondent": world.partner.pk,
            "subject": "breach",
            "breach": story.breach.pk,
            "summary": "Partner Housing kept working in the network while bidding against us.",
        },
        format="json",
    )
    assert filed.status_code == 201, filed.content
    dispute = filed.json()
    assert (dispute["complainant"], dispute["status"], dispute["arbiter"]) == (
        world.lead.pk,
        "filed",
        None,
    )
    return int(dispute["id"])


def accept_through_api(story: Story, pk: int) -> None:
    """A conflicted arbiter of the CVS is refused with the reason; an independent one accepts."""
    conflicted = PersonFactory(username="conflicted")  # also sits on the respondent's board
    grant(conflicted, Role.ARBITER, story.world.cvs)
    grant(conflicted, Role.TRUSTEE, story.world.partner)
    url = api_url("dispute-accept", pk=pk)
    refused = tolerant(conflicted).post(url, DEADLINES, format="json")
    assert refused.status_code == 409
    assert "holds a role in Partner Housing" in refused.json()["detail"]
    accepted = api_as(story.arbiter).post(url, DEADLINES, format="json")
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["arbiter"]) == ("accepted", "cvs.arbiter")


def give_evidence_through_api(story: Story, pk: int) -> None:
    """The lead gives two files for the arbiter only; the partner answers, pointing to a paper."""
    submissions = api_url("dispute-submissions", pk=pk)
    files = [pdf("pricing.pdf"), pdf("timeline.pdf")]
    given = api_as(story.complainant).post(
        submissions,
        {
            "statement": "Our pricing, for the arbiter only.",
            "visibility": "arbiter",
            "files": files,
        },
        format="multipart",
    )
    assert given.status_code == 201, given.content
    private = given.json()["files"]
    assert [(f["name"], f["size"], f["content_type"]) for f in private] == [
        ("pricing.pdf", len(PDF), "application/pdf"),
        ("timeline.pdf", len(PDF), "application/pdf"),
    ]
    respondent = api_as(story.respondent)
    answer = respondent.post(
        submissions,
        {"statement": "The rota gave us nothing.", "papers": [story.paper.pk]},
        format="multipart",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["papers"] == [story.paper.pk]
    # The respondent never reads what was given to the arbiter alone, nor its files.
    listed = respondent.get(submissions).json()["results"]
    assert [s["id"] for s in listed] == [answer.json()["id"]]
    assert tolerant(story.respondent).get(private[0]["download"]).status_code == 404
    assert api_as(story.arbiter).get(private[0]["download"]).getvalue() == PDF


def rule_through_api(story: Story, pk: int) -> int:
    """The arbiter rules: the partner must apologise; the id of that action."""
    ruling = api_as(story.arbiter).post(
        api_url("dispute-ruling", pk=pk),
        {
            "findings": "The partner kept working in the network while withdrawn.",
            "decision": "The partner apologises in writing.",
            "actions": [
                {"agency": story.world.partner.pk, "description": "Apologise.", "due_on": day(5)}
            ],
        },
        format="json",
    )
    assert ruling.status_code == 201, ruling.content
    [required] = ruling.json()["actions"]
    assert required["agency"] == story.world.partner.pk
    return int(required["id"])


def test_a_dispute_goes_from_filing_to_closed_through_the_api(world: World):
    story = stories.rival_bids(world)
    pk = file_through_api(story)
    accept_through_api(story, pk)
    give_evidence_through_api(story, pk)
    action_id = rule_through_api(story, pk)
    detail = api_url("dispute-detail", pk=pk)
    assert api_as(story.complainant).get(detail).json()["status"] == "ruled"

    confirm = api_url("dispute-action-confirm", pk=pk, action_id=action_id)
    done = api_as(story.respondent).post(confirm, {"note": "Letter sent."}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["confirmed_by"] == story.respondent.username
    closed = api_as(story.complainant).get(detail).json()
    assert (closed["status"], closed["closed_at"] is not None) == ("closed", True)
    # Confirmed once is enough: the state now refuses it.
    assert tolerant(story.respondent).post(confirm, {}, format="json").status_code == 409


def test_the_complainant_withdraws_and_the_dispute_takes_no_more_evidence(world: World):
    story, dispute = stories.accepted(world)
    client = api_as(story.complainant)
    response = client.post(
        api_url("dispute-withdraw", pk=dispute.pk), {"reason": "Settled."}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["closing_reason"]) == (
        "withdrawn",
        "Settled.",
    )
    late = tolerant(story.respondent).post(
        api_url("dispute-submissions", pk=dispute.pk),
        {"statement": "Too late."},
        format="multipart",
    )
    assert late.status_code == 409


# --- Bad input: a 400 on its field, and nothing written ----------------------------------------


def refused_whole(client: APIClient, url: str, body: Any, field: str, format: str = "json") -> None:
    before = row_counts(*WRITES)
    response = client.post(url, body, format=format)
    assert response.status_code == 400, response.content
    assert is_field_error(response.json(), field), response.json()
    assert row_counts(*WRITES) == before


FILING = {"respondent": "partner", "subject": "general", "summary": "A complaint."}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"respondent": "other_agency"}, "respondent"),
        ({"respondent": True}, "respondent"),
        ({"respondent": "lead"}, "respondent"),  # the complainant itself
        ({"subject": "nonsense"}, "subject"),
        ({"subject": "breach"}, "breach"),  # names none
        ({"subject": "breach", "breach": 99999999}, "breach"),
        ({"subject": "declaration", "declaration": "99999999999999999999999"}, "declaration"),
        ({"subject": "partnership", "partnership": 99999999}, "partnership"),
        ({"summary": ""}, "summary"),
    ],
)
def test_a_bad_filing_is_a_400_on_its_field(changes: dict[str, Any], field: str, world: World):
    story = stories.rival_bids(world)
    body = {**FILING, **changes}
    for key in ("respondent",):
        if isinstance(body[key], str):
            body[key] = getattr(world, body[key]).pk
    refused_whole(tolerant(story.complainant), api_url("dispute-list"), body, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"evidence_due_on": "next week", "ruling_due_on": day(10)}, "evidence_due_on"),
        ({"evidence_due_on": day(-1), "ruling_due_on": day(10)}, "evidence_due_on"),
        ({"evidence_due_on": day(10), "ruling_due_on": day(5)}, "ruling_due_on"),
        ({"evidence_due_on": day(5)}, "ruling_due_on"),
    ],
)
def test_bad_deadlines_are_a_400_on_their_field(body: dict[str, Any], field: str, world: World):
    story, dispute = stories.filed(world)
    refused_whole(tolerant(story.arbiter), api_url("dispute-accept", pk=dispute.pk), body, field)
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.FILED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"arbiter": 99999999}, "arbiter"),
        ({"agency": "other_agency"}, "agency"),
        ({"reason": ""}, "reason"),
    ],
)
def test_a_bad_appointment_is_a_400_on_its_field(
    changes: dict[str, Any], field: str, world: World, admin: User
):
    story, dispute = stories.filed(world)
    body = {**DEADLINES, "arbiter": story.arbiter.pk, "agency": world.competitor.pk, "reason": "-"}
    body.update({k: getattr(world, v).pk if v == "other_agency" else v for k, v in changes.items()})
    refused_whole(tolerant(admin), api_url("dispute-appoint", pk=dispute.pk), body, field)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"statement": ""}, "statement"),
        ({"visibility": "everyone"}, "visibility"),
        ({"files": [SimpleUploadedFile("fake.pdf", b"not a pdf at all")]}, "files"),
        ({"files": [SimpleUploadedFile("empty.pdf", b"")]}, "files"),
        ({"files": [SimpleUploadedFile("run.exe", b"MZ\x90\x00")]}, "files"),
        ({"papers": ["abc"]}, "papers"),
        ({"papers": ["rival"]}, "papers"),  # the partner's bid paper: the lead cannot open it
        ({"agency": "other_agency"}, "agency"),
    ],
)
def test_a_bad_submission_is_a_400_on_its_field_and_stores_nothing(
    changes: dict[str, Any], field: str, world: World
):
    story, dispute = stories.accepted(world)
    body: dict[str, Any] = {"statement": "Our account.", "files": [pdf()], **changes}
    if body.get("papers") == ["rival"]:
        body["papers"] = [bid_paper(story.partner_bid, title="Their pricing").pk]
    if body.get("agency") == "other_agency":
        body["agency"] = world.other_agency.pk
    url = api_url("dispute-submissions", pk=dispute.pk)
    refused_whole(tolerant(story.complainant), url, body, field, format="multipart")


def action(agency: Any, due_on: str | None = None, description: str = "Do it.") -> dict[str, Any]:
    return {"agency": agency, "description": description, "due_on": due_on or day(7)}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"findings": ""}, "findings"),
        ({"actions": "apologise"}, "actions"),
        ({"actions": ["apologise"]}, "actions"),
        ({"actions": [action("other_agency")]}, "actions"),
        ({"actions": [action("competitor")]}, "actions"),  # not a party
        ({"actions": [action("partner", due_on="soon")]}, "actions"),
        ({"actions": [action("partner", due_on=day(-1))]}, "actions"),
        ({"actions": [action("partner", description="  ")]}, "actions"),
        ({"sanction": "banishment"}, "sanction"),
        ({"sanctioned_agency": "other_agency", "sanction": "warning"}, "sanctioned_agency"),
        ({"sanction": "warning", "sanctioned_agency": "lead"}, "sanction"),  # not in breach
        ({"corrects": 7}, "corrects"),
    ],
)
def test_a_bad_ruling_is_a_400_on_its_field(changes: dict[str, Any], field: str, world: World):
    story, dispute = stories.accepted(world)
    body: dict[str, Any] = {"findings": "Found.", "decision": "Decided.", **changes}
    if isinstance(body.get("actions"), list):
        body["actions"] = [
            {**a, "agency": getattr(world, a["agency"]).pk} if isinstance(a, dict) else a
            for a in body["actions"]
        ]
    if isinstance(body.get("sanctioned_agency"), str):
        body["sanctioned_agency"] = getattr(world, body["sanctioned_agency"]).pk
    url = api_url("dispute-ruling", pk=dispute.pk)
    refused_whole(tolerant(story.arbiter), url, body, field)
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.ACCEPTED


def test_a_bad_confirmation_note_is_a_400(world: World):
    story, dispute, ruling = ruled(world)
    url = api_url("dispute-action-confirm", pk=dispute.pk, action_id=ruling.actions.get().pk)
    refused_whole(tolerant(story.respondent), url, {"note": {"a": 1}}, "note")


def test_an_action_of_another_dispute_is_404(world: World):
    story, _dispute, ruling = ruled(world)
    other = stories.another_dispute(story)
    url = api_url("dispute-action-confirm", pk=other.pk, action_id=ruling.actions.get().pk)
    assert tolerant(story.respondent).post(url, {}, format="json").status_code == 404


# --- Query counts -------------------------------------------------------------------------------

# Measured: 7 and 11 at every size (the tenant, the person's roles, the dispute, then one query
# per kind of row: submissions, files, paper links, the papers the barrier shows).
LIST_QUERIES = 7
SUBMISSION_QUERIES = 11


@pytest.mark.parametrize("size", [2, 8])
def test_the_disputes_list_takes_the_same_few_queries_at_any_size(
    size: int, world: World, django_assert_max_num_queries: Any
):
    story, _ = stories.accepted(world)
    for n in range(size - 1):
        disputes.dispute_file(
            actor=story.complainant,
            alliance=world.alliance,
            complainant=world.lead,
            respondent=world.competitor if n % 2 else world.partner,
            subject=Dispute.Subject.GENERAL,
            summary=f"Complaint {n}.",
        )
    client = api_as(story.complainant)
    with django_assert_max_num_queries(LIST_QUERIES):
        body = client.get(api_url("dispute-list"), {"page_size": 200}).json()
    assert body["count"] == size


@pytest.mark.parametrize("size", [2, 8])
def test_the_submissions_list_takes_the_same_few_queries_at_any_size(
    size: int, world: World, django_assert_max_num_queries: Any
):
    story, dispute = stories.accepted(world)
    for n in range(size):
        evidence.submission_add(
            actor=story.respondent if n % 2 else story.complainant,
            dispute=dispute,
            statement=f"Statement {n}.",
            files=[pdf(f"file{n}.pdf")],
            paper_ids=[story.paper.pk] if n % 2 else [],
        )
    client = api_as(story.arbiter)
    with django_assert_max_num_queries(SUBMISSION_QUERIES):
        body = client.get(api_url("dispute-submissions", pk=dispute.pk), {"page_size": 200}).json()
    assert body["count"] == size
    assert all(len(s["files"]) == 1 for s in body["results"])


def test_the_schema_documents_the_disputes_endpoints():
    response = APIClient().get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    one = "/api/v1/a/{alliance_slug}/disputes/{id}/"
    assert set(paths["/api/v1/a/{alliance_slug}/disputes/"]) == {"get", "post"}
    assert set(paths[one]) == {"get"}
    for step in ("accept", "appoint", "deadlines", "withdraw"):
        assert set(paths[f"{one}{step}/"]) == {"post"}
    assert set(paths[f"{one}submissions/"]) == {"get", "post"}
    assert set(paths[f"{one}ruling/"]) == {"get", "post"}
    assert set(paths[f"{one}files/{{file_id}}/"]) == {"get"}
    assert set(paths[f"{one}actions/{{action_id}}/confirm/"]) == {"post"}
    upload = paths[f"{one}submissions/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
