"""The person's notifications: the inbox page, marking read, the unread count in the
navigation, how they want them emailed, and the same over the API (API.md: `notifications/`,
`…/<id>/read/`, `notifications/preferences/`).

Notifications are made by `notify`, as the apps' services make them; each person sees only
their own, in the alliance of the URL, and anyone else's is a 404.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kiaa.models import Agency, EmailFrequency, Notification, Role, User
from kiaa.services.notifications import BAD_FREQUENCY, notification_mark_all_read, notify
from tests.api import api_url, is_field_error
from tests.conftest import World, api_as
from tests.factories import grant
from tests.pages import assert_refused_on, follow, html, main_nav, page, signed_in, text

pytestmark = pytest.mark.django_db

MEMBERS = ["chief_officer", "trustee", "partner", "competitor", "arbiter", "admin"]


def tell(
    agency: Agency,
    title: str,
    *,
    roles: tuple[str, ...] = (Role.CHIEF_OFFICER,),
    url: str = "",
) -> Notification:
    """Notify the agency's people holding `roles`; returns the (first) notification made."""
    made = notify(
        alliance=agency.alliance,
        agencies=[agency],
        verb="test.news",
        title=title,
        body=f"About {title}.",
        url=url,
        roles=roles,
    )
    return made[0]


def titles(response: Any) -> list[str]:
    """The notification titles on the page, in order."""
    found = re.findall(r'<h2 class="notification-title">(.*?)</h2>', html(response), re.S)
    return [re.sub(r"<[^>]+>", "", t).replace("Unread", "").strip() for t in found]


def frequency_of(user: User) -> str:
    user.refresh_from_db(fields=["email_frequency"])
    return user.email_frequency


def unread_of(user: User) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, read_at=None)
        .order_by("title")
        .values_list("title", flat=True)
    )


# ----------------------------------------------------------------------------- the page


def test_the_inbox_lists_the_persons_notifications_unread_first_each_with_its_link(
    client: Client, world: World, chief_officer: User
):
    tell(world.lead, "Tender published", url="/a/home/tenders/")
    tell(world.lead, "Declaration approved", url="/a/home/declarations/")
    read = tell(world.lead, "Already seen")
    signed_in(client, chief_officer).post(page("notification-read", pk=read.pk))
    response = client.get(page("notifications"))
    assert response.status_code == 200
    assert titles(response) == ["Declaration approved", "Tender published", "Already seen"]
    assert '<a href="/a/home/tenders/">Tender published</a>' in html(response)
    assert "About Declaration approved." in text(response)
    assert html(response).count('<span class="tag">Unread</span>') == 2


def test_the_inbox_shows_only_the_persons_own_notifications_in_this_alliance(
    client: Client, world: World, chief_officer: User, competitor: User
):
    tell(world.lead, "For the lead")
    tell(world.competitor, "For the competitor")
    # The same person, told something in another alliance: not in this alliance's inbox.
    grant(chief_officer, Role.STAFF, world.other_agency)
    tell(world.other_agency, "Elsewhere news", roles=(Role.STAFF,))
    assert unread_of(chief_officer) == ["Elsewhere news", "For the lead"]
    response = signed_in(client, chief_officer).get(page("notifications"))
    assert titles(response) == ["For the lead"]


def test_marking_one_read_takes_it_off_the_unread_count(
    client: Client, world: World, chief_officer: User
):
    first = tell(world.lead, "First")
    tell(world.lead, "Second")
    signed_in(client, chief_officer)
    assert '<span class="count" id="unread-count">2' in main_nav(client.get(page("dashboard")))
    response = client.post(page("notification-read", pk=first.pk))
    assert response.url == page("notifications")
    after = follow(client, response)
    assert "“First” is marked read." in text(after)
    assert '<span class="count" id="unread-count">1' in main_nav(after)
    assert unread_of(chief_officer) == ["Second"]
    # Marking again changes nothing and keeps the first time.
    when = Notification.objects.get(pk=first.pk).read_at
    client.post(page("notification-read", pk=first.pk))
    assert Notification.objects.get(pk=first.pk).read_at == when


