"""The tender register and declaration pages under /a/<alliance-slug>/.

Each page is driven through Django's test client as one of the personas; state is built
through the services and factories only. A refused form is a 400 with the error summary and
every table stays as it was; a step that cannot be undone shows a confirmation page first.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from bids.models import (
    Declaration,
    NamedPartner,
    StepBack,
    Tender,
    TenderImport,
    TenderPaper,
    TupeReceipt,
    TupeRelease,
)
from bids.services import declarations, ocds, outcomes, tenders
from kiaa.models import AuditEvent, BoardDecision, BoardVote, User
from tests.api import PERSONAS, row_counts
from tests.conftest import World
from tests.factories import ServiceAreaFactory
from tests.factories.bids import declare, draft, make_tender, tupe_paper
from tests.factories.partnerships import PDF, board_of, chief_of, make_partnership
from tests.pages import assert_refused_on, error_summary, follow, html, page, signed_in, text

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- helpers


# Every table these pages could write to: counts() counts their rows.
WRITTEN = (
    AuditEvent,
    BoardDecision,
    BoardVote,
    Declaration,
    NamedPartner,
    StepBack,
    Tender,
    TenderImport,
    TenderPaper,
    TupeRelease,
)


def counts() -> dict[str, int]:
    return row_counts(*WRITTEN)


def tender_data(**overrides: Any) -> dict[str, Any]:
    return {
        "reference": "KBC-2025-001",
        "title": "Debt advice service",
        "commissioner": "Kirkvale Borough Council",
        "description": "Advice on debt for residents.",
        "service_areas": ["debt-advice"],
        "value_pounds": "250000.00",
        "eoi_deadline": "2030-01-10T12:00",
        "submission_deadline": "2030-02-10T12:00",
        "award_expected_on": "2030-03-01",
        **overrides,
    }


def upload_of(name: str = "staff.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def debt_advice(world: World) -> None:
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")


@pytest.fixture
def tender(world: World, admin: User, debt_advice: None) -> Tender:
    """An open debt-advice tender; the rival agency is the incumbent."""
    return make_tender(
        world.alliance,
        areas=("debt-advice",),
        reference="KBC-2025-001",
        title="Debt advice service",
        incumbent_agency=world.competitor,
    )


@pytest.fixture
def partner_chief(world: World) -> User:
    # Chief officer of Partner Housing: answers for it when a lead names it.
    return chief_of(world.partner)


@pytest.fixture
def lead_draft(world: World, tender: Tender, chief_officer: User, trustee: User) -> Declaration:
    """Lead Advice's draft as a consortium lead naming Partner Housing for 30%."""
    return draft(tender, world.lead, partners={world.partner: 30})


@pytest.fixture
def declared(world: World, tender: Tender, chief_officer: User, trustee: User) -> Declaration:
    """Lead Advice has declared, alone, with its board's approval."""
    return declare(tender, world.lead)


# ----------------------------------------------------------------------------- access matrix

EVERYONE = dict.fromkeys(PERSONAS[:-1], 200) | {"outsider": 404}
ADMIN_ONLY = dict.fromkeys(PERSONAS[:-1], 403) | {"admin": 200, "outsider": 404}
CHIEFS = dict.fromkeys(PERSONAS[:-1], 403) | {
    "chief_officer": 200,
    "competitor": 200,
    "outsider": 404,
}
REGISTERS = CHIEFS | {"admin": 200}
INCUMBENT = dict.fromkeys(PERSONAS[:-1], 403) | {"competitor": 200, "outsider": 404}
RELEASES = INCUMBENT | {"admin": 200}
LEAD_CHIEF = dict.fromkeys(PERSONAS[:-1], 403) | {"chief_officer": 200, "outsider": 404}
HIDDEN_IMPORT = dict.fromkeys(PERSONAS, 404) | {"admin": 200}


