"""The dashboard a person lands on: a panel for each role they hold in the alliance.

A chief officer sees their agency's declarations and where each board stands, their
partnerships and the withdrawals in force, what is due this month and the disputes they are in;
a trustee the questions waiting for their vote with what the rules found; the arbiter the queue
by stage, the overdue said in words; an admin the alliance's counts and their exports. A new
person is told what to do next in each panel, nobody sees another agency's hidden bid, and the
page costs the same queries at any size.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bids import selectors as bids_selectors
from bids.models import Declaration, Tender
from bids.services import declarations
from disputes.models import Breach
from disputes.services import disputes, reviews
from kiaa.dashboard import SHOWN, month_of, state_of
from kiaa.models import Agency, BoardDecision, Role, User
from kiaa.reminders import Due
from kiaa.services import protocol, reports
from kiaa.services.decisions import decision_vote
from tests.conftest import World
from tests.disputes import story as stories
from tests.factories import grant
from tests.factories.bids import bid_paper, declare, draft, make_tender
from tests.factories.partnerships import board_of, chief_of, debt_advice_network
from tests.kiaa.report_kind import NAME as PEOPLE_REPORT
from tests.pages import html, page, signed_in, text

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- helpers


def dashboard(client: Client, user: User) -> Any:
    response = signed_in(client, user).get(page("dashboard"))
    assert response.status_code == 200
    return response


def panel(response: Any, heading_id: str) -> str:
    """The words of the panel labelled by that heading; fails if the page has no such panel."""
    found = re.search(
        rf'<section aria-labelledby="{heading_id}"[^>]*>(.*?)</section>', html(response), re.S
    )
    assert found, f"the dashboard has no panel {heading_id}"
    return text_of(found.group(1))


def text_of(fragment: str) -> str:
    class Fake:
        content = fragment.encode()

    return text(Fake())


def has_panel(response: Any, heading_id: str) -> bool:
    return f'aria-labelledby="{heading_id}"' in html(response)


def this_month() -> Any:
    """A moment later this month (so a deadline on it is due this month, whatever today is)."""
    now = timezone.now()
    _, end = month_of(timezone.localdate(now))
    return now + (end - now) / 2


def awaiting_board(tender: Tender, agency: Agency) -> Declaration:
    """The agency's chief officer puts a draft declaration to its trustee board."""
    declaration = draft(tender, agency)
    return declarations.declaration_submit_for_approval(
        actor=chief_of(agency), declaration=declaration
    )


def question_of(declaration: Declaration) -> BoardDecision:
    return BoardDecision.objects.get(
        subject_type=declarations.SUBJECT, subject_id=declaration.pk, status="open"
    )


# ----------------------------------------------------------------------------- empty states


def test_a_new_chief_officer_is_told_what_to_do_next_in_each_panel(
    client: Client, world: World, chief_officer: User
):
    response = dashboard(client, chief_officer)
    assert (
        "Your agency has not declared on any tender. See the open tenders in the tender register"
        in panel(response, "dash-declarations-heading")
    )
    assert f'href="{page("tenders")}?status=open"' in html(response)
    assert "Your agency is not in any partnership yet." in panel(
        response, "dash-partnerships-heading"
    )
    assert f'href="{page("partnership-propose")}"' in html(response)
    assert "No one is withdrawn from your partnerships now." in panel(
        response, "dash-partnerships-heading"
    )
    assert "Your agency is not a party to any open dispute." in panel(
        response, "dash-disputes-heading"
    )
    assert f'href="{page("dispute-file")}"' in html(response)
    assert "Nothing is due from you in" in panel(response, "dash-due-heading")
    # A chief officer holds none of the other roles: none of their panels.
    for other in ("dash-votes-heading", "dash-arbiter-heading", "dash-members-heading"):
        assert not has_panel(response, other)
    assert "No protocol version has been adopted yet." in panel(response, "protocol-heading")


