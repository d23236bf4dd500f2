"""Demo partnerships for the Kirkvale alliance: a consortium with its MoU and papers, and a
network. Idempotent like every demo step."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kiaa.demo import DemoAlliance
from kiaa.models import Agency, BoardDecision, User
from kiaa.services.decisions import decision_vote
from partnerships.models import (
    ConfidentialityAcknowledgement,
    Document,
    DueDiligenceCheck,
    Partnership,
)
from partnerships.services import documents, mou, partnerships

CONSORTIUM = "Kirkvale Money Advice Consortium"
NETWORK = "Kirkvale Advice Network"


def _pdf(text: str) -> bytes:
    """A small valid one-page PDF saying `text`."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _board_approves(demo: DemoAlliance, agency: Agency, key: str) -> None:
    for decision in BoardDecision.objects.filter(agency=agency, status=BoardDecision.Status.OPEN):
        for n in (1, 2):
            decision.refresh_from_db()
            if decision.status == BoardDecision.Status.OPEN:
                decision_vote(
                    actor=demo.person(f"{key}.trustee{n}"), decision=decision, choice="approve"
                )


def _partnership(
    demo: DemoAlliance, name: str, kind: str, lead: str, others: list[str]
) -> Partnership:
    found = Partnership.objects.for_alliance(demo.alliance).filter(name=name).first()
    if found is not None:
        return found
    chief = demo.person(f"{lead}.chief")
    partnership = partnerships.partnership_propose(
        actor=chief,
        alliance=demo.alliance,
        name=name,
        kind=kind,
        lead_agency=demo.agencies[lead],
        service_areas=sorted(
            {a.slug for k in [lead, *others] for a in demo.agencies[k].service_areas.all()}
        )[:3],
    )
    _board_approves(demo, demo.agencies[lead], lead)
    for key in others:
        member = partnerships.member_invite(
            actor=chief, partnership=partnership, agency=demo.agencies[key], role="partner"
        )
        partnerships.member_accept(actor=demo.person(f"{key}.chief"), member=member)
        _board_approves(demo, demo.agencies[key], key)
    return partnership


def seed(demo: DemoAlliance) -> int:
    """The consortium (checked, MoU signed, papers shared) and the network, once."""
    if (
        Partnership.objects.for_alliance(demo.alliance)
        .filter(name__in=[CONSORTIUM, NETWORK])
        .count()
        == 2
    ):
        return 0
    consortium = _partnership(demo, CONSORTIUM, "consortium", "cab", ["mma", "age"])
    lead_chief = demo.person("cab.chief")
    for member in consortium.members.select_related("agency"):
        for item in DueDiligenceCheck.Item.values:
            partnerships.check_record(
                actor=lead_chief,
                partnership=consortium,
                agency=member.agency,
                item=item,
                outcome="met",
            )
    partnerships.partnership_confirm(actor=lead_chief, partnership=consortium)
    mou.mou_save(
        actor=lead_chief,
        partnership=consortium,
        contribution_pence=75_000,
        exclusive=True,
        review_due_on=timezone.localdate() + timedelta(days=180),
        **mou.TEMPLATE,
    )
    consortium.refresh_from_db()
    for key in ("cab", "mma"):  # Age Well's board has not signed yet: the page shows it.
        mou.mou_sign(
            actor=demo.person(f"{key}.trustee1"), partnership=consortium, agency=demo.agencies[key]
        )
    for key in ("cab", "mma", "age"):
        _acknowledge(demo.person(f"{key}.chief"), consortium)
    _share(
        lead_chief, demo.agencies["cab"], consortium, "Consortium minutes, October", "partnership"
    )
    _share(
        lead_chief,
        demo.agencies["cab"],
        consortium,
        "Pricing model for the money advice tender",
        "commercial",
    )
    _share(lead_chief, demo.agencies["cab"], None, "Alliance referral pathways", "alliance")

    network = _partnership(demo, NETWORK, "network", "law", ["pha", "wel", "dis"])
    law_chief = demo.person("law.chief")
    mou.mou_save(
        actor=law_chief,
        partnership=network,
        contribution_pence=0,
        exclusive=False,
        review_due_on=None,
        **mou.TEMPLATE,
    )
    network.refresh_from_db()
    for key in ("law", "pha"):
        _acknowledge(demo.person(f"{key}.chief"), network)
    _share(law_chief, demo.agencies["law"], network, "Housing casework protocol", "partnership")
    _share(law_chief, demo.agencies["law"], network, "Network bid budget", "commercial")
    # Pennine Housing Aid declares for the housing contract in the bids demo: it withdraws then.
    return 2


def _acknowledge(person: User, partnership: Partnership) -> None:
    if not ConfidentialityAcknowledgement.objects.filter(
        person=person, partnership=partnership
    ).exists():
        mou.undertaking_acknowledge(actor=person, partnership=partnership)


def _share(
    person: User, agency: Agency, partnership: Partnership | None, title: str, sensitivity: str
) -> None:
    if Document.objects.filter(alliance_id=agency.alliance_id, title=title).exists():
        return
    upload = SimpleUploadedFile(
        f"{title.lower().replace(' ', '-')[:40]}.pdf", _pdf(title), "application/pdf"
    )
    documents.document_upload(
        actor=person,
        alliance=agency.alliance,
        agency=agency,
        title=title,
        sensitivity=sensitivity,
        partnership=partnership,
        upload=upload,
    )
