"""Who gets which status on every endpoint of the API, held to API.md, for the whole API.

Every (route, method) the URL resolver has under the alliance base is in exactly one place:
- ELSEWHERE: a per-app test already runs its persona matrix (named here, and checked to exist
  and to name the route), so it is not run twice;
- ACTIONS/EXPECTED below: the endpoints that had no matrix, one readable row each;
- NOT_A_MATRIX: none may be left out without a reason written beside it.

Sweeps cover every endpoint whatever its table: a member of another alliance gets 404 (an
alliance's objects are never forbidden to strangers, only missing) and nothing is written; an
anonymous caller gets 401; and on every write to an object, whoever gets a 403 can read that
object (a refusal never tells a member that something hidden exists).

Statuses: 2xx allowed; 403 signed in and may see the object but may not act; 404 the outsider,
and an object behind the information barrier (a rival's bid paper, someone else's report).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bids.models import Allocation, Declaration, StepBack, Tender
from bids.services import declarations, outcomes, tenders
from disputes.models import Breach, Dispute
from disputes.services import disputes
from kiaa.models import (
    AuditEvent,
    BoardDecision,
    Invitation,
    Membership,
    Notification,
    ReportExport,
    Role,
    User,
)
from kiaa.services import members, reports
from kiaa.services.notifications import notify
from partnerships.models import Document, Partnership
from tests.api import PERSONAS, api_url, tolerant
from tests.api_contract.routes import api_routes, endpoints, list_routes, tenant_routes
from tests.api_contract.world import Base
from tests.factories import PersonFactory, grant
from tests.factories.bids import bid_paper, declare, draft, make_tender, tupe_paper
from tests.factories.core import _platform_admin
from tests.factories.disputes import BreachFactory
from tests.factories.partnerships import PDF, chief_of, make_partnership, upload

pytestmark = pytest.mark.django_db

TESTS = Path(__file__).resolve().parent.parent

# --- Endpoints whose persona matrix lives in the app's own tests ------------------------------

KIAA = "tests/kiaa/test_api.py::test_each_persona_gets_the_status_api_md_promises"
DECISIONS = "tests/kiaa/test_decisions_api.py::test_each_persona_gets_the_status_api_md_promises"
ORDERS = (
    "tests/kiaa/test_standing_orders.py::test_each_persona_{}_standing_orders_as_api_md_promises"
)
INBOX = "tests/kiaa/test_notifications.py::test_every_member_reads_their_own_inbox_and_the_outsider_gets_404"
EMAIL = "tests/kiaa/test_notifications.py::test_every_member_has_an_email_setting_and_the_outsider_gets_404"
PARTNERSHIPS = "tests/partnerships/test_api.py::test_each_persona_gets_the_status_api_md_promises"
BIDS = "tests/bids/test_api.py::test_each_persona_gets_what_the_protocol_allows_on_each_endpoint"
IMPORTS = "tests/bids/test_api.py::test_only_admins_read_the_registers_imports"
BREACHES = "tests/disputes/test_api.py::test_each_persona_{}"
REVIEW = "tests/disputes/test_review_api.py::test_only_the_arbiter_or_an_admin_reviews_and_others_learn_nothing"
DISPUTES = "tests/disputes/test_dispute_api.py::test_each_{}"
STEPS = DISPUTES.format("step_is_taken_only_by_whom_the_protocol_names")
PARITY = "tests/kiaa/test_api_parity.py::test_each_persona_gets_the_status_the_page_gives_them"
# The feed's credential is the secret in its address, not a session: its matrix is by link
# (wrong, replaced, turned off, another alliance's), not by persona.
CALENDAR = "tests/kiaa/test_calendar.py::test_a_wrong_replaced_or_turned_off_link_is_a_404_that_says_nothing"

ELSEWHERE: dict[tuple[str, str], str] = {
    ("agency-list", "get"): KIAA,
    ("agency-list", "post"): KIAA,
    ("agency-detail", "get"): KIAA,
    ("agency-detail", "patch"): KIAA,
    ("service-area-list", "get"): KIAA,
    ("service-area-list", "post"): KIAA,
    ("service-area-detail", "get"): KIAA,
    ("member-list", "get"): KIAA,
    ("member-list", "post"): KIAA,
    ("member-detail", "get"): KIAA,
    ("protocol", "get"): KIAA,
    ("protocol-settings", "get"): KIAA,
    ("protocol-settings", "put"): KIAA,
    ("standing-orders", "get"): ORDERS.format("reads"),
    ("standing-orders", "put"): ORDERS.format("changes"),
    ("decision-list", "get"): DECISIONS,
    ("decision-detail", "get"): DECISIONS,
    ("decision-vote", "post"): DECISIONS,
    ("notification-list", "get"): INBOX,
    ("notification-preferences", "get"): EMAIL,
    ("notification-preferences", "put"): EMAIL,
    ("calendar-feed", "get"): CALENDAR,
    ("member-detail", "delete"): PARITY,
    ("invitation-list", "get"): PARITY,
    ("invitation-detail", "get"): PARITY,
    ("invitation-revoke", "post"): PARITY,
    ("protocol-versions", "get"): PARITY,
    ("protocol-versions", "post"): PARITY,
    ("protocol-acceptances", "post"): PARITY,
    ("notification-read-all", "post"): PARITY,
    ("calendar", "get"): PARITY,
    ("calendar", "post"): PARITY,
    ("calendar-turn-off", "post"): PARITY,
    ("audit-event-list", "get"): PARITY,
    ("partnership-list", "get"): PARTNERSHIPS,
    ("partnership-list", "post"): PARTNERSHIPS,
    ("partnership-detail", "get"): PARTNERSHIPS,
    ("partnership-members", "post"): PARTNERSHIPS,
    ("partnership-member-accept", "post"): PARTNERSHIPS,
    ("partnership-member-decline", "post"): PARTNERSHIPS,
    ("partnership-checks", "get"): PARTNERSHIPS,
    ("partnership-checks", "post"): PARTNERSHIPS,
    ("partnership-confirm", "post"): PARTNERSHIPS,
    ("partnership-dissolve", "post"): PARTNERSHIPS,
    ("partnership-mou", "get"): PARTNERSHIPS,
    ("partnership-mou", "put"): PARTNERSHIPS,
    ("partnership-mou-sign", "post"): PARTNERSHIPS,
    ("partnership-mou-acknowledge", "post"): PARTNERSHIPS,
    ("withdrawal-list", "get"): PARTNERSHIPS,
    ("withdrawal-detail", "get"): PARTNERSHIPS,
    ("tender-list", "get"): BIDS,
    ("tender-list", "post"): BIDS,
    ("tender-detail", "get"): BIDS,
    ("tender-detail", "patch"): BIDS,
    ("tender-close", "post"): BIDS,
    ("tender-award", "post"): BIDS,
    ("tender-import", "post"): BIDS,
    ("tender-import-report-list", "get"): IMPORTS,
    ("tender-import-report-detail", "get"): IMPORTS,
    ("declaration-list", "get"): BIDS,
    ("declaration-list", "post"): BIDS,
    ("declaration-detail", "get"): BIDS,
    ("declaration-submit-for-approval", "post"): BIDS,
    ("declaration-vote", "post"): BIDS,
    ("declaration-withdraw", "post"): BIDS,
    ("declaration-mark-submitted", "post"): BIDS,
    ("declaration-decline-naming", "post"): BIDS,
    ("declaration-papers", "post"): BIDS,
    ("step-back-list", "get"): BIDS,
    ("step-back-list", "post"): BIDS,
    ("allocation-list", "get"): BIDS,
    ("breach-list", "get"): BREACHES.format("lists_only_the_breaches_they_may_see"),
    ("breach-detail", "get"): BREACHES.format("reads_a_breach_or_gets_404"),
    ("breach-review", "post"): REVIEW,
    ("dispute-list", "get"): DISPUTES.format("persona_lists_only_the_disputes_they_may_see"),
    ("dispute-list", "post"): STEPS,
    ("dispute-detail", "get"): DISPUTES.format("persona_reads_the_dispute_or_gets_404"),
    ("dispute-accept", "post"): STEPS,
    ("dispute-appoint", "post"): STEPS,
    ("dispute-deadlines", "post"): STEPS,
    ("dispute-withdraw", "post"): STEPS,
    ("dispute-submissions", "get"): DISPUTES.format("persona_reads_only_the_evidence_shown_to_them"),
    ("dispute-submissions", "post"): STEPS,
    ("dispute-ruling", "get"): DISPUTES.format("persona_reads_the_ruling_or_gets_404"),
    ("dispute-ruling", "post"): STEPS,
    ("dispute-action-confirm", "post"): STEPS,
    ("dispute-file", "get"): DISPUTES.format("persona_downloads_only_the_files_they_may_read"),
}  # fmt: skip

# How a referenced module names a route it builds rather than spells out.
NAMED_AS = {"partnership-member-decline": 'member_url("decline"'}

# Endpoints with no persona matrix anywhere, each with the reason. Empty: every one has one.
NOT_A_MATRIX: dict[tuple[str, str], str] = {}

# Routes of the "api" namespace outside the alliance base: no alliance, so no persona matrix;
# each is its person's own (a password issues a token, another person's token is a 404), as the
# named test holds it.
TOKENS = "tests/kiaa/test_tokens.py::test_{}"
OUTSIDE_THE_ALLIANCE = {
    "api-token": TOKENS.format("bad_credentials_are_a_400_with_detail_and_issue_no_token"),
    "api-token-list": TOKENS.format(
        "each_client_gets_its_own_token_and_the_list_never_shows_a_key"
    ),
    "api-token-detail": TOKENS.format("another_persons_token_cannot_be_seen_or_revoked"),
}


# --- The shared state the rows below act on ---------------------------------------------------


@dataclass
class Scene:
    """One of each object the rows name, in the home alliance (see build_scene)."""

    base: Base
    notification: Notification
    export: ReportExport
    network: Partnership
    retender: Tender
    tupe: Document
    closed: Tender
    step_back: StepBack
    won: Declaration
    pricing: Document
    allocation: Allocation
    minutes: Document
    joint: Declaration
    rival_draft: Declaration
    breach: Breach
    decision: BoardDecision
    staffer: Membership
    invitation: Invitation
    dispute: Dispute

    @property
    def people(self) -> dict[str, User]:
        return self.base.people


def build_scene(b: Base) -> Scene:
    chief, competitor = b.people["chief_officer"], b.people["competitor"]
    admin = _platform_admin(b.alliance)
    today = timezone.localdate()
    # A note for the lead's chief officer, and a register they exported (drawn, so ready).
    [notification] = notify(
        alliance=b.alliance,
        agencies=[b.lead],
        verb="test.news",
        title="News for the chief officer",
        roles=(Role.CHIEF_OFFICER,),
    )
    export = reports.report_request(
        actor=chief,
        alliance=b.alliance,
        kind="declarations_register",
        format="csv",
        params={"agency": b.lead.pk},
    )
    reports.report_render(export_id=export.pk)
    # A network the competitor works in with the lead: its chief officer may leave it.
    network = make_partnership(b.lead, b.competitor, name="Advice network")
    # The lead holds the contract being retendered: its TUPE paper waits for release, and the
    # competitor has declared for it.
    retender = make_tender(b.alliance, title="Advice line retender", incumbent_agency=b.lead)
    declare(retender, b.competitor)
    tupe = tupe_paper(retender)
    closed = tenders.tender_close(actor=admin, tender=make_tender(b.alliance))
    quiet = make_tender(b.alliance, title="Quiet tender")
    step_back = outcomes.step_back_record(
        actor=competitor, tender=quiet, agency=b.competitor, reason="The incumbent does well."
    )
    # The lead's consortium with the partner won against the competitor, and funds the partner;
    # the lead's pricing is the team's, never the rival's.
    won_tender = make_tender(b.alliance, title="Debt advice service")
    won = declare(won_tender, b.lead, partners={b.partner: 30})
    declare(won_tender, b.partner, lead=won)
    declare(won_tender, b.competitor)
    pricing = bid_paper(won, title="Lead pricing")
    outcomes.tender_award(actor=admin, tender=won_tender, winner=won, awarded_on=today)
    allocation = outcomes.allocation_record(
        actor=chief, declaration=won, agency=b.partner, amount_pence=5000, agreed_on=today
    )
    # The lead declared a consortium bid naming the competitor, which has yet to answer; the
    # competitor drafted one naming the lead, seen only by the two of them.
    joint = declare(make_tender(b.alliance), b.lead, partners={b.competitor: 25})
    rival_draft = draft(make_tender(b.alliance), b.competitor, partners={b.lead: 25})
    # A bid of the lead's before its board: last, as the factories approve what is open.
    pending = draft(quiet, b.lead)
    declarations.declaration_submit_for_approval(actor=chief, declaration=pending)
    return Scene(
        base=b,
        notification=notification,
        export=export,
        network=network,
        retender=retender,
        tupe=tupe,
        closed=closed,
        step_back=step_back,
        won=won,
        pricing=pricing,
        allocation=allocation,
        minutes=upload(chief_of(b.partner), b.partner, title="Alliance minutes"),
        joint=joint,
        rival_draft=rival_draft,
        breach=BreachFactory(agency=b.lead),
        decision=BoardDecision.objects.get(
            subject_type=declarations.SUBJECT, subject_id=pending.pk, status="open"
        ),
        staffer=grant(PersonFactory(), Role.STAFF, b.lead),
        invitation=members.invitation_create(
            actor=chief,
            alliance=b.alliance,
            email="new@lead.example.org",
            role="staff",
            agency=b.lead,
        ),
        dispute=disputes.dispute_file(
            actor=chief,
            alliance=b.alliance,
            complainant=b.lead,
            respondent=b.partner,
            subject=Dispute.Subject.GENERAL,
            summary="A complaint.",
        ),
    )


@pytest.fixture(scope="module")
def scene(base: Base) -> Scene:
    return build_scene(base)


# --- The matrix of the endpoints that had none ------------------------------------------------


def pdf(name: str = "paper.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass(frozen=True)
class Action:
    route: str
    method: str
    kwargs: Callable[[Scene], dict[str, Any]] = lambda s: {}
    body: Callable[[Scene], Any] | None = None
    multipart: bool = False


def pk(name: str) -> Callable[[Scene], dict[str, Any]]:
    """The URL kwargs naming the scene's object of that name."""
    return lambda s: {"pk": getattr(s, name).pk}


