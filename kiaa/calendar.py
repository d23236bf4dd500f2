"""A person's due dates in one alliance as an iCalendar document (RFC 5545).

The dates come from the reminders registry (every app's providers), so the calendar shows
exactly what the reminders remind of: tender deadlines, withdrawals, reviews and votes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vDuration

from kiaa import reminders
from kiaa.models import Alliance, CalendarFeed, User
from kiaa.reminders import Due

PRODID = "-//KIAA governance//Calendar feed//EN"
# Recent past for context (what was just due), and a little over a year ahead so a yearly
# review date is on the calendar before the next one is set.
LOOK_BACK = timedelta(days=90)
LOOK_AHEAD = timedelta(days=400)
REMIND_BEFORE = timedelta(days=1)
# A hint to calendar apps on how often to fetch again (many choose their own interval).
REFRESH = timedelta(hours=1)


def calendar_feed_live_for(*, person: User, alliance: Alliance) -> CalendarFeed | None:
    """The person's live calendar link in the alliance, if they have one."""
    live = CalendarFeed.objects.for_alliance(alliance).filter(person=person, revoked_at=None)
    return live.first()


def feed_ical(*, person: User, alliance: Alliance, now: datetime | None = None) -> bytes:
    """The person's due dates around now, one event each, in a stable order."""
    now = now or timezone.now()
    dues = reminders.dues_for(person, alliance, start=now - LOOK_BACK, end=now + LOOK_AHEAD)
    calendar = _calendar(alliance)
    stamp = _utc(now)
    for due in sorted(dues, key=lambda d: (d.due_at, d.key)):
        calendar.add_component(_event(due, alliance=alliance, stamp=stamp))
    return calendar.to_ical()


def _calendar(alliance: Alliance) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # A published feed, not an invitation: clients add it as a read-only calendar.
    calendar.add("method", "PUBLISH")
    name = f"{alliance.name} — KIAA governance"
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)  # what Outlook, Google and Apple read
    calendar.add("x-wr-caldesc", "Your deadlines, withdrawals, reviews and votes.")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))  # Outlook's older name for it
    return calendar


def event_uid(due: Due, alliance: Alliance) -> str:
    """A UID stable across fetches; the alliance is in it because a due's key is unique only
    within its alliance, and one person may subscribe to two alliances' calendars."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"{due.key}:alliance-{alliance.pk}@{host}"


def _event(due: Due, *, alliance: Alliance, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", event_uid(due, alliance))
    event.add("dtstamp", stamp)
    event.add("summary", due.title)
    _add_times(event, due)
    url = settings.SITE_URL + due.url
    event.add("url", url)
    # Several calendar apps do not show URL, so the link is in the description as well.
    description = f"{due.description}\n\n" if due.description else ""
    event.add("description", f"{description}Open in KIAA governance: {url}")
    event.add("categories", [due.kind])
    # Deadlines and withdrawals are not meetings: they must not mark the person as busy.
    event.add("transp", "TRANSPARENT")
    if due.outstanding:
        event.add_component(_alarm(due))
    return event


def _add_times(event: Event, due: Due) -> None:
    """All-day dates as DATE values; a span from its start to its end; a moment as a point."""
    if due.all_day:
        first, last = _local_date(due.starts_at or due.due_at), _local_date(due.due_at)
        event.add("dtstart", first)
        # DTEND is exclusive (RFC 5545 3.6.1): the day after the last day.
        event.add("dtend", max(first, last) + timedelta(days=1))
    elif due.starts_at is not None and due.starts_at < due.due_at:
        event.add("dtstart", _utc(due.starts_at))
        event.add("dtend", _utc(due.due_at))
    else:
        # A deadline is a moment, not a block of time: a 30-minute event would either start
        # at the deadline (as if there were time left after it) or end there (like a meeting).
        # With no DTEND the event lasts no time (RFC 5545 3.6.1); DTEND equal to DTSTART
        # would be invalid (3.8.2.2).
        event.add("dtstart", _utc(due.due_at))


def _alarm(due: Due) -> Alarm:
    """A reminder one day before the thing is due (for a span, before it ends)."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", due.title)
    if due.starts_at is not None and due.starts_at < due.due_at:
        # DTEND is the end of a timed span but the day after the last day of an all-day one.
        before = REMIND_BEFORE * (2 if due.all_day else 1)
        alarm.add("trigger", -before, parameters={"RELATED": "END"})
    else:
        alarm.add("trigger", -REMIND_BEFORE)
    return alarm


def _utc(moment: datetime) -> datetime:
    # UTC times need no VTIMEZONE block and read the same in every client.
    return moment.astimezone(UTC).replace(microsecond=0)


def _local_date(moment: datetime) -> date:
    # The providers give an all-day date as the start of its day in the site's time zone.
    return timezone.localdate(moment)
