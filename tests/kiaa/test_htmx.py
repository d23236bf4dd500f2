"""Progressive enhancement: every page works with plain forms, and htmx, where it is on, swaps
just what changed. The vote asks for confirmation first (a vote cannot be changed); marking
notifications read swaps the row and the navigation's count; an export's page polls its state.

htmx requests are the same requests with `HX-Request: true`: they go through the same views,
lookups and services, so hidden and elsewhere are still a 404 and a refusal changes nothing.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

from kiaa.decisions import CHIEF_OFFICER_EXCLUDED
from kiaa.models import AuditEvent, BoardDecision, BoardVote, Notification, Role, User
from kiaa.services import decisions as decision_services
from kiaa.services import reports
from kiaa.services.notifications import notify
from tests.conftest import World
from tests.factories import grant
from tests.factories.partnerships import ask_to_lead, board_of
from tests.kiaa.report_kind import NAME
from tests.pages import assert_refused_on, follow, html, main_nav, page, signed_in, text
from tests.reports import export

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


# ----------------------------------------------------------------------------- helpers


def counts() -> dict[str, Any]:
    """What voting could change."""
    return {
        "AuditEvent": AuditEvent.objects.count(),
        "BoardDecision": list(BoardDecision.objects.values_list("pk", "status")),
        "BoardVote": list(BoardVote.objects.values_list("pk", "choice")),
    }


def is_fragment(response: Any) -> bool:
    return "<html" not in html(response) and "<body" not in html(response)


def varies_on_htmx(response: Any) -> bool:
    return "HX-Request" in response.get("Vary", "")


@pytest.fixture
def board(world: World, trustee: User, chief_officer: User) -> list[User]:
    """Lead Advice's board of three: our trustee first; two approvals decide."""
    return [trustee, *[t for t in board_of(world.lead, size=3) if t != trustee]]


@pytest.fixture
def question(world: World, board: list[User]) -> BoardDecision:
    return ask_to_lead(world.lead, "Debt Consortium")


# ----------------------------------------------------------------------------- voting, without JS


def test_without_js_a_vote_asks_for_confirmation_and_the_first_post_writes_nothing(
    client: Client, question: BoardDecision, trustee: User
):
    signed_in(client, trustee)
    before = counts()
    asked = client.post(
        page("decision-detail", pk=question.pk), {"decision": "approve", "note": "As agreed"}
    )
    assert asked.status_code == 200 and "<html" in html(asked)
    assert (
        "You are about to vote to approve “Join Debt Consortium as lead?” on behalf of the "
        "board of Lead Advice. Votes cannot be changed." in text(asked)
    )
    assert "As agreed" in text(asked)
    body = html(asked)
    assert re.search(r'<input type="hidden" name="decision" value="approve"', body)
    assert re.search(r'<input type="hidden" name="note" value="As agreed"', body)
    assert '<input type="hidden" name="confirm" value="yes">' in body
    assert ">Confirm your vote</button>" in body
    assert f'<a href="{page("decision-detail", pk=question.pk)}#your-vote"' in body
    assert ">Go back</a>" in body
    # The confirmation page moves focus to its heading.
    assert '<h2 id="your-vote" tabindex="-1" autofocus>Confirm your vote</h2>' in body
    assert counts() == before
    assert not AuditEvent.objects.filter(verb="decision.voted").exists()


def test_without_js_confirming_casts_the_vote_and_goes_back_with_the_message(
    client: Client, question: BoardDecision, trustee: User
):
    signed_in(client, trustee)
    data = {"decision": "reject", "note": "Too soon", "confirm": "yes"}
    response = client.post(page("decision-detail", pk=question.pk), data)
    assert response.url == page("decision-detail", pk=question.pk)
    after = follow(client, response)
    assert "Your vote is recorded." in text(after)
    assert "You voted to reject" in text(after)
    vote = BoardVote.objects.get()
    assert (vote.trustee, vote.choice, vote.note) == (trustee, "reject", "Too soon")
    assert AuditEvent.objects.filter(verb="decision.voted").count() == 1