def test_a_new_trustee_is_told_no_decision_waits_for_their_vote(
    client: Client, world: World, trustee: User
):
    response = dashboard(client, trustee)
    assert "No decisions are waiting for your vote." in panel(response, "dash-votes-heading")
    assert not has_panel(response, "dash-declarations-heading")  # not a chief officer


def test_a_new_admin_is_told_how_to_start(client: Client, world: World, admin: User):
    response = dashboard(client, admin)
    assert "Active 4 Suspended 0 Expelled 0" in panel(response, "dash-members-heading")
    assert "No breach has been found and no dispute filed." in panel(
        response, "dash-counts-heading"
    )
    assert "You have not exported a report yet." in panel(response, "dash-reports-heading")
    assert f'href="{page("reports")}"' in html(response)
    assert "Adopt the first version" in panel(response, "protocol-heading")


# ----------------------------------------------------------------------------- chief officer


def test_a_chief_officer_sees_their_declaration_with_its_board_status_and_approvals_still_needed(
    client: Client, world: World, chief_officer: User
):
    tender = make_tender(world.alliance, title="Debt advice 2027")
    declaration = awaiting_board(tender, world.lead)
    decision = question_of(declaration)
    assert decision.quorum == 2
    decision_vote(actor=board_of(world.lead)[0], decision=decision, choice="approve")
    response = dashboard(client, chief_officer)
    words = panel(response, "dash-declarations-heading")
    assert f"{tender.reference}: Debt advice 2027" in words
    assert "Awaiting trustee approval Waiting for the trustees' votes 1 of 2" in words
    assert f'href="{page("declaration-detail", pk=declaration.pk)}"' in html(response)


def test_a_decided_declaration_says_the_board_approved_it_and_nothing_is_needed(
    client: Client, world: World, chief_officer: User
):
    tender = make_tender(world.alliance)
    declare(tender, world.lead)
    words = panel(dashboard(client, chief_officer), "dash-declarations-heading")
    today = timezone.localdate()
    assert f"Declared Approved on {today:%-d %B %Y} None: the board has decided" in words


def test_a_chief_officer_sees_who_is_withdrawn_from_their_partnerships_until_when(
    client: Client, world: World, chief_officer: User
):
    network = debt_advice_network(world.lead, world.partner)
    tender = make_tender(world.alliance, areas=("debt-advice",))
    declare(tender, world.partner)  # the partner competes: it steps back from the network
    words = panel(dashboard(client, chief_officer), "dash-partnerships-heading")
    assert f"{network.name} Network Forming Lead: Active 2" in words
    withdrawn = words.split("Withdrawals in force")[1]
    assert f"Partner Housing {network.name}" in withdrawn
    assert "Until the bidding ends" in withdrawn


def test_a_chief_officer_sees_the_deadlines_of_this_month_from_the_calendars_registry(
    client: Client, world: World, chief_officer: User
):
    eoi = this_month()
    tender = make_tender(world.alliance, eoi_deadline=eoi)
    draft(tender, world.lead)  # undecided: the expression-of-interest deadline is theirs
    words = panel(dashboard(client, chief_officer), "dash-due-heading")
    local = timezone.localtime(eoi)
    assert f"Expression-of-interest deadline: {tender.reference}" in words
    assert f"{local:%-d %B %Y}, {local:%H:%M}" in words


def test_a_chief_officer_sees_the_disputes_their_agency_is_in_with_stage_and_due_date(
    client: Client, world: World, chief_officer: User
):
    _story, dispute = stories.accepted(world)
    response = dashboard(client, chief_officer)
    words = panel(response, "dash-disputes-heading")
    due = dispute.evidence_due_on
    assert f"Dispute #{dispute.pk}" in words
    assert "Lead Advice against Partner Housing Your agency filed it" in words
    assert "Accepted by the arbiter" in words
    assert f"Evidence due: {due:%-d %B %Y}" in words
    assert "(overdue)" not in words
    # The evidence is due from the chief officer too: the month's due dates say so when it falls
    # this month, and the dispute's page is linked either way.
    assert f'href="{page("dispute-detail", pk=dispute.pk)}"' in html(response)


