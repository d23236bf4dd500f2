"""The trustee board decision pages, and the protocol settings that shape board decisions.

Questions are put to boards through the partnerships services (a consortium's members join
only with their board's approval); votes are cast through the pages as the trustees.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bids.services import declarations as bid_services
from kiaa.decisions import CHIEF_OFFICER_EXCLUDED, ORDERS_FULL_BOARD
from kiaa.forms import PARTNERSHIP_KIND_LABELS
from kiaa.models import AuditEvent, BoardDecision, BoardVote, Protocol, Role, User
from kiaa.services import decisions as decision_services
from kiaa.services import protocol
from kiaa.services.protocol import PARTNERSHIP_KINDS
from partnerships.models import Partnership, PartnershipMember
from partnerships.services import partnerships
from tests.conftest import World
from tests.factories import grant
from tests.factories.bids import draft, make_tender
from tests.factories.partnerships import ask_to_lead, board_of, chief_of
from tests.pages import assert_refused_on, follow, html, page, signed_in, text

pytestmark = pytest.mark.django_db

NOT_TRUSTEES = ["chief_officer", "partner", "competitor", "arbiter", "admin"]


# ----------------------------------------------------------------------------- helpers


def counts() -> dict[str, Any]:
    """What the decision and settings pages could change."""
    settings = list(
        Protocol.objects.values_list(
            "board_approval_kinds",
            "minimum_quorum",
            "chief_officers_may_vote",
            "withdrawal_grace_days",
        )
    )
    return {
        "AuditEvent": AuditEvent.objects.count(),
        "BoardDecision": list(BoardDecision.objects.values_list("pk", "status")),
        "BoardVote": list(BoardVote.objects.values_list("pk", "choice")),
        "PartnershipMember": list(PartnershipMember.objects.values_list("pk", "status")),
        "Protocol": settings,
    }


def rows(response: Any) -> list[list[str]]:
    """The text of each cell (th and td) in each body row of the page's first table."""
    body = re.search(r"<tbody>(.*?)</tbody>", html(response), re.S)
    assert body, "the page has no table"
    return [
        [
            unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def cast(client: Client, decision: BoardDecision, data: dict[str, str]) -> Any:
    """Vote on the page as a trustee does: the vote, then (a vote cannot be changed) its
    confirmation; the first step writes nothing. Returns the confirmation's response."""
    before = counts()
    asked = client.post(page("decision-detail", pk=decision.pk), data)
    assert asked.status_code == 200, asked.status_code
    assert "Votes cannot be changed." in text(asked)
    assert counts() == before
    return client.post(page("decision-detail", pk=decision.pk), {**data, "confirm": "yes"})


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def board(world: World, trustee: User, chief_officer: User) -> list[User]:
    """Lead Advice's board of three: our trustee first, then two colleagues; two approvals decide."""
    colleagues = [t for t in board_of(world.lead, size=3) if t != trustee]
    return [trustee, *colleagues]


@pytest.fixture
def question(world: World, board: list[User]) -> BoardDecision:
    return ask_to_lead(world.lead, "Debt Consortium")


# ----------------------------------------------------------------------------- the list


def test_decision_list_puts_open_questions_first_with_votes_and_what_is_still_needed(
    client: Client, world: World, board: list[User], trustee: User
):
    decided = ask_to_lead(world.lead, "Housing Consortium")
    for colleague in board[1:]:
        decision_services.decision_vote(actor=colleague, decision=decided, choice="approve")
    waiting = ask_to_lead(world.lead, "Debt Consortium")
    decision_services.decision_vote(
        actor=board[1], decision=waiting, choice="approve", note="A good fit"
    )
    response = signed_in(client, trustee).get(page("decisions"))
    assert response.status_code == 200
    table = rows(response)
    assert table[0][:6] == [
        f"Join Debt Consortium as lead? Asked {timezone.localtime():%-d %b %Y}",
        "Lead Advice",
        "Open",
        "1 approve, 0 reject",
        "1 of 2",
        "Not yet voted",
    ]
    assert table[1][2:6] == ["Approved", "2 approve, 0 reject", "—", "Did not vote"]
    assert "1 question on this page awaits your vote." in text(response)
    assert f'href="{page("decision-detail", pk=waiting.pk)}"' in html(response)


def test_decision_list_shows_the_persons_own_vote(
    client: Client, question: BoardDecision, trustee: User
):
    decision_services.decision_vote(actor=trustee, decision=question, choice="reject")
    response = signed_in(client, trustee).get(page("decisions"))
    assert rows(response)[0][3:6] == ["0 approve, 1 reject", "2 of 2", "Reject"]


def test_decision_list_shows_only_the_persons_own_boards(
    client: Client, world: World, question: BoardDecision, trustee: User
):
    board_of(world.partner)
    other = partnerships.partnership_propose(
        actor=chief_of(world.partner),
        alliance=world.alliance,
        name="Partner Consortium",
        kind="consortium",
        lead_agency=world.partner,
    )
    assert BoardDecision.objects.filter(subject_id=other.members.get().pk).exists()
    response = signed_in(client, trustee).get(page("decisions"))
    assert "Join Debt Consortium as lead?" in html(response)
    assert "Partner Consortium" not in html(response)


@pytest.mark.parametrize("persona", NOT_TRUSTEES)
def test_people_who_sit_on_no_board_are_not_offered_decisions(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str
):
    signed_in(client, request.getfixturevalue(persona))
    response = client.get(page("dashboard"))
    nav = re.search(r'<nav aria-label="Main"[^>]*>(.*?)</nav>', html(response), re.S)
    assert nav and "Decisions" not in nav.group(1)
    assert client.get(page("decisions")).status_code == 403


def test_trustees_find_decisions_in_the_main_navigation(
    client: Client, world: World, trustee: User
):
    response = signed_in(client, trustee).get(page("decisions"))
    nav = re.search(r'<nav aria-label="Main"[^>]*>(.*?)</nav>', html(response), re.S)
    assert nav
    assert f'<a href="{page("decisions")}" aria-current="page">Decisions</a>' in nav.group(1)
    assert "No questions have been put to your boards." in html(response)


@pytest.mark.parametrize("size", [3, 30])
def test_decision_list_makes_the_same_queries_at_any_size(
    client: Client,
    world: World,
    board: list[User],
    trustee: User,
    django_assert_max_num_queries: Any,
    size: int,
):
    for n in range(size):
        decision = ask_to_lead(world.lead, f"Consortium {n:02d}")
        decision_services.decision_vote(actor=board[1], decision=decision, choice="approve")
    signed_in(client, trustee)
    with django_assert_max_num_queries(11):
        response = client.get(page("decisions"))
    assert html(response).count("1 approve, 0 reject") == size


# ----------------------------------------------------------------------------- the detail page


def test_decision_page_shows_the_question_votes_notes_and_the_vote_form(
    client: Client, question: BoardDecision, board: list[User], trustee: User
):
    decision_services.decision_vote(
        actor=board[1], decision=question, choice="approve", note="Fits our objects"
    )
    response = signed_in(client, trustee).get(page("decision-detail", pk=question.pk))
    assert response.status_code == 200
    words = text(response)
    assert "<h1>Join Debt Consortium as lead?</h1>" in html(response)
    assert "Board of Lead Advice" in words
    assert f"{board[1]} Approve" in words
    assert "Fits our objects" in words
    assert '<dd id="still-needed">1</dd>' in html(response)
    assert 'name="decision"' in html(response)
    assert "Cast your vote" in html(response)


def test_approvals_still_needed_count_down_and_rejections_do_not_count(
    client: Client, question: BoardDecision, board: list[User], trustee: User
):
    signed_in(client, trustee)

    def still_needed() -> str:
        found = re.search(
            r'<dd id="still-needed">(\d+)</dd>',
            html(client.get(page("decision-detail", pk=question.pk))),
        )
        assert found
        return found.group(1)

    assert still_needed() == "2"
    decision_services.decision_vote(actor=board[1], decision=question, choice="reject")
    assert still_needed() == "2"
    decision_services.decision_vote(actor=board[2], decision=question, choice="approve")
    assert still_needed() == "1"


def test_a_trustee_votes_on_the_page_and_the_quorum_decides(
    client: Client, world: World, question: BoardDecision, board: list[User], trustee: User
):
    decision_services.decision_vote(actor=board[1], decision=question, choice="approve")
    signed_in(client, trustee)
    response = cast(client, question, {"decision": "approve", "note": "Agreed at the meeting"})
    assert response.url == page("decision-detail", pk=question.pk)
    after = follow(client, response)
    assert "Your vote is recorded. The board's decision: approved." in text(after)
    assert "Agreed at the meeting" in text(after)
    assert 'name="decision"' not in html(after)
    assert "This question has been decided; no more votes are taken." in html(after)
    vote = BoardVote.objects.get(trustee=trustee)
    assert (vote.choice, vote.note) == ("approve", "Agreed at the meeting")
    lead_place = PartnershipMember.objects.get(pk=question.subject_id)
    assert lead_place.status == PartnershipMember.Status.ACTIVE


def test_a_vote_cannot_be_cast_again_or_changed(
    client: Client, question: BoardDecision, trustee: User
):
    signed_in(client, trustee)
    cast(client, question, {"decision": "approve"})
    after = client.get(page("decision-detail", pk=question.pk))
    assert "You voted to approve" in text(after)
    assert "Votes cannot be changed." in text(after)
    assert 'name="decision"' not in html(after)
    before = counts()
    again = client.post(page("decision-detail", pk=question.pk), {"decision": "reject"})
    assert_refused_on(again, None, decision_services.ALREADY_VOTED)
    assert counts() == before
    assert list(BoardVote.objects.values_list("choice", flat=True)) == ["approve"]


@pytest.mark.parametrize(
    ("data", "field"),
    [({"note": "No choice made"}, "decision"), ({"decision": "abstain"}, "decision")],
)
def test_a_vote_without_a_valid_choice_is_refused_and_nothing_is_written(
    client: Client, question: BoardDecision, trustee: User, data: dict, field: str
):
    signed_in(client, trustee)
    before = counts()
    response = client.post(page("decision-detail", pk=question.pk), data)
    assert_refused_on(response, field)
    assert counts() == before


def test_a_decided_question_takes_no_more_votes(
    client: Client, question: BoardDecision, board: list[User], trustee: User
):
    for colleague in board[1:]:
        decision_services.decision_vote(actor=colleague, decision=question, choice="approve")
    signed_in(client, trustee)
    page_after = client.get(page("decision-detail", pk=question.pk))
    assert 'name="decision"' not in html(page_after)
    assert "still-needed" not in html(page_after)
    before = counts()
    response = client.post(page("decision-detail", pk=question.pk), {"decision": "reject"})
    assert_refused_on(response, None, decision_services.DECIDED)
    assert counts() == before


@pytest.mark.parametrize("persona", NOT_TRUSTEES)
def test_a_question_before_another_board_is_a_404(
    client: Client, request: pytest.FixtureRequest, question: BoardDecision, persona: str
):
    signed_in(client, request.getfixturevalue(persona))
    before = counts()
    assert client.get(page("decision-detail", pk=question.pk)).status_code == 404
    response = client.post(page("decision-detail", pk=question.pk), {"decision": "approve"})
    assert response.status_code == 404
    assert counts() == before


def test_a_trustee_of_another_agency_cannot_see_or_vote_on_the_question(
    client: Client, world: World, question: BoardDecision
):
    other_trustee = board_of(world.partner)[0]
    signed_in(client, other_trustee)
    before = counts()
    assert client.get(page("decision-detail", pk=question.pk)).status_code == 404
    assert (
        client.post(page("decision-detail", pk=question.pk), {"decision": "approve"}).status_code
        == 404
    )
    assert counts() == before


def test_another_alliances_question_is_a_404_for_every_method(
    client: Client, world: World, trustee: User, outsider: User
):
    board_of(world.other_agency)
    decision = ask_to_lead(world.other_agency, "Elsewhere Consortium")
    signed_in(client, trustee)
    assert client.get(page("decision-detail", pk=decision.pk)).status_code == 404
    assert (
        client.post(page("decision-detail", pk=decision.pk), {"decision": "approve"}).status_code
        == 404
    )
    assert not BoardVote.objects.exists()


def test_outsider_gets_404_on_the_decision_pages(
    client: Client, question: BoardDecision, outsider: User
):
    signed_in(client, outsider)
    assert client.get(page("decisions")).status_code == 404
    assert client.get(page("decision-detail", pk=question.pk)).status_code == 404


# ----------------------------------------------------------------------------- protocol settings


def publish_version(admin: User, world: World) -> None:
    today = timezone.localdate()
    protocol.protocol_version_publish(
        actor=admin,
        alliance=world.alliance,
        principles="Be open about intent to compete.",
        implemented_on=today - timedelta(days=10),
        review_due_on=today + timedelta(days=355),
    )


def test_the_settings_form_offers_every_partnership_kind_in_words(world: World):
    assert tuple(PARTNERSHIP_KIND_LABELS) == PARTNERSHIP_KINDS
    assert dict(Partnership.Kind.choices) == PARTNERSHIP_KIND_LABELS


def test_protocol_page_shows_the_settings_and_offers_the_admin_to_change_them(
    client: Client, world: World, admin: User, partner: User
):
    publish_version(admin, world)
    as_partner = signed_in(Client(), partner).get(page("protocol"))
    assert "Trustee approval to join or leave Consortia" in text(as_partner)
    assert "Minimum quorum 2 trustee votes" in text(as_partner)
    assert "Change protocol settings" not in html(as_partner)
    as_admin = signed_in(client, admin).get(page("protocol"))
    assert f'href="{page("protocol-settings")}"' in html(as_admin)


def test_admin_changes_which_kinds_need_the_board_and_the_minimum_quorum(
    client: Client, world: World, admin: User
):
    publish_version(admin, world)
    signed_in(client, admin)
    form = html(client.get(page("protocol-settings")))
    assert re.search(
        r'<input type="checkbox" name="board_approval_kinds" value="consortium"[^>]*checked', form
    )
    assert 'name="minimum_quorum" value="2"' in form
    response = client.post(
        page("protocol-settings"),
        {
            "board_approval_kinds": ["consortium", "network"],
            "minimum_quorum": "3",
            "withdrawal_grace_days": "14",
        },
    )
    assert response.url == page("protocol")
    after = follow(client, response)
    assert "Protocol settings saved." in html(after)
    assert "Trustee approval to join or leave Consortia, Networks" in text(after)
    current = Protocol.objects.get(alliance=world.alliance)
    assert (current.board_approval_kinds, current.minimum_quorum) == (["consortium", "network"], 3)


def test_admin_chooses_what_may_end_a_membership(client: Client, world: World, admin: User):
    publish_version(admin, world)
    signed_in(client, admin)
    form = html(client.get(page("protocol-settings")))
    assert re.search(r'<input type="radio" name="expulsion_by" value="ruling"[^>]*checked', form)
    response = client.post(
        page("protocol-settings"),
        {
            "board_approval_kinds": ["consortium"],
            "minimum_quorum": "2",
            "withdrawal_grace_days": "14",
            "expulsion_by": "members_vote",
        },
    )
    after = follow(client, response)
    assert "Ending a member's membership A vote of the member agencies' trustee boards" in text(
        after
    )
    assert Protocol.objects.get(alliance=world.alliance).expulsion_by == "members_vote"
    refused = client.post(
        page("protocol-settings"),
        {
            "board_approval_kinds": [],
            "minimum_quorum": "2",
            "withdrawal_grace_days": "14",
            "expulsion_by": "the_chair",
        },
    )
    assert refused.status_code == 400
    assert Protocol.objects.get(alliance=world.alliance).expulsion_by == "members_vote"


def test_new_settings_send_a_network_join_to_the_board(
    client: Client, world: World, admin: User, chief_officer: User
):
    signed_in(client, admin).post(
        page("protocol-settings"),
        {"board_approval_kinds": ["network"], "minimum_quorum": "2", "withdrawal_grace_days": "14"},
    )
    board_of(world.lead)
    network = partnerships.partnership_propose(
        actor=chief_officer,
        alliance=world.alliance,
        name="Advice Network",
        kind="network",
        lead_agency=world.lead,
    )
    assert network.members.get().status == PartnershipMember.Status.AWAITING_BOARD


@pytest.mark.parametrize("persona", ["chief_officer", "trustee", "partner", "arbiter"])
def test_only_the_admin_changes_protocol_settings(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str
):
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(page("protocol-settings")).status_code == 403
    before = counts()
    response = client.post(
        page("protocol-settings"), {"board_approval_kinds": [], "minimum_quorum": "1"}
    )
    assert response.status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"minimum_quorum": "0"}, "minimum_quorum"),
        ({"minimum_quorum": "two"}, "minimum_quorum"),
        ({"minimum_quorum": ""}, "minimum_quorum"),
        ({"minimum_quorum": "100000"}, "minimum_quorum"),
        ({"minimum_quorum": "2", "board_approval_kinds": ["cartel"]}, "board_approval_kinds"),
    ],
)
def test_bad_protocol_settings_are_refused_and_nothing_changes(
    client: Client, world: World, admin: User, data: dict, field: str
):
    signed_in(client, admin)
    before = counts()
    response = client.post(page("protocol-settings"), data)
    assert_refused_on(response, field)
    assert counts() == before


