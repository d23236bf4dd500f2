"""Demo: two things the detectors catch, so the breach register has something to show, and three
disputes for the CVS's arbiter: one giving evidence, one waiting to be taken on, and one ruled,
its required actions half done (so the ruling report has something to file)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from disputes.models import Breach, Dispute, RequiredAction, Submission
from disputes.services import disputes, evidence, rulings
from disputes.services.breaches import breaches_detect
from kiaa.demo import DemoAlliance
from partnerships.demo import NETWORK, _pdf
from partnerships.models import BarrierAttempt, Document, Partnership
from partnerships.services import documents

REFERRALS = "Housing referrals, November"
FUNDING = (
    "Age Well Kirkvale named us as its disability partner in the welfare benefits bid it won, "
    "and has passed us none of the funding or the referrals it promised."
)
METHOD = "Consortium bid: method statement draft"


def seed(demo: DemoAlliance) -> int:
    """The breaches, then the disputes about them."""
    return _breaches(demo) + _disputes(demo) + _ruled(demo)


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


def _ruled(demo: DemoAlliance) -> int:
    """Kirkvale Disability Rights against Age Well over a partner's share it never received:
    ruled by the CVS's arbiter, with one of its two required actions confirmed."""
    if Dispute.objects.for_alliance(demo.alliance).filter(summary=FUNDING).exists():
        return 0
    arbiter, today = demo.person("kva.chief"), timezone.localdate()
    dispute = disputes.dispute_file(
        actor=demo.person("dis.chief"),
        alliance=demo.alliance,
        complainant=demo.agencies["dis"],
        respondent=demo.agencies["age"],
        subject=Dispute.Subject.GENERAL,
        summary=FUNDING,
    )
    disputes.dispute_accept(
        actor=arbiter,
        dispute=dispute,
        evidence_due_on=today + timedelta(days=1),
        ruling_due_on=today + timedelta(days=2),
    )
    rulings.ruling_publish(
        actor=arbiter,
        dispute=dispute,
        findings="Age Well named Kirkvale Disability Rights with a 20% share and has not yet "
        "agreed any allocation. Kirkvale Disability Rights has not sent the caseload figures "
        "the allocation depends on.",
        decision="The named partner's share stands. Both agencies must put the partnership "
        "on a written footing within a month.",
        actions=[
            rulings.ActionSpec(
                demo.agencies["dis"], "Send Age Well last year's caseload figures.", today
            ),
            rulings.ActionSpec(
                demo.agencies["age"],
                "Agree a written allocation with Kirkvale Disability Rights.",
                today + timedelta(days=28),
            ),
        ],
    )
    figures = RequiredAction.objects.get(dispute=dispute, agency=demo.agencies["dis"])
    rulings.action_confirm(
        actor=demo.person("dis.chief"), action=figures, note="Sent by email to Margaret Hill."
    )
    return 1