def test_a_competitor_never_sees_another_agencys_hidden_declaration_or_papers(
    client: Client, world: World, chief_officer: User, competitor: User
):
    tender = make_tender(world.alliance, title="Welfare rights", eoi_deadline=this_month())
    hidden = draft(tender, world.lead)
    bid_paper(hidden, title="Our pricing model")
    assert not bids_selectors.declaration_list_for(
        person=competitor, alliance=world.alliance
    ).filter(pk=hidden.pk)
    mine = dashboard(client, chief_officer)
    assert tender.reference in text(mine)  # the lead's own dashboard has it (so this can fail)
    theirs = dashboard(Client(), competitor)
    assert tender.reference not in text(theirs)
    assert "Our pricing model" not in text(theirs)
    assert page("declaration-detail", pk=hidden.pk) not in html(theirs)
    assert "Your agency has not declared on any tender." in panel(
        theirs, "dash-declarations-heading"
    )


# ----------------------------------------------------------------------------- trustee


def test_a_trustee_sees_the_decision_waiting_for_their_vote_with_what_the_rules_found(
    client: Client, world: World, trustee: User
):
    tender = make_tender(world.alliance, title="Housing advice")
    declare(tender, world.competitor)  # a rival has declared: the rules find it
    declaration = awaiting_board(tender, world.lead)
    decision = question_of(declaration)
    response = dashboard(client, trustee)
    words = panel(response, "dash-votes-heading")
    assert decision.question in words
    assert f'href="{page("decision-detail", pk=decision.pk)}"' in html(response)
    assert "Board of Lead Advice" in words
    assert "Approvals still needed: 2 of 2." in words
    findings = bids_selectors.conflicts_for([declaration])[declaration.pk]
    assert findings, "the rules find the rival declarant"
    for finding in findings:
        assert finding.explanation in words
    assert "Rival Debt Line" in words
    assert "You may not vote" not in words


def test_a_vote_cast_leaves_the_panel_and_counts_towards_the_quorum(
    client: Client, world: World, trustee: User
):
    declaration = awaiting_board(make_tender(world.alliance), world.lead)
    decision = question_of(declaration)
    other = next(t for t in board_of(world.lead) if t.pk != trustee.pk)
    decision_vote(actor=other, decision=decision, choice="approve")
    assert "Approvals still needed: 1 of 2." in panel(
        dashboard(client, trustee), "dash-votes-heading"
    )
    decision_vote(actor=trustee, decision=decision, choice="approve")
    words = panel(dashboard(client, trustee), "dash-votes-heading")
    assert "No decisions are waiting for your vote." in words


def test_a_conflicted_trustee_is_told_they_may_not_vote_and_why(
    client: Client, world: World, trustee: User
):
    tender = make_tender(world.alliance, title="Money advice")
    declare(tender, world.competitor)
    grant(trustee, Role.TRUSTEE, world.competitor)  # now on both boards
    board_of(world.lead, size=3)  # enough trustees left to decide without them
    declaration = awaiting_board(tender, world.lead)
    response = dashboard(client, trustee)
    words = panel(response, "dash-votes-heading")
    reason = (
        f"Also a trustee of Rival Debt Line, which has declared for {tender.reference} in a "
        "rival bid."
    )
    assert f"You may not vote on this question. {reason}" in words
    # Their fellow trustees are told too, and who it is.
    fellow = next(t for t in board_of(world.lead) if t.pk != trustee.pk)
    theirs = panel(dashboard(Client(), fellow), "dash-votes-heading")
    assert f"{trustee} may not vote: {reason}" in theirs
    assert "You may not vote" not in theirs
    assert question_of(declaration).question in theirs


# ----------------------------------------------------------------------------- arbiter