@pytest.mark.parametrize(
    ("name", "on", "expected"),
    [
        ("tenders", None, EVERYONE),
        ("declarations", None, EVERYONE),
        ("tender-register", None, REGISTERS),
        ("tender-import", None, ADMIN_ONLY),
        ("tender-import-detail", "import", HIDDEN_IMPORT),
        ("tender-detail", "tender", EVERYONE),
        ("tender-edit", "tender", ADMIN_ONLY),
        ("tender-close", "tender", ADMIN_ONLY),
        ("tender-reopen", "tender", ADMIN_ONLY),
        ("tender-cancel", "tender", ADMIN_ONLY),
        ("tender-award", "tender", ADMIN_ONLY),
        ("tender-step-back", "tender", CHIEFS),
        ("declaration-draft", "tender", CHIEFS),
        ("tupe-upload", "tender", INCUMBENT),
        ("tupe-release", "tender", RELEASES),
        ("declaration-detail", "declared", EVERYONE),
        ("declaration-withdraw", "declared", LEAD_CHIEF),
        ("declaration-mark-submitted", "declared", LEAD_CHIEF),
        ("declaration-submit", "declared", LEAD_CHIEF),
        ("bid-paper-upload", "declared", LEAD_CHIEF),
        ("allocation-record", "declared", LEAD_CHIEF),
    ],
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_answers_each_persona_with_200_403_or_404(
    client: Client,
    request: pytest.FixtureRequest,
    world: World,
    declared: Declaration,
    name: str,
    on: str | None,
    expected: dict[str, int],
    persona: str,
):
    kwargs: dict[str, Any] = {}
    if on == "tender":
        kwargs = {"pk": declared.tender_id}
    elif on == "declared":
        kwargs = {"pk": declared.pk}
    elif on == "import":
        admin = request.getfixturevalue("admin")
        done = ocds.tenders_import(
            actor=admin, alliance=world.alliance, file_name="x.json", data=package(release())
        )
        kwargs = {"pk": done.pk}
    user = request.getfixturevalue(persona)
    assert signed_in(client, user).get(page(name, **kwargs)).status_code == expected[persona]


@pytest.mark.parametrize("persona", ["competitor", "arbiter", "admin", "outsider"])
def test_a_draft_of_another_agency_is_a_404_on_every_declaration_page(
    client: Client, request: pytest.FixtureRequest, lead_draft: Declaration, persona: str
):
    signed_in(client, request.getfixturevalue(persona))
    for name in ("declaration-detail", "declaration-submit", "declaration-withdraw"):
        assert client.get(page(name, pk=lead_draft.pk)).status_code == 404
    before = counts()
    assert client.post(page("declaration-submit", pk=lead_draft.pk)).status_code == 404
    assert counts() == before


def test_a_named_partners_chief_officer_sees_the_leads_draft(
    client: Client, lead_draft: Declaration, partner_chief: User, trustee: User
):
    assert (
        signed_in(client, partner_chief)
        .get(page("declaration-detail", pk=lead_draft.pk))
        .status_code
        == 200
    )
    assert (
        signed_in(client, trustee).get(page("declaration-detail", pk=lead_draft.pk)).status_code
        == 200
    )


def test_a_tender_of_another_alliance_is_a_404_on_every_page(
    client: Client, world: World, admin: User
):
    elsewhere = make_tender(world.other_alliance, title="Elsewhere contract")
    signed_in(client, admin)
    for name in ("tender-detail", "tender-edit", "tender-award", "tender-close"):
        assert client.get(page(name, pk=elsewhere.pk)).status_code == 404
    assert client.post(page("tender-cancel", pk=elsewhere.pk)).status_code == 404
    assert Tender.objects.get(pk=elsewhere.pk).status == "open"


# ----------------------------------------------------------------------------- the story


@pytest.fixture
def network(world: World, chief_officer: User, debt_advice: None) -> Any:
    """Lead Advice and Partner Housing work together in debt advice."""
    return make_partnership(
        world.lead, world.partner, name="Debt advice network", areas=("debt-advice",)
    )


def test_a_chief_officer_declares_in_the_browser_and_the_trustees_approve(
    client: Client,
    world: World,
    tender: Tender,
    network: Any,
    chief_officer: User,
    trustee: User,
    partner_chief: User,
):
    other_trustee = board_of(world.lead)[1]
    signed_in(client, chief_officer)
    response = client.post(
        page("declaration-draft", pk=tender.pk),
        {"capacity": "sole", "summary": "We run the current debt clinic."},
    )
    declaration = Declaration.objects.get(agency=world.lead)
    assert response.url == page("declaration-detail", pk=declaration.pk)
    assert "Your draft is saved." in html(follow(client, response))

    confirm_page = client.get(page("declaration-submit", pk=declaration.pk))
    assert "What will happen" in text(confirm_page)
    assert "Debt advice network" in text(confirm_page)  # the withdrawal it would open
    assert declaration.status == "draft"
    response = client.post(page("declaration-submit", pk=declaration.pk))
    detail = follow(client, response)
    assert "The declaration is with your trustee board." in html(detail)
    assert "Awaiting trustee approval" in text(detail)
    decision = BoardDecision.objects.get(subject_id=declaration.pk)
    assert re.search(r'id="still-needed">\s*2\s*<', html(detail))

    for person in (trustee, other_trustee):
        signed_in(client, person)
        board = client.get(page("declaration-detail", pk=declaration.pk))
        assert f'href="{page("decision-detail", pk=decision.pk)}"' in html(board)
        # The vote is confirmed on a second page: votes cannot be changed.
        vote = {"decision": "approve"}
        asked = client.post(page("decision-detail", pk=decision.pk), vote)
        assert "Votes cannot be changed" in text(asked)
        voted = client.post(page("decision-detail", pk=decision.pk), {**vote, "confirm": "yes"})
        assert voted.status_code == 302

    signed_in(client, chief_officer)
    detail = client.get(page("declaration-detail", pk=declaration.pk))
    assert re.search(r'id="declaration-status">.*?Declared', html(detail), re.S)
    assert "Now: Declared" in text(detail)

    # Partner Housing, in the same network, declares against it: both see the consequences.
    declare(tender, world.partner)
    for person in (chief_officer, partner_chief):
        tender_page = text(signed_in(client, person).get(page("tender-detail", pk=tender.pk)))
        assert "Conflicts for" in tender_page
        assert "you are competitors for this contract" in tender_page
        assert "are both in Debt advice network" in tender_page
        assert "Lead Advice Debt advice network" in tender_page
        assert "Partner Housing Debt advice network" in tender_page
        assert "Active" in tender_page
    declared_rows = text(client.get(page("tender-detail", pk=tender.pk)))
    assert "Lead Advice Sole bidder — Declared" in declared_rows


def test_a_refused_submission_is_shown_on_the_confirmation_page_and_changes_nothing(
    client: Client, world: World, tender: Tender, chief_officer: User, trustee: User
):
    declaration = draft(tender, world.lead)
    tenders.tender_close(actor=User.objects.get(username="admin"), tender=tender)
    before = counts()
    response = signed_in(client, chief_officer).post(page("declaration-submit", pk=declaration.pk))
    assert_refused_on(response, None, "it takes no new declarations")
    assert counts() == before


# ----------------------------------------------------------------------------- namings


def test_a_named_partner_confirms_from_the_leads_page_and_gets_its_own_draft(
    client: Client, world: World, lead_draft: Declaration, partner_chief: User
):
    signed_in(client, partner_chief)
    lead_page = html(client.get(page("declaration-detail", pk=lead_draft.pk)))
    confirm = page("naming-confirm", pk=lead_draft.pk, agency_id=world.partner.pk)
    assert f'action="{confirm}"' in lead_page
    response = client.post(confirm)
    mine = Declaration.objects.get(agency=world.partner)
    assert response.url == page("declaration-detail", pk=mine.pk)
    assert (mine.capacity, mine.lead_declaration, mine.status) == ("partner", lead_draft, "draft")
    assert NamedPartner.objects.get(declaration=lead_draft).status == "confirmed"
    after = text(follow(client, response))
    assert "Partner Housing confirms it is in Lead Advice's bid." in after
    assert "Named partner in another member's bid" in after


def test_a_named_partner_declines_after_a_confirmation_page(
    client: Client, world: World, lead_draft: Declaration, partner_chief: User
):
    signed_in(client, partner_chief)
    url = page("naming-decline", pk=lead_draft.pk, agency_id=world.partner.pk)
    confirmation = text(client.get(url))
    assert "This cannot be undone" in confirmation
    assert NamedPartner.objects.get(declaration=lead_draft).status == "named"
    response = client.post(url)
    assert "Partner Housing has declined" in html(follow(client, response))
    assert NamedPartner.objects.get(declaration=lead_draft).status == "declined"
    assert not Declaration.objects.filter(agency=world.partner).exists()


@pytest.mark.parametrize("persona", ["chief_officer", "partner", "trustee"])
def test_only_the_named_agencys_chief_officer_answers_a_naming(
    client: Client,
    request: pytest.FixtureRequest,
    world: World,
    lead_draft: Declaration,
    persona: str,
):
    signed_in(client, request.getfixturevalue(persona))
    before = counts()
    for action in ("confirm", "decline"):
        url = page(f"naming-{action}", pk=lead_draft.pk, agency_id=world.partner.pk)
        response = client.post(url)
        assert response.status_code in (403, 404)
    assert counts() == before


def test_an_agency_not_named_is_a_404_in_naming_urls(
    client: Client, world: World, lead_draft: Declaration, chief_officer: User
):
    signed_in(client, chief_officer)
    url = page("naming-confirm", pk=lead_draft.pk, agency_id=world.competitor.pk)
    assert client.get(url).status_code == 404


def test_a_lead_names_partners_with_shares_through_the_draft_form(
    client: Client, world: World, tender: Tender, chief_officer: User, trustee: User
):
    response = signed_in(client, chief_officer).post(
        page("declaration-draft", pk=tender.pk),
        {
            "capacity": "lead",
            "partner_1": world.partner.pk,
            "share_1": "25",
            "partner_2": world.cvs.pk,
            "share_2": "10.5",
        },
    )
    declaration = Declaration.objects.get(agency=world.lead)
    assert response.url == page("declaration-detail", pk=declaration.pk)
    shares = {n.agency.name: str(n.proposed_share_pct) for n in declaration.named_partners.all()}
    assert shares == {"Partner Housing": "25.00", "Home CVS": "10.50"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"capacity": "lead"}, "partner_1", declarations.LEAD_NEEDS_PARTNERS),
        ({"capacity": "lead", "partner_1": "P", "share_1": "100"}, "partner_1", "add up to"),
        ({"capacity": "lead", "partner_1": "P"}, "share_1", None),
        ({"capacity": "sole", "partner_1": "P", "share_1": "5"}, "partner_1", None),
        ({"capacity": "partner"}, "lead_declaration", declarations.NEEDS_LEAD),
        ({"capacity": "cartel"}, "capacity", "Select a valid choice."),
    ],
)
def test_a_bad_declaration_is_refused_on_its_field_and_nothing_is_written(
    client: Client,
    world: World,
    tender: Tender,
    chief_officer: User,
    trustee: User,
    data: dict[str, Any],
    field: str,
    message: str | None,
):
    data = {k: world.partner.pk if v == "P" else v for k, v in data.items()}
    before = counts()
    response = signed_in(client, chief_officer).post(page("declaration-draft", pk=tender.pk), data)
    assert_refused_on(response, field, message)
    assert counts() == before