def test_marking_all_read_clears_the_count_and_leaves_others_notifications_alone(
    client: Client, world: World, chief_officer: User, competitor: User
):
    for n in range(3):
        tell(world.lead, f"News {n}")
    tell(world.competitor, "Not theirs")
    signed_in(client, chief_officer)
    after = follow(client, client.post(page("notifications-read-all")))
    assert "3 notifications marked read." in text(after)
    assert "unread-count" not in main_nav(after)
    assert unread_of(chief_officer) == []
    assert unread_of(competitor) == ["Not theirs"]


def test_marking_all_read_is_one_update_and_keeps_the_first_reading(
    world: World, chief_officer: User, django_assert_num_queries: Any
):
    seen = tell(world.lead, "Seen")
    notification_mark_all_read(person=chief_officer, alliance=world.alliance)
    when = Notification.objects.get(pk=seen.pk).read_at
    for n in range(5):
        tell(world.lead, f"News {n}")
    grant(chief_officer, Role.STAFF, world.other_agency)
    tell(world.other_agency, "Elsewhere news", roles=(Role.STAFF,))
    with django_assert_num_queries(1):
        marked = notification_mark_all_read(person=chief_officer, alliance=world.alliance)
    assert marked == 5
    assert Notification.objects.get(pk=seen.pk).read_at == when
    assert unread_of(chief_officer) == ["Elsewhere news"]  # another alliance's inbox


def test_the_navigation_shows_no_count_without_unread_notifications(
    client: Client, world: World, partner: User
):
    response = signed_in(client, partner).get(page("dashboard"))
    nav = main_nav(response)
    assert f'<a href="{page("notifications")}">Notifications</a>' in nav
    assert "unread-count" not in nav


@pytest.mark.parametrize("persona", MEMBERS)
def test_every_member_has_an_inbox(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str
):
    response = signed_in(client, request.getfixturevalue(persona)).get(page("notifications"))
    assert response.status_code == 200
    assert "You have no notifications here." in html(response)


def test_someone_elses_notification_is_a_404_and_stays_unread(
    client: Client, world: World, chief_officer: User, competitor: User
):
    theirs = tell(world.competitor, "Not yours")
    signed_in(client, chief_officer)
    assert client.post(page("notification-read", pk=theirs.pk)).status_code == 404
    assert client.post(page("notification-read", pk=99999999)).status_code == 404
    assert unread_of(competitor) == ["Not yours"]


def test_outsider_and_anonymous_visitor_get_no_inbox(
    client: Client, world: World, chief_officer: User, outsider: User
):
    mine = tell(world.lead, "Home news")
    assert client.get(page("notifications")).status_code == 302
    signed_in(client, outsider)
    assert client.get(page("notifications")).status_code == 404
    assert client.post(page("notification-read", pk=mine.pk)).status_code == 404
    assert client.post(page("notifications-read-all")).status_code == 404
    assert unread_of(chief_officer) == ["Home news"]


def test_marking_read_is_a_post_only(client: Client, world: World, chief_officer: User):
    mine = tell(world.lead, "Home news")
    signed_in(client, chief_officer)
    assert client.get(page("notification-read", pk=mine.pk)).status_code == 405
    assert unread_of(chief_officer) == ["Home news"]


@pytest.mark.parametrize("size", [3, 60])
def test_the_inbox_takes_the_same_few_queries_at_any_size(
    client: Client,
    world: World,
    chief_officer: User,
    django_assert_max_num_queries: Any,
    size: int,
):
    for n in range(size):
        tell(world.lead, f"News {n:03d}", url=f"/a/home/tenders/{n}/")
    signed_in(client, chief_officer)
    # session, user; alliance, roles, agencies; count, page; the layout's alliances (with the
    # unread count folded in)
    with django_assert_max_num_queries(8):
        response = client.get(page("notifications"))
    assert len(titles(response)) == min(size, 25)
    assert f'<span class="count" id="unread-count">{size}' in main_nav(response)