def test_the_arbiter_sees_disputes_by_stage_with_the_overdue_said_in_words(
    client: Client, world: World
):
    story, taking = stories.accepted(world)
    waiting = disputes.dispute_file(
        actor=story.complainant,
        alliance=world.alliance,
        complainant=world.lead,
        respondent=world.partner,
        subject="general",
        summary="A second matter.",
    )
    words = panel(dashboard(client, story.arbiter), "dash-arbiter-heading")
    first = words.split("Waiting for an arbiter")[1].split("Taking evidence")[0]
    assert f"Dispute #{waiting.pk}" in first and f"Dispute #{taking.pk}" not in first
    evidence = words.split("Taking evidence")[1].split("Ruled, actions outstanding")[0]
    due = taking.evidence_due_on
    assert f"Dispute #{taking.pk}" in evidence
    assert f"Evidence due: {due:%-d %B %Y}" in evidence and "(overdue)" not in evidence
    assert "No ruling waits on a party's action." in words
    reviews_waiting = words.split("Breaches waiting for review")[1]
    assert story.breach.summary in reviews_waiting
    later = timezone.localdate() + timedelta(days=30)
    with mock.patch("disputes.dashboard.timezone.localdate", return_value=later):
        words = panel(client.get(page("dashboard")), "dash-arbiter-heading")
    assert f"Evidence due: {due:%-d %B %Y} (overdue)" in words


def test_people_who_arbitrate_nothing_have_no_arbiters_panel(
    client: Client, world: World, chief_officer: User
):
    stories.filed(world)
    assert not has_panel(dashboard(client, chief_officer), "dash-arbiter-heading")


# ----------------------------------------------------------------------------- admin


def test_the_admin_sees_the_alliance_in_counts_and_their_exports(
    client: Client, world: World, admin: User, people_kind: Any
):
    story = stories.rival_bids(world)
    reviews.breach_review(
        actor=story.arbiter,
        breach=story.breach,
        outcome=Breach.Status.UPHELD,
        note="Worked in the network while withdrawn.",
        sanction=Breach.Sanction.SUSPENSION,
    )
    disputes.dispute_file(
        actor=story.complainant,
        alliance=world.alliance,
        complainant=world.lead,
        respondent=world.partner,
        subject="general",
        summary="A matter.",
    )
    reports.report_request(
        actor=admin, alliance=world.alliance, kind=PEOPLE_REPORT, format="pdf", params={}
    )
    response = dashboard(client, admin)
    assert "Active 3 Suspended 1 Expelled 0" in panel(response, "dash-members-heading")
    counts = panel(response, "dash-counts-heading")
    found = Breach.objects.filter(alliance=world.alliance)
    opened = found.filter(status="open").count()
    assert f"Open {opened} Under review 0 Upheld 1 Dismissed 0" in counts
    assert "Filed, waiting for an arbiter 1 Accepted by the arbiter 0" in counts
    assert f'href="{page("breaches")}?status=upheld"' in html(response)
    exports = panel(response, "dash-reports-heading")
    assert f"{people_kind.title} Every agency {timezone.localdate():%-d %B %Y} Queued" in exports


def test_the_admin_is_told_when_the_protocol_is_overdue_for_review(
    client: Client, world: World, admin: User
):
    today = timezone.localdate()
    protocol.protocol_version_publish(
        actor=admin,
        alliance=world.alliance,
        principles="Partnership is the preferred approach.",
        implemented_on=today - timedelta(days=30),
        review_due_on=today + timedelta(days=335),
    )
    later = timezone.localdate() + timedelta(days=800)
    with mock.patch("kiaa.views.timezone.localdate", return_value=later):
        words = panel(dashboard(client, admin), "protocol-heading")
    assert "The review is overdue" in words and "Adopt a reviewed version" in words


# ----------------------------------------------------------------------------- several roles


def test_a_chief_officer_who_is_also_a_trustee_elsewhere_sees_both_roles_panels(
    client: Client, world: World, chief_officer: User
):
    grant(chief_officer, Role.TRUSTEE, world.partner)
    declaration = awaiting_board(make_tender(world.alliance), world.partner)
    response = dashboard(client, chief_officer)
    assert has_panel(response, "dash-declarations-heading")
    assert question_of(declaration).question in panel(response, "dash-votes-heading")
    assert "Board of Partner Housing" in panel(response, "dash-votes-heading")


