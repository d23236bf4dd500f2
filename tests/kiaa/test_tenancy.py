"""Isolation between alliances, proven on every URL the project has.

The patterns come from the URL resolver, so a URL added later is covered without editing
this file; a detail URL whose model cannot be discovered fails here until it can.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from bids.services import ocds, outcomes
from disputes.models import EvidenceFile, RequiredAction
from disputes.services import disputes, evidence, rulings
from kiaa.models import Agency, Membership, ProtocolVersion, Role
from kiaa.services import members, protocol, reports
from kiaa.services.calendar import calendar_feed_create
from kiaa.services.notifications import notify
from kiaa.tenancy import TENANT_KWARG
from partnerships.services import withdrawals
from tests.factories import AgencyFactory, PersonFactory, ServiceAreaFactory, grant
from tests.factories.bids import bid_paper, declare, make_tender, tupe_paper
from tests.factories.core import _platform_admin
from tests.factories.disputes import BreachFactory
from tests.factories.partnerships import PDF, chief_of, draft_mou, make_partnership, upload
from tests.kiaa.report_kind import NAME as REPORT

pytestmark = pytest.mark.django_db

METHODS = ["get", "post", "put", "patch", "delete"]
# URLs outside any alliance; everything else must carry the alliance slug.
NON_TENANT_PREFIXES = (
    "",
    "accounts/",
    "invitations/",
    "api/v1/auth/",
    "api/schema/",
    "api/docs/",
    "admin/",
)


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    callback: Any
    params: tuple[str, ...]

    def model(self) -> type[Model] | None:
        view = getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)
        if view is None:
            return getattr(self.callback, "model", None)
        queryset = getattr(view, "queryset", None)
        return queryset.model if queryset is not None else getattr(view, "model", None)


def walk(
    patterns: list[Any], prefix: str = "", params: tuple[str, ...] = (), namespace: str = ""
) -> list[Route]:
    routes: list[Route] = []
    for p in patterns:
        converters = tuple(getattr(p.pattern, "converters", {})) or tuple(
            p.pattern.regex.groupindex
        )
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            routes += walk(p.url_patterns, route, params + converters, inner)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else None
            routes.append(Route(route, name, p.callback, params + converters))
    return routes


ALL_ROUTES = walk(get_resolver().url_patterns)
TENANT_ROUTES = [r for r in ALL_ROUTES if TENANT_KWARG in r.params]
# Their credential is a secret in the address (a calendar app cannot sign in), not a session:
# test_every_secret_link_url_is_isolated_between_alliances proves the same promises for them.
SECRET_LINK_ROUTES = {"api:calendar-feed"}
SESSION_ROUTES = [r for r in TENANT_ROUTES if r.name not in SECRET_LINK_ROUTES]


def test_the_walk_finds_the_pages_and_the_api():
    names = {r.name for r in TENANT_ROUTES}
    assert {
        "dashboard",
        "agency-detail",
        "api:agency-list",
        "api:agency-detail",
        "api:protocol",
    } <= names
    assert len(TENANT_ROUTES) >= 15


def test_every_url_outside_an_alliance_is_one_we_meant():
    stray = [
        r.route
        for r in ALL_ROUTES
        if TENANT_KWARG not in r.params
        and not any(r.route.startswith(p) and (p or r.route == "") for p in NON_TENANT_PREFIXES)
    ]
    assert stray == [], "these URLs are outside any alliance; put them under a/<alliance_slug>/"


@pytest.fixture
def populated(world, admin, people_kind):
    """Both alliances hold one of everything a detail URL can point at."""
    for alliance in (world.alliance, world.other_alliance):
        # An export is its requester's own: the home one is the insider's.
        reports.report_request(
            actor=_platform_admin(alliance), alliance=alliance, kind=REPORT, format="pdf", params={}
        )
        ServiceAreaFactory(alliance=alliance, name=f"Debt advice {alliance.slug}")
        protocol.protocol_version_publish(
            actor=_platform_admin(alliance),
            alliance=alliance,
            principles="Be open.",
            implemented_on=date(2025, 1, 1),
            review_due_on=date(2026, 1, 1),
        )
        agency = world.lead if alliance == world.alliance else world.other_agency
        members.invitation_create(
            actor=_platform_admin(alliance),
            alliance=alliance,
            email=f"invited@{alliance.slug}.example.org",
            role=Role.STAFF,
            agency=agency,
        )
    grant(_platform_admin(world.other_alliance), Role.STAFF, world.other_agency)
    for alliance, lead in (
        (world.alliance, world.lead),
        (world.other_alliance, world.other_agency),
    ):
        second = world.partner if alliance == world.alliance else AgencyFactory(alliance=alliance)
        # A consortium: its lead's board decided to join (a BoardDecision), with an MoU.
        consortium = make_partnership(
            lead, second, kind="consortium", name=f"Consortium {alliance.slug}"
        )
        draft_mou(consortium)
        withdrawals.withdrawal_start(
            actor=None, partnership=consortium, agency=second, reason="Competing"
        )
        upload(chief_of(lead), lead, title=f"Alliance paper {alliance.slug}")
        bid_history(alliance, lead, second)
        BreachFactory(agency=lead, partnership=consortium)  # what the detectors would find
        dispute_history(alliance, lead, second)
    # The insider sits on both boards too, so every page of the home alliance is theirs to see.
    for agency in (world.lead, world.partner):
        grant(insider(world), Role.TRUSTEE, agency)
    # A notification in each alliance; the home one is the insider's own (only its recipient
    # sees one), through a role nobody else holds.
    grant(insider(world), Role.STAFF, world.cvs)
    for alliance, agency in (
        (world.alliance, world.cvs),
        (world.other_alliance, world.other_agency),
    ):
        notify(alliance=alliance, agencies=[agency], verb="test", title="News", roles=[Role.STAFF])
    return world


def bid_history(alliance: Any, lead: Any, second: Any) -> None:
    """A tender imported from a notice, won by a consortium bid with its partner's allocation,
    a step-back, and a TUPE room."""
    admin = _platform_admin(alliance)
    package = {
        "releases": [
            {
                "ocid": f"ocds-{alliance.slug}-1",
                "date": "2026-11-01T09:00:00Z",
                "buyer": {"name": "Borough Council"},
                "tender": {"id": f"T-{alliance.slug}", "title": "Advice", "status": "active"},
            }
        ]
    }
    ocds.tenders_import(
        actor=admin, alliance=alliance, file_name="notice.json", data=json.dumps(package).encode()
    )
    third = AgencyFactory(alliance=alliance)
    tender = make_tender(alliance, incumbent_agency=third)
    outcomes.step_back_record(
        actor=chief_of(third), tender=tender, agency=third, reason="We hold the contract now"
    )
    tupe_paper(tender)
    lead_bid = declare(tender, lead, partners={second: 25})
    declare(tender, second, lead=lead_bid)
    bid_paper(lead_bid)
    outcomes.tender_award(
        actor=admin, tender=tender, winner=lead_bid, awarded_on=timezone.localdate()
    )
    outcomes.allocation_record(
        actor=chief_of(lead),
        declaration=lead_bid,
        agency=second,
        amount_pence=100_000,
        agreed_on=timezone.localdate(),
    )


def dispute_history(alliance: Any, lead: Any, second: Any) -> None:
    """A dispute between the two, taken on by the CVS's arbiter, with a shared submission and
    its file, and a ruling that requires an action of the respondent."""
    cvs = Agency.objects.filter(alliance=alliance, is_arbiter=True).first() or AgencyFactory(
        alliance=alliance, is_arbiter=True
    )
    arbiter = PersonFactory()
    grant(arbiter, Role.ARBITER, cvs)
    dispute = disputes.dispute_file(
        actor=chief_of(lead),
        alliance=alliance,
        complainant=lead,
        respondent=second,
        subject="general",
        summary="A disagreement about referrals.",
    )
    today = timezone.localdate()
    disputes.dispute_accept(
        actor=arbiter,
        dispute=dispute,
        evidence_due_on=today + timedelta(days=7),
        ruling_due_on=today + timedelta(days=14),
    )
    evidence.submission_add(
        actor=chief_of(lead),
        dispute=dispute,
        statement="The minutes.",
        files=[SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf")],
    )
    rulings.ruling_publish(
        actor=arbiter,
        dispute=dispute,
        findings="Found.",
        decision="Decided.",
        actions=[rulings.ActionSpec(second, "Apologise.", today + timedelta(days=7))],
    )


def insider(world: Any) -> Any:
    """The home alliance's admin, who also sits on the consortium members' boards."""
    return _platform_admin(world.alliance)


# A nested URL parameter the object does not carry itself.
PARAMETER_OF = {"agency_id": "lead_agency_id"}
# URL parameters that name no object of the alliance (a kind of report).
FIXED = {"kind": REPORT}
# Objects inside a dispute, named in its URLs after the dispute's own id (pages, then API).
_FILE = lambda d: EvidenceFile.objects.filter(submission__dispute=d).first().pk  # noqa: E731
_ACTION = lambda d: RequiredAction.objects.filter(dispute=d).first().pk  # noqa: E731
INSIDE_OF = {"file_pk": _FILE, "file_id": _FILE, "action_pk": _ACTION, "action_id": _ACTION}
# Routes about a lead's naming of a partner: the lead's declaration and the named agency.
NAMING_ROUTES = {"naming-confirm", "naming-decline"}


def url_for(route: Route, slug: str, obj: Model | None) -> str:
    assert route.name, f"{route.route}: name the URL so it can be reversed"
    kwargs = {
        p: slug if p == TENANT_KWARG else getattr(obj, p if hasattr(obj, p) else PARAMETER_OF[p])
        for p in route.params
        if p not in INSIDE_OF and p not in FIXED
    }
    kwargs.update({p: FIXED[p] for p in route.params if p in FIXED})
    kwargs.update({p: INSIDE_OF[p](obj) for p in route.params if p in INSIDE_OF})
    if route.name in NAMING_ROUTES:
        kwargs["agency_id"] = obj.named_partners.first().agency_id  # type: ignore[union-attr]
    return reverse(route.name, kwargs=kwargs)


def object_in(route: Route, alliance: Any) -> Model | None:
    object_params = [p for p in route.params if p != TENANT_KWARG and p not in FIXED]
    if not object_params:
        return None
    model = route.model()
    assert model is not None, (
        f"{route.route}: set `model` or `queryset` on the view so isolation is tested"
    )
    found = model.objects.filter(alliance=alliance)
    if route.name in NAMING_ROUTES:
        found = found.filter(capacity="lead")
    obj = found.first()
    assert obj is not None, f"add a {model.__name__} to the `populated` fixture for {route.route}"
    return obj


def hit(client: Client, method: str, url: str) -> int:
    return getattr(client, method)(
        url, data={} if method == "get" else None, content_type="application/json"
    ).status_code


def test_every_url_is_isolated_between_alliances(populated, outsider, admin, subtests):
    """Four promises on every URL, one subtest each, against one populated world: the checks
    only read (every write they try must be refused), so the routes can share it."""
    for route in SESSION_ROUTES:
        with subtests.test(route=route.name or route.route):
            url_is_isolated(route, populated, outsider, admin)


def url_is_isolated(route: Route, populated: Any, outsider: Any, admin: Any) -> None:
    url = url_for(route, populated.alliance.slug, object_in(route, populated.alliance))
    member = Client()
    member.force_login(insider(populated))
    assert hit(member, "get", url) != 404, (
        f"{url} must exist for a member, or this test proves nothing"
    )
    a_person_of_another_alliance_gets_404_on_every_method(url, outsider)
    a_missing_alliance_and_a_hidden_one_look_the_same(route, populated, outsider)
    anonymous_people_are_sent_to_sign_in_or_refused(url)
    if any(p != TENANT_KWARG and p not in FIXED for p in route.params):
        another_alliances_object_is_404_even_through_ones_own_alliance(route, populated, admin)


def a_person_of_another_alliance_gets_404_on_every_method(url: str, outsider: Any) -> None:
    """The outsider holds roles elsewhere; the home alliance's URLs do not exist for them."""
    client = Client()
    client.force_login(outsider)
    for method in METHODS:
        assert hit(client, method, url) == 404, f"outsider: {method.upper()} {url}"