ACTIONS: dict[str, Action] = {
    "read my notification": Action("notification-detail", "get", pk("notification")),
    "mark my notification read": Action("notification-read", "post", pk("notification")),
    "list my reports": Action("report-list", "get"),
    "export the lead's register": Action(
        "report-list",
        "post",
        body=lambda s: {
            "kind": "declarations_register",
            "format": "csv",
            "params": {"agency": s.base.lead.pk},
        },
    ),
    "follow my report": Action("report-detail", "get", pk("export")),
    "download my report": Action("report-download", "get", pk("export")),
    "leave the network": Action(
        "partnership-member-leave",
        "post",
        lambda s: {"partnership_id": s.network.pk, "agency_id": s.base.competitor.pk},
    ),
    "cancel a tender": Action(
        "tender-cancel", "post", pk("retender"), lambda s: {"reason": "The council withdrew it."}
    ),
    "reopen a tender": Action("tender-reopen", "post", pk("closed")),
    "share TUPE information": Action(
        "tender-tupe",
        "post",
        pk("retender"),
        lambda s: {"title": "Staff list, revised", "file": pdf("tupe.pdf")},
        multipart=True,
    ),
    "release TUPE information": Action("tender-tupe-release", "post", pk("retender")),
    "read a step-back": Action("step-back-detail", "get", pk("step_back")),
    "read an allocation": Action("allocation-detail", "get", pk("allocation")),
    "record an allocation": Action(
        "allocation-list",
        "post",
        body=lambda s: {
            "declaration": s.won.pk,
            "agency": s.base.partner.pk,
            "amount_pence": 2500,
            "agreed_on": str(timezone.localdate() + timedelta(days=1)),
        },
    ),
    "list papers": Action("document-list", "get"),
    "share a paper": Action(
        "document-list",
        "post",
        body=lambda s: {"title": "Rota", "sensitivity": "alliance", "file": pdf()},
        multipart=True,
    ),
    "read an alliance paper": Action("document-detail", "get", pk("minutes")),
    "read the winning bid's pricing": Action("document-detail", "get", pk("pricing")),
    "download the winning bid's pricing": Action("document-download", "get", pk("pricing")),
    "read the TUPE paper before release": Action("document-detail", "get", pk("tupe")),
    "read the pricing's timeline": Action("document-timeline", "get", pk("pricing")),
    "read the minutes' timeline": Action("document-timeline", "get", pk("minutes")),
    "confirm being named in a bid": Action("declaration-confirm-naming", "post", pk("joint")),
    "confirm being named in a rival's draft": Action(
        "declaration-confirm-naming", "post", pk("rival_draft")
    ),
}

