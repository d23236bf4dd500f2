"""Run the breach detectors now, synchronously: every alliance, or one (--alliance <slug>)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disputes.services import breaches
from kiaa.models import Alliance


class Command(BaseCommand):
    help = "Run every breach detector over the facts now, as the periodic reconcile does."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--alliance", metavar="SLUG", help="only this alliance")

    def handle(self, *args: Any, **options: Any) -> None:
        alliances = Alliance.objects.order_by("slug")
        if options["alliance"]:
            alliances = alliances.filter(slug=options["alliance"])
            if not alliances.exists():
                raise CommandError(f"No alliance with the slug {options['alliance']!r}.")
        for alliance in alliances:
            outcome = breaches.breaches_detect(alliance=alliance)
            self.stdout.write(
                f"{alliance.slug}: {outcome.found} found, {len(outcome.created)} new, "
                f"{outcome.updated} updated, {outcome.cleared} cleared"
            )
