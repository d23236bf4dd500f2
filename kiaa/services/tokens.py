"""API tokens: one per person, issued after a password check that the lockout guards."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from kiaa.models import User


@transaction.atomic
def token_issue(*, user: User) -> Token:
    """The person's API token, created on first request; the same key thereafter."""
    token, _ = Token.objects.get_or_create(user=user)
    return token
