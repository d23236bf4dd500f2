"""The breach register and dispute ruling reports: what each paper holds, who may export it,
that it holds only what its requester sees in the browser, and the pages' links.

The register starts from the conftest's breaches (the lead's, the competitor's, the alliance's
own, and one elsewhere), the competitor's dismissed through the review service. The ruling
starts from the story: a dispute with evidence, ruled on, then corrected.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from disputes import reports
from disputes.models import Breach, Dispute, RequiredAction, Ruling
from disputes.services import rulings
from disputes.services.reviews import breach_review
from disputes.services.rulings import ActionSpec
from kiaa.errors import Code, DomainError, FieldErrors
from kiaa.models import Role, User
from kiaa.permissions import roles_of
from kiaa.services import reports as report_services
from tests.conftest import World
from tests.disputes import story as stories
from tests.disputes.conftest import Breaches
from tests.disputes.story import Evidence, Story
from tests.factories import PersonFactory, grant
from tests.factories.disputes import BreachFactory
from tests.pages import html, page, signed_in
from tests.reports import export

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
DISMISSAL = "Signed two days after the deadline; no harm came of it."
# The roles (read by each selector), the breaches with all they point at in one query, and a
# chief officer's agencies for the scope: the same at any size.
REGISTER_QUERIES = 5


def ask(person: User, world: World, kind: str, fmt: str = "pdf", **params: Any) -> Any:
    """Request the report as the person (queued, not drawn)."""
    return report_services.report_request(
        actor=person, alliance=world.alliance, kind=kind, format=fmt, params=params
    )


def day(value: Any) -> str:
    return reports.day(value)


@pytest.fixture
def register(breaches: Breaches, arbiter: User) -> Breaches:
    """The conftest's breaches, the competitor's dismissed by the CVS's arbiter."""
    breach_review(actor=arbiter, breach=breaches.rival, outcome="dismissed", note=DISMISSAL)
    breaches.rival.refresh_from_db()
    return breaches


# ----------------------------------------------------------------------------- breach register


def test_the_register_lists_the_breaches_by_status_with_their_outcome_and_sanction(
    register: Breaches, admin: User, arbiter: User
):
    got = export(admin, register.world.alliance, reports.REGISTER)
    text = got.text
    for words in (
        "Breach register",
        "All breaches by every agency and the alliance itself",
        "Open: 1 Under review: 0 Upheld: 1 Dismissed: 1 Breaches in all: 3",
        f"#{register.lead.pk} Declared after the deadline",
        "Lead Advice declared for the debt advice tender after the deadline.",
        f"Tender: {register.tender.reference}: Debt advice service",
        "Partnership: Kirkvale Advice Network",
        "2 Mar 2026",
        "Not reviewed yet.",
        f"#{register.rival.pk} MoU not signed",
        "Put right on 5 Mar 2026",
        f"Dismissed by {arbiter} on {day(register.rival.reviewed_at)}.",
        DISMISSAL,
        "The alliance itself",
        "Upheld by the arbiter on 4 Mar 2026.",
        "Warning",
    ):
        assert words in text, words
    # In the order a breach moves: open, then upheld, then dismissed.
    assert text.index("Lead Advice declared") < text.index("overdue for review")
    assert text.index("overdue for review") < text.index("Rival Debt Line has not signed")
    assert "Elsewhere Advice" not in text  # another alliance's
    # The lead's own draft declaration is hidden from the admin, as on the breach page.
    assert "declaration for" not in text
    assert got.pages == 1


def test_a_chief_officers_register_holds_only_their_agencys_breaches(
    register: Breaches, chief_officer: User
):
    got = export(chief_officer, register.world.alliance, reports.REGISTER)
    text = got.text
    assert "All breaches by Lead Advice" in text
    assert "Lead Advice declared for the debt advice tender after the deadline." in text
    # Their own draft, which they may open, is named.
    assert f"Declaration: Lead Advice's declaration for {register.tender.reference}" in text
    for hidden in ("Rival Debt Line has not signed", "overdue for review", DISMISSAL):
        assert hidden not in text, hidden
    assert "Open: 1 Under review: 0 Upheld: 0 Dismissed: 0 Breaches in all: 1" in text


