"""Demo: two things the detectors catch, so the breach register has something to show."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from disputes.models import Breach
from disputes.services.breaches import breaches_detect
from kiaa.demo import DemoAlliance
from partnerships.demo import NETWORK, _pdf
from partnerships.models import BarrierAttempt, Document, Partnership
from partnerships.services import documents

REFERRALS = "Housing referrals, November"
METHOD = "Consortium bid: method statement draft"


def seed(demo: DemoAlliance) -> int:
    """Pennine Housing Aid works in the network while withdrawn; a rival tries a bid paper."""
    if Breach.objects.for_alliance(demo.alliance).exists():
        return 0
    network = Partnership.objects.for_alliance(demo.alliance).get(name=NETWORK)
    if not Document.objects.for_alliance(demo.alliance).filter(title=REFERRALS).exists():
        documents.document_upload(
            actor=demo.person("pha.chief"),
            alliance=demo.alliance,
            agency=demo.agencies["pha"],
            title=REFERRALS,
            sensitivity="partnership",
            partnership=network,
            upload=SimpleUploadedFile("referrals.pdf", _pdf(REFERRALS), "application/pdf"),
        )
    method = Document.objects.for_alliance(demo.alliance).get(title=METHOD)
    if not BarrierAttempt.objects.filter(document=method).exists():
        documents.barrier_attempt_record(
            person=demo.person("ndn.chief"),
            document=method,
            action="download",
            channel="page",
            agency=demo.agencies["ndn"],
        )
    # The events ask for detection after commit; the demo may run with it deferred, so run it.
    return len(breaches_detect(alliance=demo.alliance).created)
