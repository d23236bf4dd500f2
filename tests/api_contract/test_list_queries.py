"""Every paginated list of the API costs the same few queries however many rows it shows.

One table: each list route with the persona who reads it, how its rows are grown (through the
services and factories) and the filters that add a join or a lookup. A case grows SMALL rows,
reads the list once to warm it, counts the queries of the bare list and of each filter, grows to
LARGE rows and must not take one query more, nor more than a sane cap at any size. The
rows differ in what they relate to (agency, tender, partnership, service area, author...) so a
relation read per row shows as growth. A coverage test holds the table to the URL resolver.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bids.services import declarations, ocds, outcomes
from disputes.models import Breach, Dispute, Submission
from disputes.services import disputes, evidence, reviews
from kiaa.models import BoardDecision, Role
from kiaa.services import members, protocol, reports, tokens
from kiaa.services.alliances import agency_update, service_area_create
from kiaa.services.decisions import decision_vote
from kiaa.services.notifications import notify
from partnerships.models import DueDiligenceCheck
from partnerships.services import partnerships
from tests.api import api_url
from tests.api_contract.routes import list_routes, tenant_routes
from tests.api_contract.world import Base
from tests.conftest import api_as
from tests.factories import AgencyFactory, PersonFactory, ServiceAreaFactory, grant
from tests.factories.bids import bid_paper, confirm, declare, draft, make_tender
from tests.factories.core import _platform_admin
from tests.factories.disputes import BreachFactory
from tests.factories.partnerships import PDF, board_of, chief_of, join, make_partnership, upload

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 12
# No list needs more than this many queries at any size (a page, its count, the tenant and
# the person's roles, one query per relation prefetched and the barrier's reads).
CAP = 12

Context = dict[str, Any]


@dataclass(frozen=True)
class ListCase:
    persona: str
    grow: Callable[[Base, Context, int], None]  # adds row number i
    # Filters read at both sizes besides the bare list, chosen where they add a join or a
    # lookup; "{name}" in a value stands for the id of the context's object of that name.
    filters: tuple[dict[str, Any], ...] = ()
    setup: Callable[[Base, Context], None] | None = None  # state every row hangs from
    kwargs: Callable[[Context], dict[str, Any]] | None = None  # for a list under one object
    per_row: int = 1  # rows the persona sees for each one grown (in the bare list and filtered)
    cap: int = CAP
    tenant: bool = True  # under /api/v1/a/<alliance-slug>/


# --- How each list's rows are grown -----------------------------------------------------------


def agency(b: Base, i: int, **fields: Any) -> Any:
    return AgencyFactory(alliance=b.alliance, name=f"Grown agency {i:02}", **fields)


def pdf(name: str = "paper.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def shared_area(b: Base, c: Context) -> None:
    c["area"] = ServiceAreaFactory(alliance=b.alliance, name="Shared area").slug


def grow_agency(b: Base, c: Context, i: int) -> None:
    own = ServiceAreaFactory(alliance=b.alliance, name=f"Own area {i}").slug
    grant(PersonFactory(), Role.CHIEF_OFFICER, agency(b, i, service_areas=[own, c["area"]]))


def grow_service_area(b: Base, c: Context, i: int) -> None:
    ServiceAreaFactory(alliance=b.alliance, name=f"Area {i:02}")


def grow_trustee(b: Base, c: Context, i: int) -> None:
    grant(PersonFactory(), Role.TRUSTEE, agency(b, i))


def grow_invitation(b: Base, c: Context, i: int) -> None:
    """The lead's chief officer invites to its board or staff; the admin to any agency's."""
    role = (Role.STAFF, Role.TRUSTEE)[i % 2]
    if i % 3 == 0:
        by, to = b.people["chief_officer"], b.lead
    else:
        by, to = b.people["admin"], (b.partner, b.competitor, b.cvs)[i % 3]
    members.invitation_create(
        actor=by, alliance=b.alliance, email=f"invitee{i}@example.org", role=role, agency=to
    )


def grow_audit_event(b: Base, c: Context, i: int) -> None:
    """A new admin (one event) adds a service area (another), by a different person each row."""
    admin = PersonFactory()
    grant(admin, Role.ALLIANCE_ADMIN, alliance=b.alliance)
    service_area_create(actor=admin, alliance=b.alliance, name=f"Audited area {i}")


def grow_protocol_version(b: Base, c: Context, i: int) -> None:
    """A new version, accepted by a different board each time."""
    start = date(2020, 1, 1) + timedelta(days=30 * i)
    version = protocol.protocol_version_publish(
        actor=b.people["admin"],
        alliance=b.alliance,
        principles=f"Principle {i}.",
        implemented_on=start,
        review_due_on=start + timedelta(days=365),
    )
    board = (b.lead, b.partner, b.competitor)[i % 3]
    protocol.protocol_accept(
        actor=board_of(board)[0], version=version, agency=board, accepted_on=start
    )


def grow_token(b: Base, c: Context, i: int) -> None:
    tokens.token_issue(user=b.people["chief_officer"], name=f"Client {i}", days=30 + i)


def lead_board(b: Base, c: Context) -> None:
    board_of(b.lead)


def grow_decision(b: Base, c: Context, i: int) -> None:
    """A question before the lead's board: joining a consortium, or a bid (alternately), one
    trustee having voted on every third."""
    if i % 2:
        host = agency(b, i)
        consortium = make_partnership(host, kind="consortium", name=f"Consortium {i}")
        member = partnerships.member_invite(
            actor=chief_of(host), partnership=consortium, agency=b.lead, role="partner"
        )
        partnerships.member_accept(actor=chief_of(b.lead), member=member)
    else:
        declaration = draft(make_tender(b.alliance, title=f"Tender {i}"), b.lead)
        declarations.declaration_submit_for_approval(
            actor=chief_of(b.lead), declaration=declaration
        )
    if i % 3 == 0:
        question = BoardDecision.objects.filter(agency=b.lead, status="open").latest("pk")
        decision_vote(actor=board_of(b.lead)[1], decision=question, choice="approve")


def grow_notification(b: Base, c: Context, i: int) -> None:
    notify(
        alliance=b.alliance,
        agencies=[b.lead],
        verb=f"test.news.{i % 3}",
        title=f"News {i}",
        url=f"/a/home/tenders/{i}/",
        roles=(Role.CHIEF_OFFICER,),
    )


def grow_report(b: Base, c: Context, i: int) -> None:
    reports.report_request(
        actor=b.people["chief_officer"],
        alliance=b.alliance,
        kind="declarations_register",
        format=("csv", "pdf")[i % 2],
        params={"agency": b.lead.pk},
    )


def grow_partnership(b: Base, c: Context, i: int) -> None:
    """A network, prime-and-subcontractors or alliance contract led by a new agency, with a
    different member and service area (kinds no trustee board has to approve: cheaper rows)."""
    area = ServiceAreaFactory(alliance=b.alliance, name=f"Area {i}").slug
    host = agency(b, i, service_areas=[area])
    kind = ("network", "prime_sub", "alliance_contract")[i % 3]
    partnership = make_partnership(host, kind=kind, name=f"Partnership {i}", areas=(area,))
    role = "subcontractor" if kind == "prime_sub" else "partner"
    join(partnership, (b.partner, b.cvs, b.competitor)[i % 3], role=role)


def checked_partnership(b: Base, c: Context) -> None:
    c["checked"] = make_partnership(b.lead, kind="prime_sub", name="Checked partnership")


def grow_check(b: Base, c: Context, i: int) -> None:
    member = agency(b, i)
    join(c["checked"], member, role="subcontractor")
    partnerships.check_record(
        actor=chief_of(b.lead),
        partnership=c["checked"],
        agency=member,
        item=DueDiligenceCheck.Item.values[i % len(DueDiligenceCheck.Item.values)],
        outcome=("met", "not_met")[i % 2],
    )


def grow_tender(b: Base, c: Context, i: int) -> None:
    own = ServiceAreaFactory(alliance=b.alliance, name=f"Own area {i}").slug
    incumbent = (b.lead, b.partner, b.competitor, None)[i % 4]
    make_tender(b.alliance, areas=(c["area"], own), incumbent_agency=incumbent)


def grow_import(b: Base, c: Context, i: int) -> None:
    """An OCDS import of one release, by a different admin each row."""
    importer = PersonFactory()
    grant(importer, Role.ALLIANCE_ADMIN, alliance=b.alliance)
    release = {
        "ocid": f"ocds-grown-{i}",
        "id": f"ocds-grown-{i}-1",
        "date": "2025-02-01T09:00:00Z",
        "tag": ["tender"],
        "buyer": {"name": "Kirkvale Borough Council"},
        "tender": {"id": f"GROWN-{i}", "title": f"Imported lot {i}", "status": "active"},
    }
    ocds.tenders_import(
        actor=importer,
        alliance=b.alliance,
        file_name=f"import{i}.json",
        data=json.dumps({"version": "1.1", "releases": [release]}).encode(),
    )


def contested_tender(b: Base, c: Context) -> None:
    c["tender"] = make_tender(b.alliance, title="Contested tender")
    declare(c["tender"], b.lead)


def grow_declarant(b: Base, c: Context, i: int) -> None:
    """One more consortium bid on the tender, naming a partner of its own: every declarant
    conflicts with every other, so the rules have more to say at each size."""
    named = AgencyFactory(alliance=b.alliance, name=f"Named partner {i:02}")
    declare(c["tender"], agency(b, i), partners={named: 10 + i})


def grow_step_back(b: Base, c: Context, i: int) -> None:
    stepping = agency(b, i)
    outcomes.step_back_record(
        actor=chief_of(stepping),
        tender=make_tender(b.alliance, title=f"Tender {i}"),
        agency=stepping,
        reason=f"Reason {i}",
    )


def grow_allocation(b: Base, c: Context, i: int) -> None:
    """Funding to a different partner each row; every third row a new consortium bid (naming
    the three partners it funds, who confirm) wins its tender first."""
    if i % 3 == 0:
        tender = make_tender(b.alliance, title=f"Tender {i}")
        named = [agency(b, 100 + i + n) for n in range(3)]
        c["won"] = declare(tender, agency(b, i), partners=dict.fromkeys(named, 20))
        c["funded"] = named
        for partner in named:
            confirm(c["won"], partner)
        outcomes.tender_award(
            actor=_platform_admin(b.alliance),
            tender=tender,
            winner=c["won"],
            awarded_on=timezone.localdate(),
        )
    outcomes.allocation_record(
        actor=chief_of(c["won"].agency),
        declaration=c["won"],
        agency=c["funded"][i % 3],
        amount_pence=1000 * (i + 1),
        agreed_on=timezone.localdate(),
    )


def debt_advice(b: Base, c: Context) -> None:
    ServiceAreaFactory(alliance=b.alliance, name="Debt advice", slug="debt-advice")
    agency_update(actor=_platform_admin(b.alliance), agency=b.lead, service_areas=["debt-advice"])


def network_with_lead(b: Base, i: int) -> Any:
    other = agency(b, i, service_areas=["debt-advice"])
    make_partnership(b.lead, other, name=f"Network {i}", areas=("debt-advice",))
    return other


def contested_debt_tender(b: Base, c: Context) -> None:
    debt_advice(b, c)
    c["tender"] = make_tender(b.alliance, areas=("debt-advice",), title="Contested tender")
    declare(c["tender"], b.lead)


def grow_withdrawal(b: Base, c: Context, i: int) -> None:
    """The lead, bidding, forms a network with a new agency, which then declares against it:
    both withdraw from the network (the lead as it joins, the other as it declares)."""
    declare(c["tender"], network_with_lead(b, i))


def rival_bids(b: Base, c: Context) -> None:
    tender = make_tender(b.alliance, title="Papered tender")
    c["lead_bid"], c["rival_bid"] = declare(tender, b.lead), declare(tender, b.competitor)


def grow_paper(b: Base, c: Context, i: int) -> None:
    """One paper the lead's chief officer sees (an alliance one, a partnership one or its own
    bid paper, in turn) and, beside its bid paper, the rival's it may not see."""
    title = f"Contract paper {i}"
    owner = agency(b, i)
    if i % 3 == 0:
        upload(chief_of(owner), owner, title=title)
    elif i % 3 == 1:
        network = make_partnership(b.lead, owner, name=f"Network {i}")
        upload(chief_of(owner), owner, sensitivity="partnership", partnership=network, title=title)
    else:
        bid_paper(c["lead_bid"], title=title)
        bid_paper(c["rival_bid"], title=f"Rival pricing {i}")