def test_without_js_the_confirmation_refuses_what_the_vote_would_be_refused(
    client: Client, question: BoardDecision, trustee: User
):
    decision_services.decision_vote(actor=trustee, decision=question, choice="approve")
    signed_in(client, trustee)
    before = counts()
    response = client.post(page("decision-detail", pk=question.pk), {"decision": "reject"})
    assert_refused_on(response, None, decision_services.ALREADY_VOTED)
    assert "Confirm your vote" not in html(response)
    assert counts() == before


# ----------------------------------------------------------------------------- voting, with htmx


def test_with_htmx_both_steps_swap_the_vote_section_and_the_last_says_what_happened(
    client: Client, question: BoardDecision, board: list[User], trustee: User
):
    decision_services.decision_vote(actor=board[1], decision=question, choice="approve")
    signed_in(client, trustee)
    before = counts()
    url = page("decision-detail", pk=question.pk)
    asked = client.post(url, {"decision": "approve", "note": "Agreed"}, headers=HX)
    assert asked.status_code == 200 and is_fragment(asked) and varies_on_htmx(asked)
    assert html(asked).lstrip().startswith('<section id="vote"')
    assert "You are about to vote to approve" in text(asked)
    assert f'hx-post="{url}" hx-target="#vote" hx-swap="outerHTML"' in html(asked)
    assert '<h2 id="your-vote" tabindex="-1" autofocus>Confirm your vote</h2>' in html(asked)
    assert counts() == before

    cast = client.post(url, {"decision": "approve", "note": "Agreed", "confirm": "yes"}, headers=HX)
    assert cast.status_code == 200 and is_fragment(cast) and varies_on_htmx(cast)
    words = text(cast)
    assert "You voted to approve" in words and "Agreed" in words
    assert "This question has been decided; no more votes are taken." in words
    assert 'name="decision"' not in html(cast)
    assert '<h2 id="your-vote" tabindex="-1" autofocus>Your vote</h2>' in html(cast)
    # The message goes to the page's polite live region, out of band; so does the new standing.
    status = re.search(r'<div id="vote-status" hx-swap-oob="innerHTML">(.*?)</div>', html(cast))
    assert status and "Your vote is recorded. The board&#x27;s decision: approved." in status[1]
    assert '<dl class="facts" id="decision-facts" hx-swap-oob="true">' in html(cast)
    assert "still-needed" not in html(cast)
    assert BoardVote.objects.filter(trustee=trustee, choice="approve").exists()
    # The message was shown: it does not come back on the next page.
    assert "Your vote is recorded." not in text(client.get(url))


def test_the_page_carries_the_live_region_and_the_htmx_attributes(
    client: Client, question: BoardDecision, trustee: User
):
    shown = signed_in(client, trustee).get(page("decision-detail", pk=question.pk))
    assert varies_on_htmx(shown)
    body = html(shown)
    assert '<div id="vote-status" class="messages" aria-live="polite"></div>' in body
    assert '<section id="vote"' in body and 'hx-target="#vote"' in body
    # On the plain page focus stays where the browser puts it, and nothing is out of band.
    assert "autofocus" not in body and "hx-swap-oob" not in body


def test_go_back_with_htmx_brings_the_vote_form_again(
    client: Client, question: BoardDecision, trustee: User
):
    back = signed_in(client, trustee).get(page("decision-detail", pk=question.pk), headers=HX)
    assert back.status_code == 200 and is_fragment(back) and varies_on_htmx(back)
    assert 'name="decision"' in html(back) and "Cast your vote" in html(back)


def test_with_htmx_a_bad_choice_is_refused_in_the_fragment(
    client: Client, question: BoardDecision, trustee: User
):
    signed_in(client, trustee)
    before = counts()
    response = client.post(
        page("decision-detail", pk=question.pk), {"decision": "abstain"}, headers=HX
    )
    assert_refused_on(response, "decision")
    assert is_fragment(response)
    assert counts() == before