def another_alliances_object_is_404_even_through_ones_own_alliance(
    route: Route, world: Any, admin: Any
) -> None:
    """An admin of the home alliance names an object of the other alliance in a home URL."""
    client = Client()
    client.force_login(admin)
    url = url_for(route, world.alliance.slug, object_in(route, world.other_alliance))
    for method in METHODS:
        assert hit(client, method, url) == 404, f"other alliance's object: {method.upper()} {url}"


def a_missing_alliance_and_a_hidden_one_look_the_same(
    route: Route, world: Any, outsider: Any
) -> None:
    client = Client()
    client.force_login(outsider)
    obj = object_in(route, world.alliance)
    hidden = client.get(url_for(route, world.alliance.slug, obj))
    missing = client.get(url_for(route, "no-such-alliance", obj))
    assert hidden.status_code == missing.status_code == 404
    # The pages differ only in the per-render CSRF mask of the sign-out form.
    assert unmasked(hidden.content) == unmasked(missing.content)


@pytest.mark.parametrize("name", sorted(SECRET_LINK_ROUTES))
def test_every_secret_link_url_is_isolated_between_alliances(name, populated, outsider):
    """The secret opens its own alliance's URL only; without it a session is no credential,
    and every alliance, held, hidden or missing, looks the same."""
    assert name in {r.name for r in TENANT_ROUTES}, f"{name} must stay an alliance URL"
    home, other, missing = (
        reverse(name, kwargs={TENANT_KWARG: slug})
        for slug in (populated.alliance.slug, populated.other_alliance.slug, "no-such-alliance")
    )
    _, secret = calendar_feed_create(person=insider(populated), alliance=populated.alliance)
    _, outsiders = calendar_feed_create(person=outsider, alliance=populated.other_alliance)
    assert Client().get(home, {"token": secret}).status_code == 200
    member, stranger = Client(), Client()
    member.force_login(insider(populated))
    stranger.force_login(outsider)
    anonymous = [
        Client().get(home),
        Client().get(home, {"token": outsiders}),
        Client().get(other, {"token": secret}),
        Client().get(missing, {"token": secret}),
    ]
    signed_in = [member.get(home), stranger.get(home), stranger.get(missing)]
    assert {r.status_code for r in anonymous + signed_in} == {404}
    assert len({r.content for r in anonymous}) == 1
    assert unmasked(signed_in[1].content) == unmasked(signed_in[2].content)


def unmasked(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def anonymous_people_are_sent_to_sign_in_or_refused(url: str) -> None:
    response = Client().get(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403), url
    else:
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/"
        ), url


def test_a_member_of_both_alliances_sees_each(populated, chief_officer):
    grant(chief_officer, Role.STAFF, populated.other_agency)
    client = Client()
    client.force_login(chief_officer)
    assert client.get(f"/a/{populated.alliance.slug}/agencies/").status_code == 200
    assert client.get(f"/a/{populated.other_alliance.slug}/agencies/").status_code == 200
    assert Membership.objects.filter(user=chief_officer).count() == 2
    assert ProtocolVersion.objects.count() == 2
