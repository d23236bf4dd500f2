"""The HTML pages under /a/<alliance-slug>/, the invitation link and the sign-in pages.

Every page is driven through Django's test client as one of the personas; state is built
through the services and factories only. Form failures must re-render with status 400 and
an error summary that links to the fields, and must leave every table as it was.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kiaa.models import (
    Agency,
    AgencyServiceArea,
    AuditEvent,
    Invitation,
    Membership,
    ProtocolAcceptance,
    ProtocolVersion,
    Role,
    ServiceArea,
    User,
)
from kiaa.services import alliances, members, protocol
from kiaa.tenancy import session_agency_key
from tests.api import row_counts
from tests.conftest import World
from tests.factories import AgencyFactory, PersonFactory, ServiceAreaFactory, grant
from tests.factories.core import PASSWORD
from tests.pages import assert_refused_on, error_summary, follow, html, main_nav, page, signed_in

pytestmark = pytest.mark.django_db

MEMBERS = ["chief_officer", "trustee", "partner", "competitor", "arbiter", "admin"]
NOT_ADMIN = ["chief_officer", "trustee", "partner", "competitor", "arbiter"]
NEW_PASSWORD = "plum-lantern-orbit-77"
PRINCIPLES = "Decisions follow the best service for local people.\nPartnership is preferred."


# ----------------------------------------------------------------------------- helpers


def options(response: Any, name: str) -> list[str]:
    """The option values of the <select name=...> on the page."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html(response), re.S)
    assert match, f"no select named {name}"
    return re.findall(r'<option value="([^"]*)"', match.group(1))


def table_rows(content: str) -> list[list[str]]:
    """The text of each cell in each body row of the page's first table."""
    body = re.search(r"<tbody>(.*?)</tbody>", content, re.S)
    assert body, "the page has no table"
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


# Every table a page in this file could write to: counts() counts their rows.
WRITTEN = (
    Agency,
    AgencyServiceArea,
    AuditEvent,
    Invitation,
    Membership,
    ProtocolAcceptance,
    ProtocolVersion,
    ServiceArea,
    User,
)


def counts() -> dict[str, int]:
    return row_counts(*WRITTEN)


def agency_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Citizens Advice Northside",
        "charity_number": "1100001",
        "company_number": "",
        "size_band": Agency.SizeBand.MEDIUM,
        "reach": Agency.Reach.LOCAL,
    }
    return {**data, **overrides}


def edit_data(agency: Agency, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": agency.name,
        "charity_number": agency.charity_number,
        "company_number": agency.company_number,
        "size_band": agency.size_band,
        "reach": agency.reach,
        "status": agency.status,
    }
    return {**data, **overrides}


def publish_version(admin: User, world: World) -> ProtocolVersion:
    today = timezone.localdate()
    return protocol.protocol_version_publish(
        actor=admin,
        alliance=world.alliance,
        principles=PRINCIPLES,
        implemented_on=today - timedelta(days=30),
        review_due_on=today + timedelta(days=335),
    )


def invite_through_page(
    client: Client, capture: Any, *, inviter: User, email: str, role: str, agency: Agency | None
) -> Any:
    """The inviter posts the invite form; the email task runs when the request commits."""
    signed_in(client, inviter)
    with capture(execute=True):
        response = client.post(
            page("invite"),
            {"email": email, "role": role, "agency": agency.pk if agency else ""},
        )
    return response


def link_token(message: mail.EmailMessage) -> str:
    match = re.search(r"/invitations/([^/\s]+)/", message.body)
    assert match, "the email has no invitation link"
    return match.group(1)


def invitation_link(client: Client, capture: Any, admin: User, world: World, email: str) -> str:
    """The admin invites the email as staff of the lead agency; the client leaves signed out."""
    response = invite_through_page(
        client, capture, inviter=admin, email=email, role=Role.STAFF, agency=world.lead
    )
    assert response.status_code == 302
    client.logout()
    return reverse("invitation-accept", kwargs={"token": link_token(mail.outbox[-1])})


# ----------------------------------------------------------------------------- pages render


@pytest.mark.parametrize("persona", MEMBERS)
@pytest.mark.parametrize(
    "name", ["dashboard", "agencies", "agency-detail", "members", "service-areas", "protocol"]
)
def test_every_member_page_renders_for_every_member(
    client: Client, world: World, request: pytest.FixtureRequest, persona: str, name: str
):
    user = request.getfixturevalue(persona)
    kwargs = {"pk": world.lead.pk} if name == "agency-detail" else {}
    response = signed_in(client, user).get(page(name, **kwargs))
    assert response.status_code == 200
    assert "Home Alliance" in html(response)


@pytest.mark.parametrize(
    "name", ["dashboard", "agencies", "agency-detail", "members", "service-areas", "protocol"]
)
def test_outsider_gets_404_on_every_page_of_another_alliance(
    client: Client, world: World, outsider: User, name: str
):
    kwargs = {"pk": world.lead.pk} if name == "agency-detail" else {}
    response = signed_in(client, outsider).get(page(name, **kwargs))
    assert response.status_code == 404
    assert "Home Alliance" not in html(response)