# ----------------------------------------------------------------------------- lifecycle steps


def test_withdrawing_a_declaration_confirms_first_then_records_the_reason(
    client: Client, declared: Declaration, chief_officer: User
):
    signed_in(client, chief_officer)
    confirmation = text(client.get(page("declaration-withdraw", pk=declared.pk)))
    assert "no longer bids for KBC-2025-001" in confirmation
    response = client.post(
        page("declaration-withdraw", pk=declared.pk), {"reason": "Not enough staff"}
    )
    assert "The declaration is withdrawn." in html(follow(client, response))
    declared.refresh_from_db()
    assert (declared.status, declared.closing_reason) == ("withdrawn", "Not enough staff")


def test_the_lead_marks_its_bid_submitted(
    client: Client, declared: Declaration, chief_officer: User
):
    response = signed_in(client, chief_officer).post(
        page("declaration-mark-submitted", pk=declared.pk)
    )
    assert "The bid is marked submitted." in html(follow(client, response))
    declared.refresh_from_db()
    assert declared.status == "submitted"


def test_marking_a_draft_submitted_is_refused_with_the_reason(
    client: Client, lead_draft: Declaration, chief_officer: User
):
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("declaration-mark-submitted", pk=lead_draft.pk)
    )
    assert_refused_on(response, None, "This declaration is draft; it cannot become bid submitted.")
    assert counts() == before


