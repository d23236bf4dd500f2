"""Chainable filters shared by every tenant-owned model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from kiaa.models import Alliance


class TenantQuerySet(models.QuerySet[Any]):
    def for_alliance(self, alliance: Alliance) -> TenantQuerySet:
        """The only tenant filter: every selector starts here."""
        return self.filter(alliance=alliance)