def breach_parents(b: Base, c: Context) -> None:
    c["tender"] = make_tender(b.alliance, title="Breached tender")
    c["partnership"] = make_partnership(b.lead, b.partner, name="Breached network")
    c["declaration"] = draft(c["tender"], b.lead)


def grow_breach(b: Base, c: Context, i: int) -> None:
    """Breaches of each agency and kind, some about a tender, a partnership or a declaration,
    every fourth reviewed (by the arbiter or the admin) with a warning."""
    kinds = Breach.Kind.values
    parents: dict[str, Any] = {"agency": (b.lead, b.partner, b.competitor)[i % 3]}
    if i % 3 == 1:
        parents["tender"] = c["tender"]
    elif i % 3 == 2:
        parents |= {"partnership": c["partnership"], "declaration": c["declaration"]}
    breach = BreachFactory(kind=kinds[i % len(kinds)], **parents)
    if i % 4 == 3:
        reviews.breach_review(
            actor=b.people[("arbiter", "admin")[i % 2]],
            breach=breach,
            outcome="upheld",
            note=f"Review {i}.",
            sanction="warning",
        )


def grow_dispute(b: Base, c: Context, i: int) -> None:
    """Disputes between each pair of agencies, every other one taken on by the arbiter."""
    parties = ((b.lead, b.partner), (b.competitor, b.lead), (b.partner, b.competitor))
    complainant, respondent = parties[i % 3]
    dispute = disputes.dispute_file(
        actor=chief_of(complainant),
        alliance=b.alliance,
        complainant=complainant,
        respondent=respondent,
        subject=Dispute.Subject.GENERAL,
        summary=f"Complaint {i}.",
    )
    if i % 2:
        today = timezone.localdate()
        disputes.dispute_accept(
            actor=b.people["arbiter"],
            dispute=dispute,
            evidence_due_on=today + timedelta(days=7),
            ruling_due_on=today + timedelta(days=14),
        )


