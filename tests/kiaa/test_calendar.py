"""The per-person calendar link: the iCalendar feed (API.md: `calendar.ics?token=`) and the
page that makes, replaces and turns off the link.

The feed's dues come from the reminders registry; most tests plant their own in a test
provider (in place of the apps' providers), and the last ones read the real providers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from kiaa import audit, reminders
from kiaa.errors import Code, DomainError
from kiaa.models import Alliance, AuditEvent, CalendarFeed, Membership, User
from kiaa.reminders import Due
from kiaa.services import members, protocol
from kiaa.services.calendar import calendar_feed_create, calendar_feed_revoke
from tests.conftest import World
from tests.factories import grant
from tests.factories.bids import declare, make_tender
from tests.pages import follow, html, main_nav, page, signed_in, text

pytestmark = pytest.mark.django_db

SITE = "https://kiaa.example.org"
NOW = timezone.now().replace(microsecond=0)
NOT_FOUND = 404
# The feed's own three reads plus the apps' providers (a few each, whatever the size): 12 now
# (disputes adds two), with a little room for a provider that grows by a query.
FEED_QUERIES = 14


@pytest.fixture(autouse=True)
def site_url(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, Due]]]:
    """Dues a test plants, by alliance id, served by a test provider alone.

    The apps' providers are set aside (monkeypatch restores them), so each test knows
    exactly what its calendar should hold.
    """
    found: list[tuple[int, Due]] = []

    def provide(alliance: Alliance, start: datetime, end: datetime) -> list[Due]:
        return [d for a, d in found if a == alliance.pk and start <= d.due_at < end]

    monkeypatch.setattr(reminders, "_providers", {})
    reminders.register("test-calendar", provide)
    yield found
    reminders._providers.pop("test-calendar", None)


def due(key: str, *people: User, at: datetime = NOW, **fields: Any) -> Due:
    """A due date for these people (now, unless `at` says otherwise)."""
    return Due(
        key=key,
        kind=fields.pop("kind", "deadline"),
        title=fields.pop("title", f"Due {key}"),
        due_at=at,
        url=fields.pop("url", f"/a/home/things/{key}/"),
        recipients=frozenset(p.pk for p in people),
        **fields,
    )


def feed_url(slug: str = "home", token: str | None = None) -> str:
    url = reverse("api:calendar-feed", kwargs={"alliance_slug": slug})
    return f"{url}?token={token}" if token is not None else url


def link_for(person: User, alliance: Alliance) -> str:
    _, secret = calendar_feed_create(person=person, alliance=alliance)
    return secret


def fetch(token: str, slug: str = "home") -> Any:
    """What a calendar app gets: no session, only the address."""
    return Client().get(feed_url(slug, token))


def events(response: Any) -> dict[str, Event]:
    """The feed's events by summary, after checking it parses as iCalendar."""
    assert response.status_code == 200, response.status_code
    calendar = Calendar.from_ical(response.content)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


# The feed


def test_the_feed_is_an_icalendar_of_the_persons_dues(planted, world, chief_officer):
    planted.append((world.alliance.pk, due("tender:1:submission", chief_officer)))
    response = fetch(link_for(chief_officer, world.alliance))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["prodid"]) == "-//KIAA governance//Calendar feed//EN"
    assert str(calendar["x-wr-calname"]) == "Home Alliance — KIAA governance"
    # How often to fetch again, in the standard's words and in Outlook's.
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in response.content
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in response.content
    assert list(events(response)) == ["Due tender:1:submission"]


