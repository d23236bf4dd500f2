"""Demo tenders for the Kirkvale alliance, built through the services (idempotent).

- Debt advice: Citizens Advice leads a consortium bid with Moorside Money Advice and Age Well
  (both confirmed); National Debtline North bids alone: they are competitors.
- Housing advice: Pennine Housing Aid declares and so withdraws from the advice network it
  shares with the incumbent; Disability Rights steps back; the incumbent's TUPE information
  waits in the room, unreleased.
- Welfare rights: Moorside Money Advice has declared (outside its service areas: the page warns
  of mission drift); Citizens Advice's declaration awaits its board, where the trustee who
  also sits on Moorside's board is conflicted.
- Employment advice pilot: awarded three weeks ago to Citizens Advice with Northbridge Law
  Centre, the partner's allocation recorded.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bids.models import Declaration, Tender
from bids.services import declarations, outcomes, papers
from bids.services.declarations import Naming
from bids.services.tenders import TenderDetails, tender_register
from kiaa.demo import DemoAlliance
from kiaa.models import Agency, BoardDecision
from kiaa.services.decisions import decision_vote
from partnerships.demo import _pdf

DEBT, HOUSING, WELFARE, EMPLOYMENT = "KBC-2026-031", "KBC-2026-044", "KBC-2026-052", "KBC-2026-007"


def seed(demo: DemoAlliance) -> int:
    """The four tenders and their bids, once."""
    if Tender.objects.for_alliance(demo.alliance).filter(reference=DEBT).exists():
        return 0
    _debt(demo)
    _housing(demo)
    _welfare(demo)
    _employment(demo)
    return 4


def _tender(demo: DemoAlliance, reference: str, title: str, area: str, **details: object) -> Tender:
    now = timezone.now()
    fields: dict[str, object] = {
        "eoi_deadline": now + timedelta(days=21),
        "submission_deadline": now + timedelta(days=42),
        "award_expected_on": (now + timedelta(days=90)).date(),
        **details,
    }
    return tender_register(
        actor=demo.admin,
        alliance=demo.alliance,
        details=TenderDetails(
            reference=reference,
            title=title,
            commissioner="Kirkvale Borough Council",
            **fields,  # type: ignore[arg-type]
        ),
        service_areas=[area],
    )


def _agency(demo: DemoAlliance, key: str) -> Agency:
    return demo.agencies[key]


def draft(
    demo: DemoAlliance,
    tender: Tender,
    key: str,
    *,
    partners: dict[str, int] | None = None,
    lead: Declaration | None = None,
) -> Declaration:
    capacity = "partner" if lead else "lead" if partners else "sole"
    return declarations.declaration_draft(
        actor=demo.person(f"{key}.chief"),
        tender=tender,
        agency=_agency(demo, key),
        capacity=capacity,
        partners=[Naming(_agency(demo, k), Decimal(s)) for k, s in (partners or {}).items()],
        lead_declaration=lead,
        summary="Demo declaration.",
    )


def to_board(demo: DemoAlliance, declaration: Declaration, key: str, approve: bool = True) -> None:
    declarations.declaration_submit_for_approval(
        actor=demo.person(f"{key}.chief"), declaration=declaration
    )
    if not approve:
        return
    decision = BoardDecision.objects.get(
        subject_type=declarations.SUBJECT, subject_id=declaration.pk
    )
    for n in (1, 2):
        decision.refresh_from_db()
        if decision.status == BoardDecision.Status.OPEN:
            decision_vote(
                actor=demo.person(f"{key}.trustee{n}"), decision=decision, choice="approve"
            )


def declare(demo: DemoAlliance, tender: Tender, key: str, **kinds: object) -> Declaration:
    declaration = draft(demo, tender, key, **kinds)  # type: ignore[arg-type]
    to_board(demo, declaration, key)
    declaration.refresh_from_db()
    return declaration


def _debt(demo: DemoAlliance) -> None:
    tender = _tender(
        demo, DEBT, "Kirkvale debt and money advice service", "debt-advice", value_pence=45_000_000
    )
    lead = declare(demo, tender, "cab", partners={"mma": 30, "age": 15})
    for key in ("mma", "age"):
        declare(demo, tender, key, lead=lead)
    declare(demo, tender, "ndn")
    papers.bid_paper_upload(
        actor=demo.person("cab.chief"),
        declaration=lead,
        agency=_agency(demo, "cab"),
        title="Consortium bid: method statement draft",
        upload=SimpleUploadedFile("method.pdf", _pdf("Method statement"), "application/pdf"),
    )


def _housing(demo: DemoAlliance) -> None:
    tender = _tender(
        demo,
        HOUSING,
        "Housing advice and homelessness prevention",
        "housing",
        value_pence=28_000_000,
        incumbent_agency=_agency(demo, "law"),
    )
    declare(demo, tender, "pha")
    outcomes.step_back_record(
        actor=demo.person("dis.chief"),
        tender=tender,
        agency=_agency(demo, "dis"),
        reason="Northbridge Law Centre is doing good work on this contract; we support its bid.",
    )
    papers.tupe_paper_upload(
        actor=demo.person("law.chief"),
        tender=tender,
        title="TUPE: staff list and terms (anonymised)",
        upload=SimpleUploadedFile("tupe.pdf", _pdf("TUPE staff list"), "application/pdf"),
    )


def _welfare(demo: DemoAlliance) -> None:
    tender = _tender(
        demo,
        WELFARE,
        "Welfare rights advice in GP surgeries",
        "welfare-benefits",
        value_pence=12_000_000,
    )
    declare(demo, tender, "mma")
    to_board(demo, draft(demo, tender, "cab"), "cab", approve=False)


def _employment(demo: DemoAlliance) -> None:
    now = timezone.now()
    tender = _tender(
        demo,
        EMPLOYMENT,
        "Employment rights advice pilot",
        "employment",
        value_pence=6_000_000,
        eoi_deadline=None,
        submission_deadline=now - timedelta(days=40),
        award_expected_on=(now - timedelta(days=20)).date(),
    )
    lead = declare(demo, tender, "cab", partners={"law": 25})
    declare(demo, tender, "law", lead=lead)
    declarations.declaration_mark_submitted(actor=demo.person("cab.chief"), declaration=lead)
    # Awarded three weeks ago: the grace period is over, so the withdrawals have ended.
    outcomes.tender_award(
        actor=demo.admin,
        tender=tender,
        winner=lead,
        awarded_on=timezone.localdate() - timedelta(days=21),
    )
    outcomes.allocation_record(
        actor=demo.person("cab.chief"),
        declaration=lead,
        agency=_agency(demo, "law"),
        amount_pence=1_500_000,
        agreed_on=timezone.localdate(),
        note="Caseworker post, year one.",
    )
