"""The annual protocol compliance report: what it shows of a year, its charts, who may export
it, its parameters, and that it reads a bounded number of queries.

The year is built through the services on a clock the tests move (the story of
tests/disputes/story.py, spread over 2026): version 1 of the protocol adopted in January and
accepted by the lead's board; lead and partner bid against each other in March, so both step
back from their network, and the partner keeps working in it (a breach); the lead files a
dispute about it, the arbiter rules twelve days later and upholds the breach with a warning;
the competitor declares after the deadline in April; the lead wins in May; a second dispute,
filed in June, is still open when the report is drawn on 6 December.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from bids.models import Declaration
from bids.services.outcomes import tender_award
from disputes import compliance
from disputes.models import Breach, Dispute, Ruling
from disputes.services import rulings
from disputes.services.breaches import breaches_detect
from disputes.services.reviews import breach_review
from kiaa.errors import Code, DomainError, FieldErrors
from kiaa.models import ProtocolVersion, User
from kiaa.permissions import roles_of
from kiaa.reports import kinds
from kiaa.reports.content import Report
from kiaa.services import reports as report_services
from kiaa.services.protocol import protocol_accept, protocol_version_publish
from tests.conftest import World
from tests.disputes import story as stories
from tests.disputes.story import Story
from tests.factories.bids import declare, draft, make_tender
from tests.factories.core import _platform_admin
from tests.reports import export

pytestmark = pytest.mark.django_db

KIND = compliance.NAME
REPORT_DAY = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
# The requester's roles (each selector reads them: 7), the protocol, its version and
# acceptances, the agencies, declarations (counts, the late ones), withdrawals (their
# breaches, counts, the ones not honoured), breaches (by kind, the sanctioned) and disputes:
# the same however much happened in the year.
BUILD_QUERIES = 19


@dataclass
class Clock:
    now: datetime

    def at(self, *when: int) -> None:
        """Move to 10:00 UTC on a day of 2026 (month, day)."""
        self.now = datetime(2026, *when, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    yield clock


@dataclass
class Year:
    world: World
    story: Story
    version: ProtocolVersion
    first: Dispute  # ruled twelve days after it was filed, and closed
    ruling: Ruling
    second: Dispute  # still open
    late: Declaration  # the competitor's, after the deadline


def adopt_protocol(clock: Clock, world: World, admin: User, trustee: User) -> ProtocolVersion:
    """Version 1, implemented 15 January, review due 15 January 2027; the lead's board accepts."""
    clock.at(1, 10)
    version = protocol_version_publish(
        actor=admin,
        alliance=world.alliance,
        principles="Decisions follow the best service for local people.",
        implemented_on=date(2026, 1, 15),
        review_due_on=date(2027, 1, 15),
    )
    clock.at(1, 20)
    protocol_accept(
        actor=trustee, version=version, agency=world.lead, accepted_on=date(2026, 1, 20)
    )
    return version


def rule_and_uphold(clock: Clock, story: Story, dispute: Dispute) -> Ruling:
    """The arbiter rules on 14 March (a warning) and upholds the breach the next day."""
    clock.at(3, 14)
    ruling = rulings.ruling_publish(
        actor=story.arbiter,
        dispute=dispute,
        findings="Partner Housing worked in the network while withdrawn from it.",
        decision="A warning to Partner Housing.",
        sanction=Breach.Sanction.WARNING,
        sanctioned_agency=story.world.partner,
    )
    clock.at(3, 15)
    breach_review(
        actor=story.arbiter,
        breach=story.breach,
        outcome=Breach.Status.UPHELD,
        note="The rota shows it.",
        sanction=Breach.Sanction.WARNING,
        ruling=ruling,
    )
    return ruling


@pytest.fixture
def year(clock: Clock, world: World, admin: User, trustee: User) -> Year:
    version = adopt_protocol(clock, world, admin, trustee)
    clock.at(3, 2)
    story, first = stories.filed(world)  # declarations, withdrawals and the breach: 2 March
    first = stories.disputes.dispute_accept(
        actor=story.arbiter,
        dispute=first,
        evidence_due_on=date(2026, 3, 9),
        ruling_due_on=date(2026, 3, 16),
    )
    ruling = rule_and_uphold(clock, story, first)
    clock.at(4, 10)  # nine days after the tender's expression-of-interest deadline
    late = declare(story.tender, world.competitor)
    breaches_detect(alliance=world.alliance)
    clock.at(5, 4)
    tender_award(
        actor=_platform_admin(world.alliance),
        tender=story.tender,
        winner=story.lead_bid,
        awarded_on=date(2026, 5, 4),
    )
    clock.at(6, 1)
    second = stories.another_dispute(story)
    clock.now = REPORT_DAY
    first.refresh_from_db()
    return Year(world, story, version, first, ruling, second, late)