def accepted_dispute(b: Base, c: Context) -> None:
    network = make_partnership(b.lead, b.partner, name="Disputed network")
    c["paper"] = upload(
        chief_of(b.partner), b.partner, sensitivity="partnership", partnership=network
    )
    dispute = disputes.dispute_file(
        actor=chief_of(b.lead),
        alliance=b.alliance,
        complainant=b.lead,
        respondent=b.partner,
        subject=Dispute.Subject.GENERAL,
        summary="They used the network while bidding.",
    )
    today = timezone.localdate()
    c["dispute"] = disputes.dispute_accept(
        actor=b.people["arbiter"],
        dispute=dispute,
        evidence_due_on=today + timedelta(days=7),
        ruling_due_on=today + timedelta(days=14),
    )


def grow_submission(b: Base, c: Context, i: int) -> None:
    """Each side and the arbiter in turn, each with a file, the parties some with a paper."""
    actor = (chief_of(b.lead), chief_of(b.partner), b.people["arbiter"])[i % 3]
    private = i % 3 == 0 and i % 2 == 0
    evidence.submission_add(
        actor=actor,
        dispute=c["dispute"],
        statement=f"Statement {i}.",
        visibility=Submission.Visibility.ARBITER if private else Submission.Visibility.SHARED,
        files=[pdf(f"file{i}.pdf")],
        paper_ids=[c["paper"].pk] if i % 3 != 2 else [],
    )


