"""The REST API of the alliance core, held to API.md.

Agencies, service areas, members (invitations) and the protocol: who gets which
status, the error format, the audit event behind every write, the acting agency (X-Agency),
pagination, constant query counts and a schema that generates cleanly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from kiaa import audit
from kiaa.api.base import UNHELD_AGENCY
from kiaa.api.views import NO_PROTOCOL
from kiaa.models import (
    Agency,
    AgencyServiceArea,
    Alliance,
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    ProtocolAcceptance,
    ProtocolVersion,
    Role,
    ServiceArea,
)
from kiaa.services import alliances, members, protocol
from tests.api import PERSONAS, api_url, call, is_field_error, row_counts, tolerant
from tests.conftest import World, api_as
from tests.factories import AgencyFactory, PersonFactory, ServiceAreaFactory, grant
from tests.factories.core import _platform_admin

pytestmark = pytest.mark.django_db


# What the alliance core API can write, the audit trail included: rows() counts them.
WRITTEN = (
    Agency,
    AgencyServiceArea,
    ServiceArea,
    Membership,
    Invitation,
    ProtocolVersion,
    ProtocolAcceptance,
    AuditEvent,
    ApiToken,
)


def rows() -> dict[str, int]:
    return row_counts(*WRITTEN)


def last_event(alliance: Alliance) -> AuditEvent:
    event = AuditEvent.objects.for_alliance(alliance).order_by("-seq").first()
    assert event is not None
    return event


@dataclass
class Home:
    """The home alliance with one of everything a detail URL of the core API can name."""

    world: World
    area: ServiceArea
    staffer: Membership  # a staff member of the lead agency
    version: ProtocolVersion


@pytest.fixture
def home(world: World) -> Home:
    area = ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    staffer = grant(PersonFactory(username="staffer"), Role.STAFF, world.lead)
    version = protocol.protocol_version_publish(
        actor=_platform_admin(world.alliance),
        alliance=world.alliance,
        principles="Declare every bid; step back where a partner already serves well.",
        implemented_on=date(2025, 1, 1),
        review_due_on=date(2026, 1, 1),
    )
    return Home(world, area, staffer, version)


# --- The access matrix ------------------------------------------------------------------------

NEW_AGENCY = {"name": "Newcomer Advice", "size_band": "small", "reach": "local"}

# action: (method, url, body)
ACTIONS: dict[str, tuple[str, Callable[[Home], str], Callable[[Home], dict[str, Any]] | None]] = {
    "list agencies": ("get", lambda h: api_url("agency-list"), None),
    "read an agency": ("get", lambda h: api_url("agency-detail", pk=h.world.lead.pk), None),
    "admit an agency": ("post", lambda h: api_url("agency-list"), lambda h: NEW_AGENCY),
    "edit an agency": (
        "patch",
        lambda h: api_url("agency-detail", pk=h.world.partner.pk),
        lambda h: {"reach": "regional"},
    ),
    "list service areas": ("get", lambda h: api_url("service-area-list"), None),
    "read a service area": (
        "get",
        lambda h: api_url("service-area-detail", slug=h.area.slug),
        None,
    ),
    "add a service area": (
        "post",
        lambda h: api_url("service-area-list"),
        lambda h: {"name": "Housing advice"},
    ),
    "list members": ("get", lambda h: api_url("member-list"), None),
    "read a member": ("get", lambda h: api_url("member-detail", pk=h.staffer.pk), None),
    "invite to the lead agency": (
        "post",
        lambda h: api_url("member-list"),
        lambda h: {"email": "new.staff@example.org", "agency": h.world.lead.pk, "role": "staff"},
    ),
    "read the protocol": ("get", lambda h: api_url("protocol"), None),
    "read the protocol settings": ("get", lambda h: api_url("protocol-settings"), None),
    "change the protocol settings": (
        "put",
        lambda h: api_url("protocol-settings"),
        lambda h: {"board_approval_kinds": ["consortium"], "minimum_quorum": 3},
    ),
}

# fmt: off
#                               chief  trustee partner competitor arbiter admin outsider
EXPECTED = {
    "list agencies":             (200,   200,    200,    200,       200,    200,  404),
    "read an agency":            (200,   200,    200,    200,       200,    200,  404),
    "admit an agency":           (403,   403,    403,    403,       403,    201,  404),
    "edit an agency":            (403,   403,    403,    403,       403,    200,  404),
    "list service areas":        (200,   200,    200,    200,       200,    200,  404),
    "read a service area":       (200,   200,    200,    200,       200,    200,  404),
    "add a service area":        (403,   403,    403,    403,       403,    201,  404),
    "list members":              (200,   200,    200,    200,       200,    200,  404),
    "read a member":             (200,   200,    200,    200,       200,    200,  404),
    "invite to the lead agency": (201,   403,    403,    403,       403,    201,  404),
    "read the protocol":         (200,   200,    200,    200,       200,    200,  404),
    "read the protocol settings": (200,  200,    200,    200,       200,    200,  404),
    "change the protocol settings": (403, 403,   403,    403,       403,    200,  404),
}
# fmt: on

MATRIX = [
    pytest.param(action, persona, status, id=f"{action}-{persona}")
    for action, statuses in EXPECTED.items()
    for persona, status in zip(PERSONAS, statuses, strict=True)
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
        assert rows()["AuditEvent"] == before["AuditEvent"] + 1


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_callers_are_refused_and_nothing_is_written(action, home):
    method, url, body = ACTIONS[action]
    before = rows()
    response = call(APIClient(), method, url(home), body(home) if body else None)
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"detail"}
    assert rows() == before


@pytest.mark.parametrize("method", ["get", "patch"])
def test_another_alliances_agency_is_404_even_for_a_home_admin(method, world, admin):
    before = rows()
    url = api_url("agency-detail", pk=world.other_agency.pk)
    response = call(api_as(admin), method, url, {"reach": "national"})
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert rows() == before
    world.other_agency.refresh_from_db()
    assert world.other_agency.reach == Agency.Reach.LOCAL


def test_another_alliances_service_area_and_member_are_404_through_home_urls(world, admin):
    area = ServiceAreaFactory(alliance=world.other_alliance, name="Only elsewhere")
    membership = grant(PersonFactory(), Role.STAFF, world.other_agency)
    client = api_as(admin)
    assert client.get(api_url("service-area-detail", slug=area.slug)).status_code == 404
    assert client.get(api_url("member-detail", pk=membership.pk)).status_code == 404
    # The same objects are there for a member of their own alliance.
    other = api_as(_platform_admin(world.other_alliance))
    assert other.get(api_url("service-area-detail", "other", slug=area.slug)).status_code == 200
    assert other.get(api_url("member-detail", "other", pk=membership.pk)).status_code == 200


def test_a_service_area_slug_is_looked_up_within_the_alliance_only(world, partner):
    ServiceAreaFactory(alliance=world.other_alliance, name="Elsewhere debt", slug="debt")
    ServiceAreaFactory(alliance=world.alliance, name="Home debt", slug="debt")
    response = api_as(partner).get(api_url("service-area-detail", slug="debt"))
    assert response.status_code == 200
    assert response.json() == {"slug": "debt", "name": "Home debt"}


def test_inviting_into_another_alliances_agency_is_404_and_writes_nothing(world, admin):
    before = rows()
    body = {"email": "x@example.org", "agency": world.other_agency.pk, "role": "staff"}
    response = api_as(admin).post(api_url("member-list"), body, format="json")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert rows() == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("admit an agency", {"name": "", "size_band": "huge", "reach": "local"}),
        ("edit an agency", {"size_band": "huge"}),
        ("add a service area", {"name": ""}),
    ],
)
def test_a_member_without_the_right_role_gets_403_whatever_the_body(action, body, home, partner):
    """API.md: 403 when authenticated but not allowed; the body is never looked at first."""
    method, url, _ = ACTIONS[action]
    before = rows()
    response = call(api_as(partner), method, url(home), body)
    assert response.status_code == 403, response.content
    assert rows() == before


# --- Agencies ---------------------------------------------------------------------------------


def test_admitting_an_agency_returns_it_and_appends_agency_created(world, admin):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    ServiceAreaFactory(alliance=world.alliance, name="Benefits")
    body = {**NEW_AGENCY, "charity_number": "1100001", "service_areas": ["debt-advice", "benefits"]}
    before = rows()
    response = api_as(admin).post(api_url("agency-list"), body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "Newcomer Advice"
    assert created["status"] == "active"
    assert created["is_arbiter"] is False
    assert created["service_areas"] == ["benefits", "debt-advice"]
    agency = Agency.objects.get(pk=created["id"], alliance=world.alliance)
    event = last_event(world.alliance)
    assert (event.verb, event.actor, event.target_id) == ("agency.created", admin, str(agency.pk))
    assert event.payload["service_areas"] == ["benefits", "debt-advice"]
    assert rows()["AuditEvent"] == before["AuditEvent"] + 1
    assert audit.verify(world.alliance) is None


def test_editing_an_agency_returns_it_and_appends_agency_updated_with_the_change(world, admin):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    url = api_url("agency-detail", pk=world.partner.pk)
    body = {"reach": "regional", "service_areas": ["debt-advice"]}
    response = api_as(admin).patch(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["reach"] == "regional"
    assert response.json()["service_areas"] == ["debt-advice"]
    event = last_event(world.alliance)
    assert (event.verb, event.actor, event.agency) == ("agency.updated", admin, world.partner)
    assert event.payload == {
        "reach": ["local", "regional"],
        "service_areas": [[], ["debt-advice"]],
    }


def test_an_agency_reads_the_same_in_its_detail_and_in_the_list(world, partner):
    client = api_as(partner)
    detail = client.get(api_url("agency-detail", pk=world.cvs.pk)).json()
    listed = client.get(api_url("agency-list")).json()["results"]
    assert detail in listed
    assert detail["is_arbiter"] is True
    assert set(detail) == {
        "id",
        "name",
        "charity_number",
        "company_number",
        "size_band",
        "reach",
        "service_areas",
        "status",
        "is_arbiter",
        "may_arbitrate",
    }


def test_agencies_are_filtered_by_field_named_parameters(world, admin):
    alliances.agency_update(actor=admin, agency=world.competitor, status="suspended")
    client = api_as(admin)
    suspended = client.get(api_url("agency-list"), {"status": "suspended"}).json()
    assert [a["name"] for a in suspended["results"]] == ["Rival Debt Line"]
    arbiter = client.get(api_url("agency-list"), {"is_arbiter": "true"}).json()
    assert [a["name"] for a in arbiter["results"]] == ["Home CVS"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**NEW_AGENCY, "size_band": "huge"}, "size_band", None),
        ({**NEW_AGENCY, "reach": "global"}, "reach", None),
        ({"size_band": "small", "reach": "local"}, "name", None),
        (
            {**NEW_AGENCY, "service_areas": ["nowhere"]},
            "service_areas",
            alliances.UNKNOWN_AREAS.format(slugs="nowhere"),
        ),
        ({**NEW_AGENCY, "name": "Lead Advice"}, "name", alliances.AGENCY_EXISTS),
    ],
    ids=["unknown size band", "unknown reach", "no name", "unknown service area", "taken name"],
)
def test_admitting_an_agency_with_bad_input_is_a_field_error_that_writes_nothing(
    body, field, message, world, admin
):
    before = rows()
    response = api_as(admin).post(api_url("agency-list"), body, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), field), response.json()
    if message is not None:
        assert response.json() == {field: [message]}
    assert rows() == before


def test_a_taken_charity_number_is_refused_without_a_server_error(world, admin):
    client = tolerant(admin)
    body = {**NEW_AGENCY, "charity_number": "1100001"}
    first = client.post(api_url("agency-list"), body, format="json")
    assert first.status_code == 201
    before = rows()
    copycat = {**body, "name": "Copycat"}
    response = client.post(api_url("agency-list"), copycat, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": [alliances.AGENCY_EXISTS]}
    assert rows() == before


def test_admitting_an_agency_that_states_its_status_is_not_a_server_error(world, admin):
    """The write serializer accepts `status`; agency_create has no such argument."""
    before = rows()
    response = tolerant(admin).post(
        api_url("agency-list"), {**NEW_AGENCY, "status": "active"}, format="json"
    )
    assert response.status_code in (201, 400), response.status_code
    if response.status_code == 400:
        assert is_field_error(response.json(), "status")
        assert rows() == before
    else:
        assert response.json()["status"] == "active"


def test_expelling_an_agency_by_patching_its_status_is_a_409_that_changes_nothing(world, admin):
    before = rows()
    url = api_url("agency-detail", pk=world.competitor.pk)
    response = api_as(admin).patch(url, {"status": "expelled"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": alliances.EXPULSION_NEEDS_RULING}
    world.competitor.refresh_from_db()
    assert world.competitor.status == Agency.Status.ACTIVE
    assert rows() == before


def test_a_patch_refused_halfway_leaves_the_agency_as_it_was(world, admin):
    """The name is set before the service areas are checked; the refusal must undo it."""
    before = rows()
    url = api_url("agency-detail", pk=world.partner.pk)
    body = {"name": "Renamed Housing", "service_areas": ["nowhere"]}
    response = api_as(admin).patch(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"service_areas": [alliances.UNKNOWN_AREAS.format(slugs="nowhere")]}
    world.partner.refresh_from_db()
    assert world.partner.name == "Partner Housing"
    assert rows() == before


def test_renaming_an_agency_to_a_taken_name_is_a_field_error(world, admin):
    before = rows()
    url = api_url("agency-detail", pk=world.partner.pk)
    response = api_as(admin).patch(url, {"name": "Lead Advice"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": [alliances.AGENCY_EXISTS]}
    assert rows() == before


def test_the_arbiter_agency_cannot_be_suspended(world, admin):
    before = rows()
    url = api_url("agency-detail", pk=world.cvs.pk)
    response = api_as(admin).patch(url, {"status": "suspended"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": [alliances.ARBITER_MUST_BE_ACTIVE]}
    assert rows() == before


# --- Service areas ----------------------------------------------------------------------------


def test_adding_a_service_area_derives_its_slug_and_appends_service_area_created(world, admin):
    response = api_as(admin).post(
        api_url("service-area-list"), {"name": "Housing advice"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"slug": "housing-advice", "name": "Housing advice"}
    event = last_event(world.alliance)
    assert (event.verb, event.actor) == ("service_area.created", admin)
    assert event.payload == {"name": "Housing advice", "slug": "housing-advice", "cpv_codes": []}
    detail = api_as(admin).get(api_url("service-area-detail", slug="housing-advice"))
    assert detail.json() == response.json()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "debt ADVICE"}, "name", alliances.AREA_EXISTS),
        ({"name": "Money", "slug": "debt-advice"}, "name", alliances.AREA_EXISTS),
        ({"name": "Money", "slug": "not a slug!"}, "slug", None),
        ({"slug": "money"}, "name", None),
    ],
    ids=["taken name", "taken slug", "bad slug", "no name"],
)
def test_adding_a_service_area_with_bad_input_is_a_field_error_that_writes_nothing(
    body, field, message, world, admin
):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    before = rows()
    response = api_as(admin).post(api_url("service-area-list"), body, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), field), response.json()
    if message is not None:
        assert response.json() == {field: [message]}
    assert rows() == before


def test_a_service_area_whose_name_gives_no_slug_asks_for_one(world, admin):
    """slugify() drops every non-Latin letter; an empty slug cannot be named in a URL."""
    before = rows()
    response = tolerant(admin).post(api_url("service-area-list"), {"name": "中文服务"})
    assert response.status_code == 400, response.content
    assert is_field_error(response.json(), "slug")
    assert rows() == before


def test_a_long_service_area_name_gives_a_slug_that_fits_its_column(world, admin):
    """A valid name (up to 120 characters) must not derive a slug over the 60 the column holds."""
    name = "Debt advice and money guidance for people in crisis across the county"
    response = tolerant(admin).post(api_url("service-area-list"), {"name": name}, format="json")
    assert response.status_code == 201, response.status_code
    slug = response.json()["slug"]
    assert 0 < len(slug) <= ServiceArea._meta.get_field("slug").max_length
    assert api_as(admin).get(api_url("service-area-detail", slug=slug)).status_code == 200


# --- Members and invitations ------------------------------------------------------------------


def test_members_are_listed_with_user_agency_and_role_and_filtered(home, partner):
    client = api_as(partner)
    everyone = client.get(api_url("member-list")).json()["results"]
    staffer = next(m for m in everyone if m["id"] == home.staffer.pk)
    assert staffer == {
        "id": home.staffer.pk,
        "user": {
            "username": "staffer",
            "email": "staffer@example.org",
            "name": home.staffer.user.get_full_name(),
        },
        "agency": home.world.lead.pk,
        "role": "staff",
    }
    lead = client.get(api_url("member-list"), {"agency": home.world.lead.pk}).json()
    assert {m["user"]["username"] for m in lead["results"]} == {"staffer"}
    staff = client.get(api_url("member-list"), {"role": "staff"}).json()
    assert {m["user"]["username"] for m in staff["results"]} == {"staffer", "partner"}
    both = client.get(api_url("member-list"), {"agency": home.world.partner.pk, "role": "staff"})
    assert [m["user"]["username"] for m in both.json()["results"]] == ["partner"]


def test_an_unknown_role_filter_is_a_field_error(world, partner):
    response = api_as(partner).get(api_url("member-list"), {"role": "emperor"})
    assert response.status_code == 400
    assert is_field_error(response.json(), "role")


def test_filtering_members_by_another_alliances_agency_reveals_nothing(world, partner):
    """The agency filter must not tell an agency elsewhere from no agency at all."""
    client = api_as(partner)
    missing_pk = Agency.objects.order_by("-pk").first().pk + 1000
    elsewhere = client.get(api_url("member-list"), {"agency": world.other_agency.pk})
    missing = client.get(api_url("member-list"), {"agency": missing_pk})
    assert (elsewhere.status_code, elsewhere.json()) == (missing.status_code, missing.json())


def test_inviting_returns_the_invitation_appends_events_and_sends_the_email(
    world, admin, django_capture_on_commit_callbacks, mailoutbox
):
    body = {"email": "New.Trustee@Example.org", "agency": world.lead.pk, "role": "trustee"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(admin).post(api_url("member-list"), body, format="json")
    assert response.status_code == 201, response.content
    invitation = response.json()
    assert {k: invitation[k] for k in ("email", "agency", "role", "status")} == {
        "email": "new.trustee@example.org",
        "agency": world.lead.pk,
        "role": "trustee",
        "status": "invited",
    }
    verbs = list(
        AuditEvent.objects.for_alliance(world.alliance)
        .filter(target_type="kiaa.invitation", target_id=str(invitation["id"]))
        .values_list("verb", flat=True)
    )
    assert verbs == ["invitation.created", "invitation.sent"]
    assert [m.to for m in mailoutbox] == [["new.trustee@example.org"]]


@pytest.mark.parametrize(
    ("role", "agency", "expected"),
    [
        ("chief_officer", "lead", 201),
        ("trustee", "lead", 201),
        ("staff", "lead", 201),
        ("arbiter", "cvs", 403),
        ("arbiter", "lead", 403),
        ("alliance_admin", None, 403),
        ("alliance_admin", "lead", 403),
        ("staff", "competitor", 403),
        ("trustee", "partner", 403),
    ],
)
def test_a_chief_officer_invites_only_to_their_own_agencys_board_and_staff(
    role, agency, expected, world, chief_officer
):
    before = rows()
    body = {
        "email": "someone@example.org",
        "role": role,
        "agency": getattr(world, agency).pk if agency else None,
    }
    response = api_as(chief_officer).post(api_url("member-list"), body, format="json")
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json() == {"detail": members.INVITE_NOT_ALLOWED}
        assert rows() == before
    else:
        assert last_event(world.alliance).verb == "invitation.created"


@pytest.mark.parametrize(
    ("role", "agency"),
    [("arbiter", "cvs"), ("alliance_admin", None), ("chief_officer", "competitor")],
)
def test_an_admin_invites_to_any_role(role, agency, world, admin):
    body = {"email": "any@example.org", "role": role}
    if agency:
        body["agency"] = getattr(world, agency).pk
    response = api_as(admin).post(api_url("member-list"), body, format="json")
    assert response.status_code == 201, response.content
    assert Invitation.objects.get(pk=response.json()["id"]).role == role


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"email": "not-an-email", "agency": "lead", "role": "staff"}, "email", None),
        ({"email": "a@example.org", "agency": "lead", "role": "emperor"}, "role", None),
        ({"email": "a@example.org", "role": "staff"}, "agency", members.ROLE_NEEDS_AGENCY),
        (
            {"email": "a@example.org", "agency": "lead", "role": "arbiter"},
            "role",
            members.ARBITER_OUTSIDE_CVS,
        ),
    ],
    ids=["bad email", "unknown role", "role without agency", "arbiter outside the CVS"],
)
def test_inviting_with_bad_input_is_a_field_error_that_writes_nothing(
    body, field, message, world, admin
):
    if "agency" in body:
        body = {**body, "agency": getattr(world, body["agency"]).pk}
    before = rows()
    response = api_as(admin).post(api_url("member-list"), body, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), field), response.json()
    if message is not None:
        assert response.json() == {field: [message]}
    assert rows() == before


def test_inviting_an_address_already_invited_to_that_role_is_a_409(world, chief_officer):
    client = api_as(chief_officer)
    body = {"email": "twice@example.org", "agency": world.lead.pk, "role": "staff"}
    assert client.post(api_url("member-list"), body, format="json").status_code == 201
    before = rows()
    again = {**body, "email": "TWICE@example.org"}
    response = client.post(api_url("member-list"), again, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": members.ALREADY_INVITED}
    assert rows() == before


def test_inviting_someone_to_a_role_they_hold_is_a_409(world, admin, trustee):
    before = rows()
    body = {"email": trustee.email, "agency": world.lead.pk, "role": "trustee"}
    response = api_as(admin).post(api_url("member-list"), body, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": members.ALREADY_HELD}
    assert rows() == before


def test_inviting_into_a_suspended_agency_is_a_409(world, admin):
    alliances.agency_update(actor=admin, agency=world.competitor, status="suspended")
    before = rows()
    body = {"email": "late@example.org", "agency": world.competitor.pk, "role": "staff"}
    response = api_as(admin).post(api_url("member-list"), body, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": members.AGENCY_NOT_ACTIVE}
    assert rows() == before


# --- The protocol -----------------------------------------------------------------------------


def test_the_protocol_is_404_until_a_version_is_adopted(world, partner):
    response = api_as(partner).get(api_url("protocol"))
    assert response.status_code == 404
    assert response.json() == {"detail": NO_PROTOCOL}


def test_the_protocol_shows_the_latest_version_with_its_acceptances(home, trustee, admin):
    accepted_on = timezone.localdate() - timedelta(days=3)
    protocol.protocol_accept(
        actor=trustee, version=home.version, agency=home.world.lead, accepted_on=accepted_on
    )
    response = api_as(trustee).get(api_url("protocol"))
    assert response.status_code == 200
    assert response.json() == {
        "version": 1,
        "principles": home.version.principles,
        "implemented_on": "2025-01-01",
        "review_due_on": "2026-01-01",
        "acceptances": [{"agency": home.world.lead.pk, "accepted_on": accepted_on.isoformat()}],
    }
    protocol.protocol_version_publish(
        actor=admin,
        alliance=home.world.alliance,
        principles="Version two.",
        implemented_on=date(2026, 1, 1),
        review_due_on=date(2027, 1, 1),
    )
    newer = api_as(trustee).get(api_url("protocol")).json()
    assert (newer["version"], newer["principles"], newer["acceptances"]) == (2, "Version two.", [])


SETTINGS = {
    "board_approval_kinds": ["consortium"],
    "minimum_quorum": 2,
    "chief_officers_may_vote": False,
    "withdrawal_grace_days": 14,
    "reminder_days": 7,
    "allocation_due_days": 60,
    "mou_signature_days": 30,
    "expulsion_by": "ruling",
}


def test_the_protocol_settings_read_as_the_alliance_set_them(home, partner, admin):
    client = api_as(admin)
    assert api_as(partner).get(api_url("protocol-settings")).json() == SETTINGS
    changed = {
        "board_approval_kinds": ["network", "consortium"],
        "minimum_quorum": 3,
        "chief_officers_may_vote": True,
        "withdrawal_grace_days": 30,
        "reminder_days": 10,
        "allocation_due_days": 90,
        "mou_signature_days": 21,
        "expulsion_by": "members_vote",
    }
    response = client.put(api_url("protocol-settings"), changed, format="json")
    assert response.status_code == 200
    expected = {**changed, "board_approval_kinds": ["consortium", "network"]}
    assert response.json() == expected
    assert api_as(partner).get(api_url("protocol-settings")).json() == expected
    assert last_event(home.world.alliance).verb == "protocol.settings_changed"


def test_a_put_without_the_newer_settings_keeps_them(home, admin):
    client = api_as(admin)
    client.put(
        api_url("protocol-settings"),
        {**SETTINGS, "chief_officers_may_vote": True, "withdrawal_grace_days": 21},
        format="json",
    )
    response = client.put(
        api_url("protocol-settings"),
        {"board_approval_kinds": [], "minimum_quorum": 2},
        format="json",
    )
    assert response.json()["chief_officers_may_vote"] is True
    assert response.json()["withdrawal_grace_days"] == 21


BAD_SETTINGS = [
    ({"withdrawal_grace_days": -1}, "withdrawal_grace_days"),
    ({"withdrawal_grace_days": 366}, "withdrawal_grace_days"),
    ({"withdrawal_grace_days": "soon"}, "withdrawal_grace_days"),
    ({"withdrawal_grace_days": 10**9}, "withdrawal_grace_days"),
    ({"reminder_days": 0}, "reminder_days"),
    ({"allocation_due_days": 366}, "allocation_due_days"),
    ({"mou_signature_days": -1}, "mou_signature_days"),
    ({"chief_officers_may_vote": "perhaps"}, "chief_officers_may_vote"),
    ({"chief_officers_may_vote": None}, "chief_officers_may_vote"),
    ({"minimum_quorum": 0}, "minimum_quorum"),
    ({"board_approval_kinds": ["cartel"]}, "board_approval_kinds"),
    ({"board_approval_kinds": "consortium"}, "board_approval_kinds"),
    ({"expulsion_by": "the_chair"}, "expulsion_by"),
]


@pytest.mark.parametrize(("change", "field"), BAD_SETTINGS, ids=[repr(c) for c, _ in BAD_SETTINGS])
def test_bad_protocol_settings_are_a_field_error_that_changes_nothing(home, admin, change, field):
    before = rows()
    response = api_as(admin).put(
        api_url("protocol-settings"), {**SETTINGS, **change}, format="json"
    )
    assert response.status_code == 400
    assert is_field_error(response.json(), field), response.content
    assert rows() == before
    assert api_as(admin).get(api_url("protocol-settings")).json() == SETTINGS


# --- The acting agency (X-Agency) -------------------------------------------------------------


def acting_agency(response: Any) -> Agency | None:
    return response.renderer_context["view"].tenant.agency


def test_a_person_with_roles_in_two_agencies_may_name_either(world, chief_officer):
    grant(chief_officer, Role.TRUSTEE, world.partner)
    client = api_as(chief_officer)
    for agency in (world.lead, world.partner):
        response = client.get(api_url("agency-list"), HTTP_X_AGENCY=str(agency.pk))
        assert response.status_code == 200
        assert acting_agency(response) == agency


@pytest.mark.parametrize("named", ["competitor", "other_agency", "not-an-id"])
def test_naming_an_agency_one_does_not_hold_is_403_and_writes_nothing(named, world, chief_officer):
    grant(chief_officer, Role.TRUSTEE, world.partner)
    header = named if named == "not-an-id" else str(getattr(world, named).pk)
    client = api_as(chief_officer)
    before = rows()
    read = client.get(api_url("agency-list"), HTTP_X_AGENCY=header)
    body = {"email": "x@example.org", "agency": world.lead.pk, "role": "staff"}
    write = client.post(api_url("member-list"), body, format="json", HTTP_X_AGENCY=header)
    for response in (read, write):
        assert response.status_code == 403
        assert response.json() == {"detail": UNHELD_AGENCY}
    assert rows() == before


def test_an_admin_who_holds_no_agency_cannot_name_one(world, admin):
    response = api_as(admin).get(api_url("agency-list"), HTTP_X_AGENCY=str(world.lead.pk))
    assert response.status_code == 403
    assert response.json() == {"detail": UNHELD_AGENCY}


# --- Pagination -------------------------------------------------------------------------------


def add_areas(alliance: Alliance, n: int) -> None:
    for i in range(n):
        ServiceAreaFactory(alliance=alliance, name=f"Area {i:03}")


def test_lists_are_paginated_with_count_next_previous_and_results(world, partner):
    add_areas(world.alliance, 5)
    client = api_as(partner)
    first = client.get(api_url("service-area-list"), {"page_size": 2}).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 5
    assert [a["name"] for a in first["results"]] == ["Area 000", "Area 001"]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [a["name"] for a in second["results"]] == ["Area 002", "Area 003"]
    assert second["previous"] is not None
    last = client.get(second["next"]).json()
    assert [a["name"] for a in last["results"]] == ["Area 004"]
    assert last["next"] is None


def test_page_size_defaults_to_50_and_is_capped_at_200(world, partner):
    add_areas(world.alliance, 205)
    client = api_as(partner)
    default = client.get(api_url("service-area-list")).json()
    assert (default["count"], len(default["results"])) == (205, 50)
    capped = client.get(api_url("service-area-list"), {"page_size": 1000}).json()
    assert (capped["count"], len(capped["results"])) == (205, 200)
    assert capped["next"] is not None


def test_a_page_past_the_end_is_404_with_detail(world, partner):
    response = api_as(partner).get(api_url("agency-list"), {"page": 99})
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


# --- Query counts -----------------------------------------------------------------------------

# alliance, roles, held agencies, count, page (+ the agencies' service areas, prefetched)
MEMBER_LIST_QUERIES = 5
AGENCY_LIST_QUERIES = 6


def grow(world: World, n: int) -> None:
    """n more agencies, each working in two service areas and with two people."""
    areas = [ServiceAreaFactory(alliance=world.alliance, name=f"Area {i}").slug for i in range(2)]
    for i in range(n):
        agency = AgencyFactory(alliance=world.alliance, name=f"Grown {i:03}", service_areas=areas)
        grant(PersonFactory(), Role.CHIEF_OFFICER, agency)
        grant(PersonFactory(), Role.STAFF, agency)


@pytest.mark.parametrize("size", [5, 50])
def test_the_agency_list_takes_the_same_few_queries_at_any_size(
    size, world, chief_officer, django_assert_max_num_queries
):
    grow(world, size)
    client = api_as(chief_officer)
    with django_assert_max_num_queries(AGENCY_LIST_QUERIES):
        response = client.get(api_url("agency-list"), {"page_size": 200})
    results = response.json()["results"]
    grown = [a for a in results if a["name"].startswith("Grown")]
    assert len(grown) == size
    assert all(a["service_areas"] == ["area-0", "area-1"] for a in grown)


@pytest.mark.parametrize("size", [5, 50])
def test_the_member_list_takes_the_same_few_queries_at_any_size(
    size, world, chief_officer, django_assert_max_num_queries
):
    grow(world, size)
    client = api_as(chief_officer)
    with django_assert_max_num_queries(MEMBER_LIST_QUERIES):
        response = client.get(api_url("member-list"), {"page_size": 200})
    results = response.json()["results"]
    # Two per grown agency, the chief officer and the admin the service areas were added by.
    assert len(results) == 2 * size + 2
    assert all(m["user"]["username"] and m["user"]["email"] for m in results)


# --- The schema and docs ----------------------------------------------------------------------

CORE_VIEWS = ("AgencyViewSet", "ServiceAreaViewSet", "MemberViewSet", "ProtocolView", "TokenView")


def test_the_schema_covers_the_core_api_without_warnings_or_errors():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    # get_schema() clears these caches before it runs, so they hold this generation only.
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert [m for m in messages if any(view in m for view in CORE_VIEWS)] == []
    paths = response.json()["paths"]
    base = "/api/v1/a/{alliance_slug}/"
    assert {"get", "post"} <= set(paths[f"{base}agencies/"])
    assert {"get", "patch"} <= set(paths[f"{base}agencies/{{id}}/"])
    assert {"get", "post"} <= set(paths[f"{base}service-areas/"])
    assert "get" in paths[f"{base}service-areas/{{slug}}/"]
    assert {"get", "post"} <= set(paths[f"{base}members/"])
    assert "get" in paths[f"{base}protocol/"]
    assert "post" in paths["/api/v1/auth/token/"]
    create = paths[f"{base}agencies/"]["post"]["requestBody"]["content"]["application/json"]
    assert create["schema"]["$ref"].endswith("/AgencyCreateRequest")


def test_the_interactive_docs_page_renders():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert b"/api/schema/" in response.content
