"""Trustee board decisions over the API: who sees which question, votes, and their errors.

The questions come from the partnerships app (joining a consortium needs the board); the
join flow end to end is in tests/partnerships/test_api.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bids.services import declarations as bid_services
from kiaa.decisions import ALLIANCE_RULE, CHIEF_OFFICER_EXCLUDED
from kiaa.models import AuditEvent, BoardDecision, BoardVote, Role, User
from kiaa.services import decisions, protocol
from kiaa.services.decisions import decision_vote
from partnerships.models import Partnership, PartnershipMember
from partnerships.services import partnerships
from tests.api import PERSONAS, api_url, row_counts, tolerant
from tests.conftest import World, api_as
from tests.factories import AgencyFactory, grant
from tests.factories.bids import draft, make_tender
from tests.factories.partnerships import board_of, chief_of, make_partnership

pytestmark = pytest.mark.django_db


WRITTEN = (BoardDecision, BoardVote, PartnershipMember, AuditEvent)


def rows() -> dict[str, int]:
    return row_counts(*WRITTEN)


def ask_to_join(partnership: Partnership, agency: Any) -> BoardDecision:
    """The agency is invited to a consortium and accepts: the question goes to its board."""
    member = partnerships.member_invite(
        actor=chief_of(partnership.lead_agency),
        partnership=partnership,
        agency=agency,
        role="partner",
    )
    partnerships.member_accept(actor=chief_of(agency), member=member)
    return BoardDecision.objects.get(subject_id=member.pk, status="open")


@dataclass
class Pending:
    """The lead agency has accepted a place in the partner's consortium; its board decides."""

    world: World
    consortium: Partnership
    decision: BoardDecision
    board: list[User]  # the lead's trustees: the trustee persona and one more


@pytest.fixture
def pending(world: World, chief_officer: User, trustee: User) -> Pending:
    board = board_of(world.lead)
    consortium = make_partnership(world.partner, kind="consortium", name="Housing consortium")
    return Pending(world, consortium, ask_to_join(consortium, world.lead), board)


# --- The access matrix ------------------------------------------------------------------------

ACTIONS = {
    "list decisions": ("get", lambda p: api_url("decision-list"), None),
    "read a decision": ("get", lambda p: api_url("decision-detail", pk=p.decision.pk), None),
    "vote": (
        "post",
        lambda p: api_url("decision-vote", pk=p.decision.pk),
        {"decision": "approve", "note": "A good fit."},
    ),
}

# Only the lead's trustees sit on the board that decides; to everyone else the question is
# not there at all (404), as API.md asks for what a person may not see.
# fmt: off
#                        chief  trustee partner competitor arbiter admin outsider
EXPECTED = {
    "list decisions":   (200,   200,    200,    200,       200,    200,  404),
    "read a decision":  (404,   200,    404,    404,       404,    404,  404),
    "vote":             (404,   201,    404,    404,       404,    404,  404),
}
# fmt: on

MATRIX = [
    pytest.param(action, persona, status, id=f"{action}-{persona}")
    for action, statuses in EXPECTED.items()
    for persona, status in zip(PERSONAS, statuses, strict=True)
]


@pytest.mark.parametrize(("action", "persona", "expected"), MATRIX)
def test_each_persona_gets_the_status_api_md_promises(action, persona, expected, pending, request):
    method, url, body = ACTIONS[action]
    person = request.getfixturevalue(persona)
    before = rows()
    client = api_as(person)
    if method == "get":
        response = client.get(url(pending))
    else:
        response = client.post(url(pending), body, format="json")
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) == {"detail"}
        assert rows() == before
    elif method != "get":
        assert rows()["BoardVote"] == before["BoardVote"] + 1
        assert rows()["AuditEvent"] == before["AuditEvent"] + 1


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_callers_are_refused_and_nothing_is_written(action, pending):
    method, url, body = ACTIONS[action]
    before = rows()
    response = getattr(APIClient(), method)(url(pending), body, format="json")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"detail"}
    assert rows() == before