# ----------------------------------------------------------------------------- who may not vote


@pytest.fixture
def chief_on_the_board(world: World, trustee: User, chief_officer: User) -> User:
    """Lead Advice's chief officer also sits on its board: three trustees in all, our trustee,
    the chief officer and one more."""
    grant(chief_officer, Role.TRUSTEE, world.lead)
    board_of(world.lead, size=3)
    return chief_officer


def chief_officers_vote(world: World, admin: User, *, may: bool = True) -> None:
    """The alliance lets chief officers who are trustees vote (or, may=False, keeps them out);
    consortia still need the board, with a quorum of two."""
    protocol.protocol_settings_update(
        actor=admin,
        alliance=world.alliance,
        board_approval_kinds=["consortium"],
        minimum_quorum=2,
        chief_officers_may_vote=may,
    )


def chief_reason(agency: str = "Lead Advice") -> str:
    return decision_services.EXCLUDED.format(reason=CHIEF_OFFICER_EXCLUDED.format(agency=agency))


def test_a_chief_officer_on_the_board_is_told_why_they_may_not_vote(
    client: Client, world: World, chief_on_the_board: User, trustee: User
):
    question = ask_to_lead(world.lead, "Debt Consortium")
    response = signed_in(client, chief_on_the_board).get(page("decision-detail", pk=question.pk))
    assert response.status_code == 200
    assert f'<p id="cannot-vote">{chief_reason()}</p>' in unescape(html(response))
    assert 'name="decision"' not in html(response)
    # Every trustee sees who may not vote and why; the quorum counts only those who may.
    as_trustee = signed_in(Client(), trustee).get(page("decision-detail", pk=question.pk))
    excluded = re.search(r'<ul id="excluded">(.*?)</ul>', unescape(html(as_trustee)), re.S)
    assert excluded
    assert f"{chief_on_the_board}" in excluded.group(1)
    assert CHIEF_OFFICER_EXCLUDED.format(agency="Lead Advice") in excluded.group(1)
    assert "The alliance's rule: a majority of the 2 eligible trustee(s)" in unescape(
        html(as_trustee)
    )
    assert 'name="decision"' in html(as_trustee)


