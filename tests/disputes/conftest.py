"""The breaches the register's page and API tests read: one each for the lead, the competitor
and the alliance itself, and one in the other alliance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bids.models import Declaration, Tender
from disputes.models import Breach
from partnerships.models import Partnership
from tests.conftest import World
from tests.factories.bids import draft, make_tender
from tests.factories.disputes import BreachFactory
from tests.factories.partnerships import make_partnership

Kind = Breach.Kind


@dataclass
class Breaches:
    world: World
    tender: Tender
    partnership: Partnership
    lead_draft: Declaration  # the lead's own draft: hidden from everyone outside the lead
    lead: Breach  # the lead's: its chief officer and trustees see it, the competitor does not
    rival: Breach  # the competitor's
    alliance: Breach  # the alliance's own duty: no agency, so only the arbiter and admins
    elsewhere: Breach  # the other alliance's


@pytest.fixture
def breaches(world: World) -> Breaches:
    tender = make_tender(world.alliance, title="Debt advice service")
    partnership = make_partnership(world.lead, world.partner, name="Kirkvale Advice Network")
    lead_draft = draft(tender, world.lead)
    lead = BreachFactory(
        agency=world.lead,
        kind=Kind.LATE_DECLARATION,
        summary="Lead Advice declared for the debt advice tender after the deadline.",
        tender=tender,
        partnership=partnership,
        declaration=lead_draft,
        evidence={
            "details": ["The declaration came two days late.", "The deadline was published."],
            "declared_at": "2026-03-01T10:30:00+00:00",
            "eoi_deadline": "2026-02-27",
            "days_late": 2,
            "counts": {"paper_opened": 3},
        },
        occurred_at=datetime(2026, 3, 1, 10, 30, tzinfo=UTC),
        detected_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )
    rival = BreachFactory(
        agency=world.competitor,
        kind=Kind.MOU_UNSIGNED,
        summary="Rival Debt Line has not signed the network's MoU.",
        detected_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        cleared_at=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
    )
    alliance = BreachFactory(
        alliance=world.alliance,
        kind=Kind.PROTOCOL_REVIEW_OVERDUE,
        summary="The protocol is overdue for review.",
        status=Breach.Status.UPHELD,
        sanction=Breach.Sanction.WARNING,
        reviewed_at=datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
        detected_at=datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
    )
    elsewhere = BreachFactory(agency=world.other_agency, summary="Elsewhere Advice broke it.")
    return Breaches(world, tender, partnership, lead_draft, lead, rival, alliance, elsewhere)
