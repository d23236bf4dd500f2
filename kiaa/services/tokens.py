"""API tokens: issued after a password check (the lockout and the sign-in throttle guard it),
listed and revoked by the person they belong to.

A token opens every alliance its person holds a role in, so issuing and revoking it is
recorded in each of those alliances' audit trails: an admin can see who has API access.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction

from kiaa import audit, selectors
from kiaa.errors import Code, DomainError
from kiaa.models import ApiToken, User

MAX_DAYS = 365
TOO_MANY = "You have {limit} API tokens: revoke one you no longer use before issuing another."
BAD_NAME = "Name the token after the client that will use it, e.g. “CRM sync”."
BAD_DAYS = f"A token lasts from 1 to {MAX_DAYS} days."
NOT_YOURS = "You can revoke only your own tokens."


def _record(user: User, verb: str, token: ApiToken, payload: dict[str, object]) -> None:
    # In id order, so two people's calls lock the alliances' audit heads in the same order.
    for alliance in selectors.alliance_list_for(person=user).order_by("pk"):
        audit.record(alliance=alliance, actor=user, verb=verb, target=token, payload=payload)


@transaction.atomic
def token_issue(*, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Issue a named token for the person; the key is returned here once and stored hashed."""
    name = name.strip()
    if not name or len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        raise DomainError(BAD_NAME, field="name")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise DomainError(BAD_DAYS, field="days")
    # Lock the person's row: two requests at once must not both slip under the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.API_TOKEN_LIMIT
    if selectors.api_token_list_for(person=user).count() >= limit:
        raise DomainError(TOO_MANY.format(limit=limit), Code.CONFLICT)
    expiry = timedelta(days=days) if days is not None else settings.REST_KNOX["TOKEN_TTL"]
    token, key = ApiToken.objects.create(user=user, expiry=expiry, name=name)
    _record(user, "api_token.issued", token, {"name": token.name, "expiry": token.expiry})
    return token, key


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> None:
    """Revoke one of the person's tokens: a call made with it afterwards is a 401."""
    if token.user_id != actor.pk:
        raise DomainError(NOT_YOURS, Code.FORBIDDEN)
    _record(actor, "api_token.revoked", token, {"name": token.name})
    token.delete()