# chief_officer runs the lead (the incumbent of the retender, the winning consortium's lead and
# the exporter of the report); trustee sits on its board; partner is staff of the funded
# partner; competitor runs the rival bidder (and is the network's other member).
EXPECTED = {  #                          chief trustee partner rival arbiter admin outsider
    "read my notification":               (200,  404,   404,    404,  404,    404,  404),
    "mark my notification read":          (200,  404,   404,    404,  404,    404,  404),
    "list my reports":                    (200,  200,   200,    200,  200,    200,  404),
    "export the lead's register":         (202,  403,   403,    403,  403,    202,  404),
    "follow my report":                   (200,  404,   404,    404,  404,    404,  404),
    "download my report":                 (200,  404,   404,    404,  404,    404,  404),
    "leave the network":                  (403,  403,   403,    200,  403,    403,  404),
    "cancel a tender":                    (403,  403,   403,    403,  403,    200,  404),
    "reopen a tender":                    (403,  403,   403,    403,  403,    200,  404),
    "share TUPE information":             (201,  403,   403,    403,  403,    403,  404),
    "release TUPE information":           (201,  403,   403,    403,  403,    201,  404),
    "read a step-back":                   (200,  200,   200,    200,  200,    200,  404),
    "read an allocation":                 (200,  200,   200,    404,  200,    200,  404),
    "record an allocation":               (201,  403,   403,    403,  403,    403,  404),
    "list papers":                        (200,  200,   200,    200,  200,    200,  404),
    "share a paper":                      (201,  201,   201,    201,  201,    403,  404),
    "read an alliance paper":             (200,  200,   200,    200,  200,    200,  404),
    "read the winning bid's pricing":     (200,  200,   200,    404,  404,    404,  404),
    "download the winning bid's pricing": (200,  200,   200,    404,  404,    404,  404),
    "read the TUPE paper before release": (200,  200,   404,    404,  404,    404,  404),
    "read the pricing's timeline":        (200,  200,   403,    404,  200,    404,  404),
    "read the minutes' timeline":         (403,  403,   200,    403,  200,    403,  404),
    "confirm being named in a bid":       (403,  403,   403,    201,  403,    403,  404),
    "confirm being named in a rival's draft": (201, 403, 404,   403,  404,    404,  404),
}  # fmt: skip

