"""Reminding people of what falls due: once per due date, stage and person, however often it runs.

The due dates come from every app through the registry (kiaa/reminders.py). A reminder goes out
the protocol's `reminder_days` before a date ("upcoming") and once the date has passed undone
("overdue"). Its ReminderSent row and its notification are written in one transaction, and the
row's unique constraint makes a second run, even a concurrent one, send nothing again; a moved
date is a new due date and is reminded afresh.

Reminders are not audited: they change no state of the protocol (nothing is decided, declared or
signed), and the ReminderSent rows are their own record of who was reminded of what, and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from kiaa.due_dates import day_start
from kiaa.models import Alliance, Protocol, ReminderSent
from kiaa.reminders import Due, dues
from kiaa.services.notifications import Message, notify_each

UPCOMING = ReminderSent.Stage.UPCOMING
OVERDUE = ReminderSent.Stage.OVERDUE
# Overdue reminders look back this far and no further: a first deployment (or a long outage)
# must not remind people of dates long past, which nobody can act on any more.
LOOKBACK = timedelta(days=30)
UPCOMING_TITLE = "Due {when}: {title}"
OVERDUE_TITLE = "Overdue since {when}: {title}"


@dataclass(frozen=True)
class Reminder:
    """One person to remind of one due date at one stage."""

    due: Due
    stage: str
    recipient: int

    @property
    def identity(self) -> tuple[str, datetime, str, int]:
        """What ReminderSent keeps unique (within the alliance)."""
        return (self.due.key, self.due.due_at, self.stage, self.recipient)


def reminders_send(*, now: datetime | None = None) -> int:
    """Every alliance's reminders that are due now (the periodic task); how many were sent."""
    now = now or timezone.now()
    alliances = Alliance.objects.order_by("pk")
    return sum(reminders_send_for(alliance=alliance, now=now) for alliance in alliances)


def reminders_send_for(*, alliance: Alliance, now: datetime | None = None) -> int:
    """Remind each person, once, of what falls due soon or has just passed undone; how many."""
    now = now or timezone.now()
    wanted = _unsent(alliance, _reminders(alliance, now))
    if not wanted:
        return 0
    with transaction.atomic():
        sent = _claim(alliance, wanted, now)
        notify_each(alliance=alliance, messages=[_message(r) for r in sent])
    return len(sent)


def passes_at(due: Due) -> datetime:
    """When a due date has passed: its moment, or the end of an all-day date's day."""
    if due.all_day:
        return day_start(timezone.localdate(due.due_at) + timedelta(days=1))
    return due.due_at


def stage_of(due: Due, *, now: datetime, horizon: datetime) -> str | None:
    """Upcoming (before `horizon`), overdue (passed within the lookback), or not to remind."""
    if not due.outstanding:
        return None
    passes = passes_at(due)
    if passes > now:
        return UPCOMING if due.due_at < horizon else None
    if due.remind_overdue and passes >= now - LOOKBACK:
        return OVERDUE
    return None


def _reminders(alliance: Alliance, now: datetime) -> list[Reminder]:
    """Everyone to remind of something now, in one order (see _claim)."""
    days = Protocol.objects.values_list("reminder_days", flat=True).get(alliance=alliance)
    horizon = now + timedelta(days=days)
    # An all-day date passes a day after its due_at: look back a day more (two, for a clock change).
    found = dues(alliance, start=now - LOOKBACK - timedelta(days=2), end=horizon)
    reminders = [
        Reminder(due, stage, recipient)
        for due in found
        if (stage := stage_of(due, now=now, horizon=horizon))
        for recipient in due.recipients
    ]
    return sorted(reminders, key=lambda r: r.identity)


def _unsent(alliance: Alliance, reminders: list[Reminder]) -> list[Reminder]:
    """Those not sent before (one query); the unique constraint settles any race after it."""
    if not reminders:
        return []
    sent = set(
        ReminderSent.objects.for_alliance(alliance)
        .filter(key__in={r.due.key for r in reminders})
        .values_list("key", "due_at", "stage", "recipient_id")
    )
    return [r for r in reminders if r.identity not in sent]


def _claim(alliance: Alliance, reminders: list[Reminder], now: datetime) -> list[Reminder]:
    """Record the reminders as sent; leave out any a concurrent run recorded first."""
    try:
        with transaction.atomic():
            # In one order in every run, so two runs wait on each other's rows, never deadlock.
            ReminderSent.objects.bulk_create(_row(alliance, r, now) for r in reminders)
    except IntegrityError:
        # Another run recorded some of them after we looked (our insert waited for its commit):
        # one at a time, each in its own savepoint, to learn which are still ours to send.
        return [r for r in reminders if _claim_one(alliance, r, now)]
    return reminders


def _claim_one(alliance: Alliance, reminder: Reminder, now: datetime) -> bool:
    try:
        with transaction.atomic():
            _row(alliance, reminder, now).save(force_insert=True)
    except IntegrityError:
        return False
    return True


def _row(alliance: Alliance, reminder: Reminder, now: datetime) -> ReminderSent:
    return ReminderSent(
        alliance=alliance,
        recipient_id=reminder.recipient,
        key=reminder.due.key,
        due_at=reminder.due.due_at,
        stage=reminder.stage,
        sent_at=now,
    )


def _message(reminder: Reminder) -> Message:
    """The notification: what is due and when, in words, and the page where it is dealt with."""
    due = reminder.due
    moment = timezone.localtime(due.due_at)
    when = date_format(moment, "j F Y" if due.all_day else "j F Y, H:i")
    title = UPCOMING_TITLE if reminder.stage == UPCOMING else OVERDUE_TITLE
    return Message(
        recipient_id=reminder.recipient,
        verb=f"reminder.{reminder.stage}",
        title=title.format(when=when, title=due.title),
        body=due.description,
        url=due.url,
    )
