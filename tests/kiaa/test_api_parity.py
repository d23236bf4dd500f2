"""The alliance core's page actions that the API gained, held to the pages they mirror.

Removing a role, the open invitations and withdrawing one, the protocol's versions and boards'
acceptances, marking every notification read, the calendar link and the audit trail: who
gets which status, the change and its audit event, bad input (a 400, never a 500, nothing
written) and constant query counts on the lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kiaa import audit
from kiaa.api.permissions import NOT_AUDITOR
from kiaa.api.views import NO_PROTOCOL
from kiaa.models import (
    Alliance,
    AuditEvent,
    CalendarFeed,
    Invitation,
    Membership,
    Notification,
    ProtocolAcceptance,
    ProtocolVersion,
    Role,
    User,
)
from kiaa.services import alliances, members, protocol
from kiaa.services.calendar import NO_LIVE_LINK, calendar_feed_create
from kiaa.services.notifications import notification_mark_read, notify
from tests.api import PERSONAS, api_url, call, is_field_error, row_counts, tolerant
from tests.conftest import World, api_as
from tests.factories import AgencyFactory, PersonFactory, grant
from tests.factories.core import _platform_admin

pytestmark = pytest.mark.django_db

WRITTEN = (
    Membership,
    Invitation,
    ProtocolVersion,
    ProtocolAcceptance,
    CalendarFeed,
    AuditEvent,
)


def rows() -> dict[str, int]:
    return row_counts(*WRITTEN)


def unread() -> int:
    return Notification.objects.filter(read_at=None).count()


def last_event(alliance: Alliance) -> AuditEvent:
    event = AuditEvent.objects.for_alliance(alliance).order_by("-seq").first()
    assert event is not None
    return event


def invite(actor: User, alliance: Alliance, email: str, agency: Any) -> Invitation:
    return members.invitation_create(
        actor=actor, alliance=alliance, email=email, role=Role.STAFF, agency=agency
    )


@dataclass
class Home:
    """The home alliance with a staff member of the lead agency to remove, an open invitation
    to each of the lead and the competitor, an adopted protocol version and a notification
    for every persona."""

    world: World
    staffer: Membership
    lead_invitation: Invitation
    rival_invitation: Invitation
    version: ProtocolVersion


@pytest.fixture
def home(world, chief_officer, trustee, partner, competitor, arbiter, admin, outsider) -> Home:
    staffer = grant(PersonFactory(username="staffer"), Role.STAFF, world.lead)
    lead_invitation = invite(chief_officer, world.alliance, "new@lead.example.org", world.lead)
    rival_invitation = invite(admin, world.alliance, "new@rival.example.org", world.competitor)
    version = protocol.protocol_version_publish(
        actor=admin,
        alliance=world.alliance,
        principles="Declare every bid.",
        implemented_on=date(2025, 1, 1),
        review_due_on=date(2026, 1, 1),
    )
    agencies = [world.lead, world.partner, world.competitor, world.cvs]
    roles = [Role.CHIEF_OFFICER, Role.TRUSTEE, Role.STAFF, Role.ARBITER]
    notify(alliance=world.alliance, agencies=agencies, verb="test", title="News", roles=roles)
    return Home(world, staffer, lead_invitation, rival_invitation, version)


# --- The access matrix ------------------------------------------------------------------------


def _calendar_link(h: Home, person: User) -> None:
    """Turning a link off needs one that is on."""
    if Membership.objects.filter(user=person, alliance=h.world.alliance).exists():
        calendar_feed_create(person=person, alliance=h.world.alliance)


TODAY = str(timezone.localdate())
NEW_VERSION = {
    "principles": "Be open.",
    "implemented_on": "2026-01-01",
    "review_due_on": "2027-01-01",
}
Url = Callable[[Home], str]
Body = Callable[[Home], dict[str, Any]] | None
Setup = Callable[[Home, User], None] | None

# action: (method, url, body, setup before the call, the audit verb a success appends)
ACTIONS: dict[str, tuple[str, Url, Body, Setup, str | None]] = {
    "remove a lead staffer": (
        "delete",
        lambda h: api_url("member-detail", pk=h.staffer.pk),
        None,
        None,
        "membership.ended",
    ),
    "list open invitations": ("get", lambda h: api_url("invitation-list"), None, None, None),
    "read the lead's invitation": (
        "get",
        lambda h: api_url("invitation-detail", pk=h.lead_invitation.pk),
        None,
        None,
        None,
    ),
    "revoke the lead's invitation": (
        "post",
        lambda h: api_url("invitation-revoke", pk=h.lead_invitation.pk),
        None,
        None,
        "invitation.revoked",
    ),
    "list protocol versions": ("get", lambda h: api_url("protocol-versions"), None, None, None),
    "publish a protocol version": (
        "post",
        lambda h: api_url("protocol-versions"),
        lambda h: NEW_VERSION,
        None,
        "protocol.version_published",
    ),
    "accept the protocol for the lead": (
        "post",
        lambda h: api_url("protocol-acceptances"),
        lambda h: {"agency": h.world.lead.pk, "accepted_on": TODAY},
        None,
        "protocol.accepted",
    ),
    # Marking read is no change of record: no audit event, as on the page.
    "mark all notifications read": (
        "post",
        lambda h: api_url("notification-read-all"),
        None,
        None,
        None,
    ),
    "read the calendar link": ("get", lambda h: api_url("calendar"), None, None, None),
    "make a calendar link": (
        "post",
        lambda h: api_url("calendar"),
        None,
        None,
        "calendar_feed.created",
    ),
    "turn the calendar link off": (
        "post",
        lambda h: api_url("calendar-turn-off"),
        None,
        _calendar_link,
        "calendar_feed.revoked",
    ),
    "read the audit trail": ("get", lambda h: api_url("audit-event-list"), None, None, None),
}

# chief_officer and trustee: the lead's; partner: the partner's staff; competitor: the rival's
# chief; arbiter: the CVS's; admin: the alliance's; outsider: another alliance's chief.
EXPECTED = {  #                          chief trustee partner rival arbiter admin outsider
    "remove a lead staffer":            (204,  403,    403,    403,  403,    204,  404),
    "list open invitations":            (200,  200,    200,    200,  200,    200,  404),
    "read the lead's invitation":       (200,  404,    404,    404,  404,    200,  404),
    "revoke the lead's invitation":     (200,  404,    404,    404,  404,    200,  404),
    "list protocol versions":           (200,  200,    200,    200,  200,    200,  404),
    "publish a protocol version":       (403,  403,    403,    403,  403,    201,  404),
    "accept the protocol for the lead": (403,  201,    403,    403,  403,    201,  404),
    "mark all notifications read":      (200,  200,    200,    200,  200,    200,  404),
    "read the calendar link":           (200,  200,    200,    200,  200,    200,  404),
    "make a calendar link":             (201,  201,    201,    201,  201,    201,  404),
    "turn the calendar link off":       (200,  200,    200,    200,  200,    200,  404),
    "read the audit trail":             (403,  403,    403,    403,  200,    200,  404),
}  # fmt: skip

MATRIX = [
    pytest.param(action, persona, status, id=f"{action}-{persona}")
    for action, statuses in EXPECTED.items()
    for persona, status in zip(PERSONAS, statuses, strict=True)
]


@pytest.mark.parametrize(("action", "persona", "expected"), MATRIX)
def test_each_persona_gets_the_status_the_page_gives_them(action, persona, expected, home, request):
    method, url, body, setup, verb = ACTIONS[action]
    person = request.getfixturevalue(persona)
    if setup is not None:
        setup(home, person)
    before = rows()
    response = call(tolerant(person), method, url(home), body(home) if body else None)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) == {"detail"}
        assert rows() == before, "a refused request wrote something"
    elif verb is not None:
        assert rows()["AuditEvent"] == before["AuditEvent"] + 1
        event = last_event(home.world.alliance)
        assert (event.verb, event.actor) == (verb, person)
    elif method == "get":
        assert rows() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_callers_are_refused_and_nothing_is_written(action, home):
    method, url, body, _, _ = ACTIONS[action]
    before = rows()
    response = call(APIClient(), method, url(home), body(home) if body else None)
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"detail"}
    assert rows() == before


def elsewhere(world: World, email: str) -> Invitation:
    return invite(
        _platform_admin(world.other_alliance), world.other_alliance, email, world.other_agency
    )


@pytest.mark.parametrize(
    ("method", "name", "pk"),
    [
        (
            "delete",
            "member-detail",
            lambda w: grant(PersonFactory(), Role.STAFF, w.other_agency).pk,
        ),
        ("get", "invitation-detail", lambda w: elsewhere(w, "x@other.example.org").pk),
        ("post", "invitation-revoke", lambda w: elsewhere(w, "y@other.example.org").pk),
    ],
    ids=["remove a role", "read an invitation", "revoke an invitation"],
)
def test_another_alliances_role_or_invitation_is_404_even_for_a_home_admin(
    method, name, pk, world, admin
):
    url = api_url(name, pk=pk(world))
    before = rows()
    response = call(tolerant(admin), method, url)
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert rows() == before


# --- Removing a role --------------------------------------------------------------------------


def test_a_chief_officer_removes_their_agencys_staff_member_and_the_role_ends(home, chief_officer):
    url = api_url("member-detail", pk=home.staffer.pk)
    response = api_as(chief_officer).delete(url)
    assert response.status_code == 204
    assert response.content == b""
    assert not Membership.objects.filter(pk=home.staffer.pk).exists()
    event = last_event(home.world.alliance)
    assert (event.verb, event.actor, event.agency) == (
        "membership.ended",
        chief_officer,
        home.world.lead,
    )
    assert event.payload == {"user": "staffer", "role": "staff"}
    assert api_as(chief_officer).get(url).status_code == 404
    assert audit.verify(home.world.alliance) is None


def test_a_chief_officer_may_not_remove_a_role_they_could_not_give(
    world, chief_officer, partner, admin
):
    """Only their own agency's board and staff: not another agency's, an arbiter's or an admin's."""
    refused = [
        Membership.objects.get(user=partner),
        grant(PersonFactory(), Role.ARBITER, world.cvs),
        Membership.objects.get(user=admin),
    ]
    before = rows()
    for membership in refused:
        response = api_as(chief_officer).delete(api_url("member-detail", pk=membership.pk))
        assert response.status_code == 403, membership.role
        assert response.json() == {"detail": members.NOT_ALLOWED}
    assert rows() == before


def test_removing_the_last_admin_is_a_409_that_changes_nothing(world, admin):
    membership = Membership.objects.get(user=admin, role=Role.ALLIANCE_ADMIN)
    before = rows()
    response = api_as(admin).delete(api_url("member-detail", pk=membership.pk))
    assert response.status_code == 409
    assert response.json() == {"detail": members.LAST_ADMIN}
    assert rows() == before


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999", "-1"])
def test_removing_a_role_named_by_a_bad_id_is_a_404(pk, world, admin):
    response = tolerant(admin).delete(f"/api/v1/a/{world.alliance.slug}/members/{pk}/")
    assert response.status_code == 404


# --- Invitations ------------------------------------------------------------------------------


def test_the_open_invitations_are_listed_as_post_members_answered_them(world, admin):
    body = {"email": "trustee@example.org", "agency": world.lead.pk, "role": "trustee"}
    sent = api_as(admin).post(api_url("member-list"), body, format="json").json()
    listed = api_as(admin).get(api_url("invitation-list")).json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert listed["results"] == [sent]
    assert api_as(admin).get(api_url("invitation-detail", pk=sent["id"])).json() == sent


def test_an_admin_sees_every_open_invitation_and_a_chief_officer_their_agencys(
    home, chief_officer, competitor, admin
):
    def emails(user: User) -> list[str]:
        return [i["email"] for i in api_as(user).get(api_url("invitation-list")).json()["results"]]

    assert emails(admin) == ["new@rival.example.org", "new@lead.example.org"]
    assert emails(chief_officer) == ["new@lead.example.org"]
    assert emails(competitor) == ["new@rival.example.org"]


def test_withdrawn_and_accepted_invitations_leave_the_list_but_can_still_be_read(home, admin):
    members.invitation_revoke(actor=admin, invitation=home.rival_invitation)
    taken = PersonFactory(email="new@lead.example.org")
    members.invitation_accept(token=members.invitation_token(home.lead_invitation), user=taken)
    client = api_as(admin)
    assert client.get(api_url("invitation-list")).json()["count"] == 0
    revoked = client.get(api_url("invitation-detail", pk=home.rival_invitation.pk)).json()
    accepted = client.get(api_url("invitation-detail", pk=home.lead_invitation.pk)).json()
    assert (revoked["status"], accepted["status"]) == ("revoked", "accepted")


def test_revoking_an_invitation_answers_with_it_and_its_link_stops_working(home, chief_officer):
    url = api_url("invitation-revoke", pk=home.lead_invitation.pk)
    response = api_as(chief_officer).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["id"] == home.lead_invitation.pk
    event = last_event(home.world.alliance)
    assert (event.verb, event.target_id) == ("invitation.revoked", str(home.lead_invitation.pk))
    assert event.payload == {"email": "new@lead.example.org"}
    with pytest.raises(members.DomainError):
        members.invitation_from_token(members.invitation_token(home.lead_invitation))
    assert api_as(chief_officer).get(api_url("invitation-list")).json()["count"] == 0


def test_revoking_an_invitation_twice_is_a_409_that_writes_nothing(home, admin):
    url = api_url("invitation-revoke", pk=home.rival_invitation.pk)
    assert api_as(admin).post(url).status_code == 200
    before = rows()
    again = api_as(admin).post(url)
    assert again.status_code == 409
    assert again.json() == {"detail": members.INVITATION_USED}
    assert rows() == before


def test_the_chief_officer_of_a_suspended_agency_sees_its_invitation_but_may_not_revoke_it(
    home, chief_officer, admin
):
    alliances.agency_update(actor=admin, agency=home.world.lead, status="suspended")
    client = api_as(chief_officer)
    assert client.get(api_url("invitation-detail", pk=home.lead_invitation.pk)).status_code == 200
    before = rows()
    response = client.post(api_url("invitation-revoke", pk=home.lead_invitation.pk))
    assert response.status_code == 403
    assert response.json() == {"detail": members.NOT_ALLOWED}
    assert rows() == before


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999"])
def test_an_invitation_named_by_a_bad_id_is_a_404(pk, world, admin):
    base = f"/api/v1/a/{world.alliance.slug}/invitations/{pk}/"
    assert tolerant(admin).get(base).status_code == 404
    assert tolerant(admin).post(f"{base}revoke/").status_code == 404


# alliance, roles, the selector's roles, count, page (an admin holds no agency to look up)
INVITATION_LIST_QUERIES = 5


@pytest.mark.parametrize("size", [5, 50])
def test_the_invitation_list_takes_the_same_few_queries_at_any_size(
    size, world, admin, django_assert_max_num_queries
):
    for i in range(size):
        agency = AgencyFactory(alliance=world.alliance, name=f"Grown {i:03}")
        invite(admin, world.alliance, f"person{i}@example.org", agency)
    client = api_as(admin)
    with django_assert_max_num_queries(INVITATION_LIST_QUERIES):
        response = client.get(api_url("invitation-list"), {"page_size": 200})
    assert response.json()["count"] == size


# --- The protocol's versions and acceptances --------------------------------------------------


def test_an_admin_adopts_a_new_version_and_the_protocol_is_that_one(home, admin, partner):
    response = api_as(admin).post(api_url("protocol-versions"), NEW_VERSION, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {
        "version": 2,
        "principles": "Be open.",
        "implemented_on": "2026-01-01",
        "review_due_on": "2027-01-01",
        "acceptances": [],
    }
    assert api_as(partner).get(api_url("protocol")).json() == response.json()
    event = last_event(home.world.alliance)
    assert (event.verb, event.actor) == ("protocol.version_published", admin)
    assert event.payload["number"] == 2
    listed = api_as(partner).get(api_url("protocol-versions")).json()
    assert [v["version"] for v in listed["results"]] == [2, 1]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"principles": "   "}, "principles", protocol.PRINCIPLES_REQUIRED),
        ({"review_due_on": "2025-06-01"}, "review_due_on", protocol.REVIEW_BEFORE_IMPLEMENTATION),
        ({"review_due_on": "2026-01-01"}, "review_due_on", protocol.REVIEW_BEFORE_IMPLEMENTATION),
        ({"implemented_on": "soon"}, "implemented_on", None),
        ({"implemented_on": None}, "implemented_on", None),
        ({"principles": None}, "principles", None),
    ],
    ids=[
        "blank principles",
        "review first",
        "review the same day",
        "not a date",
        "no date",
        "no text",
    ],
)
def test_a_bad_new_version_is_a_field_error_that_adopts_nothing(
    change, field, message, home, admin
):
    before = rows()
    body = {k: v for k, v in {**NEW_VERSION, **change}.items() if v is not None}
    response = tolerant(admin).post(api_url("protocol-versions"), body, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), field), response.json()
    if message is not None:
        assert response.json() == {field: [message]}
    assert rows() == before


def test_a_trustee_records_their_boards_acceptance_of_the_version_in_force(home, trustee):
    accepted_on = timezone.localdate() - timedelta(days=2)
    body = {"agency": home.world.lead.pk, "accepted_on": str(accepted_on)}
    response = api_as(trustee).post(api_url("protocol-acceptances"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1
    assert response.json()["acceptances"] == [
        {"agency": home.world.lead.pk, "accepted_on": accepted_on.isoformat()}
    ]
    event = last_event(home.world.alliance)
    assert (event.verb, event.actor, event.agency) == (
        "protocol.accepted",
        trustee,
        home.world.lead,
    )
    before = rows()
    again = api_as(trustee).post(api_url("protocol-acceptances"), body, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": protocol.ALREADY_ACCEPTED}
    assert rows() == before


def test_a_trustee_may_not_record_another_boards_acceptance(home, trustee):
    before = rows()
    body = {"agency": home.world.competitor.pk, "accepted_on": TODAY}
    response = api_as(trustee).post(api_url("protocol-acceptances"), body, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": protocol.NOT_A_TRUSTEE}
    assert rows() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"agency": "lead", "accepted_on": "tomorrow"}, "accepted_on", None),
        ({"agency": "lead"}, "accepted_on", None),
        ({"agency": "lead", "accepted_on": "future"}, "accepted_on", protocol.ACCEPTED_IN_FUTURE),
        ({"agency": "the lead", "accepted_on": TODAY}, "agency", None),
        ({"accepted_on": TODAY}, "agency", None),
    ],
    ids=["not a date", "no date", "a future date", "not an id", "no agency"],
)
def test_a_bad_acceptance_is_a_field_error_that_records_nothing(
    body, field, message, home, trustee
):
    if body.get("agency") == "lead":
        body = {**body, "agency": home.world.lead.pk}
    if body.get("accepted_on") == "future":
        body = {**body, "accepted_on": str(timezone.localdate() + timedelta(days=1))}
    before = rows()
    response = tolerant(trustee).post(api_url("protocol-acceptances"), body, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), field), response.json()
    if message is not None:
        assert response.json() == {field: [message]}
    assert rows() == before


def test_accepting_for_another_alliances_agency_or_before_any_version_is_a_404(world, admin):
    body = {"agency": world.lead.pk, "accepted_on": TODAY}
    before = rows()
    response = api_as(admin).post(api_url("protocol-acceptances"), body, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": NO_PROTOCOL}
    assert rows() == before
    protocol.protocol_version_publish(
        actor=admin,
        alliance=world.alliance,
        principles="Be open.",
        implemented_on=date(2025, 1, 1),
        review_due_on=date(2026, 1, 1),
    )
    before = rows()
    elsewhere = {"agency": world.other_agency.pk, "accepted_on": TODAY}
    response = api_as(admin).post(api_url("protocol-acceptances"), elsewhere, format="json")
    assert response.status_code == 404
    assert rows() == before


# alliance, roles, held agencies, count, page, the acceptances (prefetched)
VERSION_LIST_QUERIES = 6


@pytest.mark.parametrize("size", [3, 30])
def test_the_version_list_takes_the_same_few_queries_at_any_size(
    size, world, admin, trustee, django_assert_max_num_queries
):
    for i in range(size):
        version = protocol.protocol_version_publish(
            actor=admin,
            alliance=world.alliance,
            principles=f"Version {i}.",
            implemented_on=date(2025, 1, 1),
            review_due_on=date(2026, 1, 1),
        )
        protocol.protocol_accept(
            actor=trustee, version=version, agency=world.lead, accepted_on=date(2025, 1, 2)
        )
    with django_assert_max_num_queries(VERSION_LIST_QUERIES):
        response = api_as(trustee).get(api_url("protocol-versions"), {"page_size": 200})
    results = response.json()["results"]
    assert len(results) == size
    assert all(
        v["acceptances"] == [{"agency": world.lead.pk, "accepted_on": "2025-01-02"}]
        for v in results
    )


# --- Marking every notification read ----------------------------------------------------------


def test_marking_all_read_marks_only_the_persons_unread_ones_here_and_says_how_many(
    home, chief_officer
):
    alliance, other = home.world.alliance, home.world.other_alliance
    notify(alliance=alliance, agencies=[home.world.lead], verb="test", title="More")
    mine = Notification.objects.filter(recipient=chief_officer, alliance=alliance)
    first = mine.order_by("pk").first()
    notification_mark_read(person=chief_officer, notification=first)
    read_at = Notification.objects.get(pk=first.pk).read_at
    grant(chief_officer, Role.STAFF, home.world.other_agency)
    notify(
        alliance=other,
        agencies=[home.world.other_agency],
        verb="test",
        title="Far",
        roles=[Role.STAFF],
    )
    still_unread = mine.filter(read_at=None).count()
    others_unread = Notification.objects.filter(read_at=None).exclude(recipient=chief_officer)
    others_before = others_unread.count()
    response = api_as(chief_officer).post(api_url("notification-read-all"))
    assert response.status_code == 200
    assert response.json() == {"marked": still_unread} and still_unread >= 1
    assert Notification.objects.get(pk=first.pk).read_at == read_at
    assert others_unread.count() == others_before
    assert Notification.objects.get(recipient=chief_officer, alliance=other).read_at is None
    listed = api_as(chief_officer).get(api_url("notification-list"), {"unread": "true"}).json()
    assert listed["count"] == 0
    assert api_as(chief_officer).post(api_url("notification-read-all")).json() == {"marked": 0}


def test_marking_all_read_ignores_a_body_and_a_query(home, partner):
    response = tolerant(partner).post(
        api_url("notification-read-all") + "?unread=false&page=9", {"marked": 99}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"marked": 1}


# --- The calendar link ------------------------------------------------------------------------


def fetch(url: str) -> int:
    """What a calendar app gets from the address (it sends no session)."""
    parts = urlsplit(url)
    return APIClient().get(f"{parts.path}?{parts.query}").status_code


def test_the_calendar_link_is_made_shown_once_replaced_and_turned_off(world, partner):
    client = api_as(partner)
    off = client.get(api_url("calendar")).json()
    assert (off["on"], off["url"], off["created_at"]) == (False, None, None)
    made = client.post(api_url("calendar"))
    assert made.status_code == 201
    assert made["Cache-Control"] == "no-store"
    link = made.json()
    assert link["on"] is True
    assert link["url"].startswith("http") and "/calendar.ics?token=" in link["url"]
    assert link["webcal_url"] == "webcal://" + link["url"].split("://", 1)[1]
    assert fetch(link["url"]) == 200
    shown = client.get(api_url("calendar")).json()
    assert (shown["on"], shown["url"], shown["created_at"]) == (True, None, link["created_at"])
    assert last_event(world.alliance).verb == "calendar_feed.created"
    replaced = client.post(api_url("calendar")).json()
    assert fetch(link["url"]) == 404
    assert fetch(replaced["url"]) == 200
    turned_off = client.post(api_url("calendar-turn-off"))
    assert turned_off.status_code == 200
    assert (turned_off.json()["on"], turned_off.json()["url"]) == (False, None)
    assert fetch(replaced["url"]) == 404
    event = last_event(world.alliance)
    assert (event.verb, event.actor) == ("calendar_feed.revoked", partner)


def test_turning_off_a_calendar_link_that_is_not_on_is_a_409(world, partner):
    before = rows()
    response = api_as(partner).post(api_url("calendar-turn-off"))
    assert response.status_code == 409
    assert response.json() == {"detail": NO_LIVE_LINK}
    assert rows() == before


def test_a_calendar_link_is_one_persons_in_one_alliance(world, partner, chief_officer):
    mine = api_as(partner).post(api_url("calendar")).json()
    assert api_as(chief_officer).get(api_url("calendar")).json()["on"] is False
    assert api_as(chief_officer).post(api_url("calendar-turn-off")).status_code == 409
    assert fetch(mine["url"]) == 200


# --- The audit trail --------------------------------------------------------------------------


def test_the_audit_trail_lists_what_the_page_shows_newest_first(home, arbiter, chief_officer):
    api_as(chief_officer).delete(api_url("member-detail", pk=home.staffer.pk))
    response = api_as(arbiter).get(api_url("audit-event-list"))
    assert response.status_code == 200
    listed = response.json()
    assert listed["count"] == AuditEvent.objects.for_alliance(home.world.alliance).count()
    newest = listed["results"][0]
    assert newest == {
        "seq": last_event(home.world.alliance).seq,
        "created_at": newest["created_at"],
        "actor": "chief",
        "agency": home.world.lead.pk,
        "verb": "membership.ended",
        "target_type": "kiaa.membership",
        "target_id": str(home.staffer.pk),
        "target_repr": newest["target_repr"],
    }
    seqs = [e["seq"] for e in listed["results"]]
    assert seqs == sorted(seqs, reverse=True)


def test_the_audit_trail_is_filtered_by_field_named_parameters(home, admin):
    client = api_as(admin)
    by_verb = client.get(api_url("audit-event-list"), {"verb": "invitation.created"}).json()
    assert {e["target_id"] for e in by_verb["results"]} == {
        str(home.lead_invitation.pk),
        str(home.rival_invitation.pk),
    }
    by_agency = client.get(
        api_url("audit-event-list"), {"verb": "invitation.created", "agency": home.world.lead.pk}
    ).json()
    assert [e["target_id"] for e in by_agency["results"]] == [str(home.lead_invitation.pk)]
    target = {"target_type": "kiaa.invitation", "target_id": str(home.rival_invitation.pk)}
    by_target = client.get(api_url("audit-event-list"), target).json()
    assert [e["verb"] for e in by_target["results"]] == ["invitation.created"]


def test_the_audit_trail_of_another_alliance_is_never_listed(home, admin):
    invite(
        _platform_admin(home.world.other_alliance),
        home.world.other_alliance,
        "z@o.org",
        home.world.other_agency,
    )
    listed = api_as(admin).get(api_url("audit-event-list"), {"page_size": 200}).json()
    home_seqs = set(
        AuditEvent.objects.for_alliance(home.world.alliance).values_list("seq", flat=True)
    )
    assert listed["count"] == len(home_seqs)
    assert {e["seq"] for e in listed["results"]} == home_seqs
    assert "z@o.org" not in str(listed)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"agency": "other"}, "agency"),
        ({"agency": "abc"}, "agency"),
        ({"verb": "x" * 61}, "verb"),
        ({"target_id": "a\x00b"}, "target_id"),
    ],
    ids=["another alliance's agency", "not an id", "too long", "a null character"],
)
def test_a_bad_audit_filter_is_a_field_error(query, field, world, admin):
    if query.get("agency") == "other":
        query = {"agency": world.other_agency.pk}
    response = tolerant(admin).get(api_url("audit-event-list"), query)
    assert response.status_code == 400
    assert is_field_error(response.json(), field), response.json()


def test_a_member_who_may_not_read_the_audit_trail_is_told_why(world, competitor):
    response = api_as(competitor).get(api_url("audit-event-list"), {"agency": "abc"})
    assert response.status_code == 403
    assert response.json() == {"detail": NOT_AUDITOR}


# alliance, roles, held agencies, the selector's roles, count, page (actors selected with it)
AUDIT_LIST_QUERIES = 6


@pytest.mark.parametrize("size", [5, 50])
def test_the_audit_trail_takes_the_same_few_queries_at_any_size(
    size, world, admin, arbiter, django_assert_max_num_queries
):
    for i in range(size):
        invite(admin, world.alliance, f"person{i}@example.org", world.lead)
    client = api_as(arbiter)
    with django_assert_max_num_queries(AUDIT_LIST_QUERIES):
        response = client.get(api_url("audit-event-list"), {"page_size": 200})
    results = response.json()["results"]
    assert sum(e["verb"] == "invitation.created" for e in results) == size
    assert all(e["actor"] == "admin" for e in results if e["verb"] == "invitation.created")


# --- The schema -------------------------------------------------------------------------------


def test_the_schema_documents_every_new_endpoint():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    base = "/api/v1/a/{alliance_slug}/"
    assert "delete" in paths[f"{base}members/{{id}}/"]
    assert "get" in paths[f"{base}invitations/"]
    assert "post" in paths[f"{base}invitations/{{id}}/revoke/"]
    assert {"get", "post"} <= set(paths[f"{base}protocol/versions/"])
    assert "post" in paths[f"{base}protocol/acceptances/"]
    assert "post" in paths[f"{base}notifications/read-all/"]
    assert {"get", "post"} <= set(paths[f"{base}calendar/"])
    assert "post" in paths[f"{base}calendar/turn-off/"]
    assert "get" in paths[f"{base}audit-events/"]