def test_a_chief_officers_forged_vote_is_refused_with_the_reason(
    client: Client, world: World, chief_on_the_board: User
):
    question = ask_to_lead(world.lead, "Debt Consortium")
    signed_in(client, chief_on_the_board)
    before = counts()
    response = client.post(page("decision-detail", pk=question.pk), {"decision": "approve"})
    assert response.status_code == 403
    assert chief_reason() in unescape(html(response))
    assert counts() == before


def test_a_chief_officer_on_the_board_votes_where_the_protocol_allows_it(
    client: Client, world: World, admin: User, chief_on_the_board: User
):
    chief_officers_vote(world, admin)
    question = ask_to_lead(world.lead, "Debt Consortium")
    signed_in(client, chief_on_the_board)
    shown = client.get(page("decision-detail", pk=question.pk))
    assert "cannot-vote" not in html(shown)
    assert "excluded-heading" not in html(shown)
    response = cast(client, question, {"decision": "approve"})
    assert response.status_code == 302
    assert BoardVote.objects.filter(trustee=chief_on_the_board, choice="approve").exists()


def test_standing_orders_keep_the_chief_officer_out_even_where_the_protocol_lets_them_vote(
    client: Client, world: World, admin: User, chief_on_the_board: User
):
    chief_officers_vote(world, admin)
    protocol.standing_orders_update(
        actor=chief_on_the_board,
        agency=world.lead,
        minimum_votes=None,
        full_board_above_pence=None,
        bar_chief_officers=True,
    )
    question = ask_to_lead(world.lead, "Debt Consortium")
    response = signed_in(client, chief_on_the_board).get(page("decision-detail", pk=question.pk))
    assert chief_reason() in unescape(html(response))


