"""State a journey starts from, built with the demo's own steps (bids/demo.py)."""

from __future__ import annotations

from bids import demo as bids_demo
from bids.models import Declaration, Tender
from kiaa.demo import DemoAlliance
from kiaa.management.commands.seed_demo import AGENCIES, DEMO_PASSWORD, SLUG
from kiaa.models import Agency, Alliance, User


def kirkvale() -> DemoAlliance:
    """The demo alliance as seed_demo hands it to each app's demo step."""
    alliance = Alliance.objects.get(slug=SLUG)
    agencies = {s.key: Agency.objects.get(alliance=alliance, name=s.name) for s in AGENCIES}
    admin = User.objects.get(username="alliance.admin")
    return DemoAlliance(alliance, admin, agencies, DEMO_PASSWORD)


def put_to_board(reference: str, key: str) -> Declaration:
    """The agency's chief officer drafts a sole bid and puts it to the trustee board."""
    demo = kirkvale()
    declaration = bids_demo.draft(demo, Tender.objects.get(reference=reference), key)
    bids_demo.to_board(demo, declaration, key, approve=False)
    return declaration


def declared_by_board(reference: str, key: str) -> Declaration:
    """The agency declares with its board's approval, as the demo's declarants did."""
    return bids_demo.declare(kirkvale(), Tender.objects.get(reference=reference), key)