def test_a_person_sees_only_the_questions_before_their_own_boards(pending, partner):
    partner_trustee = board_of(pending.world.partner)[0]
    theirs = api_as(partner_trustee).get(api_url("decision-list")).json()["results"]
    # The partner's board approved its own lead place when the consortium was proposed.
    assert [d["question"] for d in theirs] == ["Join Housing consortium as lead?"]
    mine = api_as(pending.board[0]).get(api_url("decision-list")).json()["results"]
    assert [d["id"] for d in mine] == [pending.decision.pk]
    assert api_as(partner).get(api_url("decision-list")).json()["count"] == 0


def test_a_decision_reads_as_the_api_fixes(pending, trustee):
    decision = api_as(trustee).get(api_url("decision-detail", pk=pending.decision.pk)).json()
    member = PartnershipMember.objects.get(
        partnership=pending.consortium, agency=pending.world.lead
    )
    assert decision == {
        "id": pending.decision.pk,
        "agency": pending.world.lead.pk,
        "question": "Join Housing consortium as partner?",
        "subject_type": "partnerships.partnershipmember",
        "subject_id": member.pk,
        "quorum": 2,
        "rule": "The alliance's rule: a majority of the 2 eligible trustee(s), and never fewer than 2.",
        "status": "open",
        "opened_at": decision["opened_at"],
        "decided_at": None,
        "votes": [],
        "votes_needed": 2,
        "excluded": [],
        "subject_url": None,  # partnerships offer no page of a membership
    }
    listed = api_as(trustee).get(api_url("decision-list")).json()["results"]
    # The list leaves out what costs queries per row: who may not vote, and the subject's page.
    assert listed == [{k: v for k, v in decision.items() if k not in ("excluded", "subject_url")}]


def test_each_vote_is_recorded_with_its_note_and_the_quorum_decides(pending, trustee):
    first, second = pending.board
    url = api_url("decision-vote", pk=pending.decision.pk)
    one = api_as(first).post(
        url, {"decision": "approve", "note": "  Fits our aims.  "}, format="json"
    )
    assert one.status_code == 201
    body = one.json()
    assert (body["status"], body["votes_needed"]) == ("open", 1)
    assert [(v["trustee"], v["choice"], v["note"]) for v in body["votes"]] == [
        (first.username, "approve", "Fits our aims.")
    ]
    two = api_as(second).post(url, {"decision": "approve"}, format="json")
    assert (two.json()["status"], two.json()["votes_needed"]) == ("approved", 0)
    assert two.json()["decided_at"] is not None
    member = PartnershipMember.objects.get(
        partnership=pending.consortium, agency=pending.world.lead
    )
    assert member.status == PartnershipMember.Status.ACTIVE
    verbs = list(AuditEvent.objects.order_by("seq").values_list("verb", flat=True))[-4:]
    assert verbs == ["decision.voted", "decision.voted", "decision.approved", "partnership.joined"]


def test_a_vote_cannot_be_cast_twice_or_changed(pending, trustee):
    client = api_as(trustee)
    url = api_url("decision-vote", pk=pending.decision.pk)
    assert client.post(url, {"decision": "approve"}, format="json").status_code == 201
    before = rows()
    for choice in ("reject", "approve"):
        again = client.post(url, {"decision": choice}, format="json")
        assert again.status_code == 409
        assert again.json() == {"detail": decisions.ALREADY_VOTED}
    assert rows() == before
    votes = BoardVote.objects.filter(decision=pending.decision, trustee=trustee)
    assert list(votes.values_list("choice", flat=True)) == ["approve"]