def test_a_deadline_is_a_moment_with_an_absolute_link_and_a_reminder(planted, world, chief_officer):
    at = NOW + timedelta(days=3)
    deadline = due("tender:1:submission", chief_officer, at=at, description="Mark it submitted.")
    planted.append((world.alliance.pk, deadline))
    event = events(fetch(link_for(chief_officer, world.alliance)))["Due tender:1:submission"]
    assert event.start == at
    assert "DTEND" not in event  # no time passes at a deadline (RFC 5545 3.6.1)
    assert str(event["url"]) == f"{SITE}/a/home/things/tender:1:submission/"
    assert str(event["description"]).startswith("Mark it submitted.")
    assert f"{SITE}/a/home/things/" in str(event["description"])
    assert [str(c) for c in event["categories"].cats] == ["deadline"]
    assert str(event["transp"]) == "TRANSPARENT"
    [alarm] = event.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm["trigger"].dt == -timedelta(days=1)


def test_an_all_day_review_is_a_date_ending_the_next_day(planted, world, admin):
    review_day = timezone.localdate() + timedelta(days=20)
    at = timezone.make_aware(datetime.combine(review_day, datetime.min.time()))
    review = due("protocol:1:review", admin, at=at, kind="review", all_day=True)
    planted.append((world.alliance.pk, review))
    event = events(fetch(link_for(admin, world.alliance)))["Due protocol:1:review"]
    assert type(event.start) is date and event.start == review_day
    assert type(event.end) is date and event.end == review_day + timedelta(days=1)
    assert b"DTSTART;VALUE=DATE:" in event.to_ical()


def test_a_withdrawal_spans_from_its_start_to_its_end(planted, world, chief_officer):
    starts, ends = NOW - timedelta(days=10), NOW + timedelta(days=5)
    span = due("withdrawal:4:end", chief_officer, at=ends, starts_at=starts, kind="withdrawal")
    planted.append((world.alliance.pk, span))
    event = events(fetch(link_for(chief_officer, world.alliance)))["Due withdrawal:4:end"]
    assert (event.start, event.end) == (starts, ends)
    [alarm] = event.walk("VALARM")
    assert alarm["trigger"].params["RELATED"] == "END"  # a day before it ends


def test_something_no_longer_outstanding_has_no_reminder(planted, world, chief_officer):
    planted.append((world.alliance.pk, due("tender:1:eoi", chief_officer, outstanding=False)))
    event = events(fetch(link_for(chief_officer, world.alliance)))["Due tender:1:eoi"]
    assert event.walk("VALARM") == []


def test_only_the_persons_own_dues_are_in_their_feed(planted, world, chief_officer, partner):
    planted += [
        (world.alliance.pk, due("mine", chief_officer)),
        (world.alliance.pk, due("theirs", partner)),
        (world.alliance.pk, due("ours", chief_officer, partner)),
        (world.other_alliance.pk, due("elsewhere", chief_officer)),
    ]
    found = events(fetch(link_for(chief_officer, world.alliance)))
    assert sorted(found) == ["Due mine", "Due ours"]


def test_the_feed_covers_ninety_days_back_and_four_hundred_ahead(planted, world, chief_officer):
    for name, days in [("old", -91), ("recent", -89), ("next-year", 399), ("too-far", 401)]:
        planted.append((world.alliance.pk, due(name, chief_officer, at=NOW + timedelta(days))))
    found = events(fetch(link_for(chief_officer, world.alliance)))
    assert sorted(found) == ["Due next-year", "Due recent"]


def test_uids_are_stable_across_fetches_and_name_the_alliance(planted, world, chief_officer):
    planted += [
        (world.alliance.pk, due("b", chief_officer, at=NOW + timedelta(hours=1))),
        (world.alliance.pk, due("a", chief_officer, at=NOW + timedelta(hours=1))),
        (world.alliance.pk, due("c", chief_officer, at=NOW)),
    ]
    token = link_for(chief_officer, world.alliance)

    def uids() -> list[str]:
        return [str(e["uid"]) for e in events(fetch(token)).values()]

    first = uids()
    assert first == uids()
    host = "kiaa.example.org"
    # In date order, then by key: the output is the same for the same dues.
    assert first == [f"{k}:alliance-{world.alliance.pk}@{host}" for k in ("c", "a", "b")]


