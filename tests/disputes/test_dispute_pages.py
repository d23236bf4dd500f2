"""The dispute pages: who opens each one, filing, the arbiter taking a dispute on (or refused
for a conflict), evidence and its files, the ruling and its actions, withdrawing, the dashboard
for each role, and the dashboard's query count at two sizes.

Personas: party A is the story's complainant (the lead's chief officer), party B its respondent
(the partner's), the arbiter the CVS arbiter who takes it on; `competitor` is an unrelated
member, `outsider` is of another alliance, `admin` keeps the alliance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from disputes.dispute_dashboard import dues_of
from disputes.models import Dispute, EvidenceFile, Ruling, Submission
from disputes.services import disputes, evidence, rulings
from disputes.services.rulings import ActionSpec
from kiaa.models import Role, User
from kiaa.services.alliances import agency_update
from tests.conftest import World
from tests.disputes import story as stories
from tests.disputes.story import Story
from tests.factories import PersonFactory, grant
from tests.factories.bids import bid_paper
from tests.factories.partnerships import PDF, chief_of, upload
from tests.pages import (
    assert_refused_on,
    error_summary,
    follow,
    html,
    main_nav,
    page,
    signed_in,
    text,
)

pytestmark = pytest.mark.django_db

PERSONAS = ("party_a", "party_b", "arbiter", "competitor", "outsider", "admin")


def person(name: str, story: Story, request: Any) -> User:
    """The persona of the story (parties, its arbiter) or of the conftest (the others)."""
    found = {"party_a": story.complainant, "party_b": story.respondent, "arbiter": story.arbiter}
    return found[name] if name in found else request.getfixturevalue(name)


def today_plus(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def ruled(world: World, **changes: Any) -> tuple[Story, Dispute, Ruling]:
    """An accepted dispute ruled on: the partner must send its rota log within a week."""
    story, dispute = stories.accepted(world)
    ruling = rulings.ruling_publish(
        actor=story.arbiter,
        dispute=dispute,
        findings="The partner kept working in the network while bidding.",
        decision="The partner apologises and shares its rota log.",
        actions=[
            ActionSpec(
                agency=world.partner,
                description="Send the rota log to the lead.",
                due_on=timezone.localdate() + timedelta(days=7),
            )
        ],
        **changes,
    )
    dispute.refresh_from_db()
    return story, dispute, ruling


def with_files(world: World) -> tuple[Story, Dispute, EvidenceFile, EvidenceFile]:
    """The lead gives one file shared with the partner and one for the arbiter only."""
    story, dispute = stories.accepted(world)
    files = []
    for name, visibility in (("shared.pdf", "shared"), ("private.pdf", "arbiter")):
        submission = evidence.submission_add(
            actor=story.complainant,
            dispute=dispute,
            statement=f"See {name}.",
            visibility=visibility,
            files=[SimpleUploadedFile(name, PDF, content_type="application/pdf")],
        )
        files.append(submission.files.get())
    return story, dispute, files[0], files[1]


# ----------------------------------------------------------------------------- access


# Each page's answer for each persona, and the stage of the story it is asked at.
ACCESS = {
    "disputes": ("filed", [200, 200, 200, 200, 404, 200]),
    "dispute-detail": ("filed", [200, 200, 200, 404, 404, 200]),
    "dispute-file": ("filed", [200, 200, 403, 200, 404, 403]),
    "dispute-accept": ("filed", [403, 403, 200, 404, 404, 403]),
    "dispute-appoint": ("filed", [403, 403, 403, 404, 404, 200]),
    "dispute-withdraw": ("filed", [200, 403, 403, 404, 404, 403]),
    "dispute-deadlines": ("accepted", [403, 403, 200, 404, 404, 403]),
    "dispute-submit": ("accepted", [200, 200, 200, 404, 404, 403]),
    "dispute-rule": ("accepted", [403, 403, 200, 404, 404, 403]),
}
ACCESS_CASES = [
    (name, persona, expected[i])
    for name, (_, expected) in ACCESS.items()
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("name", "persona", "expected"), ACCESS_CASES)
def test_each_dispute_page_opens_only_for_the_personas_it_is_for(
    name: str, persona: str, expected: int, world: World, client: Client, request: Any
):
    stage = ACCESS[name][0]
    story, dispute = stories.filed(world) if stage == "filed" else stories.accepted(world)
    kwargs = {} if name in ("disputes", "dispute-file") else {"pk": dispute.pk}
    response = signed_in(client, person(persona, story, request)).get(page(name, **kwargs))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"), list(zip(PERSONAS, [403, 200, 403, 404, 404, 403], strict=True))
)
def test_only_the_party_that_must_act_opens_the_confirmation_of_an_action(
    persona: str, expected: int, world: World, client: Client, request: Any
):
    story, dispute, ruling = ruled(world)
    action = ruling.actions.get()
    url = page("dispute-action-confirm", pk=dispute.pk, action_pk=action.pk)
    response = signed_in(client, person(persona, story, request)).get(url)
    assert response.status_code == expected


def test_staff_have_no_disputes_page_and_no_link_to_it(world: World, client: Client, partner: User):
    stories.filed(world)
    signed_in(client, partner)
    assert client.get(page("disputes")).status_code == 403
    assert ">Disputes</a>" not in main_nav(client.get(page("dashboard")))


@pytest.mark.parametrize("persona", ["chief_officer", "trustee", "arbiter", "admin"])
def test_the_navigation_offers_disputes_to_leaders_arbiters_and_admins(
    persona: str, world: World, client: Client, request: Any
):
    response = signed_in(client, request.getfixturevalue(persona)).get(page("dashboard"))
    assert ">Disputes</a>" in main_nav(response)


def test_another_alliances_dispute_is_missing_even_for_its_admin(
    world: World, client: Client, request: Any
):
    _story, dispute = stories.filed(world)
    stranger = PersonFactory(username="other.admin")
    grant(stranger, Role.ALLIANCE_ADMIN, alliance=world.other_alliance)
    response = signed_in(client, stranger).get(
        f"/a/{world.other_alliance.slug}/disputes/{dispute.pk}/"
    )
    assert response.status_code == 404


# ----------------------------------------------------------------------------- filing


def test_a_chief_officer_files_a_dispute_about_a_breach_and_lands_on_its_page(
    world: World, client: Client
):
    story = stories.rival_bids(world)
    response = signed_in(client, story.complainant).post(
        page("dispute-file"),
        {
            "complainant": world.lead.pk,
            "respondent": world.partner.pk,
            "subject": "breach",
            "breach": story.breach.pk,
            "declaration": story.lead_bid.pk,  # left over in another list: ignored
            "summary": "They kept working in the network while bidding against us.",
        },
    )
    dispute = Dispute.objects.get()
    assert response.url == page("dispute-detail", pk=dispute.pk)
    words = text(follow(client, response))
    assert f"Dispute #{dispute.pk} is filed." in words
    assert "Filed, waiting for an arbiter" in words
    assert "They kept working in the network" in words
    assert story.breach.summary in words
    assert (dispute.complainant, dispute.respondent, dispute.breach) == (
        world.lead,
        world.partner,
        story.breach,
    )
    assert dispute.declaration is None
    story.breach.refresh_from_db()
    assert story.breach.status == "under_review"


def test_the_filing_form_offers_the_breaches_declarations_and_partnerships_to_choose(
    world: World, client: Client
):
    story = stories.rival_bids(world)
    response = signed_in(client, story.complainant).get(page("dispute-file"))
    body = html(response)
    assert f'<option value="{story.breach.pk}">' in body
    assert f'<option value="{story.network.pk}">' in body
    assert f'<option value="{story.partner_bid.pk}">' in body
    assert (
        f'<option value="{world.lead.pk}"'
        not in body.split('name="respondent"')[1].split("</select>")[0]
    )  # not a dispute with itself
    assert "Lead Advice files this dispute." in text(response)


def test_a_chief_officer_of_two_agencies_picks_which_one_files(world: World, client: Client):
    story = stories.rival_bids(world)
    grant(story.complainant, Role.CHIEF_OFFICER, world.competitor)
    response = signed_in(client, story.complainant).get(page("dispute-file"))
    offered = html(response).split('name="complainant"')[1].split("</select>")[0]
    assert f'<option value="{world.lead.pk}" selected>Lead Advice</option>' in offered
    assert f'<option value="{world.competitor.pk}">Rival Debt Line</option>' in offered
    response = client.post(
        page("dispute-file"),
        {
            "complainant": world.competitor.pk,
            "respondent": world.partner.pk,
            "subject": "general",
            "summary": "A matter of our own.",
        },
    )
    assert response.status_code == 302
    assert Dispute.objects.get().complainant == world.competitor


def test_filing_without_naming_the_breach_is_refused_and_files_nothing(
    world: World, client: Client
):
    story = stories.rival_bids(world)
    response = signed_in(client, story.complainant).post(
        page("dispute-file"),
        {
            "complainant": world.lead.pk,
            "respondent": world.partner.pk,
            "subject": "breach",
            "summary": "About a breach.",
        },
    )
    assert_refused_on(response, "breach", "Name the breach the dispute is about.")
    assert not Dispute.objects.exists()


def test_filing_with_no_summary_is_refused_on_the_field(world: World, client: Client):
    story = stories.rival_bids(world)
    response = signed_in(client, story.complainant).post(
        page("dispute-file"),
        {"complainant": world.lead.pk, "respondent": world.partner.pk, "subject": "general"},
    )
    assert_refused_on(response, "summary")
    assert not Dispute.objects.exists()


# ----------------------------------------------------------------------------- the arbiter


def test_the_arbiter_takes_on_a_filed_dispute_with_its_deadlines(world: World, client: Client):
    story, dispute = stories.filed(world)
    signed_in(client, story.arbiter)
    detail = client.get(page("dispute-detail", pk=dispute.pk))
    assert f'href="{page("dispute-accept", pk=dispute.pk)}"' in html(detail)
    response = client.post(
        page("dispute-accept", pk=dispute.pk),
        {"evidence_due_on": today_plus(10), "ruling_due_on": today_plus(20)},
    )
    words = text(follow(client, response))
    assert "You have taken on this dispute." in words
    assert f"Arbiter {story.arbiter} of Home CVS" in words
    dispute.refresh_from_db()
    assert dispute.status == "accepted"
    assert dispute.evidence_due_on.isoformat() == today_plus(10)


def test_a_conflicted_arbiter_sees_why_before_trying_and_is_refused_with_the_reason(
    world: World, client: Client
):
    _story, dispute = stories.filed(world)
    conflicted = PersonFactory(username="conflicted", first_name="Casey", last_name="Conflict")
    grant(conflicted, Role.ARBITER, world.cvs)
    grant(conflicted, Role.TRUSTEE, world.lead)
    reason = "Casey Conflict holds a role in Lead Advice, a party to the dispute."
    signed_in(client, conflicted)
    detail = client.get(page("dispute-detail", pk=dispute.pk))
    assert "You cannot take this dispute on" in text(detail)
    assert reason in text(detail)
    assert page("dispute-accept", pk=dispute.pk) not in html(detail)
    form = client.get(page("dispute-accept", pk=dispute.pk))
    assert reason in text(form)
    response = client.post(
        page("dispute-accept", pk=dispute.pk),
        {"evidence_due_on": today_plus(10), "ruling_due_on": today_plus(20)},
    )
    assert_refused_on(response, None, reason)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.arbiter) == ("filed", None)


def test_deadlines_out_of_order_are_refused_and_left_as_they_were(world: World, client: Client):
    story, dispute = stories.accepted(world)
    before = (dispute.evidence_due_on, dispute.ruling_due_on)
    response = signed_in(client, story.arbiter).post(
        page("dispute-deadlines", pk=dispute.pk),
        {"evidence_due_on": today_plus(20), "ruling_due_on": today_plus(10)},
    )
    assert_refused_on(
        response, "ruling_due_on", "The ruling is due on or after the last day for evidence."
    )
    dispute.refresh_from_db()
    assert (dispute.evidence_due_on, dispute.ruling_due_on) == before


def test_the_arbiter_moves_the_deadlines(world: World, client: Client):
    story, dispute = stories.accepted(world)
    signed_in(client, story.arbiter)
    form = client.get(page("dispute-deadlines", pk=dispute.pk))
    assert f'value="{dispute.evidence_due_on.isoformat()}"' in html(form)
    assert 'type="date"' in html(form)
    response = client.post(
        page("dispute-deadlines", pk=dispute.pk),
        {"evidence_due_on": today_plus(21), "ruling_due_on": today_plus(35)},
    )
    assert "The deadlines are changed." in text(follow(client, response))
    dispute.refresh_from_db()
    assert dispute.ruling_due_on.isoformat() == today_plus(35)


def cvs_against_lead(world: World) -> tuple[Story, Dispute]:
    """The CVS itself files against the lead; the competitor may lend an arbiter."""
    story = stories.rival_bids(world)
    dispute = disputes.dispute_file(
        actor=chief_of(world.cvs),
        alliance=world.alliance,
        complainant=world.cvs,
        respondent=world.lead,
        subject=Dispute.Subject.GENERAL,
        summary="The lead missed the forum's deadline.",
    )
    return story, dispute


def test_an_admin_appoints_an_independent_arbiter_when_the_cvs_is_a_party(
    world: World, client: Client, admin: User, competitor: User
):
    _story, dispute = cvs_against_lead(world)
    agency_update(actor=admin, agency=world.competitor, may_arbitrate=True)
    signed_in(client, admin)
    board = text(client.get(page("disputes")))
    assert "Waiting for you to appoint an arbiter" in board
    assert f"Dispute #{dispute.pk}" in board.split("Waiting for you to appoint")[1]
    detail = client.get(page("dispute-detail", pk=dispute.pk))
    assert f'href="{page("dispute-appoint", pk=dispute.pk)}"' in html(detail)
    form = client.get(page("dispute-appoint", pk=dispute.pk))
    assert f'<option value="{world.competitor.pk}">Rival Debt Line</option>' in html(form)
    assert f'<option value="{world.lead.pk}">' not in html(form)  # a party: never eligible
    response = client.post(
        page("dispute-appoint", pk=dispute.pk),
        {
            "agency": world.competitor.pk,
            "arbiter": competitor.pk,
            "reason": "Rival Debt Line has no stake in the forum.",
            "evidence_due_on": today_plus(7),
            "ruling_due_on": today_plus(14),
        },
    )
    words = text(follow(client, response))
    assert "is appointed" in words
    assert f"Appointed By {admin}, because: Rival Debt Line has no stake in the forum." in words
    dispute.refresh_from_db()
    assert (dispute.arbiter, dispute.arbiter_agency, dispute.status) == (
        competitor,
        world.competitor,
        "accepted",
    )


def test_an_arbiter_lent_from_a_members_staff_finds_the_dispute_in_their_queue(
    world: World, client: Client, admin: User
):
    _story, dispute = cvs_against_lead(world)
    agency_update(actor=admin, agency=world.competitor, may_arbitrate=True)
    world.competitor.refresh_from_db()
    lent = PersonFactory(username="lent")
    grant(lent, Role.STAFF, world.competitor)
    disputes.dispute_appoint(
        actor=admin,
        dispute=dispute,
        arbiter=lent,
        agency=world.competitor,
        reason="Independent of both.",
        evidence_due_on=timezone.localdate() + timedelta(days=7),
        ruling_due_on=timezone.localdate() + timedelta(days=14),
    )
    response = signed_in(client, lent).get(page("disputes"))
    assert response.status_code == 200
    taking = text(response).split("Taking evidence (1)")[1].split("Ruled, actions outstanding")[0]
    assert f"Dispute #{dispute.pk}" in taking


def test_an_appointment_without_a_reason_is_refused_and_appoints_nobody(
    world: World, client: Client, admin: User, competitor: User
):
    _story, dispute = cvs_against_lead(world)
    agency_update(actor=admin, agency=world.competitor, may_arbitrate=True)
    response = signed_in(client, admin).post(
        page("dispute-appoint", pk=dispute.pk),
        {
            "agency": world.competitor.pk,
            "arbiter": competitor.pk,
            "reason": " ",
            "evidence_due_on": today_plus(7),
            "ruling_due_on": today_plus(14),
        },
    )
    assert_refused_on(response, "reason")
    dispute.refresh_from_db()
    assert dispute.arbiter is None


# ----------------------------------------------------------------------------- evidence


def test_a_party_gives_a_statement_with_a_real_pdf_for_the_arbiter_only(
    world: World, client: Client
):
    story, dispute = stories.accepted(world)
    signed_in(client, story.complainant)
    form = client.get(page("dispute-submit", pk=dispute.pk))
    assert 'enctype="multipart/form-data"' in html(form)
    assert 'type="file" name="files" multiple' in html(form)
    response = client.post(
        page("dispute-submit", pk=dispute.pk),
        {
            "statement": "Our bid pricing, for the arbiter only.",
            "visibility": "arbiter",
            "files": [SimpleUploadedFile("pricing.pdf", PDF, content_type="application/pdf")],
        },
    )
    assert response.url.endswith("#evidence")
    words = text(follow(client, response))
    assert "Your statement is given: the arbiter can read it." in words
    submission = Submission.objects.get()
    assert (submission.agency, submission.visibility) == (world.lead, "arbiter")
    stored = submission.files.get()
    assert (stored.original_name, stored.content_type) == ("pricing.pdf", "application/pdf")
    assert "pricing.pdf" in words
    dispute.refresh_from_db()
    assert dispute.status == "evidence"


def test_a_party_points_to_a_paper_it_can_open_and_the_other_party_follows_the_link(
    world: World, client: Client
):
    story, dispute = stories.accepted(world)
    minutes = upload(story.complainant, world.lead, title="Forum minutes")
    signed_in(client, story.complainant)
    form = client.get(page("dispute-submit", pk=dispute.pk))
    assert f'<option value="{minutes.pk}">Forum minutes (Lead Advice' in html(form)
    response = client.post(
        page("dispute-submit", pk=dispute.pk),
        {"statement": "See the minutes.", "visibility": "shared", "papers": [minutes.pk]},
    )
    assert "the arbiter and the other party can read it" in text(follow(client, response))
    seen = signed_in(Client(), story.respondent).get(page("dispute-detail", pk=dispute.pk))
    assert f'href="{page("document-detail", pk=minutes.pk)}"' in html(seen)


def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_is_kept(
    world: World, client: Client
):
    story, dispute = stories.accepted(world)
    response = signed_in(client, story.complainant).post(
        page("dispute-submit", pk=dispute.pk),
        {
            "statement": "See the file.",
            "visibility": "shared",
            "files": [SimpleUploadedFile("fake.pdf", b"not a pdf at all", "application/pdf")],
        },
    )
    assert_refused_on(response, "files", "The file's contents are not a PDF file")
    assert not Submission.objects.exists()
    assert not EvidenceFile.objects.exists()


def test_the_arbiter_is_not_asked_who_may_read_and_always_writes_to_both(
    world: World, client: Client
):
    story, dispute = stories.accepted(world)
    signed_in(client, story.arbiter)
    form = client.get(page("dispute-submit", pk=dispute.pk))
    assert 'name="visibility"' not in html(form)
    response = client.post(
        page("dispute-submit", pk=dispute.pk), {"statement": "Both parties: send the MoU."}
    )
    assert "both parties can read it" in text(follow(client, response))
    assert Submission.objects.get().visibility == "shared"


def test_a_paper_the_person_cannot_open_is_never_offered(world: World, client: Client):
    story, dispute = stories.accepted(world)
    pricing = bid_paper(story.partner_bid, title="Our pricing")  # a rival's bid paper
    form = signed_in(client, story.respondent).get(page("dispute-submit", pk=dispute.pk))
    assert f'<option value="{pricing.pk}">Our pricing' in html(form)
    form = signed_in(client, story.complainant).get(page("dispute-submit", pk=dispute.pk))
    assert f'<option value="{pricing.pk}">' not in html(form)


# Which statements of the story's evidence each persona reads (None: the dispute is a 404).
SHARED_A = "They uploaded the rota."
PRIVATE_A = "Our pricing depends on this; please keep it confidential."
SHARED_B = "The rota was routine and gave us no advantage."
ARBITER = "Both parties: send the MoU too."
READS = {
    "party_a": {SHARED_A, PRIVATE_A, SHARED_B, ARBITER},
    "party_b": {SHARED_A, SHARED_B, ARBITER},
    "arbiter": {SHARED_A, PRIVATE_A, SHARED_B, ARBITER},
    "admin": set(),  # admins keep the alliance, not the evidence
    "competitor": None,
    "outsider": None,
}


@pytest.mark.parametrize("persona", READS)
def test_each_persona_reads_only_the_statements_it_may(
    persona: str, world: World, client: Client, request: Any
):
    story, dispute, _ = stories.with_evidence(world)
    response = signed_in(client, person(persona, story, request)).get(
        page("dispute-detail", pk=dispute.pk)
    )
    expected = READS[persona]
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    words = text(response)
    assert {s for s in (SHARED_A, PRIVATE_A, SHARED_B, ARBITER) if s in words} == expected


def test_the_page_says_who_may_read_each_statement_and_counts_the_papers_behind_the_barrier(
    world: World, client: Client
):
    story, dispute, _ = stories.with_evidence(world)
    pricing = bid_paper(story.partner_bid, title="Our pricing")  # the lead bids against it
    evidence.submission_add(
        actor=story.respondent,
        dispute=dispute,
        statement="See our pricing.",
        paper_ids=[pricing.pk],
    )
    seen = signed_in(client, story.complainant).get(page("dispute-detail", pk=dispute.pk))
    words = text(seen)
    assert "Who may read it: the arbiter only, not the other party." in words
    assert "Who may read it: the arbiter and the other party." in words
    assert "Who may read it: both parties and the arbiter." in words
    assert "1 referenced paper you cannot open (behind the information barrier)." in words
    assert page("document-detail", pk=pricing.pk) not in html(seen)  # not which paper
    mine = signed_in(Client(), story.respondent).get(page("dispute-detail", pk=dispute.pk))
    assert "referenced paper" not in text(mine)  # its own paper: it opens it
    assert f'href="{page("document-detail", pk=pricing.pk)}"' in html(mine)


# The answer to a download of the lead's shared and arbiter-only files, per persona.
DOWNLOADS = {
    "party_a": (200, 200),
    "party_b": (200, 404),
    "arbiter": (200, 200),
    "admin": (404, 404),
    "competitor": (404, 404),
    "outsider": (404, 404),
}


@pytest.mark.parametrize("persona", DOWNLOADS)
def test_an_evidence_file_downloads_for_exactly_those_who_read_its_statement(
    persona: str, world: World, client: Client, request: Any
):
    story, dispute, shared, private = with_files(world)
    signed_in(client, person(persona, story, request))
    for found, expected in zip((shared, private), DOWNLOADS[persona], strict=True):
        url = page("dispute-evidence-file", pk=dispute.pk, file_pk=found.pk)
        assert client.get(url).status_code == expected, found.original_name


def test_a_download_is_an_attachment_that_is_never_cached_or_run(world: World, client: Client):
    story, dispute, shared, _ = with_files(world)
    response = signed_in(client, story.respondent).get(
        page("dispute-evidence-file", pk=dispute.pk, file_pk=shared.pk)
    )
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="shared.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_a_file_of_another_dispute_is_missing(world: World, client: Client):
    story, _dispute, shared, _ = with_files(world)
    other = disputes.dispute_file(
        actor=story.complainant,
        alliance=world.alliance,
        complainant=world.lead,
        respondent=world.partner,
        subject="general",
        summary="Another matter.",
    )
    response = signed_in(client, story.arbiter).get(
        page("dispute-evidence-file", pk=other.pk, file_pk=shared.pk)
    )
    assert response.status_code == 404


# ----------------------------------------------------------------------------- the ruling


def ruling_post(**changes: Any) -> dict[str, Any]:
    """The ruling form as a browser posts it: five action rows, the first filled."""
    data: dict[str, Any] = {
        "findings": "The partner kept working in the network.",
        "decision": "The partner shares its rota log.",
        "sanction": "none",
        "confirm": "on",
        "actions-TOTAL_FORMS": "5",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "5",
    }
    data.update(changes)
    return data


def test_the_arbiter_publishes_a_ruling_with_required_actions(world: World, client: Client):
    story, dispute = stories.accepted(world)
    signed_in(client, story.arbiter)
    form = client.get(page("dispute-rule", pk=dispute.pk))
    assert "<h1>Publish the ruling" in html(form)
    assert "A published ruling cannot be edited" in text(form)
    data = ruling_post(
        **{
            "actions-0-agency": world.partner.pk,
            "actions-0-description": "Send the rota log to the lead.",
            "actions-0-due_on": today_plus(7),
        }
    )
    del data["confirm"]
    # The ruling is read back first: what it says, what it requires, who is told.
    check = client.post(page("dispute-rule", pk=dispute.pk), data)
    assert "<h1>Check the ruling before publishing" in html(check)
    assert "Partner Housing must: Send the rota log to the lead." in text(check)
    assert not Ruling.objects.exists()
    response = client.post(page("dispute-rule", pk=dispute.pk), {**data, "confirm": "on"})
    words = text(follow(client, response))
    assert "Your ruling is published as ruling 1." in words
    assert "Partner Housing must: Send the rota log to the lead." in words
    ruling = Ruling.objects.get()
    action = ruling.actions.get()
    assert (action.agency, action.due_on.isoformat()) == (world.partner, today_plus(7))
    dispute.refresh_from_db()
    assert dispute.status == "ruled"


def test_a_ruling_without_the_confirmation_is_only_read_back_and_nothing_is_published(
    world: World, client: Client
):
    story, dispute = stories.accepted(world)
    data = ruling_post()
    del data["confirm"]
    response = signed_in(client, story.arbiter).post(page("dispute-rule", pk=dispute.pk), data)
    assert response.status_code == 200
    assert "It cannot be edited" in text(response)
    assert not Ruling.objects.exists()


def test_a_half_filled_action_row_is_refused_with_its_row_named(world: World, client: Client):
    story, dispute = stories.accepted(world)
    response = signed_in(client, story.arbiter).post(
        page("dispute-rule", pk=dispute.pk),
        ruling_post(**{"actions-1-agency": world.partner.pk, "actions-1-description": "Apologise"}),
    )
    assert response.status_code == 400
    summary = error_summary(response)
    assert 'href="#id_actions-1-due_on"' in summary
    assert "Required action 2, due by: Give the due date, or leave the whole row empty." in summary
    assert not Ruling.objects.exists()


def test_a_correction_corrects_the_latest_ruling_and_says_so(world: World, client: Client):
    story, dispute, first = ruled(world)
    signed_in(client, story.arbiter)
    form = client.get(page("dispute-rule", pk=dispute.pk))
    assert "<h1>Publish a correction" in html(form)
    assert "This corrects ruling 1" in text(form)
    response = client.post(page("dispute-rule", pk=dispute.pk), ruling_post())
    words = text(follow(client, response))
    assert "Your correction is published as ruling 2." in words
    assert "Ruling 2, which corrects ruling 1" in words
    assert "Replaced by a corrected ruling on" in words
    assert Ruling.objects.get(number=2).corrects == first


def test_only_the_party_that_must_act_is_offered_the_confirm_button(world: World, client: Client):
    story, dispute, ruling = ruled(world)
    action = ruling.actions.get()
    url = page("dispute-action-confirm", pk=dispute.pk, action_pk=action.pk)
    assert url in html(
        signed_in(client, story.respondent).get(page("dispute-detail", pk=dispute.pk))
    )
    for other in (story.complainant, story.arbiter):
        assert url not in html(
            signed_in(Client(), other).get(page("dispute-detail", pk=dispute.pk))
        )


def test_the_party_confirms_its_action_with_a_note_and_the_dispute_closes(
    world: World, client: Client
):
    story, dispute, ruling = ruled(world)
    action = ruling.actions.get()
    signed_in(client, story.respondent)
    url = page("dispute-action-confirm", pk=dispute.pk, action_pk=action.pk)
    assert "Partner Housing must: Send the rota log to the lead." in text(client.get(url))
    response = client.post(url, {"note": "Sent on Monday."})
    assert response.url == page("dispute-detail", pk=dispute.pk) + f"#action-{action.pk}"
    words = text(follow(client, response))
    assert "The action is confirmed as done. The dispute is now closed." in words
    assert "Their note: Sent on Monday." in words
    action.refresh_from_db()
    assert action.confirmed_by == story.respondent
    dispute.refresh_from_db()
    assert dispute.status == "closed"


def test_confirming_twice_is_refused_the_second_time(world: World, client: Client):
    story, dispute, ruling = ruled(world)
    action = ruling.actions.get()
    rulings.action_confirm(actor=story.respondent, action=action)
    url = page("dispute-action-confirm", pk=dispute.pk, action_pk=action.pk)
    response = signed_in(client, story.respondent).post(url, {"note": "Again."})
    assert_refused_on(response, None, "This action was confirmed on")
    action.refresh_from_db()
    assert action.confirmation_note == ""


# ----------------------------------------------------------------------------- withdrawing


def test_the_complainant_withdraws_before_the_ruling(world: World, client: Client):
    story, dispute = stories.accepted(world)
    signed_in(client, story.complainant)
    detail = client.get(page("dispute-detail", pk=dispute.pk))
    assert f'href="{page("dispute-withdraw", pk=dispute.pk)}"' in html(detail)
    response = client.post(page("dispute-withdraw", pk=dispute.pk), {"reason": "Settled."})
    words = text(follow(client, response))
    assert "The dispute is withdrawn." in words
    assert "The complaining agency withdrew it." in words
    dispute.refresh_from_db()
    assert (dispute.status, dispute.closing_reason) == ("withdrawn", "Settled.")


def test_a_ruled_dispute_cannot_be_withdrawn(world: World, client: Client):
    story, dispute, _ = ruled(world)
    signed_in(client, story.complainant)
    detail = client.get(page("dispute-detail", pk=dispute.pk))
    assert page("dispute-withdraw", pk=dispute.pk) not in html(detail)
    response = client.post(page("dispute-withdraw", pk=dispute.pk), {"reason": "Changed mind."})
    assert_refused_on(response, None, "This dispute is ruled, actions outstanding")
    dispute.refresh_from_db()
    assert dispute.status == "ruled"


# ----------------------------------------------------------------------------- the dashboard


def test_the_arbiters_queue_groups_disputes_by_stage_with_the_breaches_to_review(
    world: World, client: Client
):
    story, dispute = stories.filed(world)
    words = text(signed_in(client, story.arbiter).get(page("disputes")))
    waiting = words.split("Waiting for an arbiter (1)")[1].split("Taking evidence")[0]
    assert f"Dispute #{dispute.pk}" in waiting
    assert "No dispute is taking evidence." in words
    reviews = words.split("Breaches waiting for review")[1]
    assert story.breach.summary in reviews
    assert page("breach-review", pk=story.breach.pk) in html(client.get(page("disputes")))


def test_the_queue_shows_due_dates_and_marks_the_overdue_in_words(world: World, client: Client):
    story, dispute = stories.accepted(world)
    signed_in(client, story.arbiter)
    due = dispute.evidence_due_on
    words = text(client.get(page("disputes")))
    assert f"Evidence due: {due:%-d %B %Y}" in words
    assert "(overdue)" not in words
    later = timezone.localdate() + timedelta(days=30)
    with mock.patch("disputes.dispute_dashboard.timezone.localdate", return_value=later):
        words = text(client.get(page("disputes")))
    assert f"Evidence due: {due:%-d %B %Y} (overdue)" in words


def test_due_dates_follow_the_stage_of_the_dispute():
    today = timezone.localdate()
    taking = Dispute(status="evidence", evidence_due_on=today, ruling_due_on=today)
    assert [(d.label, d.overdue) for d in dues_of(taking, today + timedelta(days=1))] == [
        ("Evidence due", True),
        ("Ruling due", True),
    ]
    assert dues_of(Dispute(status="filed"), today) == []


def test_a_party_is_asked_for_its_evidence_until_it_gives_some(world: World, client: Client):
    story, dispute = stories.accepted(world)
    signed_in(client, story.respondent)
    asked = text(client.get(page("disputes"))).split("What is asked of you")[1]
    assert "Give your statement and evidence — Partner Housing, in dispute" in asked
    assert page("dispute-submit", pk=dispute.pk) in html(client.get(page("disputes")))
    evidence.submission_add(actor=story.respondent, dispute=dispute, statement="Our side.")
    asked = text(client.get(page("disputes"))).split("What is asked of you")[1]
    assert "Nothing is asked of your agency now." in asked


def test_a_party_is_asked_to_confirm_its_actions_with_their_due_dates(world: World, client: Client):
    story, _dispute, ruling = ruled(world)
    action = ruling.actions.get()
    words = text(signed_in(client, story.respondent).get(page("disputes")))
    assert "Do and confirm: Send the rota log to the lead." in words
    assert f"Due: {action.due_on:%-d %B %Y}" in words
    other = text(signed_in(Client(), story.complainant).get(page("disputes")))
    assert "Do and confirm" not in other  # the lead must do nothing


def test_an_unrelated_chief_officer_is_told_what_to_do_next(
    world: World, client: Client, competitor: User
):
    stories.filed(world)
    response = signed_in(client, competitor).get(page("disputes"))
    words = text(response)
    assert "Your agency is not a party to any dispute." in words
    assert f'href="{page("dispute-file")}"' in html(response)


def test_the_admin_sees_every_dispute(world: World, client: Client, admin: User):
    _story, dispute = stories.filed(world)
    words = text(signed_in(client, admin).get(page("disputes")))
    assert f"Dispute #{dispute.pk}" in words.split("All disputes of the alliance")[1]
    assert "No dispute waits for an appointment." in words


DASHBOARD_QUERIES = 20  # measured: arbiter 19-20, a party 16, an admin 16


@pytest.mark.parametrize("size", [2, 8])
@pytest.mark.parametrize("persona", ["arbiter", "party_b", "admin"])
def test_the_dashboard_makes_the_same_queries_at_any_size(
    size: int,
    persona: str,
    world: World,
    client: Client,
    request: Any,
    django_assert_max_num_queries: Any,
):
    story, first = stories.accepted(world)
    for n in range(size - 1):
        filed = disputes.dispute_file(
            actor=story.complainant,
            alliance=world.alliance,
            complainant=world.lead,
            respondent=world.partner,
            subject="general",
            summary=f"Matter {n}.",
        )
        if n % 2:
            disputes.dispute_accept(
                actor=story.arbiter,
                dispute=filed,
                evidence_due_on=timezone.localdate() + timedelta(days=7),
                ruling_due_on=timezone.localdate() + timedelta(days=14),
            )
    rulings.ruling_publish(
        actor=story.arbiter,
        dispute=first,
        findings="Found.",
        decision="Decided.",
        actions=[ActionSpec(world.partner, "Act.", timezone.localdate() + timedelta(days=3))],
    )
    signed_in(client, person(persona, story, request))
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(page("disputes"))
    assert response.status_code == 200
    assert text(response).count("Dispute #") >= size
