"""The REST API of partnerships, MoUs and withdrawals, held to API.md.

Who gets which status on every endpoint, the error format, nothing written on a refusal,
joining with the board's approval end to end, confirmation waiting for the checks, MoU
versions and signatures, the confidentiality undertaking, withdrawals, and query counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from kiaa.api.base import UNHELD_AGENCY
from kiaa.models import Agency, AuditEvent, BoardDecision, BoardVote, Role, User
from partnerships.api import permissions as may
from partnerships.api import serializers as s
from partnerships.api.views import NAME_THE_BOARD
from partnerships.models import (
    ConfidentialityAcknowledgement,
    DueDiligenceCheck,
    MouSignature,
    MouVersion,
    Partnership,
    PartnershipMember,
    PartnershipServiceArea,
    Withdrawal,
)
from partnerships.services import mou, partnerships, withdrawals
from tests.api import PERSONAS, api_url, call, is_field_error, row_counts, tolerant
from tests.conftest import World, api_as
from tests.factories import AgencyFactory, PersonFactory, ServiceAreaFactory, grant
from tests.factories.partnerships import board_of, chief_of, draft_mou, join, make_partnership

pytestmark = pytest.mark.django_db

ITEMS = DueDiligenceCheck.Item.values


def member_url(action: str, partnership: Partnership, agency: Agency) -> str:
    return api_url(
        f"partnership-member-{action}", partnership_id=partnership.pk, agency_id=agency.pk
    )


# What this API can write, the audit trail included: rows() counts them.
WRITTEN = (
    Partnership,
    PartnershipMember,
    PartnershipServiceArea,
    DueDiligenceCheck,
    MouVersion,
    MouSignature,
    ConfidentialityAcknowledgement,
    Withdrawal,
    BoardDecision,
    BoardVote,
    AuditEvent,
)


def rows() -> dict[str, int]:
    return row_counts(*WRITTEN)


def statuses(partnership: Partnership) -> dict[int, str]:
    return dict(partnership.members.values_list("agency_id", "status"))


def mou_body(**sections: str) -> dict[str, Any]:
    return {
        "sections": {**mou.TEMPLATE, **sections},
        "contribution_amount": 50_000,
        "exclusive": True,
    }


@dataclass
class Home:
    """A consortium of the lead and the partner, with an MoU; the competitor is invited to it."""

    world: World
    consortium: Partnership
    withdrawal: Withdrawal  # the partner stepped back while it bids


@pytest.fixture
def home(world: World, chief_officer: User, trustee: User, partner: User) -> Home:
    consortium = make_partnership(
        world.lead, world.partner, kind="consortium", name="Debt consortium"
    )
    draft_mou(consortium)
    board_of(world.competitor)
    partnerships.member_invite(
        actor=chief_officer, partnership=consortium, agency=world.competitor, role="partner"
    )
    withdrawal = withdrawals.withdrawal_start(
        actor=None, partnership=consortium, agency=world.partner, reason="Bidding for T1"
    )
    consortium.refresh_from_db()
    return Home(world, consortium, withdrawal)


# --- The access matrix ------------------------------------------------------------------------

Url = Callable[[Home], str]
Body = Callable[[Home], dict[str, Any]] | None

# action: (method, url, body)
ACTIONS: dict[str, tuple[str, Url, Body]] = {
    "list partnerships": ("get", lambda h: api_url("partnership-list"), None),
    "read a partnership": (
        "get",
        lambda h: api_url("partnership-detail", pk=h.consortium.pk),
        None,
    ),
    "propose a partnership": (
        "post",
        lambda h: api_url("partnership-list"),
        lambda h: {"name": "Housing network", "kind": "network"},
    ),
    "invite an agency": (
        "post",
        lambda h: api_url("partnership-members", pk=h.consortium.pk),
        lambda h: {"agency": h.world.cvs.pk, "role": "subcontractor"},
    ),
    "accept an invitation": (
        "post",
        lambda h: member_url("accept", h.consortium, h.world.competitor),
        None,
    ),
    "decline an invitation": (
        "post",
        lambda h: member_url("decline", h.consortium, h.world.competitor),
        None,
    ),
    "list checks": ("get", lambda h: api_url("partnership-checks", pk=h.consortium.pk), None),
    "record a check": (
        "post",
        lambda h: api_url("partnership-checks", pk=h.consortium.pk),
        lambda h: {"agency": h.world.partner.pk, "item": "safeguarding", "outcome": "met"},
    ),
    "confirm": ("post", lambda h: api_url("partnership-confirm", pk=h.consortium.pk), None),
    "dissolve": ("post", lambda h: api_url("partnership-dissolve", pk=h.consortium.pk), None),
    "read the MoU": ("get", lambda h: api_url("partnership-mou", pk=h.consortium.pk), None),
    "write the MoU": (
        "put",
        lambda h: api_url("partnership-mou", pk=h.consortium.pk),
        lambda h: mou_body(costs="Costs are shared by turnover."),
    ),
    "sign the MoU": ("post", lambda h: api_url("partnership-mou-sign", pk=h.consortium.pk), None),
    "acknowledge": (
        "post",
        lambda h: api_url("partnership-mou-acknowledge", pk=h.consortium.pk),
        None,
    ),
    "list withdrawals": ("get", lambda h: api_url("withdrawal-list"), None),
    "read a withdrawal": (
        "get",
        lambda h: api_url("withdrawal-detail", pk=h.withdrawal.pk),
        None,
    ),
}

# The chief officer runs the lead agency, the trustee sits on its board, the partner is staff of
# the partner agency; the competitor's agency is invited; a "confirm" refused for missing checks
# is a 409, after the permission check has passed.
# fmt: off
#                            chief  trustee partner competitor arbiter admin outsider
EXPECTED = {
    "list partnerships":      (200,   200,    200,    200,       200,    200,  404),
    "read a partnership":     (200,   200,    200,    200,       200,    200,  404),
    "propose a partnership":  (201,   403,    403,    201,       403,    403,  404),
    "invite an agency":       (201,   403,    403,    403,       403,    403,  404),
    "accept an invitation":   (403,   403,    403,    200,       403,    403,  404),
    "decline an invitation":  (403,   403,    403,    200,       403,    403,  404),
    "list checks":            (200,   200,    200,    200,       200,    200,  404),
    "record a check":         (201,   403,    403,    403,       403,    403,  404),
    "confirm":                (409,   403,    403,    403,       403,    403,  404),
    "dissolve":               (200,   403,    403,    403,       403,    403,  404),
    "read the MoU":           (200,   200,    200,    200,       200,    200,  404),
    "write the MoU":          (200,   403,    403,    403,       403,    403,  404),
    "sign the MoU":           (403,   201,    403,    403,       403,    403,  404),
    "acknowledge":            (201,   201,    201,    403,       403,    403,  404),
    "list withdrawals":       (200,   200,    200,    200,       200,    200,  404),
    "read a withdrawal":      (200,   200,    200,    200,       200,    200,  404),
}
# fmt: on

MATRIX = [
    pytest.param(action, persona, status, id=f"{action}-{persona}")
    for action, statuses_ in EXPECTED.items()
    for persona, status in zip(PERSONAS, statuses_, strict=True)
]


@pytest.mark.parametrize(("action", "persona", "expected"), MATRIX)
def test_each_persona_gets_the_status_api_md_promises(action, persona, expected, home, request):
    method, url, body = ACTIONS[action]
    person = request.getfixturevalue(persona)
    before = rows()
    response = call(api_as(person), method, url(home), body(home) if body else None)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) == {"detail"}
        assert rows() == before, "a refused request wrote something"
    elif method != "get":
        assert rows()["AuditEvent"] > before["AuditEvent"]


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_callers_are_refused_and_nothing_is_written(action, home):
    method, url, body = ACTIONS[action]
    before = rows()
    response = call(APIClient(), method, url(home), body(home) if body else None)
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"detail"}
    assert rows() == before


@pytest.mark.parametrize(
    "action", [a for a, expected in EXPECTED.items() if expected[PERSONAS.index("partner")] == 403]
)
def test_a_member_without_the_right_role_gets_403_whatever_the_body(action, home, partner):
    """API.md: 403 when authenticated but not allowed; a bad body is never looked at first."""
    method, url, _ = ACTIONS[action]
    before = rows()
    response = call(tolerant(partner), method, url(home), ["not", "an", "object"])
    assert response.status_code == 403, response.content
    assert rows() == before


def another_alliances_consortium(world: World) -> Partnership:
    elsewhere = AgencyFactory(alliance=world.other_alliance, name="Elsewhere Housing")
    partnership = make_partnership(
        world.other_agency, elsewhere, kind="consortium", name="Elsewhere consortium"
    )
    draft_mou(partnership)
    return partnership


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "partnership-detail"),
        ("post", "partnership-members"),
        ("get", "partnership-checks"),
        ("post", "partnership-checks"),
        ("post", "partnership-confirm"),
        ("post", "partnership-dissolve"),
        ("get", "partnership-mou"),
        ("put", "partnership-mou"),
        ("post", "partnership-mou-sign"),
        ("post", "partnership-mou-acknowledge"),
    ],
)
def test_another_alliances_partnership_is_404_even_for_its_lead_named_in_home_urls(
    method, name, world, chief_officer, admin
):
    elsewhere = another_alliances_consortium(world)
    # Its lead's chief officer also holds a role at home, so only the alliance in the URL differs.
    lead_chief = chief_of(world.other_agency)
    grant(lead_chief, Role.CHIEF_OFFICER, world.competitor)
    before = rows()
    for person in (admin, lead_chief):
        client = tolerant(person)
        response = call(client, method, api_url(name, pk=elsewhere.pk), mou_body())
        missing = call(client, method, api_url(name, pk=99999999), mou_body())
        assert response.status_code == missing.status_code == 404, response.content
        assert response.json() == missing.json()
        assert set(response.json()) == {"detail"}
    assert rows() == before


@pytest.mark.parametrize("action", ["accept", "decline", "leave"])
def test_another_alliances_member_is_404_through_home_urls(action, world, admin):
    elsewhere = another_alliances_consortium(world)
    member = elsewhere.members.exclude(role="lead").get()
    before = rows()
    response = tolerant(admin).post(member_url(action, elsewhere, member.agency))
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert rows() == before


# --- Partnerships: reading, proposing, filtering --------------------------------------------


def test_a_partnership_reads_as_api_md_fixes_and_the_same_in_list_and_detail(home, competitor):
    debt = ServiceAreaFactory(alliance=home.world.alliance, name="Debt advice")
    proposed = partnerships.partnership_propose(
        actor=chief_of(home.world.competitor),
        alliance=home.world.alliance,
        name="Debt network",
        kind="network",
        lead_agency=home.world.competitor,
        service_areas=[debt.slug],
    )
    client = api_as(competitor)
    detail = client.get(api_url("partnership-detail", pk=proposed.pk)).json()
    assert detail == {
        "id": proposed.pk,
        "name": "Debt network",
        "kind": "network",
        "description": "",
        "lead_agency": home.world.competitor.pk,
        "service_areas": ["debt-advice"],
        "status": "forming",
        "members": [{"agency": home.world.competitor.pk, "role": "lead", "status": "active"}],
    }
    assert detail in client.get(api_url("partnership-list")).json()["results"]


def test_members_show_invited_and_withdrawn_as_well_as_active(home, partner):
    members = api_as(partner).get(api_url("partnership-detail", pk=home.consortium.pk)).json()
    assert members["members"] == [
        {"agency": home.world.lead.pk, "role": "lead", "status": "active"},
        {"agency": home.world.partner.pk, "role": "partner", "status": "withdrawn"},
        {"agency": home.world.competitor.pk, "role": "partner", "status": "invited"},
    ]
    withdrawals.withdrawal_end(actor=None, withdrawal=home.withdrawal)
    after = api_as(partner).get(api_url("partnership-detail", pk=home.consortium.pk)).json()
    assert after["members"][1]["status"] == "active"


def test_proposing_makes_the_acting_agency_the_lead_and_appends_partnership_proposed(
    world, chief_officer
):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    body = {"name": "Debt network", "kind": "network", "service_areas": ["debt-advice"]}
    response = api_as(chief_officer).post(api_url("partnership-list"), body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["lead_agency"], created["service_areas"]) == (world.lead.pk, ["debt-advice"])
    assert created["members"] == [{"agency": world.lead.pk, "role": "lead", "status": "active"}]
    verbs = AuditEvent.objects.filter(target_id=str(created["id"])).values_list("verb", flat=True)
    assert "partnership.proposed" in set(verbs)


def test_x_agency_chooses_which_of_a_persons_agencies_leads(world, chief_officer):
    grant(chief_officer, Role.CHIEF_OFFICER, world.competitor)
    client = api_as(chief_officer)
    body = {"name": "Rival network", "kind": "network"}
    response = client.post(
        api_url("partnership-list"), body, format="json", HTTP_X_AGENCY=str(world.competitor.pk)
    )
    assert response.status_code == 201
    assert response.json()["lead_agency"] == world.competitor.pk


def test_an_explicit_lead_agency_must_be_one_the_person_is_chief_officer_of(world, chief_officer):
    client = api_as(chief_officer)
    before = rows()
    body = {"name": "Borrowed lead", "kind": "network", "lead_agency": world.partner.pk}
    refused = client.post(api_url("partnership-list"), body, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": partnerships.NOT_YOUR_AGENCY}
    assert rows() == before
    own = client.post(
        api_url("partnership-list"), {**body, "lead_agency": world.lead.pk}, format="json"
    )
    assert own.status_code == 201
    assert own.json()["lead_agency"] == world.lead.pk


def test_proposing_a_consortium_waits_for_the_lead_agencys_board(world, chief_officer):
    board_of(world.lead)
    body = {"name": "Debt consortium", "kind": "consortium"}
    response = api_as(chief_officer).post(api_url("partnership-list"), body, format="json")
    assert response.status_code == 201
    assert response.json()["members"][0]["status"] == "awaiting_board"


def test_a_board_too_small_to_decide_refuses_the_consortium_and_writes_nothing(
    world, chief_officer
):
    before = rows()
    body = {"name": "Debt consortium", "kind": "consortium"}
    response = api_as(chief_officer).post(api_url("partnership-list"), body, format="json")
    assert response.status_code == 409
    assert "invite the rest of the board first" in response.json()["detail"]
    assert rows() == before


def test_partnerships_are_filtered_by_kind_status_and_lead_agency(home, admin):
    make_partnership(home.world.competitor, name="Rival network")
    client = api_as(admin)

    def names(**params: Any) -> list[str]:
        response = client.get(api_url("partnership-list"), params)
        assert response.status_code == 200, response.content
        return [p["name"] for p in response.json()["results"]]

    assert names(kind="consortium") == ["Debt consortium"]
    assert names(kind="network") == ["Rival network"]
    assert names(lead_agency=home.world.competitor.pk) == ["Rival network"]
    assert names(status="forming") == ["Debt consortium", "Rival network"]
    assert names(status="confirmed") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "cartel"}, "kind"),
        ({"status": "secret"}, "status"),
        ({"lead_agency": "abc"}, "lead_agency"),
        ({"lead_agency": "99999999"}, "lead_agency"),
        ({"lead_agency": "other"}, "lead_agency"),
    ],
    ids=["unknown kind", "unknown status", "not an id", "unknown agency", "other alliance's"],
)
def test_a_bad_filter_is_a_field_error_that_does_not_reveal_another_alliance(
    params, field, world, admin
):
    if params.get("lead_agency") == "other":
        params = {"lead_agency": str(world.other_agency.pk)}
    client = tolerant(admin)
    response = client.get(api_url("partnership-list"), params)
    assert response.status_code == 400
    assert is_field_error(response.json(), field), response.json()
    if field == "lead_agency":
        unknown = client.get(api_url("partnership-list"), {"lead_agency": "99999999"})
        assert response.json() == unknown.json()


# --- The error format: bad input is a 400, never a 500 ------------------------------------------

PROPOSALS = [
    ({"name": "", "kind": "network"}, "name"),
    ({"name": "   ", "kind": "network"}, "name"),
    ({"name": "x" * 201, "kind": "network"}, "name"),
    ({"kind": "network"}, "name"),
    ({"name": "N", "kind": "cartel"}, "kind"),
    ({"name": "N", "kind": 5}, "kind"),
    ({"name": "N", "kind": ["network"]}, "kind"),
    ({"name": "N", "kind": "network", "lead_agency": "abc"}, "lead_agency"),
    ({"name": "N", "kind": "network", "lead_agency": True}, "lead_agency"),
    ({"name": "N", "kind": "network", "lead_agency": 1.5}, "lead_agency"),
    ({"name": "N", "kind": "network", "lead_agency": {"id": 1}}, "lead_agency"),
    ({"name": "N", "kind": "network", "lead_agency": 99999999}, "lead_agency"),
    ({"name": "N", "kind": "network", "lead_agency": 10**30}, "lead_agency"),
    ({"name": "N", "kind": "network", "lead_agency": "other"}, "lead_agency"),
    ({"name": "N", "kind": "network", "service_areas": "debt-advice"}, "service_areas"),
    ({"name": "N", "kind": "network", "service_areas": [1]}, "service_areas"),
    ({"name": "N", "kind": "network", "service_areas": ["not a slug!"]}, "service_areas"),
    ({"name": "N", "kind": "network", "service_areas": ["nowhere"]}, "service_areas"),
    ({"name": "N", "kind": "network", "service_areas": ["elsewhere"]}, "service_areas"),
    ({"name": "Debt consortium", "kind": "network"}, "name"),
    ({"name": "DEBT CONSORTIUM ", "kind": "network"}, "name"),
]


@pytest.mark.parametrize(("body", "field"), PROPOSALS, ids=[repr(b) for b, _ in PROPOSALS])
def test_proposing_with_bad_input_is_a_field_error_that_writes_nothing(body, field, home):
    ServiceAreaFactory(alliance=home.world.other_alliance, name="Elsewhere", slug="elsewhere")
    if body.get("lead_agency") == "other":
        body = {**body, "lead_agency": home.world.other_agency.pk}
    before = rows()
    response = tolerant(chief_of(home.world.lead)).post(
        api_url("partnership-list"), body, format="json"
    )
    assert response.status_code == 400, response.content
    assert is_field_error(response.json(), field), response.json()
    assert rows() == before


def test_another_alliances_agency_reads_exactly_like_one_that_does_not_exist(world, chief_officer):
    client = api_as(chief_officer)

    def refusal(agency_id: int) -> str:
        body = {"name": "N", "kind": "network", "lead_agency": agency_id}
        message: str = client.post(api_url("partnership-list"), body, format="json").json()[
            "lead_agency"
        ][0]
        return message.replace(str(agency_id), "<id>")

    assert refusal(world.other_agency.pk) == refusal(99999999)


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"null", b"[1, 2]", b'"a string"', b"42"],
    ids=["malformed", "empty", "null", "a list", "a string", "a number"],
)
def test_a_body_that_is_not_a_json_object_is_a_400_in_api_md_format(raw, home):
    client = tolerant(chief_of(home.world.lead))
    before = rows()
    for method, url in [
        ("post", api_url("partnership-list")),
        ("post", api_url("partnership-members", pk=home.consortium.pk)),
        ("post", api_url("partnership-checks", pk=home.consortium.pk)),
        ("put", api_url("partnership-mou", pk=home.consortium.pk)),
    ]:
        response = getattr(client, method)(url, raw, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        body = response.json()
        assert isinstance(body, dict) and body
        assert all(isinstance(v, list) or k == "detail" for k, v in body.items()), body
    assert rows() == before


def test_a_body_that_is_not_json_at_all_is_refused_as_unsupported(home):
    response = tolerant(chief_of(home.world.lead)).post(
        api_url("partnership-list"), "name=N&kind=network", content_type="text/plain"
    )
    assert response.status_code == 415
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("pk", ["abc", "99999999", str(10**30), "-1"])
@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "partnership-detail"),
        ("post", "partnership-members"),
        ("get", "partnership-checks"),
        ("post", "partnership-confirm"),
        ("get", "partnership-mou"),
        ("put", "partnership-mou"),
        ("post", "partnership-mou-sign"),
        ("get", "withdrawal-detail"),
    ],
)
def test_an_unknown_or_malformed_id_in_the_url_is_a_json_404(method, name, pk, home, admin):
    response = call(tolerant(admin), method, api_url(name, pk=pk), mou_body())
    assert response.status_code == 404, response.content
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    ("partnership_id", "agency_id"), [("abc", "1"), ("1", "abc"), ("1", "99999999")]
)
def test_an_unknown_or_malformed_member_in_the_url_is_a_json_404(
    partnership_id, agency_id, home, competitor
):
    url = api_url("partnership-member-accept", partnership_id=partnership_id, agency_id=agency_id)
    response = tolerant(competitor).post(url)
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_naming_an_agency_one_does_not_hold_is_403_and_writes_nothing(home, chief_officer):
    before = rows()
    client = api_as(chief_officer)
    header = {"HTTP_X_AGENCY": str(home.world.competitor.pk)}
    for method, url, body in [
        ("get", api_url("partnership-list"), None),
        ("post", api_url("partnership-list"), {"name": "N", "kind": "network"}),
        ("post", api_url("partnership-confirm", pk=home.consortium.pk), None),
    ]:
        response = call(client, method, url, body, **header)
        assert response.status_code == 403
        assert response.json() == {"detail": UNHELD_AGENCY}
    assert rows() == before


# --- Members: invite, accept, decline, leave ----------------------------------------------------


def test_joining_a_consortium_with_the_boards_approval_end_to_end(world, chief_officer, trustee):
    lead_board = board_of(world.lead)
    partner_board = board_of(world.partner)
    lead = api_as(chief_officer)

    proposed = lead.post(
        api_url("partnership-list"),
        {"name": "Debt consortium", "kind": "consortium"},
        format="json",
    )
    assert proposed.status_code == 201
    pk = proposed.json()["id"]
    assert proposed.json()["members"][0]["status"] == "awaiting_board"
    for voter in lead_board:
        decision = api_as(voter).get(api_url("decision-list")).json()["results"][0]
        voted = api_as(voter).post(
            api_url("decision-vote", pk=decision["id"]), {"decision": "approve"}, format="json"
        )
        assert voted.status_code == 201, voted.content

    invited = lead.post(
        api_url("partnership-members", pk=pk),
        {"agency": world.partner.pk, "role": "partner"},
        format="json",
    )
    assert invited.status_code == 201, invited.content
    assert invited.json() == {"agency": world.partner.pk, "role": "partner", "status": "invited"}

    partnership = Partnership.objects.get(pk=pk)
    accepted = api_as(chief_of(world.partner)).post(
        member_url("accept", partnership, world.partner)
    )
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "awaiting_board"

    first, second = (api_as(t) for t in partner_board)
    decisions = first.get(api_url("decision-list")).json()["results"]
    assert [d["question"] for d in decisions] == ["Join Debt consortium as partner?"]
    decision = decisions[0]
    assert (decision["status"], decision["votes_needed"]) == ("open", 2)
    vote_url = api_url("decision-vote", pk=decision["id"])
    one = first.post(vote_url, {"decision": "approve", "note": "Good fit"}, format="json")
    assert one.status_code == 201
    assert (one.json()["status"], one.json()["votes_needed"]) == ("open", 1)
    assert statuses(partnership)[world.partner.pk] == "awaiting_board"
    two = second.post(vote_url, {"decision": "approve"}, format="json")
    assert two.status_code == 201
    assert (two.json()["status"], two.json()["votes_needed"]) == ("approved", 0)

    final = lead.get(api_url("partnership-detail", pk=pk)).json()
    assert final["members"] == [
        {"agency": world.lead.pk, "role": "lead", "status": "active"},
        {"agency": world.partner.pk, "role": "partner", "status": "active"},
    ]
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"partnership.invited", "partnership.join_requested", "partnership.joined"} <= verbs


def test_a_board_that_rejects_a_join_leaves_the_agency_declined(home, competitor):
    api_as(competitor).post(member_url("accept", home.consortium, home.world.competitor))
    decision = BoardDecision.objects.get(agency=home.world.competitor, status="open")
    first, second = board_of(home.world.competitor)
    vote = api_url("decision-vote", pk=decision.pk)
    # With two trustees and a quorum of two, one rejection decides.
    rejected = api_as(first).post(vote, {"decision": "reject"}, format="json")
    assert (rejected.status_code, rejected.json()["status"]) == (201, "rejected")
    assert statuses(home.consortium)[home.world.competitor.pk] == "declined"
    late = api_as(second).post(vote, {"decision": "approve"}, format="json")
    assert late.status_code == 409


def test_declining_while_the_board_decides_cancels_its_question(home, competitor):
    client = api_as(competitor)
    client.post(member_url("accept", home.consortium, home.world.competitor))
    response = client.post(member_url("decline", home.consortium, home.world.competitor))
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    decision = BoardDecision.objects.get(agency=home.world.competitor)
    assert decision.status == "cancelled"


def test_leaving_a_network_is_immediate_and_a_consortium_asks_the_board(world, chief_officer):
    network = make_partnership(world.lead, world.partner, name="Advice network")
    consortium = make_partnership(world.lead, world.partner, kind="consortium", name="Consortium")
    client = api_as(chief_of(world.partner))
    left = client.post(member_url("leave", network, world.partner))
    assert left.status_code == 200
    assert left.json() == {"agency": world.partner.pk, "role": "partner", "status": "left"}
    leaving = client.post(member_url("leave", consortium, world.partner))
    assert leaving.json()["status"] == "leaving"
    again = client.post(member_url("leave", network, world.partner))
    assert again.status_code == 409
    assert set(again.json()) == {"detail"}


def test_the_lead_cannot_leave_its_own_partnership(world, chief_officer):
    network = make_partnership(world.lead, world.partner, name="Advice network")
    before = rows()
    response = api_as(chief_officer).post(member_url("leave", network, world.lead))
    assert response.status_code == 409
    assert response.json() == {"detail": partnerships.LEAD_CANNOT_LEAVE}
    assert rows() == before


def test_accepting_twice_is_a_409_that_writes_nothing(home, competitor):
    client = api_as(competitor)
    assert (
        client.post(member_url("accept", home.consortium, home.world.competitor)).status_code == 200
    )
    before = rows()
    response = client.post(member_url("accept", home.consortium, home.world.competitor))
    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert rows() == before


INVITES = [
    ({"role": "partner"}, "agency", 400),
    ({"agency": "abc", "role": "partner"}, "agency", 400),
    ({"agency": 99999999, "role": "partner"}, "agency", 400),
    ({"agency": "other", "role": "partner"}, "agency", 400),
    ({"agency": "cvs", "role": "lead"}, "role", 400),
    ({"agency": "cvs", "role": "boss"}, "role", 400),
    ({"agency": "cvs"}, "role", 400),
    ({"agency": "partner", "role": "partner"}, None, 409),
    ({"agency": "competitor", "role": "partner"}, None, 409),
]


def agency_named(world: World, value: Any) -> Any:
    """A persona agency's id for its name in a parametrized body ("other": another alliance's)."""
    if value == "other":
        return world.other_agency.pk
    if value in ("lead", "partner", "competitor", "cvs"):
        return getattr(world, value).pk
    return value


@pytest.mark.parametrize(("body", "field", "expected"), INVITES, ids=[repr(b) for b, *_ in INVITES])
def test_inviting_with_bad_input_is_refused_and_writes_nothing(body, field, expected, home):
    if "agency" in body:
        body = {**body, "agency": agency_named(home.world, body["agency"])}
    before = rows()
    response = tolerant(chief_of(home.world.lead)).post(
        api_url("partnership-members", pk=home.consortium.pk), body, format="json"
    )
    assert response.status_code == expected, response.content
    if field:
        assert is_field_error(response.json(), field), response.json()
    else:
        assert response.json() == {"detail": partnerships.ALREADY_MEMBER}
    assert rows() == before


def test_a_dissolved_partnership_takes_no_more_members(home, chief_officer):
    client = api_as(chief_officer)
    dissolved = client.post(api_url("partnership-dissolve", pk=home.consortium.pk))
    assert dissolved.status_code == 200
    assert dissolved.json()["status"] == "dissolved"
    assert {m["status"] for m in dissolved.json()["members"]} == {"left"}
    before = rows()
    response = client.post(
        api_url("partnership-members", pk=home.consortium.pk),
        {"agency": home.world.cvs.pk, "role": "partner"},
        format="json",
    )
    assert response.status_code == 409
    again = client.post(api_url("partnership-dissolve", pk=home.consortium.pk))
    assert again.status_code == 409
    assert rows() == before


# --- Due-diligence checks and confirmation ----------------------------------------------------


def record_all(client: APIClient, partnership: Partnership, agencies: list[Agency]) -> None:
    for agency in agencies:
        for item in ITEMS:
            body = {"agency": agency.pk, "item": item, "outcome": "met"}
            response = client.post(
                api_url("partnership-checks", pk=partnership.pk), body, format="json"
            )
            assert response.status_code == 201, response.content


def test_confirmation_is_refused_with_the_missing_checks_until_every_one_is_met(
    world, chief_officer
):
    consortium = make_partnership(world.lead, world.partner, kind="consortium", name="Consortium")
    client = api_as(chief_officer)
    confirm = api_url("partnership-confirm", pk=consortium.pk)
    before = rows()
    refused = client.post(confirm)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Due-diligence checks are missing or not met:")
    assert "Partner Housing — safeguarding policy" in refused.json()["detail"]
    assert rows() == before

    record_all(client, consortium, [world.lead, world.partner])
    not_met = {"agency": world.partner.pk, "item": "financial_viability", "outcome": "not_met"}
    client.post(api_url("partnership-checks", pk=consortium.pk), not_met, format="json")
    still = client.post(confirm)
    assert still.status_code == 409
    assert still.json() == {
        "detail": partnerships.CHECKS_MISSING.format(
            missing="Partner Housing — financial viability"
        )
    }

    client.post(
        api_url("partnership-checks", pk=consortium.pk),
        {**not_met, "outcome": "met", "note": "Accounts for 2025 seen."},
        format="json",
    )
    confirmed = client.post(confirm)
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    assert client.post(confirm).status_code == 409


def test_a_partnership_of_one_cannot_be_confirmed(world, chief_officer):
    alone = make_partnership(world.lead, name="Alone")
    response = api_as(chief_officer).post(api_url("partnership-confirm", pk=alone.pk))
    assert response.status_code == 409
    assert response.json() == {"detail": partnerships.TOO_FEW_MEMBERS}


def test_checks_read_with_who_checked_and_when_and_a_recheck_replaces_the_first(home, partner):
    lead_chief = api_as(chief_of(home.world.lead))
    url = api_url("partnership-checks", pk=home.consortium.pk)
    body = {"agency": home.world.partner.pk, "item": "governance", "outcome": "not_met"}
    first = lead_chief.post(url, body, format="json")
    assert first.status_code == 201
    recheck = lead_chief.post(
        url, {**body, "outcome": "met", "note": " Board minutes "}, format="json"
    )
    listed = api_as(partner).get(url).json()
    assert listed["count"] == 1
    check = listed["results"][0]
    assert check == recheck.json()
    assert {k: check[k] for k in ("agency", "item", "outcome", "note", "checked_by")} == {
        "agency": home.world.partner.pk,
        "item": "governance",
        "outcome": "met",
        "note": "Board minutes",
        "checked_by": "chief",
    }
    assert datetime.fromisoformat(check["checked_at"]).tzinfo is not None


def test_the_leads_staff_may_record_checks(home):
    staff = PersonFactory(username="lead-staff")
    grant(staff, Role.STAFF, home.world.lead)
    body = {"agency": home.world.lead.pk, "item": "safeguarding", "outcome": "met"}
    response = api_as(staff).post(
        api_url("partnership-checks", pk=home.consortium.pk), body, format="json"
    )
    assert response.status_code == 201


CHECKS = [
    ({"agency": "cvs", "item": "governance", "outcome": "met"}, "agency"),
    ({"agency": "other", "item": "governance", "outcome": "met"}, "agency"),
    ({"agency": "lead", "item": "horoscope", "outcome": "met"}, "item"),
    ({"agency": "lead", "item": "governance", "outcome": "maybe"}, "outcome"),
    ({"agency": "lead", "item": "governance"}, "outcome"),
    ({"agency": "lead", "item": "governance", "outcome": "met", "note": ["a"]}, "note"),
]


@pytest.mark.parametrize(("body", "field"), CHECKS, ids=[repr(b) for b, _ in CHECKS])
def test_recording_a_check_with_bad_input_is_a_field_error(body, field, home):
    before = rows()
    response = tolerant(chief_of(home.world.lead)).post(
        api_url("partnership-checks", pk=home.consortium.pk),
        {**body, "agency": agency_named(home.world, body["agency"])},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert is_field_error(response.json(), field), response.json()
    assert rows() == before


# --- The memorandum of understanding ------------------------------------------------------------


def test_the_mou_is_404_with_a_clear_detail_before_the_lead_drafts_one(world, partner):
    network = make_partnership(world.lead, world.partner, name="Advice network")
    response = api_as(partner).get(api_url("partnership-mou", pk=network.pk))
    assert response.status_code == 404
    assert response.json() == {"detail": mou.NO_MOU}


def test_writing_the_mou_makes_versions_and_a_change_must_be_signed_again(world, chief_officer):
    consortium = make_partnership(world.lead, world.partner, kind="consortium", name="Consortium")
    client = api_as(chief_officer)
    url = api_url("partnership-mou", pk=consortium.pk)
    first = client.put(url, mou_body(), format="json")
    assert first.status_code == 200, first.content
    assert first.json() == {
        "number": 1,
        "sections": mou.TEMPLATE,
        "contribution_amount": 50_000,
        "exclusive": True,
        "review_due_on": None,
        "signatures": [],
        "unsigned": [world.lead.pk, world.partner.pk],
        "acknowledged": False,
        "created_at": first.json()["created_at"],
    }
    lead_trustee, partner_trustee = board_of(world.lead)[0], board_of(world.partner)[0]
    sign = api_url("partnership-mou-sign", pk=consortium.pk)
    signed = api_as(lead_trustee).post(sign, {}, format="json")
    assert signed.status_code == 201
    assert [s_["agency"] for s_ in signed.json()["signatures"]] == [world.lead.pk]
    assert signed.json()["signatures"][0]["signed_by"] == lead_trustee.username
    assert signed.json()["unsigned"] == [world.partner.pk]
    both = api_as(partner_trustee).post(sign, {"agency": world.partner.pk}, format="json")
    assert both.json()["unsigned"] == []

    changed = client.put(url, {**mou_body(), "contribution_amount": 75_000}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["number"], changed.json()["contribution_amount"]) == (2, 75_000)
    assert changed.json()["signatures"] == []
    assert changed.json()["unsigned"] == [world.lead.pk, world.partner.pk]
    assert api_as(lead_trustee).post(sign, {}, format="json").status_code == 201
    assert MouVersion.objects.filter(partnership=consortium).count() == 2
    assert client.get(url).json()["number"] == 2


def test_writing_the_same_text_again_is_a_409_that_writes_nothing(home, chief_officer):
    before = rows()
    response = api_as(chief_officer).put(
        api_url("partnership-mou", pk=home.consortium.pk), mou_body(), format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": mou.UNCHANGED}
    assert rows() == before


MOU_BODIES = [
    ({"contribution_amount": 1, "exclusive": True}, "sections"),
    ({"sections": "all of them", "contribution_amount": 1, "exclusive": True}, "sections"),
    ({"sections": {"costs": "x"}, "contribution_amount": 1, "exclusive": True}, "sections"),
    (
        {"sections": {**mou.TEMPLATE, "costs": "  "}, "contribution_amount": 1, "exclusive": True},
        "sections",
    ),
    (
        {"sections": {**mou.TEMPLATE, "costs": 5}, "contribution_amount": 1, "exclusive": True},
        "sections",
    ),
    (
        {"sections": {**mou.TEMPLATE, "bribes": "x"}, "contribution_amount": 1, "exclusive": True},
        "sections",
    ),
    ({"sections": mou.TEMPLATE, "exclusive": True}, "contribution_amount"),
    (
        {"sections": mou.TEMPLATE, "contribution_amount": -1, "exclusive": True},
        "contribution_amount",
    ),
    (
        {"sections": mou.TEMPLATE, "contribution_amount": "lots", "exclusive": True},
        "contribution_amount",
    ),
    (
        {"sections": mou.TEMPLATE, "contribution_amount": 12.5, "exclusive": True},
        "contribution_amount",
    ),
    (
        {"sections": mou.TEMPLATE, "contribution_amount": 2**64, "exclusive": True},
        "contribution_amount",
    ),
    ({"sections": mou.TEMPLATE, "contribution_amount": 1}, "exclusive"),
    ({"sections": mou.TEMPLATE, "contribution_amount": 1, "exclusive": "perhaps"}, "exclusive"),
]


@pytest.mark.parametrize(
    ("body", "field"), MOU_BODIES, ids=[f"{f}-{i}" for i, (_, f) in enumerate(MOU_BODIES)]
)
def test_writing_the_mou_with_bad_input_is_a_field_error_that_writes_nothing(
    body, field, home, chief_officer
):
    before = rows()
    response = tolerant(chief_officer).put(
        api_url("partnership-mou", pk=home.consortium.pk), body, format="json"
    )
    assert response.status_code == 400, response.content
    assert is_field_error(response.json(), field), response.json()
    assert rows() == before


def test_a_missing_section_is_named_in_the_error(home, chief_officer):
    sections = {k: v for k, v in mou.TEMPLATE.items() if k != "transparency"}
    body = {"sections": sections, "contribution_amount": 1, "exclusive": True}
    response = api_as(chief_officer).put(
        api_url("partnership-mou", pk=home.consortium.pk), body, format="json"
    )
    assert response.json() == {"sections": [s.SECTIONS_MISSING.format(names="transparency")]}


def test_signing_twice_or_for_a_non_member_or_before_any_mou_is_a_409(world, home, trustee):
    sign = api_url("partnership-mou-sign", pk=home.consortium.pk)
    client = api_as(trustee)
    assert client.post(sign).status_code == 201
    competitor_trustee = board_of(world.competitor)[0]  # invited, not yet a member
    network = make_partnership(world.lead, name="No MoU yet")
    before = rows()
    twice = client.post(sign)
    assert twice.status_code == 409
    assert twice.json() == {"detail": mou.ALREADY_SIGNED}
    outside = api_as(competitor_trustee).post(sign)
    assert outside.status_code == 409
    assert outside.json() == {"detail": mou.NOT_A_MEMBER}
    early = client.post(api_url("partnership-mou-sign", pk=network.pk))
    assert early.status_code == 409
    assert early.json() == {"detail": mou.NO_MOU}
    assert rows() == before


def test_a_trustee_of_two_boards_names_the_agency_or_acts_through_x_agency(home, trustee):
    grant(trustee, Role.TRUSTEE, home.world.partner)
    client = api_as(trustee)
    sign = api_url("partnership-mou-sign", pk=home.consortium.pk)
    before = rows()
    unnamed = client.post(sign)
    assert unnamed.status_code == 400
    assert unnamed.json() == {"agency": [NAME_THE_BOARD]}
    assert rows() == before
    by_header = client.post(sign, {}, format="json", HTTP_X_AGENCY=str(home.world.partner.pk))
    assert by_header.status_code == 201
    assert [x["agency"] for x in by_header.json()["signatures"]] == [home.world.partner.pk]
    by_body = client.post(sign, {"agency": home.world.lead.pk}, format="json")
    assert by_body.status_code == 201


@pytest.mark.parametrize("agency", ["abc", 99999999, "other", "competitor"])
def test_signing_for_an_agency_one_is_no_trustee_of_is_refused(agency, home, trustee):
    before = rows()
    response = tolerant(trustee).post(
        api_url("partnership-mou-sign", pk=home.consortium.pk),
        {"agency": agency_named(home.world, agency)},
        format="json",
    )
    if agency == "competitor":  # in the alliance, but not the trustee's board
        assert (response.status_code, response.json()) == (403, {"detail": mou.NOT_A_TRUSTEE})
    else:
        assert response.status_code == 400
        assert is_field_error(response.json(), "agency")
    assert rows() == before


def test_the_undertaking_is_acknowledged_once_and_again_when_it_changes(home, partner):
    client = api_as(partner)
    mou_url = api_url("partnership-mou", pk=home.consortium.pk)
    acknowledge = api_url("partnership-mou-acknowledge", pk=home.consortium.pk)
    assert client.get(mou_url).json()["acknowledged"] is False
    first = client.post(acknowledge)
    assert first.status_code == 201
    assert first.json()["partnership"] == home.consortium.pk
    assert first.json()["undertaking_digest"] == mou.digest(mou.TEMPLATE["confidentiality"])
    assert client.get(mou_url).json()["acknowledged"] is True
    before = rows()
    twice = client.post(acknowledge)
    assert twice.status_code == 409
    assert twice.json() == {"detail": mou.ALREADY_ACKNOWLEDGED}
    assert rows() == before

    draft_mou(home.consortium, confidentiality="Nothing leaves the room.")
    assert client.get(mou_url).json()["acknowledged"] is False
    assert client.post(acknowledge).status_code == 201
    # A change to another section keeps the undertaking as it was.
    draft_mou(home.consortium, confidentiality="Nothing leaves the room.", costs="By turnover.")
    assert client.get(mou_url).json()["acknowledged"] is True


def test_acknowledging_before_any_mou_is_a_409(world, chief_officer):
    network = make_partnership(world.lead, world.partner, name="Advice network")
    response = api_as(chief_officer).post(api_url("partnership-mou-acknowledge", pk=network.pk))
    assert response.status_code == 409
    assert response.json() == {"detail": mou.NO_MOU}


def test_people_of_an_invited_agency_do_not_give_the_undertaking_yet(home, competitor):
    response = api_as(competitor).post(
        api_url("partnership-mou-acknowledge", pk=home.consortium.pk)
    )
    assert response.status_code == 403
    assert response.json() == {"detail": may.GivenByMembersPeople.message}


# --- Withdrawals --------------------------------------------------------------------------------


def test_withdrawals_are_listed_with_their_status_and_no_tender_yet(home, competitor):
    network = make_partnership(home.world.lead, home.world.competitor, name="Advice network")
    ended = withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=home.world.competitor, reason="Bid"
    )
    withdrawals.withdrawal_end(actor=None, withdrawal=ended)
    client = api_as(competitor)
    listed = client.get(api_url("withdrawal-list")).json()
    assert listed["count"] == 2
    by_id = {w["id"]: w for w in listed["results"]}
    active = by_id[home.withdrawal.pk]
    assert active == {
        "id": home.withdrawal.pk,
        "agency": home.world.partner.pk,
        "partnership": home.consortium.pk,
        "tender": None,
        "declaration": None,
        "reason": "Bidding for T1",
        "starts_at": active["starts_at"],
        "ends_at": None,
        "status": "active",
    }
    assert by_id[ended.pk]["status"] == "ended"
    assert by_id[ended.pk]["ends_at"] is not None
    detail = client.get(api_url("withdrawal-detail", pk=ended.pk)).json()
    assert detail == by_id[ended.pk]

    def ids(**params: Any) -> set[int]:
        return {w["id"] for w in client.get(api_url("withdrawal-list"), params).json()["results"]}

    assert ids(status="active") == {home.withdrawal.pk}
    assert ids(status="ended") == {ended.pk}
    assert ids(agency=home.world.competitor.pk) == {ended.pk}
    assert ids(partnership=home.consortium.pk) == {home.withdrawal.pk}


def test_withdrawals_are_read_only_here(home, admin):
    client = tolerant(admin)
    before = rows()
    body = {"agency": home.world.lead.pk, "partnership": home.consortium.pk}
    assert client.post(api_url("withdrawal-list"), body, format="json").status_code == 405
    detail = api_url("withdrawal-detail", pk=home.withdrawal.pk)
    assert client.patch(detail, {"reason": "x"}, format="json").status_code == 405
    assert client.delete(detail).status_code == 405
    assert rows() == before


def test_another_alliances_withdrawal_is_hidden(world, admin):
    elsewhere = another_alliances_consortium(world)
    member = elsewhere.members.exclude(role="lead").get()
    withdrawal = withdrawals.withdrawal_start(
        actor=None, partnership=elsewhere, agency=member.agency, reason="Bid"
    )
    client = tolerant(admin)
    assert client.get(api_url("withdrawal-detail", pk=withdrawal.pk)).status_code == 404
    assert client.get(api_url("withdrawal-list")).json()["count"] == 0
    filtered = client.get(api_url("withdrawal-list"), {"partnership": elsewhere.pk})
    assert filtered.status_code == 400
    assert is_field_error(filtered.json(), "partnership")


# --- Query counts -----------------------------------------------------------------------------

# alliance, roles, held agencies; count, page; members, service areas, active withdrawals
PARTNERSHIP_LIST_QUERIES = 8


def grow(world: World, n: int) -> None:
    """n more partnerships, each with two service areas, three members and a withdrawal."""
    areas = [ServiceAreaFactory(alliance=world.alliance, name=f"Area {i}").slug for i in range(2)]
    for i in range(n):
        agency = AgencyFactory(alliance=world.alliance, name=f"Grown {i:03}")
        partnership = partnerships.partnership_propose(
            actor=chief_of(agency),
            alliance=world.alliance,
            name=f"Grown partnership {i:03}",
            kind="network",
            lead_agency=agency,
            service_areas=areas,
        )
        join(partnership, world.partner)
        partnerships.member_invite(
            actor=chief_of(agency), partnership=partnership, agency=world.competitor, role="partner"
        )
        withdrawals.withdrawal_start(
            actor=None, partnership=partnership, agency=world.partner, reason="Bid"
        )


@pytest.mark.parametrize("size", [3, 20])
def test_the_partnership_list_takes_the_same_few_queries_at_any_size(
    size, world, chief_officer, django_assert_max_num_queries
):
    grow(world, size)
    client = api_as(chief_officer)
    with django_assert_max_num_queries(PARTNERSHIP_LIST_QUERIES):
        response = client.get(api_url("partnership-list"), {"page_size": 200})
    results = response.json()["results"]
    assert len(results) == size
    assert all(p["service_areas"] == ["area-0", "area-1"] for p in results)
    assert all(
        [m["status"] for m in p["members"]] == ["active", "withdrawn", "invited"] for p in results
    )


# --- The schema -------------------------------------------------------------------------------


def test_the_schema_documents_every_partnerships_endpoint():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    base = "/api/v1/a/{alliance_slug}/"
    one = f"{base}partnerships/{{id}}/"
    member = f"{base}partnerships/{{partnership_id}}/members/{{agency_id}}/"
    assert {"get", "post"} <= set(paths[f"{base}partnerships/"])
    assert "get" in paths[one]
    assert "post" in paths[f"{one}members/"]
    for answer in ("accept", "decline", "leave"):
        assert "post" in paths[f"{member}{answer}/"]
    assert {"get", "post"} <= set(paths[f"{one}checks/"])
    assert {"get", "put"} <= set(paths[f"{one}mou/"])
    for sub in ("confirm/", "dissolve/", "mou/sign/", "mou/acknowledge/"):
        assert "post" in paths[f"{one}{sub}"]
    assert "get" in paths[f"{base}withdrawals/"]
    mou_schema = response.json()["components"]["schemas"]["Mou"]["properties"]
    assert mou_schema["contribution_amount"]["type"] == "integer"
