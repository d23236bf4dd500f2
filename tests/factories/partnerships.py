"""Partnerships built through the services, with boards big enough to decide."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from kiaa.models import Agency, BoardDecision, Role, User
from kiaa.services.alliances import agency_update
from kiaa.services.decisions import decision_vote
from partnerships.models import Document, Partnership, PartnershipMember
from partnerships.services import documents, mou, partnerships
from tests.factories.core import PersonFactory, ServiceAreaFactory, _platform_admin, grant


def chief_of(agency: Agency) -> User:
    """The agency's chief officer, appointed on first use."""
    found = agency.memberships.filter(role=Role.CHIEF_OFFICER).select_related("user").first()
    if found is not None:
        return found.user
    user = PersonFactory()
    grant(user, Role.CHIEF_OFFICER, agency)
    return user


def board_of(agency: Agency, size: int = 2) -> list[User]:
    """The agency's trustees, appointed up to `size` on first use."""
    trustees = [m.user for m in agency.memberships.filter(role=Role.TRUSTEE).select_related("user")]
    while len(trustees) < size:
        user = PersonFactory()
        grant(user, Role.TRUSTEE, agency)
        trustees.append(user)
    return trustees


def approve_open_decisions(agency: Agency) -> None:
    """The agency's board approves whatever is before it."""
    for decision in BoardDecision.objects.filter(agency=agency, status=BoardDecision.Status.OPEN):
        for trustee in board_of(agency):
            decision.refresh_from_db()
            if decision.status == BoardDecision.Status.OPEN:
                decision_vote(actor=trustee, decision=decision, choice="approve")


def make_partnership(
    lead: Agency,
    *others: Agency,
    kind: str = "network",
    name: str | None = None,
    areas: tuple[str, ...] = (),
) -> Partnership:
    """A partnership with every agency active in it (boards approve where the protocol asks)."""
    board_of(lead)
    partnership = partnerships.partnership_propose(
        actor=chief_of(lead),
        alliance=lead.alliance,
        name=name or f"Partnership of {lead.name} {lead.pk}",
        kind=kind,
        lead_agency=lead,
        service_areas=areas,
    )
    approve_open_decisions(lead)
    for agency in others:
        join(partnership, agency)
    return partnership


def debt_advice_network(lead: Agency, partner: Agency) -> Partnership:
    """Both agencies offer debt advice (a new service area) and work together in a network."""
    ServiceAreaFactory(alliance=lead.alliance, name="Debt advice", slug="debt-advice")
    admin = _platform_admin(lead.alliance)
    for agency in (lead, partner):
        agency_update(actor=admin, agency=agency, service_areas=["debt-advice"])
    return make_partnership(lead, partner, name="Debt advice network", areas=("debt-advice",))


def join(partnership: Partnership, agency: Agency, role: str = "partner") -> PartnershipMember:
    board_of(agency)
    member = partnerships.member_invite(
        actor=chief_of(partnership.lead_agency), partnership=partnership, agency=agency, role=role
    )
    partnerships.member_accept(actor=chief_of(agency), member=member)
    approve_open_decisions(agency)
    member.refresh_from_db()
    return member


def ask_to_lead(lead: Agency, name: str) -> BoardDecision:
    """The agency proposes a consortium: its own board decides whether it joins as lead."""
    partnership = partnerships.partnership_propose(
        actor=chief_of(lead),
        alliance=lead.alliance,
        name=name,
        kind="consortium",
        lead_agency=lead,
    )
    return BoardDecision.objects.get(
        subject_type=partnerships.SUBJECT, subject_id=partnership.members.get().pk
    )


def draft_mou(partnership: Partnership, **changes: Any) -> Any:
    contribution = changes.pop("contribution_pence", 50_000)
    version = mou.mou_save(
        actor=chief_of(partnership.lead_agency),
        partnership=partnership,
        contribution_pence=contribution,
        exclusive=True,
        **{**mou.TEMPLATE, **changes},
    )
    partnership.refresh_from_db()  # the caller's object now carries the new undertaking
    return version


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(
    by: User,
    agency: Agency,
    *,
    sensitivity: str = "alliance",
    partnership: Partnership | None = None,
    title: str = "Paper",
    content: bytes = PDF,
    name: str = "paper.pdf",
) -> Document:
    return documents.document_upload(
        actor=by,
        alliance=agency.alliance,
        agency=agency,
        title=title,
        sensitivity=sensitivity,
        partnership=partnership,
        upload=SimpleUploadedFile(name, content, content_type="application/pdf"),
    )