def test_the_feed_keeps_to_rfc_5545_basics(planted, world, chief_officer):
    long_title = "Submission deadline: " + "a very long tender title, " * 8
    planted += [
        (world.alliance.pk, due("long", chief_officer, title=long_title)),
        (world.alliance.pk, due("span", chief_officer, starts_at=NOW - timedelta(days=1))),
    ]
    raw = fetch(link_for(chief_officer, world.alliance)).content
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert not any(b"\n" in line or b"\r" in line for line in lines)  # CRLF, never a bare LF
    assert all(len(line) <= 75 for line in lines)  # folded (3.1)
    assert (lines[0], lines[-1]) == (b"BEGIN:VCALENDAR", b"END:VCALENDAR")
    calendar = Calendar.from_ical(raw)
    vevents = calendar.walk("VEVENT")
    assert len(vevents) == 2
    for event in vevents:
        assert "UID" in event and "DTSTAMP" in event
        assert event["dtstamp"].dt.utcoffset() == timedelta(0)
    assert str(vevents[0]["summary"]) == long_title  # unfolded intact


# Who gets a feed


def all_the_same(*responses: Any) -> bool:
    return len({(r.status_code, r.content) for r in responses}) == 1


def test_a_wrong_replaced_or_turned_off_link_is_a_404_that_says_nothing(
    planted, world, chief_officer, partner
):
    old = link_for(chief_officer, world.alliance)
    new = link_for(chief_officer, world.alliance)  # replaces the old one
    turned_off = link_for(partner, world.alliance)
    calendar_feed_revoke(person=partner, alliance=world.alliance)
    assert fetch(new).status_code == 200
    responses = [fetch(old), fetch(turned_off), fetch("not-a-secret"), fetch("")]
    responses.append(Client().get(feed_url()))  # no token at all
    assert responses[0].status_code == NOT_FOUND
    assert all_the_same(*responses)


def test_a_link_opens_only_its_own_alliance(planted, world, chief_officer):
    grant(chief_officer, "staff", world.other_agency)  # a member of both alliances
    token = link_for(chief_officer, world.alliance)
    hidden, missing = fetch(token, "other"), fetch(token, "no-such-alliance")
    assert hidden.status_code == NOT_FOUND
    assert all_the_same(hidden, missing)


def test_the_link_stops_working_when_the_persons_role_ends(planted, world, chief_officer, admin):
    token = link_for(chief_officer, world.alliance)
    membership = Membership.objects.get(user=chief_officer, alliance=world.alliance)
    members.membership_end(actor=admin, membership=membership)
    assert fetch(token).status_code == NOT_FOUND


def test_the_link_stops_working_when_the_account_is_disabled(planted, world, chief_officer):
    token = link_for(chief_officer, world.alliance)
    User.objects.filter(pk=chief_officer.pk).update(is_active=False)
    assert fetch(token).status_code == NOT_FOUND


def test_the_feed_only_answers_reads(planted, world, chief_officer):
    url = feed_url(token=link_for(chief_officer, world.alliance))
    assert Client().head(url).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        assert getattr(Client(), method)(url).status_code == 405


def test_only_a_member_can_have_a_link(world, outsider):
    with pytest.raises(DomainError) as refused:
        calendar_feed_create(person=outsider, alliance=world.alliance)
    assert refused.value.code == Code.FORBIDDEN
    assert not CalendarFeed.objects.exists()


def test_turning_off_with_no_link_is_refused(world, chief_officer):
    with pytest.raises(DomainError) as refused:
        calendar_feed_revoke(person=chief_officer, alliance=world.alliance)
    assert refused.value.code == Code.CONFLICT


def test_last_used_is_noted_at_most_once_an_hour(planted, world, chief_officer):
    token = link_for(chief_officer, world.alliance)
    fetch(token)
    feed = CalendarFeed.objects.get(person=chief_officer, revoked_at=None)
    first_use = feed.last_used_at
    assert first_use is not None
    fetch(token)
    feed.refresh_from_db()
    assert feed.last_used_at == first_use
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=NOW - timedelta(hours=2))
    fetch(token)
    feed.refresh_from_db()
    assert feed.last_used_at > NOW - timedelta(minutes=5)