def test_the_register_as_csv_has_a_header_and_one_row_a_breach(
    register: Breaches, admin: User, chief_officer: User
):
    rows = export(admin, register.world.alliance, reports.REGISTER, format="csv").rows
    assert rows[0] == reports.CSV_HEADER
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_number) == {str(b.pk) for b in (register.lead, register.rival, register.alliance)}
    rival = by_number[str(register.rival.pk)]
    assert (rival["Kind"], rival["Agency"], rival["Status"]) == (
        "MoU not signed",
        "Rival Debt Line",
        "Dismissed",
    )
    assert rival["Review note"] == DISMISSAL
    assert rival["Put right"].startswith("2026-03-05")
    assert rival["Sanction"] == "None"
    lead = by_number[str(register.lead.pk)]
    assert lead["Partnership"] == "Kirkvale Advice Network" and lead["Declaration"] == ""
    assert lead["Sanction"] == ""  # not decided yet: no sanction to name
    mine = export(chief_officer, register.world.alliance, reports.REGISTER, format="csv").rows
    assert [row[0] for row in mine[1:]] == [str(register.lead.pk)]


def test_the_register_takes_the_pages_filters(register: Breaches, admin: User):
    rows = export(
        admin, register.world.alliance, reports.REGISTER, format="csv", status="upheld"
    ).rows
    assert [row[0] for row in rows[1:]] == [str(register.alliance.pk)]
    queued = ask(admin, register.world, reports.REGISTER, agency=register.world.competitor.pk)
    assert queued.scope == "All breaches by Rival Debt Line"
    assert queued.params == {"agency": register.world.competitor.pk}


@pytest.mark.parametrize("persona", ["admin", "arbiter", "chief_officer"])
def test_admins_arbiters_and_chief_officers_may_export_the_register(
    persona: str, breaches: Breaches, request: pytest.FixtureRequest
):
    assert ask(request.getfixturevalue(persona), breaches.world, reports.REGISTER, "csv")


@pytest.mark.parametrize("persona", ["trustee", "partner"])
def test_trustees_and_staff_are_not_offered_the_register(
    persona: str, breaches: Breaches, request: pytest.FixtureRequest
):
    with pytest.raises(DomainError) as refused:
        ask(request.getfixturevalue(persona), breaches.world, reports.REGISTER)
    assert (refused.value.message, refused.value.code) == (
        report_services.NOT_OFFERED,
        Code.FORBIDDEN,
    )


def test_a_chief_officer_naming_another_agency_is_refused(breaches: Breaches, chief_officer: User):
    world = breaches.world
    with pytest.raises(DomainError) as refused:
        ask(chief_officer, world, reports.REGISTER, agency=world.competitor.pk)
    assert type(refused.value) is DomainError
    assert (refused.value.message, refused.value.code) == (reports.NOT_YOUR_AGENCY, Code.FORBIDDEN)
    assert ask(chief_officer, world, reports.REGISTER, agency=world.lead.pk)


def test_another_alliances_agency_is_not_one_of_the_choices(breaches: Breaches, admin: User):
    with pytest.raises(FieldErrors) as refused:
        ask(admin, breaches.world, reports.REGISTER, agency=breaches.world.other_agency.pk)
    assert refused.value.field == "agency"
    assert "not one of the available choices" in refused.value.message