def test_declaration_page_offers_each_person_only_their_actions(
    client: Client, lead_draft: Declaration, chief_officer: User, trustee: User
):
    mine = html(signed_in(client, chief_officer).get(page("declaration-detail", pk=lead_draft.pk)))
    assert "Put it to the trustee board" in mine
    assert "Withdraw the declaration" in mine
    assert "Mark the bid submitted" not in mine
    theirs = html(signed_in(client, trustee).get(page("declaration-detail", pk=lead_draft.pk)))
    assert "Put it to the trustee board" not in theirs
    assert "Now: Draft" in text(
        signed_in(client, trustee).get(page("declaration-detail", pk=lead_draft.pk))
    )


# ----------------------------------------------------------------------------- step back


def test_a_chief_officer_steps_back_and_the_register_shows_it(
    client: Client, world: World, tender: Tender, competitor: User, partner: User
):
    signed_in(client, competitor)
    form = text(client.get(page("tender-step-back", pk=tender.pk)))
    assert "This cannot be undone" in form
    response = client.post(
        page("tender-step-back", pk=tender.pk), {"reason": "The incumbent does good work."}
    )
    assert "Rival Debt Line steps back from KBC-2025-001." in html(follow(client, response))
    register = text(signed_in(client, partner).get(page("tenders")))
    assert "Rival Debt Line" in register
    detail = text(client.get(page("tender-detail", pk=tender.pk)))
    assert "Rival Debt Line The incumbent does good work." in detail