def test_making_and_turning_off_links_is_audited(world, chief_officer):
    link_for(chief_officer, world.alliance)
    link_for(chief_officer, world.alliance)
    calendar_feed_revoke(person=chief_officer, alliance=world.alliance)
    verbs = list(
        AuditEvent.objects.filter(alliance=world.alliance, verb__startswith="calendar_feed.")
        .order_by("seq")
        .values_list("verb", "payload")
    )
    first, second = CalendarFeed.objects.order_by("pk")
    assert verbs == [
        ("calendar_feed.created", {"replaced": None}),
        ("calendar_feed.created", {"replaced": first.pk}),
        ("calendar_feed.revoked", {}),
    ]
    assert audit.verify(world.alliance) is None
    assert second.revoked_at is not None


@pytest.mark.parametrize("size", [1, 40])
def test_the_feed_reads_a_bounded_number_of_rows(
    size, planted, world, chief_officer, django_assert_max_num_queries
):
    planted += [(world.alliance.pk, due(f"d{n}", chief_officer)) for n in range(size)]
    token = link_for(chief_officer, world.alliance)
    fetch(token)  # the first fetch notes the link's use (one write)
    # Alliance, link (with its person), the person's roles; the test provider reads nothing.
    with django_assert_max_num_queries(3):
        assert len(events(fetch(token))) == size


# The page


def test_the_page_is_for_members_only(world, client, outsider):
    anonymous = Client().get(page("calendar"))
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
    signed_in(client, outsider)
    assert client.get(page("calendar")).status_code == NOT_FOUND
    assert client.post(page("calendar")).status_code == NOT_FOUND
    assert client.post(page("calendar-revoke")).status_code == NOT_FOUND
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("persona", ["chief_officer", "trustee", "partner", "arbiter", "admin"])
def test_every_member_can_open_the_page_from_the_navigation(persona, request, client):
    signed_in(client, request.getfixturevalue(persona))
    response = client.get(page("calendar"))
    assert response.status_code == 200
    assert f'href="{page("calendar")}"' in main_nav(response)
    assert "You have no calendar link." in text(response)
    assert "Create a calendar link" in text(response)
    inbox = client.get(page("notifications"))
    assert f'href="{page("calendar")}"' in html(inbox).split("</nav>", 1)[1]


def shown_url(response: Any) -> str:
    match = re.search(
        r'<input type="text" id="calendar-url" value="([^"]+)" readonly', html(response)
    )
    assert match, "the page shows no calendar link"
    return match.group(1)


def test_creating_a_link_shows_it_once_and_stores_only_its_digest(
    planted, world, client, chief_officer
):
    signed_in(client, chief_officer)
    response = client.post(page("calendar"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    url = shown_url(response)
    assert url.startswith(f"{SITE}/api/v1/a/home/calendar.ics?token=")
    secret = url.split("token=", 1)[1]
    assert f'href="webcal://kiaa.example.org/api/v1/a/home/calendar.ics?token={secret}"' in html(
        response
    )
    feed = CalendarFeed.objects.get()
    assert feed.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(CalendarFeed.objects.values()))
    assert secret not in str(list(AuditEvent.objects.values()))
    again = client.get(page("calendar"))
    assert secret not in html(again)
    assert "Your calendar link is on." in text(again)
    assert "No calendar app has fetched it yet." in text(again)
    assert "Replace the link" in text(again)
    assert Client().get(url.removeprefix(SITE)).status_code == 200


def test_replacing_the_link_turns_the_old_one_off(planted, world, client, chief_officer):
    signed_in(client, chief_officer)
    old = shown_url(client.post(page("calendar"))).removeprefix(SITE)
    new = shown_url(client.post(page("calendar"))).removeprefix(SITE)
    assert Client().get(old).status_code == NOT_FOUND
    assert Client().get(new).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at=None).count() == 1