MATRIX = [
    pytest.param(name, persona, status, id=f"{name}-{persona}")
    for name, statuses in EXPECTED.items()
    for persona, status in zip(PERSONAS, statuses, strict=True)
]


def events() -> int:
    return AuditEvent.objects.count()


def send(client: APIClient, action: Action, scene: Scene) -> Any:
    url = api_url(action.route, **action.kwargs(scene))
    body = action.body(scene) if action.body else None
    if action.method == "get":
        return client.get(url)
    if action.multipart:
        return client.post(url, body, format="multipart")
    return getattr(client, action.method)(url, body or {}, format="json")


def is_page(response: Any) -> bool:
    body = response.json() if response["Content-Type"] == "application/json" else None
    return isinstance(body, dict) and set(body) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize(("name", "persona", "expected"), MATRIX)
def test_each_persona_gets_the_status_api_md_promises_where_no_app_test_had_a_matrix(
    name: str, persona: str, expected: int, scene: Scene
):
    action = ACTIONS[name]
    before = events()
    response = send(tolerant(scene.people[persona]), action, scene)
    assert response.status_code == expected, (name, persona, response.content[:300])
    if expected == 403:
        assert set(response.json()) == {"detail"}
        assert events() == before, "a refused request wrote to the audit trail"
    if expected == 200 and action.method == "get" and is_page(response):
        assert action.route in list_routes(), "a paginated list the query-count table misses"