def build(person: User, world: World, year: int = 2026) -> Report:
    """The report as the kind builds it for the person (no PDF)."""
    roles = roles_of(person, world.alliance)
    return compliance.build(
        person=person, alliance=world.alliance, roles=roles, params={"year": year}
    )


def section_html(report: Report) -> str:
    """Every section through its template, as the PDF's body holds them."""
    return "".join(
        render_to_string(s.template, {**s.context, "section": s}) for s in report.sections
    )


def words(html: str) -> str:
    """The HTML's text, tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ----------------------------------------------------------------------------- what it shows


def test_the_report_shows_the_years_protocol_declarations_withdrawals_breaches_and_disputes(
    year: Year, admin: User
):
    got = export(admin, year.world.alliance, KIND, year=2026)
    text = got.text
    first, second = year.first, year.second
    for expected in (
        "Annual protocol compliance report",
        "1 January to 6 December 2026 (the year so far)",
        # 1. The protocol, its review in words, each member's acceptance.
        "Version in force: Version 1",
        "Implemented on: 15 Jan 2026",
        "Review due: 15 Jan 2027: due in 40 days",
        "Accepted by: 1 of 4 member agencies",
        "Lead Advice Accepted on 20 Jan 2026",
        "Rival Debt Line Not accepted",
        # 2. Declarations: by status, the late one, per month.
        "3 declarations of intent to bid became public in 2026",
        "Won 1",
        "Lost 2",
        "Rival Debt Line",
        "Declarations per month, 2026",
        # 3. Withdrawals: the partner's was not honoured.
        "Opened 2",
        "Ended 2",
        "Still in force 0",
        "Honoured (no breach of working during it upheld) 1",
        "Not honoured (a breach of working during it upheld) 1",
        f"#{year.story.breach.pk}, upheld",
        # 4. Breaches by kind and outcome, the sanction and its authority.
        "Breaches detected in 2026, by kind and outcome",
        "Worked during a withdrawal",
        "Declared after the deadline",
        f"Ruling 1 of dispute #{first.pk}",
        # 5. Disputes: how long each took, the median and the open one.
        "Median time to close: 12 days",
        f"Longest to close: 12 days (dispute #{first.pk}, Lead Advice v Partner Housing)",
        "Days from filing to closing, disputes filed in 2026",
        f"#{second.pk} Lead Advice v Partner Housing",
        "188 days so far",
    ):
        assert expected in text, expected
    # The chart's labels and values are text in the PDF, not pictures of text.
    months = text[text.index("Declarations per month, 2026") :]
    assert "Jan" in months and "Dec" in months
    assert "Open Under review Upheld Dismissed" in text  # the breaches chart's legend
    assert got.pages == 4  # title and contents, then the five sections


def test_the_late_declaration_is_listed_with_its_days_late(year: Year, admin: User):
    html = section_html(build(admin, year.world))
    text = words(html)
    assert "1 declaration came after the tender's expression-of-interest deadline." in text
    tender = year.story.tender
    assert f"Rival Debt Line {tender.reference}: {tender.title} 1 Apr 2026 10 Apr 2026 9" in text


def test_the_breaches_table_counts_each_kind_by_outcome_with_its_sanctions(year: Year, admin: User):
    report = build(admin, year.world)
    rows = {row.kind: row for row in report.sections[3].context["rows"]}
    worked = rows["Worked during a withdrawal"]
    assert (worked.outcomes, worked.sanctions) == ([0, 0, 1, 0], "1 warning")
    late = rows["Declared after the deadline"]
    assert (late.outcomes, late.sanctions) == ([1, 0, 0, 0], "")
    detected = Breach.objects.filter(alliance=year.world.alliance, detected_at__year=2026).count()
    assert sum(row.total for row in rows.values()) == detected
    assert len(rows) == len(Breach.Kind.values)  # every kind, the ones that never happened too


# ----------------------------------------------------------------------------- the charts


def test_the_report_draws_its_charts_as_inline_svg_with_a_title_and_a_description(
    year: Year, admin: User
):
    html = section_html(build(admin, year.world))
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 3  # declarations per month, breaches by kind, dispute durations
    for svg in svgs:
        assert 'role="img"' in svg and "<title " in svg and "<desc " in svg
        assert "foreignObject" not in svg and "var(" not in svg
    declarations, breaches, durations = svgs
    assert declarations.count("<rect ") == 2  # March's two bars and April's one: two months
    assert "3 declarations in all; the most, 2, in Mar; none in 10 months." in declarations
    assert "Worked during a withdrawal" in breaches and "url(#chart-breaches-hatch)" in breaches
    assert "Closed" in durations and "Still open" in durations


def test_a_year_with_nothing_in_it_still_has_every_section_and_says_so(year: Year, admin: User):
    report = build(admin, year.world, year=2025)
    assert report.scope == "1 January to 31 December 2025"
    html = section_html(report)
    text = words(html)
    for expected in (
        "Version 1",  # the protocol in force now
        "0 declarations of intent to bid became public in 2025",
        "No declarations in any month.",  # the chart's description
        "No declaration came after its tender's deadline.",
        "Opened 0",
        "No sanction was imposed on a breach detected in 2025.",
        "No dispute was filed in 2025.",
    ):
        assert expected in text, expected
    assert len(report.sections) == 5
    assert html.count("<svg") == 2  # no disputes: no chart of how long they took


# ----------------------------------------------------------------------------- what it reads


def test_it_counts_only_what_the_requester_sees_and_only_the_alliances_own(year: Year, admin: User):
    # A draft is its agency's own (the admin does not see it on the register), and another
    # alliance's declaration is not this alliance's at all.
    draft(make_tender(year.world.alliance), year.world.partner)
    elsewhere = make_tender(year.world.other_alliance)
    declare(elsewhere, year.world.other_agency)
    context = build(admin, year.world).sections[1].context
    assert context["total"] == 3
    assert dict(context["statuses"]) == {"Won": 1, "Lost": 2}


def test_the_report_reads_a_bounded_number_of_queries(
    year: Year, admin: User, django_assert_max_num_queries: Any
):
    with django_assert_max_num_queries(BUILD_QUERIES):
        build(admin, year.world)
    # A busier year: more declarations, disputes and breaches, the same queries.
    stories.another_dispute(year.story)
    declare(make_tender(year.world.alliance), year.world.lead)
    declare(make_tender(year.world.alliance), year.world.competitor)
    breaches_detect(alliance=year.world.alliance)
    with django_assert_max_num_queries(BUILD_QUERIES):
        report = build(admin, year.world)
    assert report.sections[1].context["total"] == 5
    assert len(report.sections[4].context["rows"]) == 3


# ----------------------------------------------------------------------------- who and what


@pytest.mark.parametrize("persona", ["chief_officer", "arbiter", "trustee"])
def test_only_an_admin_may_export_it(persona: str, world: World, request: pytest.FixtureRequest):
    person = request.getfixturevalue(persona)
    with pytest.raises(DomainError) as refused:
        report_services.report_request(
            actor=person, alliance=world.alliance, kind=KIND, format="pdf", params={"year": 2026}
        )
    assert refused.value.code == Code.FORBIDDEN
    assert compliance.KIND not in kinds.offered_to(roles_of(person, world.alliance))


def test_it_is_a_pdf_only(world: World, admin: User):
    with pytest.raises(DomainError) as refused:
        report_services.report_request(
            actor=admin, alliance=world.alliance, kind=KIND, format="csv", params={"year": 2026}
        )
    assert refused.value.field == "format"


@pytest.mark.parametrize("bad", [1999, "next", "twenty", ""])
def test_a_year_outside_2000_to_this_year_is_a_field_error(bad: Any, world: World, admin: User):
    this_year = timezone.localdate().year
    chosen = this_year + 1 if bad == "next" else bad
    with pytest.raises(FieldErrors) as refused:
        report_services.report_request(
            actor=admin, alliance=world.alliance, kind=KIND, format="pdf", params={"year": chosen}
        )
    assert set(refused.value.errors) == {"year"}
    if bad in (1999, "next"):
        assert refused.value.errors["year"] == [f"Choose a year from 2000 to {this_year}."]


def test_the_year_starts_at_this_year_and_names_the_export(world: World, admin: User):
    roles = roles_of(admin, world.alliance)
    form = compliance.ComplianceParams(person=admin, alliance=world.alliance, roles=roles)
    assert form.fields["year"].initial == timezone.localdate().year
    queued = report_services.report_request(
        actor=admin, alliance=world.alliance, kind=KIND, format="pdf", params={"year": "2024"}
    )
    assert (queued.scope, queued.params) == ("2024", {"year": 2024})


# ----------------------------------------------------------------------------- in words


@pytest.mark.parametrize(
    ("due", "words_"),
    [
        (date(2026, 4, 10), "due in 40 days"),
        (date(2026, 3, 2), "due tomorrow"),
        (date(2026, 3, 1), "due today"),
        (date(2026, 2, 1), "overdue since 1 Feb 2026"),
    ],
)
def test_the_review_date_is_said_in_words(due: date, words_: str):
    assert compliance.review_status(due, date(2026, 3, 1)) == words_


def test_a_dispute_took_the_days_from_filing_to_closing_or_so_far():
    filed = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)  # 5 March in London
    closed = Dispute(pk=1, filed_at=filed, closed_at=filed + timedelta(days=12))
    still = Dispute(pk=2, filed_at=filed)
    done, open_ = compliance.dispute_rows([closed, still], today=date(2026, 3, 20))
    assert (done.days, done.closed_on) == (12, date(2026, 3, 17))
    assert (open_.days, open_.took) == (15, "15 days so far")
