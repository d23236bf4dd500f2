"""The partnership, MoU and withdrawal pages under /a/<alliance-slug>/.

Each page is driven through Django's test client as one of the personas; state is built
through the services and factories only. A refused form is a 400 with the error summary; a
refused button is a 403 (not allowed) or a message (the state forbids it); either way every
table stays as it was.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kiaa.models import Agency, AuditEvent, BoardDecision, BoardVote, Role, User
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
from tests.api import row_counts
from tests.conftest import World
from tests.factories import AgencyFactory, PersonFactory, ServiceAreaFactory, grant
from tests.factories.partnerships import (
    board_of,
    chief_of,
    draft_mou,
    join,
    make_partnership,
)
from tests.pages import assert_refused_on, follow, html, page, signed_in, text

pytestmark = pytest.mark.django_db

MEMBERS = ["chief_officer", "trustee", "partner", "competitor", "arbiter", "admin"]
Status = PartnershipMember.Status


# ----------------------------------------------------------------------------- helpers


# Every table these pages could write to: counts() counts their rows.
WRITTEN = (
    AuditEvent,
    BoardDecision,
    BoardVote,
    ConfidentialityAcknowledgement,
    DueDiligenceCheck,
    MouSignature,
    MouVersion,
    Partnership,
    PartnershipMember,
    PartnershipServiceArea,
    Withdrawal,
)


def counts() -> dict[str, int]:
    return row_counts(*WRITTEN)


def status_of(partnership: Partnership, agency: Agency) -> str:
    return PartnershipMember.objects.get(partnership=partnership, agency=agency).status


def members_table(response: Any) -> dict[str, list[str]]:
    """Agency name -> the text of its row in the members table of the detail page."""
    table = re.search(
        r'<table aria-labelledby="members-heading">(.*?)</table>', html(response), re.S
    )
    assert table, "no members table"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)[1:]
    cells = [
        [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
            for c in re.findall(r"<td>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]
    return {c[0]: c[1:] for c in cells}


def partnership_data(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Northside Advice Consortium",
        "kind": "consortium",
        "service_areas": ["debt-advice"],
        "description": "For the council's advice contract.",
        **overrides,
    }


def mou_data(**overrides: Any) -> dict[str, Any]:
    return {**mou.TEMPLATE, "contribution_pounds": "500.50", "exclusive": "on", **overrides}


def all_checks_met(partnership: Partnership, by: User) -> None:
    for member in partnership.members.filter(status=Status.ACTIVE):
        for item in DueDiligenceCheck.Item.values:
            partnerships.check_record(
                actor=by, partnership=partnership, agency=member.agency, item=item, outcome="met"
            )


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def debt_advice(world: World) -> None:
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")


@pytest.fixture
def network(world: World, chief_officer: User, trustee: User, debt_advice: None) -> Partnership:
    """Lead Advice leads a network (no board approval) that Partner Housing has joined."""
    partnership = partnerships.partnership_propose(
        actor=chief_officer,
        alliance=world.alliance,
        name="Advice Network",
        kind="network",
        lead_agency=world.lead,
        service_areas=["debt-advice"],
    )
    join(partnership, world.partner)
    return partnership


@pytest.fixture
def consortium(world: World, chief_officer: User, trustee: User) -> Partnership:
    """A consortium (joins need the board) of Lead Advice and Partner Housing."""
    return make_partnership(world.lead, world.partner, kind="consortium", name="Debt Consortium")


@pytest.fixture
def partner_chief(world: World) -> User:
    # Chief officer of Partner Housing: answers for it in partnerships.
    return chief_of(world.partner)


@pytest.fixture
def partner_trustee(world: World) -> User:
    # Trustee of Partner Housing: signs MoUs for it.
    return board_of(world.partner)[0]


# ----------------------------------------------------------------------------- the list


@pytest.mark.parametrize("persona", MEMBERS)
def test_partnership_list_shows_every_partnership_to_every_member(
    client: Client, request: pytest.FixtureRequest, network: Partnership, persona: str
):
    response = signed_in(client, request.getfixturevalue(persona)).get(page("partnerships"))
    assert response.status_code == 200
    words = text(response)
    assert "Advice Network" in words
    assert "Network" in words
    assert "Lead Advice — Lead, Active" in words
    assert "Partner Housing — Partner, Active" in words
    assert "Debt advice" in words
    assert f'href="{page("partnership-detail", pk=network.pk)}"' in html(response)


def test_partnership_list_shows_a_member_in_a_withdrawal_as_withdrawn(
    client: Client, world: World, network: Partnership, partner: User
):
    withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.partner, reason="Bidding for the contract"
    )
    response = signed_in(client, partner).get(page("partnerships"))
    assert "Partner Housing — Partner, Withdrawn" in text(response)


@pytest.mark.parametrize(
    ("persona", "may_propose"),
    [
        ("chief_officer", True),
        ("competitor", True),
        ("trustee", False),
        ("partner", False),
        ("arbiter", False),
        ("admin", False),
    ],
)
def test_only_chief_officers_are_offered_to_propose_a_partnership(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str, may_propose: bool
):
    user = request.getfixturevalue(persona)
    response = signed_in(client, user).get(page("partnerships"))
    assert ("Propose a partnership" in html(response)) is may_propose
    assert (signed_in(client, user).get(page("partnership-propose")).status_code == 200) is (
        may_propose
    )


@pytest.mark.parametrize("size", [3, 30])
def test_partnership_list_makes_the_same_queries_at_any_size(
    client: Client,
    world: World,
    chief_officer: User,
    partner: User,
    debt_advice: None,
    django_assert_max_num_queries: Any,
    size: int,
):
    for n in range(size):
        partnership = make_partnership(world.lead, world.partner, name=f"Network {n:02d}")
        if n % 3 == 0:
            withdrawals.withdrawal_start(
                actor=None, partnership=partnership, agency=world.partner, reason="Bidding"
            )
    signed_in(client, partner)
    with django_assert_max_num_queries(11):
        response = client.get(page("partnerships"))
    assert response.status_code == 200
    assert html(response).count("Partner Housing — Partner") == size


# ----------------------------------------------------------------------------- proposing


def test_chief_officer_proposes_a_partnership_led_by_their_agency(
    client: Client, world: World, chief_officer: User, debt_advice: None
):
    board_of(world.lead)
    signed_in(client, chief_officer)
    response = client.post(page("partnership-propose"), partnership_data())
    partnership = Partnership.objects.get(name="Northside Advice Consortium")
    assert response.url == page("partnership-detail", pk=partnership.pk)
    assert partnership.lead_agency == world.lead
    assert partnership.kind == "consortium"
    assert [a.slug for a in partnership.service_areas.all()] == ["debt-advice"]
    # A consortium: the lead's own board approves its joining.
    assert status_of(partnership, world.lead) == Status.AWAITING_BOARD
    assert "Northside Advice Consortium is proposed." in html(follow(client, response))


@pytest.mark.parametrize("persona", ["trustee", "partner", "admin"])
def test_people_who_are_not_chief_officers_cannot_propose(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str, debt_advice: None
):
    signed_in(client, request.getfixturevalue(persona))
    before = counts()
    assert client.post(page("partnership-propose"), partnership_data()).status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"kind": "cartel"}, "kind", "Select a valid choice."),
        ({"service_areas": ["astrology"]}, "service_areas", "Select a valid choice."),
        ({"name": "advice network"}, "name", partnerships.NAME_TAKEN),
    ],
)
def test_a_bad_proposal_is_refused_with_the_reason_and_nothing_is_written(
    client: Client,
    network: Partnership,
    chief_officer: User,
    overrides: dict[str, Any],
    field: str,
    message: str,
):
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("partnership-propose"), partnership_data(**overrides)
    )
    assert_refused_on(response, field, message)
    assert counts() == before


def test_a_proposal_the_lead_board_is_too_small_to_decide_is_refused(
    client: Client, world: World, chief_officer: User, debt_advice: None
):
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("partnership-propose"), partnership_data()
    )
    assert_refused_on(response, None, "invite the rest of the board first")
    assert counts() == before


# ----------------------------------------------------------------------------- the detail page


@pytest.mark.parametrize("persona", MEMBERS)
def test_partnership_page_shows_members_areas_checks_and_mou_to_every_member(
    client: Client, request: pytest.FixtureRequest, network: Partnership, persona: str
):
    draft_mou(network)
    response = signed_in(client, request.getfixturevalue(persona)).get(
        page("partnership-detail", pk=network.pk)
    )
    assert response.status_code == 200
    members = members_table(response)
    assert members["Lead Advice"][:2] == ["Lead", "Active"]
    assert members["Partner Housing"][:2] == ["Partner", "Active"]
    words = text(response)
    assert "Debt advice" in words
    assert "Version 1, saved" in words
    assert "Not yet signed for: Lead Advice, Partner Housing." in words
    if persona in ("competitor", "admin"):
        # The vetting of members is for the partnership's agencies and the arbiter: others are
        # told so rather than shown every check as missing.
        assert "open only to the partnership's member agencies and the arbiter" in words
        assert "Safeguarding policy" not in words
    else:
        assert "Safeguarding policy Missing" in words


def test_partnership_page_marks_a_member_in_an_active_withdrawal_and_lists_withdrawals(
    client: Client, world: World, network: Partnership, partner: User
):
    ended = withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.lead, reason="An earlier tender"
    )
    withdrawals.withdrawal_end(actor=None, withdrawal=ended)
    withdrawals.withdrawal_start(
        actor=None,
        partnership=network,
        agency=world.partner,
        reason="Bidding for the debt contract",
    )
    response = signed_in(client, partner).get(page("partnership-detail", pk=network.pk))
    members = members_table(response)
    assert members["Partner Housing"][1] == "Withdrawn"
    assert members["Lead Advice"][1] == "Active"
    words = text(response)
    # The active withdrawal first, then the ended one.
    assert words.index("Bidding for the debt contract") < words.index("An earlier tender")


def test_partnership_page_lists_each_check_with_who_checked_and_when(
    client: Client, world: World, network: Partnership, chief_officer: User, partner: User
):
    partnerships.check_record(
        actor=chief_officer,
        partnership=network,
        agency=world.partner,
        item="safeguarding",
        outcome="not_met",
        note="Policy out of date",
    )
    response = signed_in(client, partner).get(page("partnership-detail", pk=network.pk))
    words = text(response)
    assert f"Safeguarding policy Not met {chief_officer}" in words
    assert "Policy out of date" in words
    assert f"{timezone.localtime():%-d %b %Y}" in words


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("chief_officer", {"Invite an agency", "Record a check", "Edit the MoU", "Dissolve the"}),
        ("partner_chief", {"Leave"}),
        ("trustee", set()),
        ("partner", set()),
        ("competitor", set()),
        ("admin", set()),
    ],
)
def test_partnership_page_offers_each_person_only_the_actions_they_may_take(
    client: Client,
    request: pytest.FixtureRequest,
    network: Partnership,
    persona: str,
    offered: set[str],
):
    response = signed_in(client, request.getfixturevalue(persona)).get(
        page("partnership-detail", pk=network.pk)
    )
    content = html(response)
    actions = {"Invite an agency", "Record a check", "Edit the MoU", "Dissolve the", "Leave"}
    assert {a for a in actions if f">{a}" in content} == offered


def test_a_partnership_of_another_alliance_is_a_404_on_every_page(
    client: Client, world: World, admin: User, outsider: User
):
    elsewhere = make_partnership(world.other_agency, name="Elsewhere Network")
    signed_in(client, admin)
    for name in (
        "partnership-detail",
        "partnership-mou",
        "partnership-invite",
        "partnership-check",
    ):
        assert client.get(page(name, pk=elsewhere.pk)).status_code == 404
    for name in ("partnership-confirm", "partnership-dissolve", "partnership-mou-acknowledge"):
        assert client.post(page(name, pk=elsewhere.pk)).status_code == 404
    assert Partnership.objects.get(pk=elsewhere.pk).status == "forming"


def test_outsider_sees_none_of_the_partnership_pages(
    client: Client, network: Partnership, outsider: User
):
    signed_in(client, outsider)
    for url in (
        page("partnerships"),
        page("withdrawals"),
        page("partnership-detail", pk=network.pk),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "Advice Network" not in html(response)


# ----------------------------------------------------------------------------- invitations


def test_lead_invites_an_agency_and_its_chief_officer_accepts(
    client: Client, world: World, network: Partnership, chief_officer: User, competitor: User
):
    signed_in(client, chief_officer)
    form = client.get(page("partnership-invite", pk=network.pk))
    # Agencies already in the partnership are not offered.
    assert f'<option value="{world.partner.pk}"' not in html(form)
    response = client.post(
        page("partnership-invite", pk=network.pk),
        {"agency": world.competitor.pk, "role": "subcontractor"},
    )
    assert "Rival Debt Line is invited" in html(follow(client, response))
    assert status_of(network, world.competitor) == Status.INVITED

    signed_in(client, competitor)
    detail = client.get(page("partnership-detail", pk=network.pk))
    accept = page("partnership-member-accept", pk=network.pk, agency_id=world.competitor.pk)
    assert f'action="{accept}"' in html(detail)
    response = client.post(accept)
    assert response.url == page("partnership-detail", pk=network.pk)
    assert "Rival Debt Line has joined Advice Network." in html(follow(client, response))
    assert status_of(network, world.competitor) == Status.ACTIVE


@pytest.mark.parametrize("persona", ["trustee", "partner", "partner_chief", "admin"])
def test_only_the_lead_chief_officer_may_invite(
    client: Client, request: pytest.FixtureRequest, world: World, network: Partnership, persona: str
):
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(page("partnership-invite", pk=network.pk)).status_code == 403
    before = counts()
    response = client.post(
        page("partnership-invite", pk=network.pk),
        {"agency": world.competitor.pk, "role": "partner"},
    )
    assert response.status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"agency": ""}, "agency"),
        ({"agency": "partner-of-record", "role": "partner"}, "agency"),
        ({"role": "lead"}, "role"),
    ],
)
def test_a_bad_invitation_is_refused_and_nothing_is_written(
    client: Client, world: World, network: Partnership, chief_officer: User, data: dict, field: str
):
    data = {"agency": world.competitor.pk, **data}
    if data["agency"] == "partner-of-record":
        data["agency"] = world.partner.pk  # already a member: not a choice
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("partnership-invite", pk=network.pk), data
    )
    assert_refused_on(response, field)
    assert counts() == before


def test_invited_agency_declines(
    client: Client, world: World, network: Partnership, chief_officer: User, competitor: User
):
    partnerships.member_invite(
        actor=chief_officer, partnership=network, agency=world.competitor, role="partner"
    )
    response = signed_in(client, competitor).post(
        page("partnership-member-decline", pk=network.pk, agency_id=world.competitor.pk)
    )
    assert "Rival Debt Line has declined" in html(follow(client, response))
    assert status_of(network, world.competitor) == Status.DECLINED


@pytest.mark.parametrize("action", ["accept", "decline"])
@pytest.mark.parametrize("persona", ["chief_officer", "partner_chief", "trustee"])
def test_only_the_invited_agencys_chief_officer_answers_for_it(
    client: Client,
    request: pytest.FixtureRequest,
    world: World,
    network: Partnership,
    chief_officer: User,
    action: str,
    persona: str,
):
    partnerships.member_invite(
        actor=chief_officer, partnership=network, agency=world.competitor, role="partner"
    )
    signed_in(client, request.getfixturevalue(persona))
    before = counts()
    url = page(f"partnership-member-{action}", pk=network.pk, agency_id=world.competitor.pk)
    assert client.post(url).status_code == 403
    assert counts() == before
    assert status_of(network, world.competitor) == Status.INVITED


def test_an_agency_that_holds_no_place_is_a_404_in_member_urls(
    client: Client, world: World, network: Partnership, competitor: User
):
    signed_in(client, competitor)
    for action in ("accept", "decline", "leave"):
        url = page(f"partnership-member-{action}", pk=network.pk, agency_id=world.competitor.pk)
        assert client.post(url).status_code == 404
        assert client.get(url).status_code == 404
    other = page("partnership-member-accept", pk=network.pk, agency_id=world.other_agency.pk)
    assert client.post(other).status_code == 404


def test_accepting_twice_is_refused_with_a_message(
    client: Client, world: World, network: Partnership, partner_chief: User
):
    before = counts()
    response = signed_in(client, partner_chief).post(
        page("partnership-member-accept", pk=network.pk, agency_id=world.partner.pk)
    )
    assert "This agency is active; it cannot become accepted." in html(follow(client, response))
    assert counts() == before


# ----------------------------------------------------------------------------- leaving


def test_a_member_leaves_through_its_chief_officer(
    client: Client, world: World, network: Partnership, partner_chief: User
):
    url = page("partnership-member-leave", pk=network.pk, agency_id=world.partner.pk)
    before = counts()
    confirmation = signed_in(client, partner_chief).post(url)
    assert confirmation.status_code == 200
    assert "Partner Housing leaves Advice Network now." in text(confirmation)
    assert counts() == before
    response = client.post(url, {"confirmed": "on"})
    assert "Partner Housing has left Advice Network." in html(follow(client, response))
    assert status_of(network, world.partner) == Status.LEFT


def test_the_lead_cannot_leave_and_is_told_to_dissolve_instead(
    client: Client, world: World, network: Partnership, chief_officer: User
):
    detail = signed_in(client, chief_officer).get(page("partnership-detail", pk=network.pk))
    assert ">Leave" not in html(detail)
    before = counts()
    url = page("partnership-member-leave", pk=network.pk, agency_id=world.lead.pk)
    refused = client.post(url)
    assert partnerships.LEAD_CANNOT_LEAVE in text(refused)
    assert 'name="confirmed"' not in html(refused)  # nothing to confirm
    response = client.post(url, {"confirmed": "on"})
    assert partnerships.LEAD_CANNOT_LEAVE in html(follow(client, response))
    assert counts() == before


@pytest.mark.parametrize("persona", ["chief_officer", "partner", "competitor"])
def test_no_one_else_can_take_an_agency_out(
    client: Client, request: pytest.FixtureRequest, world: World, network: Partnership, persona: str
):
    user = request.getfixturevalue(persona)
    before = counts()
    response = signed_in(client, user).post(
        page("partnership-member-leave", pk=network.pk, agency_id=world.partner.pk)
    )
    assert response.status_code == 403
    assert counts() == before


def test_leaving_a_consortium_waits_for_the_board(
    client: Client, world: World, consortium: Partnership, partner_chief: User
):
    url = page("partnership-member-leave", pk=consortium.pk, agency_id=world.partner.pk)
    confirmation = signed_in(client, partner_chief).get(url)
    assert "Partner Housing's trustee board is asked whether it leaves" in text(confirmation)
    response = client.post(url, {"confirmed": "on"})
    assert "trustee board now decides whether it leaves" in html(follow(client, response))
    assert status_of(consortium, world.partner) == Status.LEAVING
    detail = client.get(page("partnership-detail", pk=consortium.pk))
    assert "Partner Housing's trustee board is deciding on leaving this partnership." in text(
        detail
    )


# ----------------------------------------------------------------------------- joining with the board


def test_joining_a_consortium_goes_through_the_board_end_to_end(
    client: Client, world: World, chief_officer: User, trustee: User
):
    consortium = make_partnership(world.lead, kind="consortium", name="Debt Consortium")
    partner_trustees = board_of(world.partner)
    partner_chief = chief_of(world.partner)

    # The lead's chief officer invites Partner Housing through the page.
    signed_in(client, chief_officer).post(
        page("partnership-invite", pk=consortium.pk),
        {"agency": world.partner.pk, "role": "partner"},
    )
    # Its chief officer accepts: the question goes to its trustee board.
    signed_in(client, partner_chief)
    response = client.post(
        page("partnership-member-accept", pk=consortium.pk, agency_id=world.partner.pk)
    )
    assert "trustee board now decides whether it joins" in html(follow(client, response))
    assert status_of(consortium, world.partner) == Status.AWAITING_BOARD
    decision = BoardDecision.objects.get(agency=world.partner, status="open")

    # Each trustee finds the question on the partnership page and votes on the decision page.
    for n, person in enumerate(partner_trustees):
        signed_in(client, person)
        detail = client.get(page("partnership-detail", pk=consortium.pk))
        assert f'href="{page("decision-detail", pk=decision.pk)}"' in html(detail)
        voted = client.post(
            page("decision-detail", pk=decision.pk),
            {"decision": "approve", "note": f"Yes {n}", "confirm": "yes"},
        )
        assert voted.status_code == 302
        if n == 0:
            assert status_of(consortium, world.partner) == Status.AWAITING_BOARD
    assert "The board's decision: approved." in text(client.get(voted.url))
    assert status_of(consortium, world.partner) == Status.ACTIVE
    detail = client.get(page("partnership-detail", pk=consortium.pk))
    assert members_table(detail)["Partner Housing"][1] == "Active"
    assert "No board is deciding anything about this partnership." in html(detail)


# ----------------------------------------------------------------------------- checks and confirming


def test_the_lead_records_a_check_through_the_form(
    client: Client, world: World, network: Partnership, chief_officer: User
):
    signed_in(client, chief_officer)
    response = client.post(
        page("partnership-check", pk=network.pk),
        {
            "agency": world.partner.pk,
            "item": "governance",
            "outcome": "met",
            "note": "Board minutes seen",
        },
    )
    assert "Governance for Partner Housing: Met." in html(follow(client, response))
    check = DueDiligenceCheck.objects.get(partnership=network, agency=world.partner)
    assert (check.item, check.outcome, check.checked_by) == ("governance", "met", chief_officer)


def test_the_lead_agencys_staff_may_record_checks_too(
    client: Client, world: World, network: Partnership
):
    staff = PersonFactory()
    grant(staff, Role.STAFF, world.lead)
    response = signed_in(client, staff).post(
        page("partnership-check", pk=network.pk),
        {"agency": world.partner.pk, "item": "safeguarding", "outcome": "not_met"},
    )
    assert response.status_code == 302
    assert DueDiligenceCheck.objects.get(partnership=network).outcome == "not_met"


@pytest.mark.parametrize("persona", ["trustee", "partner", "partner_chief", "admin"])
def test_people_outside_the_lead_agency_cannot_record_checks(
    client: Client, request: pytest.FixtureRequest, world: World, network: Partnership, persona: str
):
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(page("partnership-check", pk=network.pk)).status_code == 403
    before = counts()
    response = client.post(
        page("partnership-check", pk=network.pk),
        {"agency": world.partner.pk, "item": "governance", "outcome": "met"},
    )
    assert response.status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"item": "horoscope"}, "item"),
        ({"agency": ""}, "agency"),
    ],
)
def test_a_bad_check_is_refused_and_nothing_is_written(
    client: Client,
    world: World,
    network: Partnership,
    chief_officer: User,
    overrides: dict,
    field: str,
):
    data = {"agency": world.partner.pk, "item": "governance", "outcome": "met", **overrides}
    before = counts()
    response = signed_in(client, chief_officer).post(page("partnership-check", pk=network.pk), data)
    assert_refused_on(response, field)
    assert counts() == before


def test_a_consortium_with_missing_checks_lists_them_and_cannot_be_confirmed(
    client: Client, world: World, consortium: Partnership, chief_officer: User
):
    partnerships.check_record(
        actor=chief_officer,
        partnership=consortium,
        agency=world.lead,
        item="governance",
        outcome="met",
    )
    signed_in(client, chief_officer)
    detail = client.get(page("partnership-detail", pk=consortium.pk))
    missing = re.search(r'<ul id="missing-checks">(.*?)</ul>', html(detail), re.S)
    assert missing, "the missing checks are not listed"
    listed = re.findall(r"<li>(.*?)</li>", missing.group(1))
    assert listed == partnerships.missing_checks(consortium)
    assert "Lead Advice — safeguarding policy" in listed
    assert "Lead Advice — governance" not in listed
    assert "Partner Housing — governance" in listed
    assert "Confirm the partnership" not in html(detail)

    before = counts()
    response = client.post(page("partnership-confirm", pk=consortium.pk))
    refused = html(follow(client, response))
    assert partnerships.CHECKS_MISSING.format(missing="; ".join(listed)) in unescape(refused)
    assert counts() == before
    assert Partnership.objects.get(pk=consortium.pk).status == "forming"


def test_a_vetted_consortium_is_confirmed_by_its_lead(
    client: Client, consortium: Partnership, chief_officer: User
):
    all_checks_met(consortium, chief_officer)
    signed_in(client, chief_officer)
    detail = client.get(page("partnership-detail", pk=consortium.pk))
    assert "Confirm the partnership" in html(detail)
    response = client.post(page("partnership-confirm", pk=consortium.pk))
    assert "Debt Consortium is confirmed." in html(follow(client, response))
    assert Partnership.objects.get(pk=consortium.pk).status == "confirmed"


def test_a_partnership_of_one_says_it_needs_a_second_member(
    client: Client, world: World, chief_officer: User
):
    alone = make_partnership(world.lead, name="Solo")
    detail = signed_in(client, chief_officer).get(page("partnership-detail", pk=alone.pk))
    assert "needs at least two active members to be confirmed" in html(detail)


@pytest.mark.parametrize("persona", ["trustee", "partner_chief", "competitor", "admin"])
@pytest.mark.parametrize("action", ["confirm", "dissolve"])
def test_only_the_lead_chief_officer_confirms_or_dissolves(
    client: Client,
    request: pytest.FixtureRequest,
    network: Partnership,
    persona: str,
    action: str,
):
    user = request.getfixturevalue(persona)
    before = counts()
    response = signed_in(client, user).post(page(f"partnership-{action}", pk=network.pk))
    assert response.status_code == 403
    assert counts() == before


def test_the_lead_dissolves_a_partnership_and_its_members_leave(
    client: Client, world: World, network: Partnership, chief_officer: User
):
    url = page("partnership-dissolve", pk=network.pk)
    confirmation = signed_in(client, chief_officer).post(url)
    assert "Every member leaves it now: Lead Advice, Partner Housing." in text(confirmation)
    assert Partnership.objects.get(pk=network.pk).status == "forming"
    detail = follow(client, client.post(url, {"confirmed": "on"}))
    assert "Advice Network is dissolved; its members have left." in html(detail)
    assert Partnership.objects.get(pk=network.pk).status == "dissolved"
    assert status_of(network, world.partner) == Status.LEFT
    assert ">Dissolve the partnership" not in html(detail)
    assert ">Invite an agency" not in html(detail)


# ----------------------------------------------------------------------------- the MoU


@pytest.mark.parametrize("persona", MEMBERS)
def test_mou_page_shows_the_current_text_contribution_and_signatures(
    client: Client,
    request: pytest.FixtureRequest,
    world: World,
    network: Partnership,
    trustee: User,
    persona: str,
):
    draft_mou(network, costs="Shared equally between members.")
    mou.mou_sign(actor=trustee, partnership=network, agency=world.lead)
    response = signed_in(client, request.getfixturevalue(persona)).get(
        page("partnership-mou", pk=network.pk)
    )
    assert response.status_code == 200
    words = text(response)
    for heading in (
        "Confidentiality",
        "Due diligence and risk",
        "Transparency",
        "Costs",
        "Governance approval",
        "Exclusivity",
    ):
        assert f"<h2>{heading}</h2>" in html(response)
    assert "Shared equally between members." in words
    assert "Contribution per member £500.00" in words
    assert "Exclusive Yes" in words
    assert f"Lead Advice {trustee}" in words
    assert "Still to sign: Partner Housing." in words


def test_mou_page_without_an_mou_says_so_and_offers_the_lead_a_draft(
    client: Client, network: Partnership, chief_officer: User, partner: User
):
    as_partner = signed_in(Client(), partner).get(page("partnership-mou", pk=network.pk))
    assert "This partnership has no MoU yet." in html(as_partner)
    assert "Draft the MoU" not in html(as_partner)
    as_lead = signed_in(client, chief_officer).get(page("partnership-mou", pk=network.pk))
    assert "Draft the MoU from the template" in html(as_lead)


def test_the_mou_form_starts_from_the_template_and_saves_pounds_as_pence(
    client: Client, network: Partnership, chief_officer: User
):
    signed_in(client, chief_officer)
    form = html(client.get(page("partnership-mou-edit", pk=network.pk)))
    assert mou.TEMPLATE["exclusivity"] in form
    assert "the alliance's template" in form
    response = client.post(page("partnership-mou-edit", pk=network.pk), mou_data())
    assert response.url == page("partnership-mou", pk=network.pk)
    version = MouVersion.objects.get(partnership=network)
    assert (version.number, version.contribution_pence, version.exclusive) == (1, 50050, True)
    assert "Version 1 saved" in html(follow(client, response))


def test_changing_the_mou_makes_a_new_version_that_must_be_signed_again(
    client: Client,
    world: World,
    network: Partnership,
    chief_officer: User,
    trustee: User,
    partner_trustee: User,
):
    draft_mou(network)
    mou.mou_sign(actor=trustee, partnership=network, agency=world.lead)
    mou.mou_sign(actor=partner_trustee, partnership=network, agency=world.partner)
    signed_in(client, chief_officer)
    form = html(client.get(page("partnership-mou-edit", pk=network.pk)))
    assert 'value="500.00"' in form  # the current contribution, in pounds
    assert "Saving makes version 2" in form
    response = client.post(
        page("partnership-mou-edit", pk=network.pk),
        mou_data(contribution_pounds="750", costs="Costs are shared by size."),
    )
    mou_page = follow(client, response)
    words = text(mou_page)
    assert "Version 2, saved" in words
    assert "Contribution per member £750.00" in words
    assert "No member has signed this version yet." in words
    assert "Still to sign: Lead Advice, Partner Housing." in words
    assert MouVersion.objects.filter(partnership=network).count() == 2
    # The history keeps version 1 and who signed it.
    history = re.search(
        r'<table aria-labelledby="history-heading">(.*?)</table>', html(mou_page), re.S
    )
    assert history and "Lead Advice, Partner Housing" in history.group(1)


def test_saving_an_unchanged_mou_is_refused(
    client: Client, network: Partnership, chief_officer: User
):
    draft_mou(network)
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("partnership-mou-edit", pk=network.pk), mou_data(contribution_pounds="500.00")
    )
    assert_refused_on(response, None, mou.UNCHANGED)
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"confidentiality": "  "}, "confidentiality"),
        ({"contribution_pounds": "-1"}, "contribution_pounds"),
        ({"contribution_pounds": "12.345"}, "contribution_pounds"),
        ({"contribution_pounds": "lots"}, "contribution_pounds"),
    ],
)
def test_a_bad_mou_is_refused_and_nothing_is_written(
    client: Client, network: Partnership, chief_officer: User, overrides: dict, field: str
):
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("partnership-mou-edit", pk=network.pk), mou_data(**overrides)
    )
    assert_refused_on(response, field)
    assert counts() == before


@pytest.mark.parametrize("persona", ["trustee", "partner_chief", "partner", "admin"])
def test_only_the_lead_chief_officer_edits_the_mou(
    client: Client, request: pytest.FixtureRequest, network: Partnership, persona: str
):
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(page("partnership-mou-edit", pk=network.pk)).status_code == 403
    before = counts()
    assert client.post(page("partnership-mou-edit", pk=network.pk), mou_data()).status_code == 403
    assert counts() == before


def test_a_trustee_signs_the_mou_for_their_agency(
    client: Client, world: World, network: Partnership, partner_trustee: User
):
    draft_mou(network)
    signed_in(client, partner_trustee)
    mou_page = html(client.get(page("partnership-mou", pk=network.pk)))
    assert "Sign version 1 for Partner Housing" in mou_page
    assert "Sign version 1 for Lead Advice" not in mou_page
    response = client.post(
        page("partnership-mou-sign", pk=network.pk), {"agency": world.partner.pk}
    )
    after = follow(client, response)
    assert "You signed version 1 for Partner Housing." in html(after)
    assert "Sign version 1 for" not in html(after)
    signature = MouSignature.objects.get()
    assert (signature.agency, signature.signed_by) == (world.partner, partner_trustee)


def test_a_trustee_of_two_member_agencies_chooses_which_to_sign_for(
    client: Client, world: World, network: Partnership, partner_trustee: User
):
    draft_mou(network)
    grant(partner_trustee, Role.TRUSTEE, world.lead)
    signed_in(client, partner_trustee)
    mou_page = html(client.get(page("partnership-mou", pk=network.pk)))
    assert "Sign version 1 for Lead Advice" in mou_page
    assert "Sign version 1 for Partner Housing" in mou_page
    client.post(page("partnership-mou-sign", pk=network.pk), {"agency": world.lead.pk})
    assert list(MouSignature.objects.values_list("agency", flat=True)) == [world.lead.pk]


def test_signing_twice_is_refused_with_the_reason(
    client: Client, world: World, network: Partnership, trustee: User
):
    draft_mou(network)
    mou.mou_sign(actor=trustee, partnership=network, agency=world.lead)
    before = counts()
    response = signed_in(client, trustee).post(
        page("partnership-mou-sign", pk=network.pk), {"agency": world.lead.pk}
    )
    assert_refused_on(response, None, mou.ALREADY_SIGNED)
    assert counts() == before


def test_signing_before_there_is_an_mou_is_refused(
    client: Client, world: World, network: Partnership, trustee: User
):
    before = counts()
    response = signed_in(client, trustee).post(
        page("partnership-mou-sign", pk=network.pk), {"agency": world.lead.pk}
    )
    assert_refused_on(response, None, mou.NO_MOU)
    assert counts() == before


@pytest.mark.parametrize("persona", ["chief_officer", "partner", "competitor", "admin"])
def test_only_a_trustee_of_a_member_agency_signs(
    client: Client, request: pytest.FixtureRequest, world: World, network: Partnership, persona: str
):
    draft_mou(network)
    user = request.getfixturevalue(persona)
    before = counts()
    response = signed_in(client, user).post(
        page("partnership-mou-sign", pk=network.pk), {"agency": world.lead.pk}
    )
    assert response.status_code == 403
    assert counts() == before


def test_a_trustee_cannot_sign_for_a_member_agency_that_is_not_theirs(
    client: Client, world: World, network: Partnership, trustee: User
):
    draft_mou(network)
    before = counts()
    response = signed_in(client, trustee).post(
        page("partnership-mou-sign", pk=network.pk), {"agency": world.partner.pk}
    )
    assert_refused_on(response, "agency")
    assert counts() == before


# ----------------------------------------------------------------------------- the undertaking


def test_a_member_accepts_the_undertaking_and_the_page_says_so(
    client: Client, network: Partnership, partner: User
):
    draft_mou(network)
    signed_in(client, partner)
    before = html(client.get(page("partnership-mou", pk=network.pk)))
    assert "You have not accepted the current confidentiality undertaking." in before
    assert "commercially sensitive papers stay hidden from you until you do" in before
    response = client.post(page("partnership-mou-acknowledge", pk=network.pk))
    assert response.url == page("partnership-mou", pk=network.pk)
    after = html(follow(client, response))
    assert "You have accepted the confidentiality undertaking." in after
    assert "You have accepted the current confidentiality undertaking." in after
    assert "I accept the confidentiality undertaking" not in after
    assert ConfidentialityAcknowledgement.objects.filter(person=partner).count() == 1


def test_a_changed_undertaking_asks_again(client: Client, network: Partnership, partner: User):
    draft_mou(network)
    network.refresh_from_db()
    mou.undertaking_acknowledge(actor=partner, partnership=network)
    draft_mou(network, confidentiality="Nothing leaves the partnership, ever.")
    response = signed_in(client, partner).get(page("partnership-mou", pk=network.pk))
    assert "You have not accepted the current confidentiality undertaking." in html(response)


def test_accepting_the_undertaking_twice_is_refused_with_a_message(
    client: Client, network: Partnership, partner: User
):
    draft_mou(network)
    network.refresh_from_db()
    mou.undertaking_acknowledge(actor=partner, partnership=network)
    before = counts()
    response = signed_in(client, partner).post(page("partnership-mou-acknowledge", pk=network.pk))
    assert mou.ALREADY_ACKNOWLEDGED in html(follow(client, response))
    assert counts() == before


@pytest.mark.parametrize("persona", ["competitor", "arbiter", "admin"])
def test_people_outside_the_partnership_give_no_undertaking(
    client: Client, request: pytest.FixtureRequest, network: Partnership, persona: str
):
    draft_mou(network)
    user = request.getfixturevalue(persona)
    mou_page = html(signed_in(client, user).get(page("partnership-mou", pk=network.pk)))
    assert "I accept the confidentiality undertaking" not in mou_page
    before = counts()
    assert client.post(page("partnership-mou-acknowledge", pk=network.pk)).status_code == 403
    assert counts() == before


# ----------------------------------------------------------------------------- withdrawals


@pytest.mark.parametrize("persona", MEMBERS)
def test_withdrawals_page_lists_every_withdrawal_active_first(
    client: Client, request: pytest.FixtureRequest, world: World, network: Partnership, persona: str
):
    earlier = withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.lead, reason="Housing tender 2024"
    )
    withdrawals.withdrawal_end(actor=None, withdrawal=earlier)
    withdrawals.withdrawal_start(
        actor=None,
        partnership=network,
        agency=world.partner,
        reason="Debt advice tender",
        ends_at=timezone.now() + timedelta(days=60),
    )
    response = signed_in(client, request.getfixturevalue(persona)).get(page("withdrawals"))
    assert response.status_code == 200
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>.*?</tr>", html(response), re.S)
    assert rows == ["Partner Housing", "Lead Advice"]
    words = text(response)
    assert "Partner Housing Advice Network Debt advice tender" in words
    assert "Lead Advice Advice Network Housing tender 2024" in words
    assert "Ended" in words


def test_withdrawals_page_with_none_says_so(client: Client, world: World, partner: User):
    response = signed_in(client, partner).get(page("withdrawals"))
    assert "No agency has withdrawn from a partnership." in html(response)


# ----------------------------------------------------------------------------- navigation


@pytest.mark.parametrize("persona", MEMBERS)
def test_main_navigation_links_partnerships_and_withdrawals_for_every_member(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str
):
    response = signed_in(client, request.getfixturevalue(persona)).get(page("partnerships"))
    nav = re.search(r'<nav aria-label="Main"[^>]*>(.*?)</nav>', html(response), re.S)
    assert nav
    assert f'<a href="{page("partnerships")}" aria-current="page">Partnerships</a>' in nav.group(1)
    assert f'href="{page("withdrawals")}"' in nav.group(1)


def test_a_second_agency_chosen_as_acting_agency_leads_what_its_chief_proposes(
    client: Client, world: World, chief_officer: User, debt_advice: None
):
    other = AgencyFactory(alliance=world.alliance, name="Second Advice")
    grant(chief_officer, Role.CHIEF_OFFICER, other)
    signed_in(client, chief_officer)
    client.post(page("acting-agency"), {"agency": other.pk})
    client.post(page("partnership-propose"), partnership_data(kind="network"))
    assert Partnership.objects.get().lead_agency == other