def test_stepping_back_without_a_reason_is_refused_and_nothing_is_written(
    client: Client, tender: Tender, competitor: User
):
    before = counts()
    response = signed_in(client, competitor).post(
        page("tender-step-back", pk=tender.pk), {"reason": ""}
    )
    assert_refused_on(response, "reason")
    assert counts() == before


def test_stepping_back_while_declaring_is_refused_with_the_reason(
    client: Client, declared: Declaration, chief_officer: User
):
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("tender-step-back", pk=declared.tender_id), {"reason": "Changed our mind"}
    )
    assert_refused_on(response, None, "withdraw it before stepping back")
    assert counts() == before


# ----------------------------------------------------------------------------- award, close


def test_admin_awards_the_contract_after_a_confirmation_page(
    client: Client, world: World, tender: Tender, declared: Declaration, admin: User
):
    rival = declare(tender, world.competitor)
    signed_in(client, admin)
    form = html(client.get(page("tender-award", pk=tender.pk)))
    assert f'value="{declared.pk}"' in form
    assert f'value="{rival.pk}"' in form
    today = timezone.localdate().isoformat()
    confirmation = client.post(
        page("tender-award", pk=tender.pk), {"winner": declared.pk, "awarded_on": today}
    )
    assert confirmation.status_code == 200
    words = text(confirmation)
    assert "KBC-2025-001 is awarded to Lead Advice" in words
    assert "These bids are marked lost and their withdrawals end now: Rival Debt Line." in words
    assert Tender.objects.get(pk=tender.pk).status == "open"
    response = client.post(
        page("tender-award", pk=tender.pk),
        {"winner": declared.pk, "awarded_on": today, "confirmed": "on"},
    )
    assert "KBC-2025-001 is awarded to Lead Advice." in html(follow(client, response))
    tender.refresh_from_db()
    assert (tender.status, tender.winner) == ("awarded", declared)
    rival.refresh_from_db()
    assert rival.status == "lost"
    assert "Awarded to Lead Advice" in text(client.get(page("tenders")))


def test_an_award_in_the_future_is_refused_on_its_field_and_nothing_is_written(
    client: Client, tender: Tender, declared: Declaration, admin: User
):
    later = (timezone.localdate() + timedelta(days=3)).isoformat()
    before = counts()
    response = signed_in(client, admin).post(
        page("tender-award", pk=tender.pk),
        {"winner": declared.pk, "awarded_on": later, "confirmed": "on"},
    )
    assert_refused_on(response, "awarded_on", outcomes.AWARD_IN_FUTURE)
    assert counts() == before


def test_a_draft_cannot_be_chosen_to_win(
    client: Client, tender: Tender, lead_draft: Declaration, admin: User
):
    response = signed_in(client, admin).post(
        page("tender-award", pk=tender.pk),
        {"winner": lead_draft.pk, "awarded_on": timezone.localdate().isoformat()},
    )
    assert_refused_on(response, "winner", "Select a valid choice.")


def test_admin_closes_reopens_and_cancels_through_confirmation_pages(
    client: Client, tender: Tender, declared: Declaration, admin: User
):
    signed_in(client, admin)
    assert "stops taking new declarations" in text(client.get(page("tender-close", pk=tender.pk)))
    client.post(page("tender-close", pk=tender.pk))
    assert Tender.objects.get(pk=tender.pk).status == "closed"
    client.post(page("tender-reopen", pk=tender.pk))
    assert Tender.objects.get(pk=tender.pk).status == "open"
    cancel = text(client.get(page("tender-cancel", pk=tender.pk)))
    assert "Every live declaration for it is withdrawn" in cancel
    response = client.post(page("tender-cancel", pk=tender.pk), {"reason": "Funding withdrawn"})
    assert "KBC-2025-001 is cancelled." in html(follow(client, response))
    declared.refresh_from_db()
    assert declared.status == "withdrawn"


def test_reopening_an_open_tender_is_refused_with_the_reason(
    client: Client, tender: Tender, admin: User
):
    before = counts()
    response = signed_in(client, admin).post(page("tender-reopen", pk=tender.pk))
    assert_refused_on(response, None, "This tender is open; it cannot become open.")
    assert counts() == before


@pytest.mark.parametrize("persona", ["chief_officer", "trustee", "competitor"])
def test_only_an_admin_closes_or_cancels(
    client: Client, request: pytest.FixtureRequest, tender: Tender, persona: str
):
    signed_in(client, request.getfixturevalue(persona))
    before = counts()
    assert client.post(page("tender-close", pk=tender.pk)).status_code == 403
    assert client.post(page("tender-cancel", pk=tender.pk)).status_code == 403
    assert counts() == before


