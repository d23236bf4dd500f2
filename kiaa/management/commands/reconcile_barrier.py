"""`manage.py reconcile_barrier [--alliance SLUG]`: bring document permissions to the facts now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiaa import barrier
from kiaa.models import Alliance


class Command(BaseCommand):
    help = "Recompute who may see each document and correct the permissions (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--alliance", metavar="SLUG", help="only this alliance")

    def handle(self, *args: Any, alliance: str | None = None, **options: Any) -> None:
        alliances = Alliance.objects.order_by("slug")
        if alliance is not None:
            alliances = alliances.filter(slug=alliance)
            if not alliances.exists():
                raise CommandError(f"No alliance with slug {alliance!r}.")
        for each in alliances:
            granted, revoked = barrier.reconcile_alliance(each)
            self.stdout.write(f"{each.slug}: {granted} granted, {revoked} revoked")