def test_turning_the_link_off_asks_first(planted, world, client, chief_officer):
    signed_in(client, chief_officer)
    url = shown_url(client.post(page("calendar"))).removeprefix(SITE)
    confirm = client.get(page("calendar-revoke"))
    assert confirm.status_code == 200
    assert "What will happen" in text(confirm)
    assert Client().get(url).status_code == 200  # asking changed nothing
    done = follow(client, client.post(page("calendar-revoke")))
    assert "Your calendar link is turned off" in text(done)
    assert "You have no calendar link." in text(done)
    assert Client().get(url).status_code == NOT_FOUND


def test_turning_off_when_there_is_no_link_says_so(world, client, chief_officer):
    signed_in(client, chief_officer)
    asked = follow(client, client.get(page("calendar-revoke")))
    assert "You have no calendar link to turn off." in text(asked)
    refused = follow(client, client.post(page("calendar-revoke")))
    assert "You have no calendar link to turn off." in text(refused)


# With the apps' own providers


def declared_tender(world: World, chief_officer: User, **details: Any) -> Any:
    tender = make_tender(world.alliance, **details)
    declare(tender, world.lead)  # chief_of(lead) is the chief officer
    return tender


def test_a_declared_tenders_submission_deadline_is_on_the_chief_officers_calendar(
    world, chief_officer, partner
):
    deadline = NOW + timedelta(days=45)
    tender = declared_tender(world, chief_officer, submission_deadline=deadline)
    found = events(fetch(link_for(chief_officer, world.alliance)))
    title = f"Submission deadline: {tender.reference} ({tender.title})"
    assert title in found
    event = found[title]
    assert event.start == deadline
    expected = reverse("tender-detail", kwargs={"alliance_slug": "home", "pk": tender.pk})
    assert str(event["url"]) == SITE + expected
    assert (
        str(event["uid"])
        == f"tender:{tender.pk}:submission:alliance-{world.alliance.pk}@kiaa.example.org"
    )
    assert title not in events(fetch(link_for(partner, world.alliance)))


def test_the_protocol_review_is_an_all_day_event_for_the_admins(world, admin):
    review_on = timezone.localdate() + timedelta(days=60)
    protocol.protocol_version_publish(
        actor=admin,
        alliance=world.alliance,
        principles="Be open.",
        implemented_on=timezone.localdate(),
        review_due_on=review_on,
    )
    found = events(fetch(link_for(admin, world.alliance)))
    review = next(e for title, e in found.items() if title.startswith("Review of the protocol"))
    assert (review.start, review.end) == (review_on, review_on + timedelta(days=1))
    assert [str(c) for c in review["categories"].cats] == ["review"]


@pytest.mark.parametrize("size", [1, 6])
def test_the_real_feed_reads_a_bounded_number_of_rows(
    size, world, chief_officer, django_assert_max_num_queries
):
    for n in range(size):
        declared_tender(world, chief_officer, submission_deadline=NOW + timedelta(days=40 + n))
    token = link_for(chief_officer, world.alliance)
    fetch(token)
    with django_assert_max_num_queries(FEED_QUERIES):
        assert len(events(fetch(token))) >= size


def test_a_person_in_two_alliances_has_a_link_for_each(planted, world, chief_officer):
    grant(chief_officer, "staff", world.other_agency)
    planted += [
        (world.alliance.pk, due("home-thing", chief_officer)),
        (world.other_alliance.pk, due("other-thing", chief_officer)),
    ]
    home = link_for(chief_officer, world.alliance)
    other = link_for(chief_officer, world.other_alliance)
    assert list(events(fetch(home))) == ["Due home-thing"]
    assert list(events(fetch(other, "other"))) == ["Due other-thing"]
    assert fetch(home, "other").status_code == NOT_FOUND