def test_anonymous_visitor_is_sent_to_sign_in(client: Client, world: World):
    response = client.get(page("agencies"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_dashboard_shows_the_alliance_and_how_many_agencies_it_has(
    client: Client, world: World, chief_officer: User
):
    response = signed_in(client, chief_officer).get(page("dashboard"))
    content = html(response)
    assert "<h1>Home Alliance</h1>" in content
    assert "4 member agencies." in content
    assert "No protocol version has been adopted yet." in content


def test_dashboard_names_the_persons_roles_in_plain_words(
    client: Client, world: World, chief_officer: User
):
    response = signed_in(client, chief_officer).get(page("dashboard"))
    assert "Your roles: Chief officer." in html(response)


def test_dashboard_lists_the_boards_yet_to_accept_the_current_protocol_version(
    client: Client, world: World, admin: User, trustee: User
):
    version = publish_version(admin, world)
    protocol.protocol_accept(
        actor=trustee, version=version, agency=world.lead, accepted_on=timezone.localdate()
    )
    response = signed_in(client, trustee).get(page("dashboard"))
    content = html(response)
    assert "Version 1, in force since" in content
    waiting = re.search(r"Boards yet to accept it:(.*?)</p>", content, re.S)
    assert waiting
    for agency in (world.partner, world.competitor, world.cvs):
        assert agency.name in waiting.group(1)
    assert world.lead.name not in waiting.group(1)


def test_agency_list_shows_each_member_agency_of_this_alliance_only(
    client: Client, world: World, partner: User
):
    response = signed_in(client, partner).get(page("agencies"))
    content = html(response)
    for agency in (world.lead, world.partner, world.competitor, world.cvs):
        assert f'href="{page("agency-detail", pk=agency.pk)}"' in content
        assert agency.name in content
    assert "Arbiter (CVS)" in content
    assert world.other_agency.name not in content


def test_agency_detail_shows_its_facts_service_areas_and_people(
    client: Client, world: World, admin: User, chief_officer: User, trustee: User, partner: User
):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    alliances.agency_update(actor=admin, agency=world.lead, service_areas=["debt-advice"])
    response = signed_in(client, partner).get(page("agency-detail", pk=world.lead.pk))
    content = html(response)
    assert "<h1>Lead Advice</h1>" in content
    assert "Debt advice" in content
    assert "Small (£10k–£100k)" in content
    assert chief_officer.email in content
    assert trustee.email in content
    assert partner.email not in content  # staff of another agency is not listed here


def test_agency_of_another_alliance_is_a_404(client: Client, world: World, admin: User):
    for name in ("agency-detail", "agency-edit"):
        response = signed_in(client, admin).get(page(name, pk=world.other_agency.pk))
        assert response.status_code == 404


def test_people_page_lists_who_holds_which_role_in_which_agency(
    client: Client, world: World, chief_officer: User, arbiter: User, admin: User
):
    response = signed_in(client, chief_officer).get(page("members"))
    people = {tuple(cells[:3]) for cells in table_rows(html(response))}
    assert (str(chief_officer), "Lead Advice", "Chief officer") in people
    assert (str(arbiter), "Home CVS", "Arbiter") in people
    assert (str(admin), "The alliance", "Alliance admin") in people


@pytest.mark.parametrize(
    ("persona", "may_invite"),
    [("admin", True), ("chief_officer", True), ("trustee", False), ("partner", False)],
)
def test_people_page_offers_invite_only_to_admins_and_chief_officers(
    client: Client, world: World, request: pytest.FixtureRequest, persona: str, may_invite: bool
):
    user = request.getfixturevalue(persona)
    response = signed_in(client, user).get(page("members"))
    assert ("Invite a person" in html(response)) is may_invite


def test_service_areas_page_lists_the_areas_and_offers_adding_only_to_the_admin(
    client: Client, world: World, admin: User, partner: User
):
    ServiceAreaFactory(alliance=world.alliance, name="Housing advice")
    as_partner = signed_in(Client(), partner).get(page("service-areas"))
    as_admin = signed_in(client, admin).get(page("service-areas"))
    assert "Housing advice" in html(as_partner)
    assert "Add a service area" not in html(as_partner)
    assert "Add a service area" in html(as_admin)


def test_admin_adds_a_service_area_and_a_duplicate_is_refused(
    client: Client, world: World, admin: User
):
    signed_in(client, admin)
    response = client.post(page("service-areas"), {"name": "Welfare benefits"})
    assert "Service area “Welfare benefits” added." in html(follow(client, response))
    assert ServiceArea.objects.filter(alliance=world.alliance, slug="welfare-benefits").exists()
    before = counts()
    again = client.post(page("service-areas"), {"name": "welfare BENEFITS"})
    assert_refused_on(again, "name", alliances.AREA_EXISTS)
    assert counts() == before


def test_service_area_cannot_be_added_by_a_member_who_is_not_admin(
    client: Client, world: World, chief_officer: User
):
    before = counts()
    response = signed_in(client, chief_officer).post(page("service-areas"), {"name": "Legal"})
    assert response.status_code == 403
    assert counts() == before


def test_protocol_page_shows_the_current_version_its_principles_and_acceptances(
    client: Client, world: World, admin: User, trustee: User, partner: User
):
    version = publish_version(admin, world)
    protocol.protocol_accept(
        actor=trustee, version=version, agency=world.lead, accepted_on=date(2024, 3, 1)
    )
    response = signed_in(client, partner).get(page("protocol"))
    content = html(response)
    assert "Version 1: implemented" in content
    assert "<li>Partnership is preferred.</li>" in content
    assert "Lead Advice — accepted 1 March 2024" in content


# ----------------------------------------------------------------------------- navigation


@pytest.mark.parametrize(
    ("persona", "sees_audit"),
    [
        ("admin", True),
        ("arbiter", True),
        ("chief_officer", False),
        ("trustee", False),
        ("partner", False),
        ("competitor", False),
    ],
)
def test_audit_trail_link_is_shown_only_to_admin_and_arbiter(
    client: Client, world: World, request: pytest.FixtureRequest, persona: str, sees_audit: bool
):
    user = request.getfixturevalue(persona)
    nav = main_nav(signed_in(client, user).get(page("dashboard")))
    assert "Agencies" in nav
    assert (f'href="{page("audit")}"' in nav) is sees_audit
    assert ("Audit trail" in nav) is sees_audit


@pytest.mark.parametrize(
    ("persona", "is_admin"), [("admin", True)] + [(p, False) for p in NOT_ADMIN]
)
def test_admin_actions_are_offered_only_to_the_admin(
    client: Client, world: World, request: pytest.FixtureRequest, persona: str, is_admin: bool
):
    user = request.getfixturevalue(persona)
    signed_in(client, user)
    assert ("Admit an agency" in html(client.get(page("agencies")))) is is_admin
    detail = html(client.get(page("agency-detail", pk=world.lead.pk)))
    assert ("Edit agency" in detail) is is_admin
    assert (page("agency-edit", pk=world.lead.pk) in detail) is is_admin
    assert ("Adopt a new version" in html(client.get(page("protocol")))) is is_admin


# ----------------------------------------------------------------------------- 403s


@pytest.mark.parametrize("persona", NOT_ADMIN)
@pytest.mark.parametrize("name", ["agency-create", "agency-edit", "protocol-publish"])
def test_admin_only_pages_are_forbidden_to_other_members(
    client: Client, world: World, request: pytest.FixtureRequest, persona: str, name: str
):
    user = request.getfixturevalue(persona)
    kwargs = {"pk": world.lead.pk} if name == "agency-edit" else {}
    signed_in(client, user)
    assert client.get(page(name, **kwargs)).status_code == 403
    before = counts()
    today = timezone.localdate()
    data = {
        **edit_data(world.lead, name="Taken Over"),
        "principles": PRINCIPLES,
        "implemented_on": today.isoformat(),
        "review_due_on": (today + timedelta(days=365)).isoformat(),
    }
    assert client.post(page(name, **kwargs), data).status_code == 403
    assert counts() == before
    world.lead.refresh_from_db()
    assert world.lead.name == "Lead Advice"


@pytest.mark.parametrize("persona", ["chief_officer", "trustee", "partner", "competitor"])
def test_audit_page_is_forbidden_to_members_who_are_neither_admin_nor_arbiter(
    client: Client, world: World, request: pytest.FixtureRequest, persona: str
):
    user = request.getfixturevalue(persona)
    response = signed_in(client, user).get(page("audit"))
    assert response.status_code == 403
    assert "agency.created" not in html(response)


@pytest.mark.parametrize("persona", ["admin", "arbiter"])
def test_admin_and_arbiter_read_the_audit_trail(
    client: Client, world: World, request: pytest.FixtureRequest, persona: str
):
    user = request.getfixturevalue(persona)
    response = signed_in(client, user).get(page("audit"))
    assert response.status_code == 200
    assert "agency.created" in html(response)
    assert "Elsewhere Advice" not in html(response)  # the other alliance's chain stays there


# ----------------------------------------------------------------------------- agency forms


def test_admin_admits_an_agency(client: Client, world: World, admin: User):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    before = counts()
    signed_in(client, admin)
    response = client.post(page("agency-create"), agency_data(service_areas=["debt-advice"]))
    agency = Agency.objects.get(alliance=world.alliance, name="Citizens Advice Northside")
    assert response.status_code == 302
    assert response.url == page("agency-detail", pk=agency.pk)
    assert "Citizens Advice Northside is now a member agency." in html(follow(client, response))
    assert agency.charity_number == "1100001"
    assert list(agency.service_areas.values_list("slug", flat=True)) == ["debt-advice"]
    event = AuditEvent.objects.for_alliance(world.alliance).order_by("-seq").first()
    assert event is not None
    assert (event.verb, event.actor, event.target_id) == ("agency.created", admin, str(agency.pk))
    assert counts()["Agency"] == before["Agency"] + 1
    assert counts()["AuditEvent"] == before["AuditEvent"] + 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (agency_data(name=""), "name", "This field is required."),
        (agency_data(name="Lead Advice"), "name", alliances.AGENCY_EXISTS),
        (agency_data(size_band="enormous"), "size_band", None),
        (agency_data(service_areas=["no-such-area"]), "service_areas", None),
    ],
    ids=["empty-name", "duplicate-name", "unknown-size-band", "unknown-service-area"],
)
def test_admitting_an_agency_with_bad_input_shows_the_errors_and_changes_nothing(
    client: Client, world: World, admin: User, data: dict[str, Any], field: str, message: str
):
    before = counts()
    response = signed_in(client, admin).post(page("agency-create"), data)
    assert_refused_on(response, field, message)
    assert "Admit an agency" in html(response)
    assert counts() == before


