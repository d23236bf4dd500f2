"""Two detection runs over one alliance at once, on the real PostgreSQL: each situation is
recorded once, audited once and told once, and the audit chain still proves itself."""

from __future__ import annotations

import pytest

from bids.services import declarations
from disputes.models import Breach
from disputes.services.breaches import VERB, breaches_detect
from kiaa import audit, outbox
from kiaa.models import AuditEvent, Notification
from tests.concurrency import at_once
from tests.factories.bids import confirm, declare, make_tender
from tests.factories.partnerships import chief_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BIDS = 3


def test_two_runs_at_once_record_each_breach_once(world, monkeypatch):
    # The detections the bids ask for wait in the outbox, so the two runs are the first to look.
    monkeypatch.setattr(outbox, "_publish_after_commit", lambda pk: None)
    # Three bids went in naming Partner Housing before its trustees approved: three breaches.
    for _ in range(BIDS):
        lead = declare(make_tender(world.alliance), world.lead, partners={world.partner: 30})
        confirm(lead, world.partner)
        declarations.declaration_mark_submitted(actor=chief_of(world.lead), declaration=lead)

    outcomes, errors = at_once(
        lambda: breaches_detect(alliance=world.alliance),
        lambda: breaches_detect(alliance=world.alliance),
    )

    assert errors == []
    breaches = Breach.objects.filter(alliance=world.alliance, kind=Breach.Kind.UNDECLARED_BID)
    assert breaches.count() == BIDS
    assert sum(len(o.created) for o in outcomes) == BIDS  # type: ignore[attr-defined]
    detected = AuditEvent.objects.filter(alliance=world.alliance, verb=VERB)
    assert sorted(int(e.target_id) for e in detected) == sorted(b.pk for b in breaches)
    told = Notification.objects.filter(alliance=world.alliance, verb=VERB)
    assert told.values("recipient", "url").distinct().count() == told.count() > 0
    assert audit.verify(world.alliance) is None