def test_a_decided_question_takes_no_more_votes(pending, trustee):
    other = next(t for t in pending.board if t != trustee)
    decision_vote(actor=other, decision=pending.decision, choice="reject")
    before = rows()
    response = api_as(trustee).post(
        api_url("decision-vote", pk=pending.decision.pk), {"decision": "approve"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": decisions.DECIDED}
    assert rows() == before


BAD_VOTES = [
    ({}, "decision"),
    ({"decision": "maybe"}, "decision"),
    ({"decision": 1}, "decision"),
    ({"decision": ["approve"]}, "decision"),
    ({"decision": None}, "decision"),
    ({"decision": "approve", "note": ["a"]}, "note"),
    ({"decision": "approve", "note": {"a": 1}}, "note"),
]


@pytest.mark.parametrize(("body", "field"), BAD_VOTES, ids=[repr(b) for b, _ in BAD_VOTES])
def test_a_bad_vote_is_a_field_error_that_writes_nothing(body, field, pending, trustee):
    before = rows()
    response = tolerant(trustee).post(
        api_url("decision-vote", pk=pending.decision.pk), body, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field], list)
    assert rows() == before


@pytest.mark.parametrize("raw", [b"{not json", b"[1]", b"null", b'"approve"'])
def test_a_vote_body_that_is_not_a_json_object_is_a_400(raw, pending, trustee):
    before = rows()
    response = tolerant(trustee).post(
        api_url("decision-vote", pk=pending.decision.pk), raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert isinstance(response.json(), dict)
    assert rows() == before


@pytest.mark.parametrize("pk", ["abc", "99999999", str(10**30), "-1"])
@pytest.mark.parametrize("name", ["decision-detail", "decision-vote"])
def test_an_unknown_or_malformed_decision_is_a_json_404(name, pk, pending, trustee):
    client = tolerant(trustee)
    if name == "decision-detail":
        response = client.get(api_url(name, pk=pk))
    else:
        response = client.post(api_url(name, pk=pk), {"decision": "approve"}, format="json")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_another_alliances_decision_is_404_even_for_one_of_its_trustees(world, pending):
    elsewhere = AgencyFactory(alliance=world.other_alliance, name="Elsewhere Housing")
    consortium = make_partnership(elsewhere, kind="consortium", name="Elsewhere consortium")
    voter = board_of(world.other_agency)[0]
    decision = ask_to_join(consortium, world.other_agency)
    # The same trustee also sits on a home board: only the alliance in the URL differs.
    grant(voter, Role.TRUSTEE, world.lead)
    client = tolerant(voter)
    before = rows()
    answers = []
    for pk in (decision.pk, 99999999):
        read = client.get(api_url("decision-detail", pk=pk))
        vote = client.post(api_url("decision-vote", pk=pk), {"decision": "approve"}, format="json")
        assert read.status_code == vote.status_code == 404
        answers.append((read.json(), vote.json()))
    assert answers[0] == answers[1]
    assert rows() == before
    assert client.get(api_url("decision-detail", "other", pk=decision.pk)).status_code == 200


def test_decisions_are_filtered_by_status_and_agency(pending, trustee, world):
    other = next(t for t in pending.board if t != trustee)
    decision_vote(actor=other, decision=pending.decision, choice="reject")
    second = make_partnership(world.competitor, kind="consortium", name="Rival consortium")
    board_of(world.competitor)
    open_one = ask_to_join(second, world.lead)
    client = api_as(trustee)

    def ids(**params: Any) -> list[int]:
        response = client.get(api_url("decision-list"), params)
        assert response.status_code == 200, response.content
        return [d["id"] for d in response.json()["results"]]

    assert ids(status="open") == [open_one.pk]
    assert ids(status="rejected") == [pending.decision.pk]
    assert ids(agency=world.lead.pk) == [open_one.pk, pending.decision.pk]
    assert ids(agency=world.partner.pk) == []


@pytest.mark.parametrize("params", [{"status": "maybe"}, {"agency": "abc"}, {"agency": "other"}])
def test_a_bad_decision_filter_is_a_field_error(params, pending, trustee):
    if params.get("agency") == "other":
        params = {"agency": pending.world.other_agency.pk}
    response = tolerant(trustee).get(api_url("decision-list"), params)
    assert response.status_code == 400
    (field,) = params
    assert list(response.json()) == [field]


# --- Query counts -----------------------------------------------------------------------------

# alliance, roles, held agencies; the selector's roles; count, page; votes, their trustees
DECISION_LIST_QUERIES = 8


def grow(world: World, n: int) -> None:
    """n questions before the lead's board, each with one vote cast."""
    first = board_of(world.lead)[0]
    for i in range(n):
        consortium = make_partnership(world.partner, kind="consortium", name=f"Consortium {i:03}")
        decision_vote(actor=first, decision=ask_to_join(consortium, world.lead), choice="approve")


@pytest.mark.parametrize("size", [3, 20])
def test_the_decision_list_takes_the_same_few_queries_at_any_size(
    size, world, chief_officer, trustee, django_assert_max_num_queries
):
    grow(world, size)
    client = api_as(trustee)
    with django_assert_max_num_queries(DECISION_LIST_QUERIES):
        response = client.get(api_url("decision-list"), {"page_size": 200})
    results = response.json()["results"]
    assert len(results) == size
    assert all(len(d["votes"]) == 1 and d["votes_needed"] == 1 for d in results)


# --- Who may not vote, the rule and the subject -----------------------------------------------


@pytest.fixture
def chief_on_the_board(pending: Pending, chief_officer: User) -> User:
    """Lead Advice's chief officer also sits on its board (with the two trustees)."""
    grant(chief_officer, Role.TRUSTEE, pending.world.lead)
    return chief_officer


def test_a_decision_names_who_may_not_vote_and_why(pending, chief_on_the_board, trustee):
    body = api_as(trustee).get(api_url("decision-detail", pk=pending.decision.pk)).json()
    reason = CHIEF_OFFICER_EXCLUDED.format(agency="Lead Advice")
    assert body["excluded"] == [{"trustee": chief_on_the_board.username, "reason": reason}]
    assert body["rule"] == ALLIANCE_RULE.format(eligible=2, minimum=2)
    assert (body["quorum"], body["votes_needed"]) == (2, 2)


def test_an_excluded_trustees_vote_is_a_403_with_the_reason(pending, chief_on_the_board):
    before = rows()
    response = api_as(chief_on_the_board).post(
        api_url("decision-vote", pk=pending.decision.pk), {"decision": "approve"}, format="json"
    )
    assert response.status_code == 403
    reason = CHIEF_OFFICER_EXCLUDED.format(agency="Lead Advice")
    assert response.json() == {"detail": decisions.EXCLUDED.format(reason=reason)}
    assert rows() == before


def test_a_chief_officer_on_the_board_votes_where_the_protocol_allows_it(
    pending, chief_on_the_board, admin
):
    protocol.protocol_settings_update(
        actor=admin,
        alliance=pending.world.alliance,
        board_approval_kinds=["consortium"],
        minimum_quorum=2,
        chief_officers_may_vote=True,
    )
    response = api_as(chief_on_the_board).post(
        api_url("decision-vote", pk=pending.decision.pk), {"decision": "approve"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["excluded"] == []
    assert body["rule"] == ALLIANCE_RULE.format(eligible=3, minimum=2)
    assert body["votes_needed"] == 1


def test_a_bid_decision_links_to_the_declaration(world, chief_officer, trustee):
    board_of(world.lead)
    declaration = draft(make_tender(world.alliance), world.lead)
    bid_services.declaration_submit_for_approval(actor=chief_officer, declaration=declaration)
    decision = BoardDecision.objects.get(subject_type="bids.declaration")
    body = api_as(trustee).get(api_url("decision-detail", pk=decision.pk)).json()
    assert body["subject_url"] == reverse(
        "declaration-detail", kwargs={"alliance_slug": "home", "pk": declaration.pk}
    )


def test_the_decision_schema_describes_the_new_fields(world):
    response = APIClient().get("/api/schema/", {"format": "json"})
    schemas = response.json()["components"]["schemas"]
    assert {"rule", "excluded", "subject_url"} <= set(schemas["DecisionDetail"]["properties"])
    assert "rule" in schemas["Decision"]["properties"]
