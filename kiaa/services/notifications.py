"""Telling people what changed for their agency: an in-app notification, and an email after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kiaa import outbox
from kiaa.errors import DomainError
from kiaa.models import Agency, Alliance, EmailFrequency, Membership, Notification, Role, User

logger = logging.getLogger(__name__)

DEFAULT_ROLES = (Role.CHIEF_OFFICER,)
NOT_YOURS = "No such notification."
BAD_FREQUENCY = (
    "Choose how to be emailed: immediate (as they happen), daily (one digest) or never "
    "(in the app only)."
)
DIGEST_SUBJECT = "Your KIAA governance digest: {count} update{s}"
# A digest covers the last week at most. Someone who switches from "never" to "daily" gets
# recent news, not months of it; a week of missed runs (workers down) is still caught up;
# and the query stays bounded. Anything older is still in the app, just never emailed.
DIGEST_LOOKBACK = timedelta(days=7)


def notify(
    *,
    alliance: Alliance,
    agencies: Iterable[Agency | int],
    verb: str,
    title: str,
    body: str = "",
    url: str = "",
    roles: Sequence[str] = DEFAULT_ROLES,
) -> list[Notification]:
    """Notify the people holding `roles` in these agencies (each person once per agency).

    Called inside the service whose change it reports, so the message exists only if the
    change commits; the emails go after the commit.
    """
    agency_ids = {a if isinstance(a, int) else a.pk for a in agencies}
    if not agency_ids:
        return []
    people = (
        Membership.objects.for_alliance(alliance)
        .filter(agency_id__in=agency_ids, role__in=roles, user__is_active=True)
        .values_list("user_id", "agency_id")
        .distinct()
        .order_by("agency_id", "user_id")
    )
    return _create(alliance, list(people), verb=verb, title=title, body=body, url=url)


def admins_of(alliance: Alliance) -> list[int]:
    """The alliance's active admins (told of what concerns the alliance as a whole)."""
    return list(
        Membership.objects.for_alliance(alliance)
        .filter(role=Role.ALLIANCE_ADMIN, user__is_active=True)
        .values_list("user_id", flat=True)
    )


def notify_people(
    *,
    alliance: Alliance,
    people: Iterable[User | int],
    verb: str,
    title: str,
    body: str = "",
    url: str = "",
    agency: Agency | None = None,
) -> list[Notification]:
    """Notify these people (a reminder of their own vote, say), in the caller's transaction."""
    ids = sorted({p if isinstance(p, int) else p.pk for p in people})
    agency_id = agency.pk if agency is not None else None
    pairs = [(user_id, agency_id) for user_id in ids]
    return _create(alliance, pairs, verb=verb, title=title, body=body, url=url)


@dataclass(frozen=True)
class Message:
    """One notification for one person, for senders with different news for each (reminders)."""

    recipient_id: int
    verb: str
    title: str
    body: str = ""
    url: str = ""
    agency_id: int | None = None


def _create(
    alliance: Alliance,
    people: list[tuple[int, int | None]],
    *,
    verb: str,
    title: str,
    body: str,
    url: str,
) -> list[Notification]:
    """The same message to each of these people (with the agency it concerns them through)."""
    return notify_each(
        alliance=alliance,
        messages=[
            Message(user_id, verb, title, body, url, agency_id) for user_id, agency_id in people
        ],
    )


def notify_each(*, alliance: Alliance, messages: Sequence[Message]) -> list[Notification]:
    """Send each message to its person: one insert and one email task, in the caller's transaction."""
    if not messages:
        return []
    now = timezone.now()
    created = Notification.objects.bulk_create(
        Notification(
            alliance=alliance,
            recipient_id=m.recipient_id,
            agency_id=m.agency_id,
            verb=m.verb,
            title=m.title[:200],
            body=m.body,
            url=m.url,
            created_at=now,
        )
        for m in messages
    )
    ids = [n.pk for n in created]
    if ids:
        outbox.enqueue("kiaa.tasks.notifications_email", ids=ids)
    return created