# ----------------------------------------------------------------------------- the TUPE room


def test_tupe_papers_reach_bidders_only_after_release(
    client: Client,
    world: World,
    tender: Tender,
    declared: Declaration,
    chief_officer: User,
    competitor: User,
    admin: User,
):
    signed_in(client, competitor)
    response = client.post(
        page("tupe-upload", pk=tender.pk), {"title": "Staff list 2025", "file": upload_of()}
    )
    assert "is in the TUPE room" in html(follow(client, response))
    assert "Staff list 2025" in text(client.get(page("tender-detail", pk=tender.pk)))

    before = text(signed_in(client, chief_officer).get(page("tender-detail", pk=tender.pk)))
    assert "Staff list 2025" not in before
    assert "Not released yet: bidders see nothing until it is." in before

    signed_in(client, competitor)
    confirmation = text(client.get(page("tupe-release", pk=tender.pk)))
    assert "Declared now: Lead Advice." in confirmation
    assert not TupeRelease.objects.exists()
    response = client.post(page("tupe-release", pk=tender.pk))
    assert "released to every declared bidder" in html(follow(client, response))

    after = signed_in(client, chief_officer).get(page("tender-detail", pk=tender.pk))
    assert "Staff list 2025" in text(after)
    assert "Released on" in text(after)
    paper = TenderPaper.objects.get(kind="tupe").document
    assert f'href="{page("document-download", pk=paper.pk)}"' in html(after)
    assert client.get(page("document-download", pk=paper.pk)).status_code == 200
    assert "Receipts" not in text(after)
    for person in (competitor, admin):
        receipts = text(signed_in(client, person).get(page("tender-detail", pk=tender.pk)))
        assert "Receipts" in receipts
        assert "Lead Advice" in receipts
    assert TupeReceipt.objects.get().agency == world.lead


def test_releasing_an_empty_tupe_room_is_refused(client: Client, tender: Tender, admin: User):
    before = counts()
    response = signed_in(client, admin).post(page("tupe-release", pk=tender.pk))
    assert_refused_on(response, None, "Upload the TUPE information before releasing it.")
    assert counts() == before


def test_a_bidder_cannot_open_tupe_papers_before_release(
    client: Client, tender: Tender, declared: Declaration, chief_officer: User
):
    paper = tupe_paper(tender)
    response = signed_in(client, chief_officer).get(page("document-download", pk=paper.pk))
    assert response.status_code == 404


# ----------------------------------------------------------------------------- bid papers


def test_a_bid_team_shares_papers_that_a_rival_never_sees(
    client: Client, world: World, tender: Tender, declared: Declaration, competitor: User
):
    chief = chief_of(world.lead)
    signed_in(client, chief)
    response = client.post(
        page("bid-paper-upload", pk=declared.pk),
        {"title": "Pricing model", "agency": world.lead.pk, "file": upload_of("p.pdf")},
    )
    assert "is shared with the bid team" in html(follow(client, response))
    detail = client.get(page("declaration-detail", pk=declared.pk))
    assert "Pricing model" in text(detail)
    declare(tender, world.competitor)
    rival = text(signed_in(client, competitor).get(page("declaration-detail", pk=declared.pk)))
    assert "Pricing model" not in rival
    assert "No bid papers you may see." in rival


def test_a_refused_file_leaves_nothing_stored(
    client: Client, world: World, declared: Declaration, chief_officer: User
):
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("bid-paper-upload", pk=declared.pk),
        {"title": "Pricing", "agency": world.lead.pk, "file": upload_of("x.exe", b"MZ\x90\x00")},
    )
    assert response.status_code == 400
    assert error_summary(response)
    assert counts() == before


# ----------------------------------------------------------------------------- allocations


def test_the_winning_lead_records_an_allocation_to_a_confirmed_partner(
    client: Client, world: World, tender: Tender, chief_officer: User, trustee: User, admin: User
):
    lead = declare(tender, world.lead, partners={world.partner: 30})
    declare(tender, world.partner, lead=lead)
    outcomes.tender_award(actor=admin, tender=tender, winner=lead, awarded_on=timezone.localdate())
    signed_in(client, chief_officer)
    assert "Record an allocation" in html(client.get(page("declaration-detail", pk=lead.pk)))
    response = client.post(
        page("allocation-record", pk=lead.pk),
        {
            "agency": world.partner.pk,
            "amount_pounds": "1250.50",
            "agreed_on": timezone.localdate().isoformat(),
            "note": "Year one",
        },
    )
    after = text(follow(client, response))
    assert "£1,250.50 to Partner Housing is recorded." in after
    assert "Partner Housing £1,250.50" in after


