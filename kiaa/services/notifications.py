"""Telling people what changed for their agency: an in-app notification, and an email after commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from kiaa import outbox
from kiaa.errors import DomainError
from kiaa.models import Agency, Alliance, Membership, Notification, Role, User

DEFAULT_ROLES = (Role.CHIEF_OFFICER,)
NOT_YOURS = "No such notification."


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


def _create(
    alliance: Alliance,
    people: list[tuple[int, int | None]],
    *,
    verb: str,
    title: str,
    body: str,
    url: str,
) -> list[Notification]:
    """The in-app notifications, and an email task that runs after the commit."""
    if not people:
        return []
    now = timezone.now()
    created = Notification.objects.bulk_create(
        Notification(
            alliance=alliance,
            recipient_id=user_id,
            agency_id=agency_id,
            verb=verb,
            title=title[:200],
            body=body,
            url=url,
            created_at=now,
        )
        for user_id, agency_id in people
    )
    ids = [n.pk for n in created]
    if ids:
        outbox.enqueue("kiaa.tasks.notifications_email", ids=ids)
    return created


def notifications_email(*, ids: list[int]) -> int:
    """Email each notification not yet emailed; a repeated task sends nothing twice."""
    sent = 0
    for pk in ids:
        with transaction.atomic():
            note = (
                Notification.objects.select_for_update()
                .select_related("recipient", "alliance")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if note is None or not note.recipient.email:
                continue
            link = f"\n\n{settings.SITE_URL}{note.url}" if note.url else ""
            send_mail(
                subject=f"[{note.alliance.name}] {note.title}",
                message=f"{note.body}{link}".strip(),
                from_email=None,
                recipient_list=[note.recipient.email],
            )
            note.emailed_at = timezone.now()
            note.save(update_fields=["emailed_at"])
            sent += 1
    return sent


@transaction.atomic
def notification_mark_read(*, person: User, notification: Notification) -> Notification:
    """The person has seen it; marking twice keeps the first time."""
    if notification.recipient_id != person.pk:
        raise DomainError(NOT_YOURS)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
