"""API tokens: several per person, each named, stored only as a hash (django-rest-knox).

A token carries no roles of its own: every call resolves the person's current memberships,
so a membership removed or an agency expelled changes what the token can do at once.
"""

from django.db import models
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class ApiToken(AbstractAuthToken):
    """One client's credential (a CRM, a script, a laptop); the key is shown only when issued."""

    # An integer id to list and revoke it by, as every id in the API is; the digest stays unique.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        # Never the digest: this lands in the audit trail.
        return f"{self.name} ({self.token_key}…)"