# ----------------------------------------------------------------------------- the email setting


def test_the_inbox_offers_the_email_setting_with_the_current_choice(
    client: Client, world: World, chief_officer: User
):
    response = signed_in(client, chief_officer).get(page("notifications"))
    body = html(response)
    assert f'action="{page("notification-preferences")}"' in body
    assert re.search(r"<fieldset[^>]*>\s*<legend>Email me", body)
    for value, label in [
        ("immediate", "as they happen"),
        ("daily", "a daily digest"),
        ("never", "never (in the app only)"),
    ]:
        assert re.search(rf'<label for="id_email_frequency_\d"><input[^>]*value="{value}"', body)
        assert label in text(response)
    assert re.search(r'value="immediate"[^>]*checked', body)


@pytest.mark.parametrize("persona", MEMBERS)
def test_every_member_chooses_how_they_are_emailed(
    client: Client, request: pytest.FixtureRequest, world: World, persona: str
):
    person = request.getfixturevalue(persona)
    signed_in(client, person)
    response = client.post(page("notification-preferences"), {"email_frequency": "daily"})
    assert response.url == page("notifications")
    after = follow(client, response)
    assert "You will be emailed one daily digest of your notifications." in text(after)
    assert re.search(r'value="daily"[^>]*checked', html(after))
    assert frequency_of(person) == EmailFrequency.DAILY


@pytest.mark.parametrize("data", [{"email_frequency": "weekly"}, {}])
def test_a_bad_email_setting_is_refused_with_a_message_and_nothing_changes(
    client: Client, world: World, chief_officer: User, data: dict[str, str]
):
    tell(world.lead, "Still listed")
    response = signed_in(client, chief_officer).post(page("notification-preferences"), data)
    assert_refused_on(response, "email_frequency", BAD_FREQUENCY)
    assert titles(response) == ["Still listed"]
    assert frequency_of(chief_officer) == EmailFrequency.IMMEDIATE