# ----------------------------------------------------------------------------- due dates in words


def test_a_due_date_says_in_words_whether_it_is_overdue_passed_or_to_come():
    now = timezone.now()

    def due(at: Any, **kw: Any) -> Due:
        return Due(
            key="k", kind="deadline", title="t", due_at=at, url="/", recipients=frozenset(), **kw
        )

    assert state_of(due(now - timedelta(hours=1)), now).state == "Overdue"
    assert state_of(due(now - timedelta(hours=1)), now).overdue
    assert state_of(due(now - timedelta(hours=1), remind_overdue=False), now).state == "Passed"
    assert state_of(due(now + timedelta(days=3)), now).state == "In 3 days"
    assert state_of(due(now - timedelta(hours=1), outstanding=False), now).state == (
        "Nothing left to do"
    )


# ----------------------------------------------------------------------------- query counts

# The most each persona's page may make, measured at both sizes (about a third of it is the
# month's due dates, which ask every app's providers). A trustee's page reads the conflict rules'
# snapshot three times, about 14 queries each: for the votes due this month, for who may not
# vote on each question, and for the findings shown under it (78 measured).
QUERIES = {"chief": 60, "trustee": 80, "arbiter": 60}


def busy(world: World) -> tuple[stories.Story, dict[str, User]]:
    """The story's partnership, rival bids, withdrawals and breach, and who looks at it."""
    story = stories.rival_bids(world)
    people = {
        "chief": story.complainant,
        "trustee": board_of(world.lead)[0],
        "arbiter": story.arbiter,
    }
    return story, people


def grow(world: World, story: stories.Story, size: int) -> None:
    """`size` more tenders, each with the competitor declared and the lead's bid before its
    board (every other one with an approval), and `size` more disputes, every other one taking
    evidence."""
    for n in range(size):
        tender = make_tender(world.alliance, eoi_deadline=this_month())
        declare(tender, world.competitor)
        decision = question_of(awaiting_board(tender, world.lead))
        if n % 2:
            decision_vote(actor=board_of(world.lead)[1], decision=decision, choice="approve")
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
                evidence_due_on=timezone.localdate() + timedelta(days=1 + n),
                ruling_due_on=timezone.localdate() + timedelta(days=30),
            )


def shows_them_all(persona: str, response: Any, size: int) -> None:
    """The page really lists what was made (up to what a panel shows)."""
    shown = min(size, SHOWN)
    if persona == "chief":
        assert (
            panel(response, "dash-declarations-heading").count("Waiting for the trustees") == shown
        )
    elif persona == "trustee":
        assert panel(response, "dash-votes-heading").count("Approvals still needed:") == shown
    else:
        assert panel(response, "dash-arbiter-heading").count("Dispute #") >= shown


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("persona", ["chief", "trustee", "arbiter"])
def test_the_dashboard_stays_under_its_query_budget_at_any_size(
    size: int, persona: str, world: World, client: Client, django_assert_max_num_queries: Any
):
    story, people = busy(world)
    grow(world, story, size)
    signed_in(client, people[persona])
    with django_assert_max_num_queries(QUERIES[persona]):
        response = client.get(page("dashboard"))
    assert response.status_code == 200
    shows_them_all(persona, response, size)


def test_the_dashboard_makes_the_same_queries_at_2_and_12(world: World):
    """Counted exactly for each persona, before and after the alliance grows: flat."""
    story, people = busy(world)
    counts: dict[int, dict[str, int]] = {}
    total = 0
    for size in (2, 10):
        grow(world, story, size)
        total += size
        counts[total] = {}
        for persona, person in people.items():
            client = signed_in(Client(), person)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page("dashboard"))
            shows_them_all(persona, response, total)
            counts[total][persona] = len(queries)
    assert counts[2] == counts[12], counts