def test_admitting_an_agency_with_a_charity_number_already_used_is_refused(
    client: Client, world: World, admin: User
):
    AgencyFactory(alliance=world.alliance, name="First Charity", charity_number="1100001")
    before = counts()
    response = signed_in(client, admin).post(page("agency-create"), agency_data())
    assert response.status_code == 400
    assert alliances.AGENCY_EXISTS in error_summary(response)
    assert counts() == before


def test_admin_edits_an_agency_and_the_change_is_audited(client: Client, world: World, admin: User):
    signed_in(client, admin)
    form = client.get(page("agency-edit", pk=world.partner.pk))
    assert form.status_code == 200
    assert 'value="Partner Housing"' in html(form)
    response = client.post(
        page("agency-edit", pk=world.partner.pk),
        edit_data(world.partner, reach=Agency.Reach.REGIONAL, status=Agency.Status.SUSPENDED),
    )
    assert response.url == page("agency-detail", pk=world.partner.pk)
    assert "Agency details saved." in html(follow(client, response))
    world.partner.refresh_from_db()
    assert (world.partner.reach, world.partner.status) == ("regional", "suspended")
    event = AuditEvent.objects.for_alliance(world.alliance).order_by("-seq").first()
    assert event is not None
    assert event.verb == "agency.updated"
    assert event.payload["status"] == ["active", "suspended"]