def test_the_email_setting_is_a_post_only_and_only_for_members(
    client: Client, world: World, chief_officer: User, outsider: User
):
    url = page("notification-preferences")
    response = client.post(url, {"email_frequency": "never"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    signed_in(client, outsider)
    assert client.post(url, {"email_frequency": "never"}).status_code == 404
    assert frequency_of(outsider) == EmailFrequency.IMMEDIATE
    signed_in(client, chief_officer)
    assert client.get(url).status_code == 405


# ----------------------------------------------------------------------------- the API


def test_the_api_lists_the_persons_notifications_unread_first(
    world: World, chief_officer: User, competitor: User
):
    read = tell(world.lead, "Seen", url="/a/home/")
    tell(world.lead, "New", url="/a/home/tenders/")
    tell(world.competitor, "Not mine")
    client = api_as(chief_officer)
    client.post(api_url("notification-read", pk=read.pk))
    body = client.get(api_url("notification-list")).json()
    assert body["count"] == 2
    assert [n["title"] for n in body["results"]] == ["New", "Seen"]
    first = body["results"][0]
    assert set(first) == {"id", "agency", "verb", "title", "body", "url", "created_at", "read_at"}
    assert (first["url"], first["agency"], first["read_at"]) == (
        "/a/home/tenders/",
        world.lead.pk,
        None,
    )


@pytest.mark.parametrize(("unread", "expected"), [("true", ["New"]), ("false", ["Seen"])])
def test_the_api_filters_unread_notifications(
    world: World, chief_officer: User, unread: str, expected: list[str]
):
    read = tell(world.lead, "Seen")
    tell(world.lead, "New")
    client = api_as(chief_officer)
    client.post(api_url("notification-read", pk=read.pk))
    response = client.get(api_url("notification-list"), {"unread": unread})
    assert [n["title"] for n in response.json()["results"]] == expected


def test_a_bad_unread_filter_is_a_field_error(world: World, chief_officer: User):
    response = api_as(chief_officer).get(api_url("notification-list"), {"unread": "maybe"})
    assert response.status_code == 400
    assert list(response.json()) == ["unread"]


def test_the_api_marks_a_notification_read(world: World, chief_officer: User):
    mine = tell(world.lead, "News")
    response = api_as(chief_officer).post(api_url("notification-read", pk=mine.pk))
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert unread_of(chief_officer) == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_notification_is_a_404_over_the_api(
    world: World, chief_officer: User, competitor: User, method: str
):
    theirs = tell(world.competitor, "Not yours")
    client = api_as(chief_officer)
    url = (
        api_url("notification-detail", pk=theirs.pk)
        if method == "get"
        else api_url("notification-read", pk=theirs.pk)
    )
    response = getattr(client, method)(url)
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert unread_of(competitor) == ["Not yours"]


@pytest.mark.parametrize("persona", [*MEMBERS, "outsider"])
def test_every_member_reads_their_own_inbox_and_the_outsider_gets_404(
    world: World, request: pytest.FixtureRequest, persona: str
):
    response = api_as(request.getfixturevalue(persona)).get(api_url("notification-list"))
    assert response.status_code == (404 if persona == "outsider" else 200)


def test_anonymous_callers_cannot_read_notifications(world: World, chief_officer: User, api: Any):
    mine = tell(world.lead, "News")
    assert api.get(api_url("notification-list")).status_code in (401, 403)
    assert api.post(api_url("notification-read", pk=mine.pk)).status_code in (401, 403)
    assert unread_of(chief_officer) == ["News"]


@pytest.mark.parametrize("size", [3, 60])
def test_the_notifications_api_takes_the_same_few_queries_at_any_size(
    world: World, chief_officer: User, django_assert_max_num_queries: Any, size: int
):
    for n in range(size):
        tell(world.lead, f"News {n:03d}")
    client = api_as(chief_officer)
    # alliance, roles, agencies; count, page
    with django_assert_max_num_queries(5):
        response = client.get(api_url("notification-list"), {"page_size": 200})
    assert len(response.json()["results"]) == size


def test_the_api_reads_and_sets_how_the_person_is_emailed(world: World, chief_officer: User):
    client = api_as(chief_officer)
    url = api_url("notification-preferences")
    assert client.get(url).json() == {"email_frequency": "immediate"}
    response = client.put(url, {"email_frequency": "daily"}, format="json")
    assert (response.status_code, response.json()) == (200, {"email_frequency": "daily"})
    assert frequency_of(chief_officer) == EmailFrequency.DAILY
    assert client.get(url).json() == {"email_frequency": "daily"}


@pytest.mark.parametrize("body", [{"email_frequency": "weekly"}, {}, {"email_frequency": None}])
def test_a_bad_email_setting_over_the_api_is_a_field_error(
    world: World, chief_officer: User, body: dict[str, Any]
):
    response = api_as(chief_officer).put(api_url("notification-preferences"), body, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), "email_frequency")
    assert frequency_of(chief_officer) == EmailFrequency.IMMEDIATE


@pytest.mark.parametrize("persona", [*MEMBERS, "outsider"])
def test_every_member_has_an_email_setting_and_the_outsider_gets_404(
    world: World, request: pytest.FixtureRequest, persona: str
):
    person = request.getfixturevalue(persona)
    client = api_as(person)
    url = api_url("notification-preferences")
    expected = 404 if persona == "outsider" else 200
    assert client.get(url).status_code == expected
    assert client.put(url, {"email_frequency": "never"}, format="json").status_code == expected
    assert frequency_of(person) == (
        EmailFrequency.IMMEDIATE if persona == "outsider" else EmailFrequency.NEVER
    )


def test_anonymous_callers_have_no_email_setting(world: World, api: Any):
    url = api_url("notification-preferences")
    assert api.get(url).status_code == 401
    assert api.put(url, {"email_frequency": "never"}, format="json").status_code == 401
