"""Chainable filters of the partnerships app."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from kiaa.querysets import TenantQuerySet


class WithdrawalQuerySet(TenantQuerySet):
    def active(self, at: datetime | None = None) -> WithdrawalQuerySet:
        """Withdrawals in force at a moment (now by default)."""
        at = at or timezone.now()
        return self.filter(Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at))


class MouVersionQuerySet(TenantQuerySet):
    def current(self) -> MouVersionQuerySet:
        """Each partnership's version in force: the one with no newer version."""
        newer = self.model.objects.filter(
            partnership_id=OuterRef("partnership_id"), number__gt=OuterRef("number")
        )
        return self.filter(~Exists(newer))