# --- Every endpoint is in one table -----------------------------------------------------------


def _named_in(reference: str, route: str) -> bool:
    """The referenced test function exists and its module names the route."""
    path, test = reference.split("::")
    source = (TESTS.parent / path).read_text()
    names = (f'"{route}"', f'"api:{route}"', NAMED_AS.get(route, f'"{route}"'))
    return f"\ndef {test}(" in source and any(n in source for n in names)


def test_every_endpoint_of_the_resolver_has_a_persona_matrix_here_or_in_its_apps_tests():
    here = {(a.route, a.method) for a in ACTIONS.values()}
    missing = endpoints() - here - set(ELSEWHERE) - set(NOT_A_MATRIX)
    assert missing == set(), "endpoints with no persona matrix"
    stale = (here | set(ELSEWHERE) | set(NOT_A_MATRIX)) - endpoints()
    assert stale == set(), "rows for endpoints the resolver no longer has"
    assert not here & set(ELSEWHERE), "an endpoint tested here and in its app: keep one"
    assert set(ACTIONS) == set(EXPECTED)


def test_each_matrix_referenced_elsewhere_exists_and_names_its_route():
    wrong = {e: ref for e, ref in ELSEWHERE.items() if not _named_in(ref, e[0])}
    assert wrong == {}, "references to tests that are gone or do not name the route"


