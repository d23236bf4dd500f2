"""`manage.py verify_audit [--alliance SLUG]`: prove the audit chains, naming the first broken link."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiaa import audit
from kiaa.models import Alliance


class Command(BaseCommand):
    help = "Verify the hash-chained audit trail of one alliance or of all of them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--alliance", metavar="SLUG", help="verify only this alliance")

    def handle(self, *args: Any, alliance: str | None = None, **options: Any) -> None:
        if alliance is None:
            broken = audit.verify_all()
            checked = Alliance.objects.count()
        else:
            found = Alliance.objects.filter(slug=alliance).first()
            if found is None:
                raise CommandError(f"No alliance with slug {alliance!r}.")
            link = audit.verify(found)
            broken, checked = ([link] if link else []), 1
        if broken:
            raise CommandError("Audit chain broken:\n" + "\n".join(f"  {link}" for link in broken))
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact for {checked} alliance(s)."))