def test_votes_of_trustees_who_may_no_longer_vote_do_not_count_towards_the_quorum(
    client: Client, world: World, admin: User, chief_on_the_board: User, trustee: User
):
    chief_officers_vote(world, admin)
    question = ask_to_lead(world.lead, "Debt Consortium")
    decision_services.decision_vote(actor=chief_on_the_board, decision=question, choice="approve")
    signed_in(client, trustee)
    shown = html(client.get(page("decision-detail", pk=question.pk)))
    assert '<dd id="still-needed">1</dd>' in shown
    # The alliance now keeps chief officers out: their approval no longer counts.
    chief_officers_vote(world, admin, may=False)
    shown = html(client.get(page("decision-detail", pk=question.pk)))
    assert '<dd id="still-needed">2</dd>' in shown


# ----------------------------------------------------------------------------- what is decided


@pytest.fixture
def bid_question(world: World, trustee: User) -> BoardDecision:
    """Lead Advice's board (four trustees) is asked to approve a bid for a £400,000 contract."""
    board_of(world.lead, size=4)
    tender = make_tender(world.alliance, value_pence=40_000_000)
    declaration = draft(tender, world.lead)
    bid_services.declaration_submit_for_approval(
        actor=chief_of(world.lead), declaration=declaration
    )
    return BoardDecision.objects.get(subject_type="bids.declaration", subject_id=declaration.pk)