@pytest.mark.parametrize("size", [2, 20])
def test_building_the_register_takes_the_same_few_queries_at_any_size(
    size: int,
    breaches: Breaches,
    admin: User,
    arbiter: User,
    chief_officer: User,
    django_assert_max_num_queries: Any,
):
    world = breaches.world
    for n in range(size):
        BreachFactory(
            agency=world.lead,
            tender=breaches.tender,
            partnership=breaches.partnership,
            declaration=breaches.lead_draft if n % 2 else None,
            status=Breach.Status.UPHELD,
            sanction=Breach.Sanction.WARNING,
            reviewed_by=arbiter,
            reviewed_at=timezone.now(),
        )
    # Every breach of the alliance for the admin and the arbiter; the lead's for its chief officer.
    for person, expected in ((admin, size + 3), (arbiter, size + 3), (chief_officer, size + 1)):
        roles = roles_of(person, world.alliance)
        with django_assert_max_num_queries(REGISTER_QUERIES):
            built = reports.build_register(
                person=person, alliance=world.alliance, roles=roles, params={}
            )
        assert built.table is not None and len(built.table.rows) == expected


# ----------------------------------------------------------------------------- dispute ruling


def corrected_ruling(world: World) -> tuple[Story, Dispute, Evidence, Ruling]:
    """The dispute with evidence, ruled on, then corrected: the partner's action confirmed, the
    lead's overdue, a third still to come."""
    story, dispute, given = stories.with_evidence(world)
    today = timezone.localdate()
    first = rulings.ruling_publish(
        actor=story.arbiter,
        dispute=dispute,
        findings="Partner Housing opened the rota during its withdrawal.",
        decision="Partner Housing apologises in writing.",
        actions=[ActionSpec(world.partner, "Apologise in writing.", today + 7 * DAY)],
    )
    dispute.refresh_from_db()
    ruling = rulings.ruling_publish(
        actor=story.arbiter,
        dispute=dispute,
        findings="Partner Housing worked in the network throughout its withdrawal.",
        decision="Both agencies put their withdrawal arrangements in writing.",
        actions=[
            ActionSpec(world.partner, "Write down its withdrawal arrangements.", today + 5 * DAY),
            ActionSpec(world.lead, "Review the network's rota access.", today + 3 * DAY),
            ActionSpec(world.lead, "Tell the network's staff of the ruling.", today + 9 * DAY),
        ],
        corrects=first,
    )
    partner_action = RequiredAction.objects.get(ruling=ruling, agency=world.partner)
    rulings.action_confirm(actor=story.respondent, action=partner_action, note="Sent to the CVS.")
    # The lead's first action falling due, without waiting three days for it.
    RequiredAction.objects.filter(ruling=ruling, due_on=today + 3 * DAY).update(due_on=today - DAY)
    return story, dispute, given, ruling


def test_the_ruling_report_shows_the_latest_ruling_and_where_each_action_stands(world: World):
    story, dispute, _, ruling = corrected_ruling(world)
    got = export(story.arbiter, world.alliance, reports.RULING, dispute=dispute.pk)
    text = got.text
    today = timezone.localdate()
    for words in (
        "Dispute ruling",
        f"Dispute #{dispute.pk}: Lead Advice against Partner Housing",
        f"Breach #{story.breach.pk}: Worked during a withdrawal",
        f"Arbiter: {story.arbiter} of Home CVS",
        f"Filed: {day(dispute.filed_at)}, by {story.complainant}",
        f"Accepted: {day(dispute.accepted_at)}",
        f"Ruled: {day(ruling.published_at)}",
        f"Ruling {ruling.number}, correcting ruling 1",
        "This ruling corrects ruling 1",
        "Partner Housing worked in the network throughout its withdrawal.",
        "Both agencies put their withdrawal arrangements in writing.",
        "Sanction None.",
        f"Confirmed on {day(today)} by {story.respondent}",
        "Their note: Sent to the CVS.",
        f"Overdue: due by {day(today - DAY)}, not confirmed",
        f"Outstanding: due by {day(today + 9 * DAY)}",
        "Required actions: 1 confirmed, 1 outstanding, 1 overdue",
    ):
        assert words in text, words
    assert "opened the rota during its withdrawal" not in text  # the corrected ruling's findings
    assert got.pages == 2  # the actions' table runs on to a second page


