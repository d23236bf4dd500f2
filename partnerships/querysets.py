"""Chainable filters of the partnerships app."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from kiaa.querysets import TenantQuerySet


class WithdrawalQuerySet(TenantQuerySet):
    def active(self, at: datetime | None = None) -> WithdrawalQuerySet:
        """Withdrawals in force at a moment (now by default)."""
        at = at or timezone.now()
        return self.filter(Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at))