def test_agency_edit_form_does_not_offer_expulsion(client: Client, world: World, admin: User):
    response = signed_in(client, admin).get(page("agency-edit", pk=world.partner.pk))
    assert options(response, "status") == ["active", "suspended"]
    assert "expelled" not in html(response).lower()


def test_forged_post_expelling_an_agency_is_refused_and_changes_nothing(
    client: Client, world: World, admin: User
):
    before = counts()
    response = signed_in(client, admin).post(
        page("agency-edit", pk=world.partner.pk),
        edit_data(world.partner, name="Renamed On The Way", status=Agency.Status.EXPELLED),
    )
    assert_refused_on(response, "status")
    assert "Expulsion follows a ruling and is not set here." in html(response)
    world.partner.refresh_from_db()
    assert (world.partner.status, world.partner.name) == ("active", "Partner Housing")
    assert counts() == before


def test_editing_an_agency_to_a_name_already_taken_is_refused(
    client: Client, world: World, admin: User
):
    before = counts()
    response = signed_in(client, admin).post(
        page("agency-edit", pk=world.partner.pk), edit_data(world.partner, name="Lead Advice")
    )
    assert_refused_on(response, "name", alliances.AGENCY_EXISTS)
    world.partner.refresh_from_db()
    assert world.partner.name == "Partner Housing"
    assert counts() == before


# ----------------------------------------------------------------------------- protocol versions


def test_admin_adopts_a_protocol_version(client: Client, world: World, admin: User):
    signed_in(client, admin)
    form = client.get(page("protocol-publish"))
    assert form.status_code == 200
    response = client.post(
        page("protocol-publish"),
        {"principles": PRINCIPLES, "implemented_on": "2025-04-01", "review_due_on": "2026-04-01"},
    )
    assert response.url == page("protocol")
    landing = html(follow(client, response))
    assert "Version 1 adopted; boards can now accept it." in landing
    assert "review due 1 April 2026" in landing
    version = ProtocolVersion.objects.get(alliance=world.alliance)
    assert (version.number, version.implemented_on) == (1, date(2025, 4, 1))
    assert AuditEvent.objects.filter(verb="protocol.version_published").count() == 1