def test_every_route_outside_the_alliance_base_is_accounted_for():
    outside = {r.name for r in api_routes() if not r.in_tenant}
    assert outside == set(OUTSIDE_THE_ALLIANCE)
    wrong = [name for name, ref in OUTSIDE_THE_ALLIANCE.items() if not _named_in(ref, name)]
    assert wrong == []


# --- The sweeps: every endpoint, whatever its table -------------------------------------------

# Real objects of the home alliance for each kind of id in a URL, so the outsider's 404 is about
# the alliance, not a missing row; a route of a kind not named here gets the lead agency's id.
IDS: dict[str, Callable[[Scene], Any]] = {
    "agency": lambda s: s.base.lead.pk,
    "member": lambda s: s.staffer.pk,
    "decision": lambda s: s.decision.pk,
    "invitation": lambda s: s.invitation.pk,
    "dispute": lambda s: s.dispute.pk,
    "standing": lambda s: s.base.lead.pk,
    "notification": lambda s: s.notification.pk,
    "report": lambda s: s.export.pk,
    "partnership": lambda s: s.network.pk,
    "tender": lambda s: s.retender.pk,
    "declaration": lambda s: s.won.pk,
    "step": lambda s: s.step_back.pk,
    "allocation": lambda s: s.allocation.pk,
    "document": lambda s: s.pricing.pk,
    "breach": lambda s: s.breach.pk,
}


