"""The four journeys of the product, end to end in headless Chromium, as the people make them.

Every page a journey reaches is checked by axe-core and kept as screenshots (tests/browser/
conftest.py `Site.look`); the final state is checked in the database as well as on the page.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from bids.models import Declaration
from disputes.models import Dispute
from kiaa.models import BoardDecision, ReportExport
from partnerships.demo import NETWORK
from partnerships.models import Document

from .setup import declared_by_board, put_to_board
from .site import Site, go_to

pytestmark = pytest.mark.browser

HOUSING = "KBC-2026-044"  # open; Kirkvale Citizens Advice has not declared on it


def open_tender(site: Site, page: Page, reference: str) -> None:
    go_to(page, "Tenders")
    site.look(page, "tender register")
    page.get_by_role("link", name=reference).click()
    site.look(page, f"tender {reference}")


def test_a_chief_officer_declares_intent_to_bid(site: Site) -> None:
    page = site.person("cab.chief")
    site.look(page, "chief officer's dashboard")
    open_tender(site, page, HOUSING)

    page.get_by_role("link", name="Declare intent to bid").click()
    site.look(page, "declaration form")
    page.get_by_label("Sole bidder").check()
    page.get_by_label("Summary").fill(
        "Housing advice at the Kirkvale and Moorside offices, with outreach to the food banks."
    )
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("status")).to_contain_text("Your draft is saved")
    site.look(page, "draft declaration")

    page.get_by_role("link", name="Put it to the trustee board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Put the declaration to your trustee board"
    )
    site.look(page, "confirm: put to the board")
    page.get_by_role("button", name="Put it to the board").click()
    expect(page.get_by_role("status")).to_contain_text("with your trustee board")
    site.look(page, "declaration with the board")

    declaration = Declaration.objects.get(
        tender__reference=HOUSING, agency__name="Kirkvale Citizens Advice"
    )
    assert declaration.status == Declaration.Status.AWAITING_BOARD
    assert BoardDecision.objects.filter(
        subject_id=declaration.pk, status=BoardDecision.Status.OPEN
    ).exists()


def test_b_trustees_approve_and_the_conflicted_trustee_is_excluded(site: Site) -> None:
    # Moorside Money Advice has declared on the tender; Jo Bennett sits on both boards.
    declared_by_board(HOUSING, "mma")
    declaration = put_to_board(HOUSING, "cab")

    page = site.person("dual.trustee")
    site.look(page, "conflicted trustee's dashboard")
    go_to(page, "Decisions")
    site.look(page, "conflicted trustee's decisions")
    page.get_by_role("link", name=re.compile(HOUSING)).first.click()
    expect(page.locator("#excluded")).to_contain_text(
        "Also a trustee of Moorside Money Advice, which has declared for"
    )
    expect(page.locator("#cannot-vote")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("vote", re.I))).to_have_count(0)
    site.look(page, "excluded from the vote")

    for trustee in ("cab.trustee1", "cab.trustee2"):
        page = site.person(trustee)
        go_to(page, "Decisions")
        page.get_by_role("link", name=re.compile(HOUSING)).first.click()
        site.look(page, f"{trustee} before voting")
        page.get_by_label("Approve").check()
        page.get_by_role("button", name="Cast your vote").click()
        page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
        expect(page.get_by_text(re.compile(r"You voted to approve"))).to_be_visible()
        site.look(page, f"{trustee} after voting")

    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.DECLARED
    decision = BoardDecision.objects.get(subject_id=declaration.pk)
    assert decision.status == BoardDecision.Status.APPROVED
    assert not decision.votes.filter(trustee__username="dual.trustee").exists()


def test_c_the_arbiter_runs_a_dispute_to_a_ruling(site: Site) -> None:
    # Citizens Advice's dispute with National Debtline North waits for an arbiter.
    dispute = Dispute.objects.get(status=Dispute.Status.FILED)
    title = f"Dispute #{dispute.pk}"

    arbiter = site.person("kva.chief")
    site.look(arbiter, "arbiter's dashboard")
    go_to(arbiter, "Disputes")
    site.look(arbiter, "arbiter's queue")
    arbiter.get_by_role("link", name=title).click()
    site.look(arbiter, "dispute waiting for an arbiter")
    arbiter.get_by_role("link", name="Take on this dispute").click()
    site.look(arbiter, "confirm: take on the dispute")
    arbiter.get_by_role("button", name=re.compile("Take on", re.I)).click()
    expect(arbiter.get_by_role("status")).to_be_visible()
    site.look(arbiter, "dispute taken on")

    respondent = site.person("ndn.chief")
    respondent.goto(site.url(f"disputes/{dispute.pk}/"))
    respondent.get_by_role("link", name="Give a statement and evidence").click()
    site.look(respondent, "respondent's statement form")
    respondent.get_by_label("Statement").fill(
        "Our adviser opened the paper by mistake from an old bookmark and closed it at once."
    )
    respondent.get_by_role("button", name=re.compile("Give|Send|Submit", re.I)).click()
    expect(respondent.get_by_role("status")).to_be_visible()
    site.look(respondent, "statement given")

    arbiter.reload()
    arbiter.get_by_role("link", name="Publish the ruling").click()
    site.look(arbiter, "ruling form")
    arbiter.get_by_label("Findings").fill(
        "National Debtline North's adviser tried to open the method statement once; the "
        "barrier refused it and nothing was seen."
    )
    arbiter.get_by_label("Decision").fill(
        "No sanction. National Debtline North reminds its staff of the information barrier."
    )
    action = arbiter.get_by_role("group", name="Required action 1")
    action.get_by_label("Party that must act").select_option(label="National Debtline North")
    action.get_by_label("What it must do").fill("Brief every adviser on the barrier.")
    action.get_by_label("Due by").fill((timezone.localdate() + timedelta(days=21)).isoformat())
    # Publishing cannot be undone: the ruling is read back on a page of its own first.
    arbiter.get_by_role("button", name="Continue").click()
    expect(arbiter.get_by_role("heading", level=1)).to_have_text(
        "Check the ruling before publishing"
    )
    expect(arbiter.get_by_text("National Debtline North must: Brief every adviser")).to_be_visible()
    assert not dispute.rulings.exists()
    site.look(arbiter, "confirm: publish the ruling")
    arbiter.get_by_role("button", name="Publish the ruling").click()
    expect(arbiter.get_by_role("status")).to_contain_text("ruling")
    site.look(arbiter, "ruling published")

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.RULED
    ruling = dispute.rulings.get()
    assert ruling.actions.get().agency.name == "National Debtline North"


def test_d_an_admin_exports_a_pdf_report_and_downloads_it(site: Site) -> None:
    page = site.person("alliance.admin")
    site.look(page, "admin's dashboard")
    go_to(page, "Reports")
    site.look(page, "reports")
    page.get_by_role("link", name="Declarations register").click()
    site.look(page, "declarations register export form")
    page.get_by_label("PDF").check()
    page.get_by_role("button", name="Export").click()
    download_link = page.get_by_role("link", name=re.compile("Download the PDF"))
    expect(download_link).to_be_visible(timeout=30_000)
    site.look(page, "report ready")
    with page.expect_download() as caught:
        download_link.click()
    saved = site.shots / caught.value.suggested_filename
    caught.value.save_as(saved)

    pdf = PdfReader(saved)
    words = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert "Declarations register" in words
    assert HOUSING in words and "Pennine Housing Aid" in words
    export = ReportExport.objects.get()
    assert export.status == ReportExport.Status.READY and export.pages == len(pdf.pages)


def test_the_competitor_sees_the_barrier_not_the_papers(site: Site) -> None:
    # Pennine Housing Aid bids for the housing tender against its own network's members, so it
    # is withdrawn from the Kirkvale Advice Network's partnership working.
    hidden = list(
        Document.objects.filter(
            partnership__name=NETWORK, sensitivity=Document.Sensitivity.COMMERCIAL
        ).values_list("title", flat=True)
    )
    assert hidden, "the demo network has commercially sensitive papers"
    page = site.person("pha.chief")
    site.look(page, "competitor's dashboard")
    go_to(page, "Partnerships")
    site.look(page, "competitor's partnerships")
    page.get_by_role("link", name=NETWORK).click()
    expect(page.get_by_text(re.compile("hidden from you because"))).to_be_visible()
    site.look(page, "partnership seen from behind the barrier")
    go_to(page, "Papers")
    site.look(page, "competitor's papers")
    for title in hidden:
        expect(page.get_by_text(title)).to_have_count(0)

    # The address of a hidden paper is a plain "not found", as for one that does not exist.
    paper = Document.objects.filter(title=hidden[0]).get()
    response = page.goto(site.url(f"documents/{paper.pk}/"))
    assert response is not None and response.status == 404
    site.look(page, "hidden paper's address")