def test_the_decision_page_links_to_what_the_board_is_deciding(
    client: Client, bid_question: BoardDecision, trustee: User
):
    response = signed_in(client, trustee).get(page("decision-detail", pk=bid_question.pk))
    link = page("declaration-detail", pk=bid_question.subject_id)
    assert f'<a href="{link}" id="subject-link">' in html(response)


def test_a_partnership_question_has_no_subject_link(
    client: Client, question: BoardDecision, trustee: User
):
    response = signed_in(client, trustee).get(page("decision-detail", pk=question.pk))
    assert "subject-link" not in html(response)


def test_standing_orders_ask_the_full_board_for_a_large_contract_and_the_page_says_so(
    client: Client, world: World, trustee: User
):
    board_of(world.lead, size=4)
    protocol.standing_orders_update(
        actor=trustee,
        agency=world.lead,
        minimum_votes=None,
        full_board_above_pence=25_000_000,
        bar_chief_officers=False,
    )
    tender = make_tender(world.alliance, value_pence=40_000_000)
    declaration = draft(tender, world.lead)
    bid_services.declaration_submit_for_approval(
        actor=chief_of(world.lead), declaration=declaration
    )
    decision = BoardDecision.objects.get(subject_type="bids.declaration", subject_id=declaration.pk)
    rule = ORDERS_FULL_BOARD.format(agency="Lead Advice", limit="£250,000")
    assert (decision.quorum, decision.rule) == (4, rule)
    response = signed_in(client, trustee).get(page("decision-detail", pk=decision.pk))
    assert f'<dd id="quorum-rule">{rule}</dd>' in unescape(html(response))
    assert '<dd id="still-needed">4</dd>' in html(response)