def test_with_htmx_a_question_decided_meanwhile_is_refused_and_nothing_changes(
    client: Client, question: BoardDecision, board: list[User], trustee: User
):
    signed_in(client, trustee)
    url = page("decision-detail", pk=question.pk)
    assert client.post(url, {"decision": "reject"}, headers=HX).status_code == 200
    # While the trustee reads the confirmation, the rest of the board decides.
    for colleague in board[1:]:
        decision_services.decision_vote(actor=colleague, decision=question, choice="approve")
    before = counts()
    response = client.post(url, {"decision": "reject", "confirm": "yes"}, headers=HX)
    assert_refused_on(response, None, decision_services.DECIDED)
    assert is_fragment(response)
    assert "This question has been decided; no more votes are taken." in text(response)
    assert counts() == before
    assert not BoardVote.objects.filter(trustee=trustee).exists()


def test_with_htmx_a_second_vote_is_refused_and_the_first_stands(
    client: Client, question: BoardDecision, trustee: User
):
    decision_services.decision_vote(actor=trustee, decision=question, choice="approve")
    signed_in(client, trustee)
    before = counts()
    response = client.post(
        page("decision-detail", pk=question.pk),
        {"decision": "reject", "confirm": "yes"},
        headers=HX,
    )
    assert_refused_on(response, None, decision_services.ALREADY_VOTED)
    assert is_fragment(response) and "You voted to approve" in text(response)
    assert counts() == before


@pytest.fixture
def chief_on_the_board(world: World, trustee: User, chief_officer: User) -> User:
    """Lead Advice's chief officer also sits on its board, and the protocol keeps them out."""
    grant(chief_officer, Role.TRUSTEE, world.lead)
    board_of(world.lead, size=3)
    return chief_officer


@pytest.mark.parametrize("step", [{}, {"confirm": "yes"}])
def test_with_htmx_an_excluded_trustee_is_told_why_in_the_fragment_and_casts_nothing(
    client: Client, world: World, chief_on_the_board: User, step: dict[str, str]
):
    question = ask_to_lead(world.lead, "Debt Consortium")
    signed_in(client, chief_on_the_board)
    before = counts()
    response = client.post(
        page("decision-detail", pk=question.pk), {"decision": "approve", **step}, headers=HX
    )
    assert response.status_code == 403 and is_fragment(response)
    reason = CHIEF_OFFICER_EXCLUDED.format(agency="Lead Advice")
    summary = re.search(
        r'<div class="error-summary" role="alert"[^>]*>(.*?)</div>', html(response), re.S
    )
    assert summary and reason in unescape(summary[1])
    assert "Confirm your vote" not in html(response) and 'name="decision"' not in html(response)
    assert counts() == before


def test_an_htmx_request_for_another_alliances_question_is_a_404(
    client: Client, world: World, trustee: User
):
    board_of(world.other_agency)
    decision = ask_to_lead(world.other_agency, "Elsewhere Consortium")
    signed_in(client, trustee)
    url = page("decision-detail", pk=decision.pk)
    assert client.get(url, headers=HX).status_code == 404
    for data in ({"decision": "approve"}, {"decision": "approve", "confirm": "yes"}):
        assert client.post(url, data, headers=HX).status_code == 404
    assert not BoardVote.objects.exists()


def test_an_htmx_request_for_another_boards_question_is_a_404(
    client: Client, world: World, question: BoardDecision
):
    signed_in(client, board_of(world.partner)[0])
    url = page("decision-detail", pk=question.pk)
    assert client.get(url, headers=HX).status_code == 404
    assert (
        client.post(url, {"decision": "approve", "confirm": "yes"}, headers=HX).status_code == 404
    )
    assert not BoardVote.objects.exists()


# ----------------------------------------------------------------------------- notifications