def notifications_email(*, ids: list[int]) -> int:
    """Email each notification now if its recipient wants them as they happen; never twice."""
    # Daily-digest and in-app-only people are left out here; the digest picks up the former.
    wanted = (
        Notification.objects.filter(pk__in=ids, emailed_at__isnull=True)
        .filter(recipient__email_frequency=EmailFrequency.IMMEDIATE, recipient__is_active=True)
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in wanted:
        with transaction.atomic():
            # The lock makes a concurrent second run wait, then find it emailed. Only this row:
            # locking the recipient too would block their sign-in for the length of the send.
            note = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("recipient", "alliance")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if note is None:
                continue
            send_mail(
                subject=f"[{note.alliance.name}] {note.title}",
                message=render_to_string("emails/notification.txt", _email_context(note)),
                from_email=None,
                recipient_list=[note.recipient.email],
            )
            note.emailed_at = timezone.now()
            note.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def _absolute(path: str) -> str:
    """A link that works from an email: site-relative paths get the site's address."""
    return path if path.startswith(("http://", "https://")) else f"{settings.SITE_URL}{path}"


def _inbox_url(alliance: Alliance) -> str:
    return _absolute(reverse("notifications", kwargs={"alliance_slug": alliance.slug}))


def _email_context(note: Notification) -> dict[str, object]:
    return {
        "note": note,
        "link": _absolute(note.url) if note.url else "",
        "inbox_url": _inbox_url(note.alliance),
    }


@dataclass
class DigestSection:
    """One alliance's part of a digest: its notifications, oldest first, with absolute links."""

    alliance: Alliance
    inbox_url: str
    entries: list[tuple[Notification, str]] = field(default_factory=list)


def _sections(notes: list[Notification]) -> list[DigestSection]:
    """The notifications grouped by alliance, alliances by name."""
    sections: dict[int, DigestSection] = {}
    for note in notes:
        section = sections.get(note.alliance_id)
        if section is None:
            section = DigestSection(note.alliance, _inbox_url(note.alliance))
            sections[note.alliance_id] = section
        section.entries.append((note, _absolute(note.url) if note.url else ""))
    return sorted(sections.values(), key=lambda s: (s.alliance.name, s.alliance.pk))


def _digest_message(person: User, notes: list[Notification]) -> EmailMultiAlternatives:
    """One email listing the notifications by alliance: plain text, and HTML as an alternative."""
    count = len(notes)
    context = {"person": person, "count": count, "sections": _sections(notes)}
    message = EmailMultiAlternatives(
        subject=DIGEST_SUBJECT.format(count=count, s="" if count == 1 else "s"),
        body=render_to_string("emails/digest.txt", context),
        to=[person.email],
    )
    message.attach_alternative(render_to_string("emails/digest.html", context), "text/html")
    return message


def _digest_send(person: User, *, since: datetime, until: datetime) -> bool:
    """Send the person their digest and mark what it lists emailed, together; False if none."""
    try:
        with transaction.atomic():
            # Locked in id order, and waiting rather than skipping: a second run at the same
            # moment queues behind the first row, then finds every row emailed and sends nothing.
            # (SKIP LOCKED could hand each run part of the rows: two digests for one person.)
            notes = list(
                Notification.objects.select_for_update(of=("self",))
                .select_related("alliance")
                .filter(recipient=person, emailed_at__isnull=True)
                .filter(created_at__gte=since, created_at__lte=until)
                # Checked again under the lock: they may have just changed their preference.
                .filter(recipient__email_frequency=EmailFrequency.DAILY)
                .order_by("pk")
            )
            if not notes:
                return False
            _digest_message(person, notes).send()
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(
                emailed_at=timezone.now()
            )
    except (OSError, OperationalError):
        # One person's refused address or lock timeout must not stop the others' digests; this
        # person's stay unmarked, so the next run tries again.
        logger.exception("Digest for person %s not sent; the next run tries again.", person.pk)
        return False
    return True


def notifications_digest(*, now: datetime | None = None) -> int:
    """Send each daily-digest person one email of what they have not been emailed yet."""
    now = now or timezone.now()
    since = now - DIGEST_LOOKBACK
    pending = Notification.objects.filter(
        recipient=OuterRef("pk"),
        emailed_at__isnull=True,
        created_at__gte=since,
        created_at__lte=now,
    )
    people = list(
        User.objects.filter(Exists(pending), is_active=True, email_frequency=EmailFrequency.DAILY)
        .exclude(email="")
        .order_by("pk")
    )
    return sum(_digest_send(person, since=since, until=now) for person in people)


def email_frequency_set(*, person: User, frequency: str) -> User:
    """Set how the person is emailed; their own setting, not an alliance event, so not audited."""
    if frequency not in EmailFrequency.values:
        raise DomainError(BAD_FREQUENCY, field="email_frequency")
    person.email_frequency = frequency
    person.save(update_fields=["email_frequency"])
    return person


@transaction.atomic
def notification_mark_read(*, person: User, notification: Notification) -> Notification:
    """The person has seen it; marking twice keeps the first time."""
    if notification.recipient_id != person.pk:
        raise DomainError(NOT_YOURS)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, person: User, alliance: Alliance) -> int:
    """Mark every unread notification of the person in this alliance read, in one UPDATE."""
    # Only unread rows: the ones already read keep the time they were first read.
    return (
        Notification.objects.for_alliance(alliance)
        .filter(recipient=person, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