# ----------------------------------------------------------------------------- the register


@pytest.fixture
def register(world: World, admin: User, debt_advice: None) -> list[Tender]:
    ServiceAreaFactory(alliance=world.alliance, name="Housing")
    found = [
        make_tender(world.alliance, reference="KBC-1", title="Debt advice", areas=("debt-advice",)),
        make_tender(world.alliance, reference="KBC-2", title="Housing advice", areas=("housing",)),
        make_tender(
            world.alliance, reference="NHS-3", title="Welfare rights", commissioner="Kirkvale NHS"
        ),
    ]
    tenders.tender_close(actor=admin, tender=found[1])
    return found


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, {"KBC-1", "KBC-2", "NHS-3"}),
        ({"q": "housing"}, {"KBC-2"}),
        ({"q": "kbc-"}, {"KBC-1", "KBC-2"}),
        ({"q": "nhs"}, {"NHS-3"}),
        ({"status": "closed"}, {"KBC-2"}),
        ({"area": "debt-advice"}, {"KBC-1"}),
        ({"q": "advice", "status": "open"}, {"KBC-1"}),
    ],
)
def test_the_register_searches_and_filters(
    client: Client, register: list[Tender], partner: User, query: dict, shown: set[str]
):
    response = signed_in(client, partner).get(page("tenders"), query)
    assert response.status_code == 200
    rows = set(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', html(response)))
    assert rows == shown


def test_a_bad_filter_is_a_400_and_filters_nothing(
    client: Client, register: list[Tender], partner: User
):
    response = signed_in(client, partner).get(page("tenders"), {"status": "sold"})
    assert response.status_code == 400
    assert "3 tenders" in text(response)


def test_pages_of_a_search_keep_the_search(
    client: Client, world: World, admin: User, partner: User
):
    for n in range(30):
        make_tender(world.alliance, reference=f"KBC-{n:02d}")
    response = signed_in(client, partner).get(page("tenders"), {"q": "kbc"})
    assert "?q=kbc&amp;page=2" in html(response)


def test_admin_or_chief_officer_registers_a_tender_and_admin_edits_it(
    client: Client, world: World, admin: User, competitor: User, debt_advice: None
):
    response = signed_in(client, competitor).post(page("tender-register"), tender_data())
    tender = Tender.objects.get(reference="KBC-2025-001")
    assert response.url == page("tender-detail", pk=tender.pk)
    assert tender.value_pence == 25_000_000
    assert [a.slug for a in tender.service_areas.all()] == ["debt-advice"]
    assert "KBC-2025-001 is on the register." in html(follow(client, response))

    signed_in(client, admin)
    form = html(client.get(page("tender-edit", pk=tender.pk)))
    assert 'value="Debt advice service"' in form
    response = client.post(
        page("tender-edit", pk=tender.pk),
        tender_data(title="Debt and money advice", incumbent_agency=world.partner.pk),
    )
    assert "KBC-2025-001 is updated." in html(follow(client, response))
    tender.refresh_from_db()
    assert (tender.title, tender.incumbent_agency) == ("Debt and money advice", world.partner)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reference": ""}, "reference", "This field is required."),
        ({"eoi_deadline": "2030-03-01T12:00"}, "eoi_deadline", tenders.EOI_AFTER_SUBMISSION),
        ({"value_pounds": "-5"}, "value_pounds", None),
        ({"service_areas": ["astrology"]}, "service_areas", "Select a valid choice."),
        ({"reference": "kbc-1"}, "reference", "already has a tender"),
    ],
)
def test_a_bad_tender_is_refused_on_its_field_and_nothing_is_written(
    client: Client,
    register: list[Tender],
    chief_officer: User,
    overrides: dict[str, Any],
    field: str,
    message: str | None,
):
    before = counts()
    response = signed_in(client, chief_officer).post(
        page("tender-register"), tender_data(**overrides)
    )
    assert_refused_on(response, field, message)
    assert counts() == before


# ----------------------------------------------------------------------------- OCDS import


def release(ocid: str = "ocds-test-001", **tender: Any) -> dict[str, Any]:
    return {
        "ocid": ocid,
        "date": "2025-02-01T09:00:00Z",
        "buyer": {"name": "Kirkvale Borough Council"},
        "tender": {
            "id": f"REF-{ocid[-3:]}",
            "title": "Money guidance",
            "status": "active",
            **tender,
        },
    }