def test_the_ruling_report_never_holds_the_parties_statements(world: World):
    story, dispute, given, _ = corrected_ruling(world)
    # The arbiter reads every statement, the lead's for the arbiter only among them.
    got = export(story.arbiter, world.alliance, reports.RULING, dispute=dispute.pk)
    for submission in (given.private_to_arbiter, given.shared_by_lead, given.shared_by_partner):
        assert submission.statement not in got.text
    assert "keep it confidential" not in got.text
    assert reports.NO_STATEMENTS in got.text


def test_the_admins_the_cvss_arbiter_and_each_partys_chief_officer_may_export_the_ruling(
    world: World, admin: User, arbiter: User
):
    story, dispute, _ = stories.expulsion_ordered(world)
    for person in (admin, arbiter, story.complainant, story.respondent):
        assert ask(person, world, reports.RULING, dispute=dispute.pk)


def test_a_chief_officer_who_reads_the_dispute_only_as_a_trustee_of_a_party_is_refused(
    world: World, competitor: User
):
    _, dispute, _ = stories.expulsion_ordered(world)
    grant(competitor, Role.TRUSTEE, world.lead)  # reads the lead's disputes, does not speak for it
    with pytest.raises(DomainError) as refused:
        ask(competitor, world, reports.RULING, dispute=dispute.pk)
    assert type(refused.value) is DomainError
    assert (refused.value.message, refused.value.code) == (reports.NOT_YOUR_DISPUTE, Code.FORBIDDEN)


def test_a_dispute_the_person_cannot_see_or_without_a_ruling_is_refused_on_its_field(
    world: World, competitor: User
):
    story, dispute, _ = stories.expulsion_ordered(world)
    with pytest.raises(FieldErrors) as hidden:
        ask(competitor, world, reports.RULING, dispute=dispute.pk)
    assert hidden.value.field == "dispute"
    assert "not one of the available choices" in hidden.value.message
    unruled = stories.another_dispute(story)
    with pytest.raises(FieldErrors) as refused:
        ask(story.complainant, world, reports.RULING, dispute=unruled.pk)
    assert refused.value.errors == {"dispute": [reports.NO_RULING]}


def test_another_alliances_dispute_is_not_one_of_the_choices(world: World):
    _, dispute, _ = stories.expulsion_ordered(world)
    other_admin = PersonFactory()
    grant(other_admin, Role.ALLIANCE_ADMIN, alliance=world.other_alliance)
    with pytest.raises(FieldErrors) as refused:
        report_services.report_request(
            actor=other_admin,
            alliance=world.other_alliance,
            kind=reports.RULING,
            format="pdf",
            params={"dispute": dispute.pk},
        )
    assert refused.value.field == "dispute"


# ----------------------------------------------------------------------------- the pages' links


def test_the_dispute_page_links_to_the_ruling_export_once_there_is_a_ruling(
    client: Client, world: World
):
    story, dispute = stories.accepted(world)
    link = page("report-new", kind=reports.RULING) + f"?dispute={dispute.pk}"
    detail = page("dispute-detail", pk=dispute.pk)
    signed_in(client, story.complainant)
    assert link not in html(client.get(detail))
    rulings.ruling_publish(
        actor=story.arbiter, dispute=dispute, findings="Found.", decision="Decided."
    )
    assert link in html(client.get(detail))


def test_the_breach_list_links_to_the_export_with_its_filters(
    client: Client, breaches: Breaches, chief_officer: User, trustee: User
):
    breaches_page = page("breaches")
    got = html(signed_in(client, chief_officer).get(breaches_page, {"status": "open"}))
    assert page("report-new", kind=reports.REGISTER) + "?status=open" in got
    assert page("report-new", kind=reports.REGISTER) not in html(
        signed_in(Client(), trustee).get(breaches_page)
    )


def test_the_request_page_starts_from_the_link_and_names_each_dispute(client: Client, world: World):
    story, dispute, _ = stories.expulsion_ordered(world)
    signed_in(client, story.complainant)
    got = client.get(page("report-new", kind=reports.RULING), {"dispute": dispute.pk})
    assert got.status_code == 200
    chosen = f'<option value="{dispute.pk}" selected>Dispute #{dispute.pk}: Lead Advice against'
    assert chosen in html(got)