# --- The table: each list route, who reads it and how its rows grow --------------------------------------------------------------------------------

LISTS: dict[str, ListCase] = {
    "agency-list": ListCase("chief_officer", grow_agency, ({"reach": "local"},), setup=shared_area),
    "service-area-list": ListCase("partner", grow_service_area),
    "member-list": ListCase("partner", grow_trustee, ({"role": "trustee"},)),
    "invitation-list": ListCase("admin", grow_invitation),
    "audit-event-list": ListCase("arbiter", grow_audit_event, per_row=2),
    "protocol-versions": ListCase("partner", grow_protocol_version),
    # A person's own tokens: outside any alliance, as one token opens all of theirs.
    "api-token-list": ListCase("chief_officer", grow_token, tenant=False),
    "decision-list": ListCase("trustee", grow_decision, ({"status": "open"},), setup=lead_board),
    "notification-list": ListCase("chief_officer", grow_notification, ({"unread": "true"},)),
    "report-list": ListCase("chief_officer", grow_report),
    "partnership-list": ListCase("competitor", grow_partnership, ({"status": "forming"},)),
    "partnership-checks": ListCase(
        "chief_officer",
        grow_check,
        setup=checked_partnership,
        kwargs=lambda c: {"pk": c["checked"].pk},
    ),
    "tender-list": ListCase(
        "chief_officer",
        grow_tender,
        ({"service_area": "shared-area", "status": "open"},),
        setup=shared_area,
    ),
    "tender-import-report-list": ListCase("admin", grow_import),
    # The rules run over every declaration of the page's tenders at once: a fixed handful of
    # queries more than other lists (tests/bids/test_api.py allows 20).
    "declaration-list": ListCase(
        "chief_officer",
        grow_declarant,
        ({"tender": "{tender}"}, {"status": "declared", "capacity": "lead"}),
        setup=contested_tender,
        cap=16,
    ),
    "step-back-list": ListCase("chief_officer", grow_step_back),
    # The filters of allocations, breaches and disputes are plain column equalities (no join)
    # that the rows, varied as they are, do not all match.
    "allocation-list": ListCase("admin", grow_allocation),
    "withdrawal-list": ListCase(
        "arbiter",
        grow_withdrawal,
        ({"tender": "{tender}", "status": "active"},),
        setup=contested_debt_tender,
        per_row=2,
    ),
    "document-list": ListCase(
        "chief_officer",
        grow_paper,
        ({"search": "Contract paper"},),
        setup=rival_bids,
    ),
    "breach-list": ListCase("arbiter", grow_breach, setup=breach_parents),
    "dispute-list": ListCase("admin", grow_dispute),
    "dispute-submissions": ListCase(
        "arbiter",
        grow_submission,
        setup=accepted_dispute,
        kwargs=lambda c: {"pk": c["dispute"].pk},
    ),
}

