"""Calendar links: a person's secret address for their due dates in one alliance.

The secret is the credential (calendar apps send no session), so it is shown once and only
its SHA-256 digest is stored; replacing or turning off the link makes the old address a 404.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Alliance, CalendarFeed, Membership, User
from kiaa.permissions import roles_of

NOT_A_MEMBER = "Only people with a role in the alliance can have its calendar link."
NO_LIVE_LINK = "You have no calendar link to turn off."
# Calendar apps poll every few minutes to hours; "last used" to the hour is enough to tell a
# person whether the link is still in use, without a database write on every poll.
MARK_USED_EVERY = timedelta(hours=1)
# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
MAX_SECRET_LENGTH = 100


def secret_digest(secret: str) -> str:
    """The stored form of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _lock_roles(person: User, alliance: Alliance) -> None:
    """Lock the person's roles in the alliance; refuse if they hold none.

    Two clicks of "Replace the link" at once would both find the same live link and both
    insert a new one (the second failing the one-live-link constraint); locking the roles
    serialises them, and a role being removed at the same moment waits too.
    """
    # Ordered by pk: the default ordering joins agencies, and an outer join cannot be locked.
    held = Membership.objects.for_alliance(alliance).filter(user=person).order_by("pk")
    held = held.select_for_update()
    if not person.is_active or not list(held.values_list("pk", flat=True)):
        raise DomainError(NOT_A_MEMBER, Code.FORBIDDEN)


def _revoke_live(person: User, alliance: Alliance) -> CalendarFeed | None:
    live = CalendarFeed.objects.for_alliance(alliance).filter(person=person, revoked_at=None)
    feed = live.select_for_update().first()
    if feed is not None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


@transaction.atomic
def calendar_feed_create(*, person: User, alliance: Alliance) -> tuple[CalendarFeed, str]:
    """A new calendar link for the person (replacing any live one); the secret is returned once."""
    _lock_roles(person, alliance)
    replaced = _revoke_live(person, alliance)
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        alliance=alliance, person=person, digest=secret_digest(secret), created_at=timezone.now()
    )
    audit.record(
        alliance=alliance,
        actor=person,
        verb="calendar_feed.created",
        target=feed,
        payload={"replaced": replaced.pk if replaced is not None else None},
    )
    return feed, secret


@transaction.atomic
def calendar_feed_revoke(*, person: User, alliance: Alliance) -> CalendarFeed:
    """Turn off the person's live calendar link: its address serves nothing from now on."""
    feed = _revoke_live(person, alliance)
    if feed is None:
        raise DomainError(NO_LIVE_LINK, Code.CONFLICT)
    audit.record(alliance=alliance, actor=person, verb="calendar_feed.revoked", target=feed)
    return feed


def calendar_feed_from_secret(*, alliance: Alliance, secret: str) -> CalendarFeed | None:
    """The live link of this alliance whose secret this is, while its person holds a role there."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    # Looked up by digest, not by secret: the index comparison's timing can at most reveal
    # a prefix of a SHA-256, which says nothing about any secret, so no constant-time
    # comparison is needed. Another alliance's link is simply not found here.
    feed = (
        CalendarFeed.objects.for_alliance(alliance)
        .filter(digest=secret_digest(secret), revoked_at=None)
        .select_related("person")
        .first()
    )
    # A person who left the alliance (or whose account is disabled) keeps no window on it.
    if feed is None or not roles_of(feed.person, alliance).is_member:
        return None
    return feed


def calendar_feed_mark_used(*, feed: CalendarFeed) -> None:
    """Note that a calendar app fetched the link, at most once an hour (not audited: no change)."""
    now = timezone.now()
    if feed.last_used_at is not None and feed.last_used_at > now - MARK_USED_EVERY:
        return
    # Conditional, so polls racing each other write once and a link turned off meanwhile
    # is left as it is.
    stale = Q(last_used_at=None) | Q(last_used_at__lte=now - MARK_USED_EVERY)
    CalendarFeed.objects.filter(stale, pk=feed.pk, revoked_at=None).update(last_used_at=now)
    feed.last_used_at = now