def test_the_decision_page_takes_a_handful_of_queries(
    client: Client,
    bid_question: BoardDecision,
    trustee: User,
    django_assert_max_num_queries: Any,
):
    signed_in(client, trustee)
    # 23 today: the layout's 7, the question and its votes, and the board's standing on it
    # (protocol, standing orders, trustees, chief officers, the bid's conflicts and value, the
    # declaration's page); none of it grows with the alliance.
    with django_assert_max_num_queries(25):
        response = client.get(page("decision-detail", pk=bid_question.pk))
    assert response.status_code == 200


# ----------------------------------------------------------------------------- the new settings


def test_the_settings_form_explains_chief_officers_votes_and_sets_the_grace_period(
    client: Client, world: World, admin: User
):
    publish_version(admin, world)
    signed_in(client, admin)
    form = unescape(html(client.get(page("protocol-settings"))))
    assert 'name="chief_officers_may_vote"' in form
    assert "Clause 4 keeps decisions with trustee boards" in form
    assert 'name="withdrawal_grace_days" value="14"' in form
    response = client.post(
        page("protocol-settings"),
        {
            "board_approval_kinds": ["consortium"],
            "minimum_quorum": "2",
            "chief_officers_may_vote": "on",
            "withdrawal_grace_days": "30",
        },
    )
    after = follow(client, response)
    words = text(after)
    assert "Chief officers who are trustees Vote on their board's questions" in words
    assert "Withdrawals after an award Last 30 days after the contract is awarded" in words
    current = Protocol.objects.get(alliance=world.alliance)
    assert (current.chief_officers_may_vote, current.withdrawal_grace_days) == (True, 30)
    again = html(client.get(page("protocol-settings")))
    assert re.search(r'name="chief_officers_may_vote"[^>]*checked', again)


@pytest.mark.parametrize("days", ["-1", "366", "soon", ""])
def test_a_bad_grace_period_is_refused_and_nothing_changes(
    client: Client, world: World, admin: User, days: str
):
    signed_in(client, admin)
    before = counts()
    response = client.post(
        page("protocol-settings"),
        {
            "board_approval_kinds": ["consortium"],
            "minimum_quorum": "2",
            "withdrawal_grace_days": days,
        },
    )
    assert_refused_on(response, "withdrawal_grace_days")
    assert counts() == before