def package(*releases: dict[str, Any]) -> bytes:
    return json.dumps({"version": "1.1", "releases": list(releases)}).encode()


def test_admin_imports_an_ocds_file_and_sees_the_report(client: Client, world: World, admin: User):
    data = package(release("ocds-test-001"), release("ocds-test-002", title=""))
    signed_in(client, admin)
    response = client.post(
        page("tender-import"),
        {"file": SimpleUploadedFile("notices.json", data, content_type="application/json")},
    )
    done = TenderImport.objects.get()
    assert response.url == page("tender-import-detail", pk=done.pk)
    report = follow(client, response)
    words = text(report)
    assert "notices.json is imported: 1 created, 0 updated, 0 unchanged, 1 rejected." in words
    assert re.search(r'id="count-created">1<', html(report))
    assert re.search(r'id="count-rejected">1<', html(report))
    assert ocds.NO_TITLE in words
    created = Tender.objects.get(ocid="ocds-test-001")
    assert f'href="{page("tender-detail", pk=created.pk)}"' in html(report)
    # The past import is listed, and its report can be read again.
    listing = client.get(page("tender-import"))
    assert f'href="{page("tender-import-detail", pk=done.pk)}"' in html(listing)
    again = client.post(
        page("tender-import"),
        {"file": SimpleUploadedFile("again.json", data, content_type="application/json")},
    )
    assert "0 created, 0 updated, 1 unchanged, 1 rejected" in html(follow(client, again))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json at all", ocds.FILE_NOT_JSON),
        (b'{"releases": []}', ocds.NO_RELEASES),
        (b"[1, 2]", ocds.NOT_A_PACKAGE),
    ],
)
def test_a_file_that_is_not_a_release_package_is_refused_on_the_file(
    client: Client, admin: User, content: bytes, message: str
):
    before = counts()
    response = signed_in(client, admin).post(
        page("tender-import"), {"file": SimpleUploadedFile("bad.json", content)}
    )
    assert_refused_on(response, "file", message)
    assert counts() == before


# ----------------------------------------------------------------------------- declarations list


def test_declarations_list_puts_mine_first_then_the_alliances_public_ones(
    client: Client, world: World, tender: Tender, chief_officer: User, competitor: User
):
    other = make_tender(world.alliance, title="Later tender")
    declare(tender, world.competitor)
    mine = draft(other, world.lead)
    hidden = draft(other, world.partner)
    response = signed_in(client, chief_officer).get(page("declarations"))
    content = html(response)
    links = re.findall(r'href="/a/home/declarations/(\d+)/"', content)
    assert links[0] == str(mine.pk)
    assert str(hidden.pk) not in links
    assert "Rival Debt Line" in text(response)
    assert "Your agency" in text(response)


def test_declarations_list_shows_namings_awaiting_an_answer(
    client: Client, lead_draft: Declaration, partner_chief: User
):
    words = text(signed_in(client, partner_chief).get(page("declarations")))
    assert "Lead Advice names Partner Housing as a partner (30%)" in words


# ----------------------------------------------------------------------------- query counts


@pytest.mark.parametrize("size", [3, 15])
def test_the_register_makes_the_same_queries_at_any_size(
    client: Client,
    world: World,
    admin: User,
    partner: User,
    debt_advice: None,
    django_assert_max_num_queries: Any,
    size: int,
):
    for _ in range(size):
        tender = make_tender(world.alliance, areas=("debt-advice",))
        declare(tender, world.lead)
        outcomes.step_back_record(
            actor=chief_of(world.competitor), tender=tender, agency=world.competitor, reason="No"
        )
    signed_in(client, partner)
    with django_assert_max_num_queries(14):
        response = client.get(page("tenders"), {"area": "debt-advice"})
    assert response.status_code == 200
    assert text(response).count("Rival Debt Line") == size


@pytest.mark.parametrize("size", [3, 15])
def test_the_declarations_list_makes_the_same_queries_at_any_size(
    client: Client,
    world: World,
    admin: User,
    chief_officer: User,
    django_assert_max_num_queries: Any,
    size: int,
):
    for n in range(size):
        tender = make_tender(world.alliance)
        if n % 2:
            declare(tender, world.competitor)
        else:
            draft(tender, world.lead, partners={world.partner: 20})
    signed_in(client, chief_officer)
    with django_assert_max_num_queries(13):
        response = client.get(page("declarations"))
    assert response.status_code == 200
    assert len(re.findall(r'href="/a/home/declarations/\d+/"', html(response))) == size