@pytest.mark.parametrize(
    ("implemented_on", "review_due_on"),
    [("2025-04-01", "2025-03-31"), ("2025-04-01", "2025-04-01")],
    ids=["review-before", "review-same-day"],
)
def test_adopting_a_version_reviewed_before_it_is_implemented_is_refused(
    client: Client, world: World, admin: User, implemented_on: str, review_due_on: str
):
    before = counts()
    response = signed_in(client, admin).post(
        page("protocol-publish"),
        {
            "principles": PRINCIPLES,
            "implemented_on": implemented_on,
            "review_due_on": review_due_on,
        },
    )
    assert_refused_on(response, "review_due_on", protocol.REVIEW_BEFORE_IMPLEMENTATION)
    assert counts() == before


def test_adopting_a_version_without_principles_is_refused(
    client: Client, world: World, admin: User
):
    before = counts()
    response = signed_in(client, admin).post(
        page("protocol-publish"),
        {"principles": "   ", "implemented_on": "2025-04-01", "review_due_on": "2026-04-01"},
    )
    assert_refused_on(response, "principles")
    assert counts() == before


# ----------------------------------------------------------------------------- acceptance


def test_trustee_records_their_boards_acceptance_of_the_current_version(
    client: Client, world: World, admin: User, trustee: User
):
    version = publish_version(admin, world)
    signed_in(client, trustee)
    form = client.get(page("protocol"))
    assert "Record your board's acceptance" in html(form)
    assert options(form, "agency") == ["", str(world.lead.pk)]  # only their own board
    response = client.post(page("protocol"), {"agency": world.lead.pk, "accepted_on": "2025-01-15"})
    assert response.url == page("protocol")
    landing = html(follow(client, response))
    assert "The board&#x27;s acceptance is recorded." in landing
    assert "Lead Advice — accepted 15 January 2025" in landing
    acceptance = ProtocolAcceptance.objects.get(version=version)
    assert (acceptance.agency, acceptance.recorded_by) == (world.lead, trustee)
    assert AuditEvent.objects.filter(verb="protocol.accepted").count() == 1


def test_staff_member_sees_no_acceptance_form_and_a_forged_post_is_forbidden(
    client: Client, world: World, admin: User, partner: User
):
    publish_version(admin, world)
    signed_in(client, partner)
    assert "Record your board" not in html(client.get(page("protocol")))
    before = counts()
    today = timezone.localdate().isoformat()
    response = client.post(page("protocol"), {"agency": world.partner.pk, "accepted_on": today})
    assert response.status_code == 403
    assert counts() == before


def test_trustee_cannot_record_acceptance_for_another_agencys_board(
    client: Client, world: World, admin: User, trustee: User
):
    publish_version(admin, world)
    before = counts()
    today = timezone.localdate().isoformat()
    response = signed_in(client, trustee).post(
        page("protocol"), {"agency": world.competitor.pk, "accepted_on": today}
    )
    assert_refused_on(response, "agency")
    assert counts() == before


def test_acceptance_dated_in_the_future_is_refused_with_a_form_error(
    client: Client, world: World, admin: User, trustee: User
):
    publish_version(admin, world)
    before = counts()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = signed_in(client, trustee).post(
        page("protocol"), {"agency": world.lead.pk, "accepted_on": tomorrow}
    )
    assert_refused_on(response, "accepted_on", protocol.ACCEPTED_IN_FUTURE)
    assert counts() == before


# ----------------------------------------------------------------------------- invitations


def test_admin_invites_an_email_to_a_role_and_the_email_carries_the_link(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
):
    signed_in(client, admin)
    form = client.get(page("invite"))
    assert set(options(form, "role")) == set(Role.values)
    response = invite_through_page(
        client,
        django_capture_on_commit_callbacks,
        inviter=admin,
        email="New.Person@Example.org",
        role=Role.STAFF,
        agency=world.lead,
    )
    assert response.url == page("members")
    landing = html(follow(client, response))
    assert "Invitation sent to new.person@example.org." in landing
    assert "new.person@example.org" in landing  # listed under open invitations
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.org"]
    assert "Home Alliance" in message.subject
    assert "Staff of Lead Advice" in message.body
    token = link_token(message)
    assert f"{settings.SITE_URL}/invitations/{token}/" in message.body
    invitation = Invitation.objects.get(email="new.person@example.org")
    assert (invitation.role, invitation.agency, invitation.invited_by) == (
        "staff",
        world.lead,
        admin,
    )
    assert invitation.sent_at is not None


def test_invitation_email_waits_for_the_commit(client: Client, world: World, admin: User):
    # Without the on-commit callbacks running, the request must not have sent anything.
    response = signed_in(client, admin).post(
        page("invite"), {"email": "x@example.org", "role": Role.STAFF, "agency": world.lead.pk}
    )
    assert response.status_code == 302
    assert mail.outbox == []


