"""Keyboard-only use: the journeys' first steps without a mouse, with focus always visible."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .site import DESKTOP, Site

pytestmark = pytest.mark.browser


def focused(page: Page) -> dict[str, str]:
    """What has the focus, and how it shows: its text and its outline."""
    return page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || '').trim(),
                    name: el.getAttribute('name') || '', outline: style.outlineStyle,
                    width: style.outlineWidth};
        }"""
    )


def assert_focus_visible(page: Page) -> None:
    now = focused(page)
    assert now["outline"] != "none" and now["width"] != "0px", now


def test_signing_in_and_declaring_needs_no_mouse(site: Site) -> None:
    context = site.browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{site.base}/accounts/login/")

    # The sign-in page starts in its first field.
    assert focused(page)["name"] == "username"
    assert_focus_visible(page)
    page.keyboard.type("cab.chief")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "password"
    page.keyboard.type("kiaa-demo-2026")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # On every other page the first Tab offers to skip the header and navigation.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content", focused(page)
    assert_focus_visible(page)
    expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused(page)["tag"] == "main"
    # Load the page afresh (without the #main the skip link added), so Tab starts at the top.
    page.goto(page.url.split("#")[0])

    # Tab through the main navigation to the tender register: every stop shows where it is.
    for _ in range(60):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if focused(page)["text"] == "Tenders":
            break
    else:
        pytest.fail("the tender register cannot be reached with the keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tenders")

    page.get_by_role("link", name="KBC-2026-044").focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Declare intent to bid").focus()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Declare intent to bid")
    site.look(page, "declaration form reached by keyboard")

    # The radio group is reached with Tab and chosen with the arrow keys and Space.
    page.get_by_label("Sole bidder").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Sole bidder")).to_be_checked()
    page.get_by_role("button", name="Save the draft").focus()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your draft is saved")