def tell(world: World, title: str) -> Notification:
    """Lead Advice's chief officer is told something."""
    made = notify(
        alliance=world.alliance,
        agencies=[world.lead],
        verb="test.news",
        title=title,
        body=f"About {title}.",
        roles=(Role.CHIEF_OFFICER,),
    )
    return made[0]


def unread_of(user: User) -> list[str]:
    found = Notification.objects.filter(recipient=user, read_at=None).order_by("title")
    return list(found.values_list("title", flat=True))


def test_the_inbox_offers_htmx_and_keeps_its_plain_forms(
    client: Client, world: World, chief_officer: User
):
    first = tell(world, "First")
    body = html(signed_in(client, chief_officer).get(page("notifications")))
    read = page("notification-read", pk=first.pk)
    assert f'action="{read}" hx-post="{read}" hx-target="#notification-{first.pk}"' in body
    read_all = page("notifications-read-all")
    assert f'action="{read_all}" hx-post="{read_all}?page=1" hx-target="#notifications"' in body
    assert '<div id="inbox-status" class="messages" aria-live="polite"></div>' in body


def test_marking_read_with_htmx_swaps_the_row_and_the_navigations_count(
    client: Client, world: World, chief_officer: User
):
    first = tell(world, "First")
    tell(world, "Second")
    signed_in(client, chief_officer)
    response = client.post(page("notification-read", pk=first.pk), headers=HX)
    assert response.status_code == 200 and is_fragment(response) and varies_on_htmx(response)
    body = html(response)
    row = re.search(
        rf'<li class="notification" id="notification-{first.pk}">(.*?)</li>', body, re.S
    )
    assert row, "the row, now read"
    assert "Unread" not in row[1] and "Mark as read" not in row[1]
    assert '<h2 class="notification-title" tabindex="-1" autofocus>First</h2>' in row[1]
    assert '<span class="count" id="unread-count" hx-swap-oob="true">1<' in body
    assert "“First” is marked read." in unescape(body)
    assert unread_of(chief_officer) == ["Second"]
    # The message was shown in the fragment: the next page does not repeat it.
    after = client.get(page("notifications"))
    assert "is marked read" not in text(after)
    assert '<span class="count" id="unread-count">1<' in main_nav(after)


def test_marking_the_last_unread_read_with_htmx_removes_the_count(
    client: Client, world: World, chief_officer: User
):
    only = tell(world, "Only")
    response = signed_in(client, chief_officer).post(
        page("notification-read", pk=only.pk), headers=HX
    )
    assert '<span id="unread-count" hx-swap-oob="delete"></span>' in html(response)
    assert unread_of(chief_officer) == []


def test_marking_all_read_with_htmx_swaps_the_list_and_removes_the_count(
    client: Client, world: World, chief_officer: User
):
    for n in range(3):
        tell(world, f"News {n}")
    signed_in(client, chief_officer)
    response = client.post(page("notifications-read-all") + "?page=1", headers=HX)
    assert response.status_code == 200 and is_fragment(response) and varies_on_htmx(response)
    body = html(response)
    assert body.lstrip().startswith('<ul class="notifications" id="notifications">')
    assert body.count('<li class="notification" id="notification-') == 3
    assert "Unread" not in body and "Mark as read" not in body
    assert '<span id="unread-count" hx-swap-oob="delete"></span>' in body
    assert "3 notifications marked read." in body
    assert unread_of(chief_officer) == []


def test_marking_read_without_htmx_still_goes_back_to_the_inbox(
    client: Client, world: World, chief_officer: User
):
    first = tell(world, "First")
    response = signed_in(client, chief_officer).post(page("notification-read", pk=first.pk))
    assert response.url == page("notifications")
    assert "“First” is marked read." in text(follow(client, response))