# List routes the table does not measure, each with the reason. Empty: every list is measured.
NOT_MEASURED: dict[str, str] = {}


def test_the_table_covers_every_list_route_of_the_resolver():
    routes = list_routes()
    measured = set(LISTS)
    assert routes - measured - set(NOT_MEASURED) == set(), "a list has no query-count case"
    assert measured <= routes, "a case names a route that is not a paginated list"
    assert not set(NOT_MEASURED) & measured


def test_the_coverage_test_sees_lists_that_are_not_named_list():
    """The resolver's own evidence: sub-resource lists are found by the code that pages them."""
    assert {"partnership-checks", "dispute-submissions"} <= list_routes()
    assert "notification-preferences" not in list_routes()


def test_every_get_of_the_alliance_that_answers_with_a_page_is_a_list_the_table_knows(
    base: Base,
):
    """The coverage test finds lists by their code; their answers must agree with it."""
    client = api_as(base.people["admin"])
    for route in tenant_routes():
        if "get" in route.methods and not route.kwargs and route.is_drf:
            response = client.get(api_url(route.name))
            if response.status_code == 200:
                body = response.json()
                paged = isinstance(body, dict) and {"count", "results"} <= set(body)
                assert paged == (route.name in list_routes()), route.name


# --- The measurement --------------------------------------------------------------------------


def _url(route: str, case: ListCase, c: Context) -> str:
    kwargs = case.kwargs(c) if case.kwargs else {}
    if not case.tenant:
        return reverse(f"api:{route}", kwargs=kwargs)
    return api_url(route, **kwargs)


def _params(c: Context, given: dict[str, Any]) -> dict[str, Any]:
    """The filter's values filled in ("{tender}": the context's tender's id) and one page."""
    ids = {k: getattr(v, "pk", v) for k, v in c.items()}
    filled = {k: v.format(**ids) if isinstance(v, str) else v for k, v in given.items()}
    return {**filled, "page_size": 200}


def _read(client: Any, url: str, params: dict[str, Any]) -> int:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}, "not a paginated list"
    assert len(body["results"]) == body["count"], "the rows must fit one page"
    return body["count"]


def _measure(client: Any, url: str, params: dict[str, Any]) -> tuple[int, int]:
    """(queries, rows) of one read."""
    with CaptureQueriesContext(connection) as captured:
        rows = _read(client, url, params)
    return len(captured), rows


@pytest.mark.parametrize("route", LISTS)
def test_each_list_takes_no_more_queries_at_twelve_rows_than_at_two(
    route: str, base: Base, django_assert_max_num_queries: Any
):
    case = LISTS[route]
    context: Context = {}
    if case.setup:
        case.setup(base, context)
    for i in range(SMALL):
        case.grow(base, context, i)
    client = api_as(base.people[case.persona])
    url = _url(route, case, context)
    variants = [_params(context, f) for f in ({}, *case.filters)]
    _read(client, url, variants[0])  # the first read may fill caches: not the one counted
    small = [_measure(client, url, params) for params in variants]
    for i in range(SMALL, LARGE):
        case.grow(base, context, i)
    for params, (queries, rows) in zip(variants, small, strict=True):
        with django_assert_max_num_queries(queries) as large:
            grown = _read(client, url, params)
        shown = {k: v for k, v in params.items() if k != "page_size"}
        print(f"\n{route} {shown}: {queries} queries at {rows} rows, {len(large)} at {grown}")
        assert grown - rows == (LARGE - SMALL) * case.per_row, f"grown rows not listed: {shown}"
        assert rows >= SMALL * case.per_row
        assert queries <= case.cap, f"{queries} queries is more than a list should need"
