"""Tenders and declarations built through the services, boards deciding as asked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bids.models import Declaration, NamedPartner, Tender
from bids.services import declarations, papers
from bids.services.declarations import Naming
from bids.services.tenders import TenderDetails, tender_register
from kiaa.models import Agency, Alliance, Role, User
from partnerships.models import Document
from tests.factories.core import PersonFactory, _platform_admin, grant
from tests.factories.partnerships import PDF, approve_open_decisions, board_of, chief_of

_count = iter(range(1, 1_000_000))


def make_tender(
    alliance: Alliance,
    *,
    areas: tuple[str, ...] = (),
    by: User | None = None,
    **details: Any,
) -> Tender:
    """An open tender; deadlines a month and six weeks away unless given."""
    now = timezone.now()
    n = next(_count)
    fields = {
        "reference": f"KV-{n:04d}",
        "title": f"Advice services lot {n}",
        "commissioner": "Kirkvale Borough Council",
        "eoi_deadline": now + timedelta(days=30),
        "submission_deadline": now + timedelta(days=45),
        **details,
    }
    return tender_register(
        actor=by or _platform_admin(alliance),
        alliance=alliance,
        details=TenderDetails(**fields),
        service_areas=areas,
    )


def draft(
    tender: Tender,
    agency: Agency,
    *,
    partners: dict[Agency, int] | None = None,
    lead: Declaration | None = None,
) -> Declaration:
    """A draft declaration by the agency's chief officer: sole, lead (with partners) or partner."""
    capacity = "partner" if lead else "lead" if partners else "sole"
    board_of(agency)
    return declarations.declaration_draft(
        actor=chief_of(agency),
        tender=tender,
        agency=agency,
        capacity=capacity,
        partners=[Naming(a, Decimal(s)) for a, s in (partners or {}).items()],
        lead_declaration=lead,
    )


def declare(
    tender: Tender,
    agency: Agency,
    *,
    partners: dict[Agency, int] | None = None,
    lead: Declaration | None = None,
) -> Declaration:
    """Drafted, put to the board and approved: a declared intent to bid."""
    declaration = draft(tender, agency, partners=partners, lead=lead)
    declarations.declaration_submit_for_approval(actor=chief_of(agency), declaration=declaration)
    approve_open_decisions(agency)
    declaration.refresh_from_db()
    return declaration


def confirm(lead: Declaration, agency: Agency) -> Declaration:
    """The named partner confirms by declaring as a partner in the lead's bid."""
    return draft(lead.tender, agency, lead=lead)


def naming(lead: Declaration, agency: Agency) -> NamedPartner:
    return NamedPartner.objects.get(declaration=lead, agency=agency)


def staff_of(agency: Agency) -> User:
    user = PersonFactory()
    grant(user, Role.STAFF, agency)
    return user


def bid_paper(
    declaration: Declaration, *, agency: Agency | None = None, title: str = "Pricing model"
) -> Document:
    agency = agency or declaration.agency
    return papers.bid_paper_upload(
        actor=chief_of(agency),
        declaration=declaration,
        agency=agency,
        title=title,
        upload=SimpleUploadedFile("bid.pdf", PDF, content_type="application/pdf"),
    )


def tupe_paper(tender: Tender, title: str = "Staff list") -> Document:
    assert tender.incumbent_agency is not None
    return papers.tupe_paper_upload(
        actor=chief_of(tender.incumbent_agency),
        tender=tender,
        title=title,
        upload=SimpleUploadedFile("tupe.pdf", PDF, content_type="application/pdf"),
    )
