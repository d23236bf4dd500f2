"""Demo: two things the detectors catch, so the breach register has something to show, and two
disputes for the CVS's arbiter: one giving evidence, one waiting to be taken on."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from disputes.models import Breach, Dispute, Submission
from disputes.services import disputes, evidence
from disputes.services.breaches import breaches_detect
from kiaa.demo import DemoAlliance
from partnerships.demo import NETWORK, _pdf
from partnerships.models import BarrierAttempt, Document, Partnership
from partnerships.services import documents

REFERRALS = "Housing referrals, November"
METHOD = "Consortium bid: method statement draft"


def seed(demo: DemoAlliance) -> int:
    """The breaches, then the disputes about them."""
    return _breaches(demo) + _disputes(demo)


def _breaches(demo: DemoAlliance) -> int:
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


def _disputes(demo: DemoAlliance) -> int:
    """The network's lead disputes Pennine Housing Aid's work during its withdrawal (evidence
    given, for the arbiter to rule on); Citizens Advice's dispute with National Debtline North
    waits for the arbiter to take it on."""
    if Dispute.objects.for_alliance(demo.alliance).exists():
        return 0
    breach = Breach.objects.for_alliance(demo.alliance).get(
        kind=Breach.Kind.WORKED_DURING_WITHDRAWAL, agency=demo.agencies["pha"]
    )
    law, pha = demo.person("law.chief"), demo.person("pha.chief")
    dispute = disputes.dispute_file(
        actor=law,
        alliance=demo.alliance,
        complainant=demo.agencies["law"],
        respondent=demo.agencies["pha"],
        subject=Dispute.Subject.BREACH,
        breach=breach,
        summary="Pennine Housing Aid shared its November referrals in the Advice Network while "
        "withdrawn from it to bid against network members for the housing contract.",
    )
    today = timezone.localdate()
    disputes.dispute_accept(
        actor=demo.person("kva.chief"),
        dispute=dispute,
        evidence_due_on=today + timedelta(days=10),
        ruling_due_on=today + timedelta(days=21),
    )
    add = evidence.submission_add
    add(
        actor=law,
        dispute=dispute,
        statement="The referrals list went to every network "
        "member, including the housing caseload we are bidding to keep.",
    )
    add(
        actor=law,
        dispute=dispute,
        visibility=Submission.Visibility.ARBITER,
        statement="For the arbiter only: two of our caseworkers saw the list before our bid "
        "team did, which is why we raise it now.",
    )
    add(
        actor=pha,
        dispute=dispute,
        statement="The list was routine, shared on the usual "
        "day by a volunteer who did not know about the withdrawal. Nothing in it bears on "
        "the housing bid.",
    )
    disputes.dispute_file(
        actor=demo.person("cab.chief"),
        alliance=demo.alliance,
        complainant=demo.agencies["cab"],
        respondent=demo.agencies["ndn"],
        subject=Dispute.Subject.GENERAL,
        summary="National Debtline North tried to open our consortium's method statement; we "
        "ask the arbiter to confirm what it saw and remind it of the protocol.",
    )
    return 2