def test_the_invitation_link_shows_the_role_to_an_anonymous_visitor(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
):
    link = invitation_link(
        client, django_capture_on_commit_callbacks, admin, world, "n@example.org"
    )
    response = client.get(link)
    assert response.status_code == 200
    content = html(response)
    assert "You are invited as <strong>Staff</strong> of <strong>Lead Advice</strong>." in content
    assert "n@example.org" in content
    assert 'name="username"' in content
    assert 'name="password"' in content


def test_a_new_person_creates_their_account_from_the_link_and_holds_the_role(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
):
    link = invitation_link(
        client, django_capture_on_commit_callbacks, admin, world, "n@example.org"
    )
    response = client.post(
        link,
        {"username": "newcomer", "password": NEW_PASSWORD, "first_name": "Nia", "last_name": "Ode"},
    )
    assert response.status_code == 302
    assert response.url == page("dashboard")
    dashboard = follow(client, response)
    assert dashboard.status_code == 200  # signed in: the alliance page lets them in
    assert "Welcome to Home Alliance." in html(dashboard)
    user = User.objects.get(username="newcomer")
    assert user.email == "n@example.org"
    assert user.check_password(NEW_PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Membership.objects.filter(
        alliance=world.alliance, user=user, agency=world.lead, role=Role.STAFF
    ).exists()
    invitation = Invitation.objects.get(email="n@example.org")
    assert invitation.accepted_by == user


def test_an_invitation_link_cannot_be_used_twice(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
):
    link = invitation_link(
        client, django_capture_on_commit_callbacks, admin, world, "n@example.org"
    )
    first = client.post(link, {"username": "newcomer", "password": NEW_PASSWORD})
    assert first.status_code == 302
    client.logout()
    before = counts()
    again = client.get(link)
    assert again.status_code == 400
    assert members.INVITATION_USED in html(again)
    second = client.post(link, {"username": "gatecrasher", "password": NEW_PASSWORD})
    assert second.status_code == 400
    assert members.INVITATION_USED in html(second)
    assert counts() == before


def test_a_tampered_invitation_link_is_refused_with_a_clear_message(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
):
    link = invitation_link(
        client, django_capture_on_commit_callbacks, admin, world, "n@example.org"
    )
    token = link.rstrip("/").rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    tampered = reverse("invitation-accept", kwargs={"token": flipped})
    before = counts()
    for response in (
        client.get(tampered),
        client.post(tampered, {"username": "sneaky", "password": NEW_PASSWORD}),
    ):
        assert response.status_code == 400
        assert "This invitation cannot be used" in html(response)
        assert members.INVITATION_INVALID in html(response)
    assert counts() == before


def test_a_new_account_with_a_weak_password_is_refused_on_the_password_field(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
):
    link = invitation_link(
        client, django_capture_on_commit_callbacks, admin, world, "n@example.org"
    )
    before = counts()
    response = client.post(link, {"username": "newcomer", "password": "password"})
    assert_refused_on(response, "password")
    assert counts() == before
    assert "_auth_user_id" not in client.session


def test_an_existing_person_signs_in_and_accepts_an_invitation_to_their_email(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
):
    person = PersonFactory(username="returning", email="returning@example.org")
    link = invitation_link(
        client, django_capture_on_commit_callbacks, admin, world, "returning@example.org"
    )
    signed_in(client, person)
    assert "Accept as returning" in html(client.get(link))
    response = client.post(link)
    assert response.url == page("dashboard")
    assert Membership.objects.filter(user=person, agency=world.lead, role=Role.STAFF).exists()


def test_a_signed_in_person_with_another_email_cannot_accept_the_invitation(
    client: Client,
    world: World,
    admin: User,
    partner: User,
    django_capture_on_commit_callbacks: Any,
):
    link = invitation_link(
        client, django_capture_on_commit_callbacks, admin, world, "n@example.org"
    )
    before = counts()
    response = signed_in(client, partner).post(link)
    assert response.status_code == 400
    assert members.INVITATION_OTHER_EMAIL in html(response)
    assert counts() == before
    assert not Membership.objects.filter(user=partner, agency=world.lead).exists()
    assert Invitation.objects.get(email="n@example.org").accepted_at is None


def test_chief_officer_is_offered_only_their_own_agency_and_the_roles_they_may_give(
    client: Client, world: World, chief_officer: User
):
    response = signed_in(client, chief_officer).get(page("invite"))
    assert response.status_code == 200
    assert sorted(options(response, "role")) == ["chief_officer", "staff", "trustee"]
    assert options(response, "agency") == ["", str(world.lead.pk)]


def test_chief_officer_invites_a_trustee_to_their_own_agency(
    client: Client, world: World, chief_officer: User, django_capture_on_commit_callbacks: Any
):
    response = invite_through_page(
        client,
        django_capture_on_commit_callbacks,
        inviter=chief_officer,
        email="board@example.org",
        role=Role.TRUSTEE,
        agency=world.lead,
    )
    assert response.url == page("members")
    assert [m.to for m in mail.outbox] == [["board@example.org"]]
    invitation = Invitation.objects.get(email="board@example.org")
    assert (invitation.role, invitation.agency) == ("trustee", world.lead)


@pytest.mark.parametrize(
    ("role", "agency_attr"),
    [
        (Role.ALLIANCE_ADMIN, "lead"),
        (Role.ALLIANCE_ADMIN, None),
        (Role.ARBITER, "cvs"),
        (Role.STAFF, "competitor"),
        (Role.STAFF, None),
    ],
    ids=["admin-in-own-agency", "admin-no-agency", "arbiter", "other-agency", "no-agency"],
)
def test_chief_officer_forged_invitation_beyond_their_rights_is_refused(
    client: Client,
    world: World,
    chief_officer: User,
    django_capture_on_commit_callbacks: Any,
    role: str,
    agency_attr: str | None,
):
    before = counts()
    response = invite_through_page(
        client,
        django_capture_on_commit_callbacks,
        inviter=chief_officer,
        email="climber@example.org",
        role=role,
        agency=getattr(world, agency_attr) if agency_attr else None,
    )
    assert response.status_code in (400, 403)
    if response.status_code == 400:
        assert error_summary(response)
    assert counts() == before
    assert mail.outbox == []


@pytest.mark.parametrize("persona", ["trustee", "partner", "arbiter"])
def test_members_who_are_neither_admin_nor_chief_officer_cannot_open_the_invite_page(
    client: Client, world: World, request: pytest.FixtureRequest, persona: str
):
    user = request.getfixturevalue(persona)
    signed_in(client, user)
    assert client.get(page("invite")).status_code == 403
    before = counts()
    response = client.post(
        page("invite"), {"email": "x@example.org", "role": Role.STAFF, "agency": world.lead.pk}
    )
    assert response.status_code == 403
    assert counts() == before


def test_inviting_with_an_invalid_email_shows_the_error_and_creates_nothing(
    client: Client, world: World, admin: User, django_capture_on_commit_callbacks: Any
):
    before = counts()
    response = invite_through_page(
        client,
        django_capture_on_commit_callbacks,
        inviter=admin,
        email="not-an-email",
        role=Role.STAFF,
        agency=world.lead,
    )
    assert_refused_on(response, "email")
    assert counts() == before
    assert mail.outbox == []


# ----------------------------------------------------------------------------- acting agency


@pytest.fixture
def dual(world: World) -> User:
    # Chief officer of the lead agency and trustee of the partner: acts for one at a time.
    person = PersonFactory(username="dual")
    grant(person, Role.CHIEF_OFFICER, world.lead)
    grant(person, Role.TRUSTEE, world.partner)
    return person


def acting_for(response: Any) -> list[str]:
    """The agencies the header's switcher marks as chosen (exactly one when it works)."""
    match = re.search(r'<select id="acting-agency" name="agency">(.*?)</select>', html(response))
    assert match, "the header has no acting-agency switcher"
    return re.findall(r'<option value="\d+" selected>([^<]*)</option>', match.group(1))


def test_person_with_roles_in_two_agencies_switches_and_the_header_shows_the_choice(
    client: Client, world: World, dual: User
):
    signed_in(client, dual)
    assert acting_for(client.get(page("dashboard"))) == ["Lead Advice"]
    response = client.post(page("acting-agency"), {"agency": world.partner.pk})
    assert response.url == page("dashboard")
    assert client.session[session_agency_key(world.alliance)] == world.partner.pk
    assert acting_for(follow(client, response)) == ["Partner Housing"]
    assert acting_for(client.get(page("agencies"))) == ["Partner Housing"]


def test_choosing_an_agency_one_does_not_hold_is_refused_with_a_message(
    client: Client, world: World, dual: User
):
    signed_in(client, dual)
    client.post(page("acting-agency"), {"agency": world.partner.pk})
    for forged in (world.competitor.pk, world.other_agency.pk, "lead"):
        response = client.post(page("acting-agency"), {"agency": forged})
        landing = follow(client, response)
        assert "Choose one of your own agencies." in html(landing)
        assert acting_for(landing) == ["Partner Housing"]
    assert client.session[session_agency_key(world.alliance)] == world.partner.pk


def test_person_with_one_agency_sees_it_named_without_a_switcher(
    client: Client, world: World, trustee: User
):
    content = html(signed_in(client, trustee).get(page("dashboard")))
    assert "<span>Lead Advice</span>" in content
    assert 'id="acting-agency"' not in content


# ----------------------------------------------------------------------------- sign in and out


def test_login_page_renders_a_labelled_form(client: Client, world: World):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    content = html(response)
    assert '<label for="id_username">' in content
    assert '<label for="id_password">' in content
    assert f'href="{reverse("password_reset")}"' in content


def test_signing_in_takes_a_person_with_one_alliance_to_its_dashboard(
    client: Client, world: World, chief_officer: User
):
    response = client.post(reverse("login"), {"username": "chief", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == chief_officer.pk
    assert follow(client, response).url == page("dashboard")


def test_a_wrong_password_shows_an_error_and_does_not_sign_in(
    client: Client, world: World, chief_officer: User
):
    response = client.post(reverse("login"), {"username": "chief", "password": "not-it"})
    assert response.status_code == 200
    summary = error_summary(response)
    assert "Please enter a correct username and password." in summary
    assert "_auth_user_id" not in client.session


def test_signing_out_by_post_ends_the_session(client: Client, world: World, trustee: User):
    signed_in(client, trustee)
    assert "Sign out" in html(client.get(page("dashboard")))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session
    assert client.get(page("dashboard")).status_code == 302  # back to sign-in


def test_password_reset_emails_a_link_that_sets_a_new_password(
    client: Client, world: World, trustee: User
):
    form = client.get(reverse("password_reset"))
    assert form.status_code == 200
    response = client.post(reverse("password_reset"), {"email": trustee.email})
    assert response.url == reverse("password_reset_done")
    assert "Check your email" in html(follow(client, response))
    assert [m.to for m in mail.outbox] == [[trustee.email]]
    match = re.search(r"https?://[^/\s]+(/accounts/reset/[^\s]+/)", mail.outbox[0].body)
    assert match, "the email has no reset link"
    landing = client.get(match.group(1))  # Django swaps the token for a session and redirects
    choose = follow(client, landing)
    assert "Choose a new password" in html(choose)
    done = client.post(landing.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.url == reverse("password_reset_complete")
    trustee.refresh_from_db()
    assert trustee.check_password(NEW_PASSWORD)
    signed = client.post(reverse("login"), {"username": "trustee", "password": NEW_PASSWORD})
    assert signed.status_code == 302
    assert int(client.session["_auth_user_id"]) == trustee.pk


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(
    client: Client, world: World
):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


# ----------------------------------------------------------------------------- accessibility


@pytest.mark.parametrize("signed", [True, False], ids=["dashboard", "login-page"])
def test_layout_has_a_skip_link_to_the_main_content_and_declares_british_english(
    client: Client, world: World, partner: User, signed: bool
):
    if signed:
        signed_in(client, partner)
    content = html(client.get(page("dashboard") if signed else reverse("login")))
    assert '<html lang="en-GB">' in content
    links = re.findall(r"<a [^>]*>", content)
    assert 'href="#content"' in links[0]  # the first link on the page, for keyboard users
    assert re.search(r'<a [^>]*href="#content"[^>]*>Skip to main content</a>', content)
    assert re.search(r'<main id="content"[^>]*>', content)
    assert content.count("<main") == 1


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("dashboard", "Overview"),
        ("agencies", "Agencies"),
        ("members", "People"),
        ("protocol", "Protocol"),
        ("service-areas", "Service areas"),
        ("audit", "Audit trail"),
    ],
)
def test_navigation_is_labelled_and_marks_the_current_page(
    client: Client, world: World, admin: User, name: str, label: str
):
    response = signed_in(client, admin).get(page(name))
    nav = main_nav(response)
    current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', nav)
    assert current == [(page(name), label)]
    assert html(response).count('aria-current="page"') == 1


def test_error_summary_is_announced_and_precedes_the_fields(
    client: Client, world: World, admin: User
):
    response = signed_in(client, admin).post(page("agency-create"), agency_data(name=""))
    content = html(response)
    assert_refused_on(response, "name")
    assert content.index('class="error-summary"') < content.index('id="id_name"')
    assert 'aria-labelledby="error-summary-title"' in content
    assert '<h2 id="error-summary-title">There is a problem</h2>' in content


def test_each_field_error_is_shown_beside_its_field_and_tied_to_it(
    client: Client, world: World, admin: User
):
    content = html(signed_in(client, admin).post(page("agency-create"), agency_data(name="")))
    field = re.search(r'<input[^>]*id="id_name"[^>]*>', content).group(0)
    assert 'aria-invalid="true"' in field
    assert "id_name_error" in re.search(r'aria-describedby="([^"]+)"', field).group(1)
    assert re.search(
        r'<p class="error-message" id="id_name_error">.*This field is required', content
    )


def test_a_board_that_has_accepted_is_not_offered_again(
    client: Client, world: World, admin: User, trustee: User
):
    version = publish_version(admin, world)
    grant(trustee, Role.TRUSTEE, world.partner)
    protocol.protocol_accept(
        actor=trustee, version=version, agency=world.lead, accepted_on=date(2025, 2, 1)
    )
    signed_in(client, trustee)
    assert options(client.get(page("protocol")), "agency") == ["", str(world.partner.pk)]
    protocol.protocol_accept(
        actor=trustee, version=version, agency=world.partner, accepted_on=date(2025, 2, 1)
    )
    content = html(client.get(page("protocol")))
    assert "Record your board" not in content
    assert "Your board has accepted this version." in content