def test_an_htmx_request_for_someone_elses_notification_is_a_404(
    client: Client, world: World, chief_officer: User, competitor: User, outsider: User
):
    theirs = notify(
        alliance=world.alliance,
        agencies=[world.competitor],
        verb="test.news",
        title="Not yours",
        body="",
        roles=(Role.CHIEF_OFFICER,),
    )[0]
    for stranger in (chief_officer, outsider):
        signed_in(client, stranger)
        assert client.post(page("notification-read", pk=theirs.pk), headers=HX).status_code == 404
    assert (
        client.post(page("notifications-read-all"), headers=HX).status_code == 404
    )  # the outsider
    assert unread_of(competitor) == ["Not yours"]


# ----------------------------------------------------------------------------- report progress


@pytest.mark.usefixtures("people_kind")
def test_an_export_being_drawn_polls_its_state_and_reloads_only_without_js(
    client: Client, world: World, admin: User
):
    queued = reports.report_request(
        actor=admin, alliance=world.alliance, kind=NAME, format="pdf", params={}
    )
    url = page("report-detail", pk=queued.pk)
    shown = signed_in(client, admin).get(url)
    assert varies_on_htmx(shown)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html(shown)
    assert '<div id="report-status" class="visually-hidden" aria-live="polite"></div>' in html(
        shown
    )
    poll = f'<div id="report-progress" hx-get="{url}" hx-trigger="every 2s" hx-swap="outerHTML">'
    assert poll in html(shown)

    state = client.get(url, headers=HX)
    assert state.status_code == 200 and is_fragment(state) and varies_on_htmx(state)
    assert html(state).lstrip().startswith(poll)
    assert "Queued" in text(state) and "Download" not in text(state)
    assert "hx-swap-oob" not in html(state)  # nothing to announce while it is drawn


@pytest.mark.usefixtures("people_kind")
def test_a_finished_export_stops_the_polling_and_offers_its_download(
    client: Client, world: World, admin: User
):
    done = export(admin, world.alliance, NAME).export
    signed_in(client, admin)
    state = client.get(page("report-detail", pk=done.pk), headers=HX)
    assert state.status_code == 200 and is_fragment(state)
    assert "hx-trigger" not in html(state) and "hx-get" not in html(state)
    assert '<div id="report-progress">' in html(state)
    assert f'href="{page("report-download", pk=done.pk)}"' in html(state)
    assert "Download the PDF (1 page)" in text(state)
    announced = re.search(
        r'<div id="report-status" hx-swap-oob="innerHTML">(.*?)</div>', html(state)
    )
    assert announced and announced[1] == "The people by agency is ready: download it below."
    page_now = html(client.get(page("report-detail", pk=done.pk)))
    assert 'http-equiv="refresh"' not in page_now and "hx-trigger" not in page_now


@pytest.mark.usefixtures("people_kind")
def test_an_htmx_request_for_another_persons_or_alliances_export_is_a_404(
    client: Client, world: World, admin: User, chief_officer: User, outsider: User
):
    mine = export(chief_officer, world.alliance, NAME, agency=world.lead.pk).export
    elsewhere = export(outsider, world.other_alliance, NAME, agency=world.other_agency.pk).export
    signed_in(client, admin)
    assert client.get(page("report-detail", pk=mine.pk), headers=HX).status_code == 404
    assert client.get(page("report-detail", pk=elsewhere.pk), headers=HX).status_code == 404
    signed_in(client, outsider)
    assert client.get(page("report-detail", pk=mine.pk), headers=HX).status_code == 404


@pytest.mark.usefixtures("people_kind")
def test_the_reports_list_polls_its_exports_only_while_one_is_drawn(
    client: Client, world: World, admin: User
):
    done = export(admin, world.alliance, NAME).export
    signed_in(client, admin)
    listed = html(client.get(page("reports")))
    assert "hx-trigger" not in listed and 'http-equiv="refresh"' not in listed
    assert f'href="{page("report-download", pk=done.pk)}"' in listed
    reports.report_request(actor=admin, alliance=world.alliance, kind=NAME, format="pdf", params={})
    listed = html(client.get(page("reports")))
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in listed
    assert (
        f'id="exports" hx-get="{page("reports")}" hx-trigger="every 2s" hx-select="#exports"'
        in listed
    )