def _kwargs(route: Any, scene: Scene) -> dict[str, Any]:
    first = route.name.split("-")[0]
    pk_ = IDS.get(first, IDS["agency"])(scene)
    values = {
        "pk": pk_,
        "partnership_id": scene.network.pk,
        "agency_id": scene.base.competitor.pk,
        "slug": "any-area",
    }
    return {k: values.get(k, pk_) for k in route.kwargs}


def url_of(route: Any, scene: Scene) -> str:
    return reverse(f"api:{route.name}", kwargs={"alliance_slug": "home", **_kwargs(route, scene)})


SWEEP = [
    pytest.param(route, method, id=f"{method} {route.name}")
    for route in tenant_routes()
    for method in route.methods
]


@pytest.mark.parametrize(("route", "method"), SWEEP)
def test_on_any_endpoint_another_alliances_member_finds_nothing_and_a_stranger_must_sign_in(
    route: Any, method: str, scene: Scene
):
    url, before = url_of(route, scene), events()
    outsider = getattr(tolerant(scene.people["outsider"]), method)(url, {}, format="json")
    assert outsider.status_code == 404, outsider.content[:300]
    assert events() == before, "a stranger's request wrote to the audit trail"
    anonymous = getattr(APIClient(), method)(url, {}, format="json")
    # The calendar feed's credential is the secret in its address: without one it is missing.
    assert anonymous.status_code == (401 if route.is_drf else 404)


def detail_of(route: Any) -> str | None:
    """The GET of the object a write's URL names: the detail route of the longest resource
    the route's name starts with (tender-cancel: tender-detail; an agency's standing orders and
    a partnership's members: the agency's and the partnership's)."""
    if route.name == "standing-orders":
        return "agency-detail"
    details = [r.name for r in tenant_routes() if r.name.endswith("-detail") and "get" in r.methods]
    found = [
        d for d in details if route.name.startswith(d.removesuffix("detail")) and d != route.name
    ]
    return max(found, key=len, default=None)


def detail_url(route: Any, scene: Scene) -> str:
    kwargs = {k: v for k, v in _kwargs(route, scene).items() if k in ("pk", "partnership_id")}
    pk_ = kwargs.get("partnership_id", kwargs.get("pk"))
    return api_url(str(detail_of(route)), pk=pk_)


OBJECT_WRITES = [
    pytest.param(route, method, id=f"{method} {route.name}")
    for route in tenant_routes()
    for method in route.methods
    if method != "get" and route.kwargs and detail_of(route)
]


@pytest.mark.parametrize(("route", "method"), OBJECT_WRITES)
def test_a_403_on_an_object_goes_only_to_someone_who_may_read_it(
    route: Any, method: str, scene: Scene
):
    """API.md: 403 is "may see, may not act"; to anyone who may not see the object it is a 404,
    so a refusal never tells a member that something hidden exists. (Asked the other way round:
    whoever cannot read the object must not be told 403 when they try to act on it.)"""
    for persona in PERSONAS[:-1]:
        client = tolerant(scene.people[persona])
        if client.get(detail_url(route, scene)).status_code == 200:
            continue
        with transaction.atomic():  # should the write go through, it is undone
            response = getattr(client, method)(url_of(route, scene), {}, format="json")
            transaction.set_rollback(True)
        assert response.status_code != 403, f"{persona} is refused what they cannot see"
