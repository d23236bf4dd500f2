"""Every page works without JavaScript: htmx only saves page loads. The journeys' htmx steps
(casting a vote, marking a notification read) again, with JavaScript turned off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kiaa.models import BoardVote, Notification

from .setup import put_to_board
from .site import Site, go_to

pytestmark = pytest.mark.browser


def test_a_trustee_votes_with_javascript_off(site: Site) -> None:
    declaration = put_to_board("KBC-2026-044", "cab")
    page = site.person("cab.trustee1", javascript=False)
    go_to(page, "Decisions")
    page.get_by_role("link", name=re.compile("KBC-2026-044")).first.click()
    address = page.url
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Cast your vote").click()

    # A page of its own asks for confirmation, and nothing is cast yet.
    expect(page.get_by_role("heading", name="Confirm your vote")).to_be_visible()
    expect(page.get_by_text("Votes cannot be changed.")).to_be_visible()
    assert not BoardVote.objects.filter(decision__subject_id=declaration.pk).exists()
    site.look(page, "confirm the vote without javascript")
    page.get_by_role("button", name="Confirm your vote").click()

    assert page.url.split("#")[0] == address
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("#my-vote")).to_contain_text("You voted to approve")
    site.look(page, "vote cast without javascript")
    assert BoardVote.objects.get(decision__subject_id=declaration.pk).choice == "approve"


def test_notifications_are_marked_read_with_javascript_off(site: Site) -> None:
    page = site.person("cab.chief", javascript=False)
    go_to(page, re.compile("Notifications"))
    site.look(page, "notifications without javascript")
    unread = Notification.objects.filter(recipient__username="cab.chief", read_at=None)
    before = unread.count()
    assert before, "the demo leaves the chief officer unread notifications"
    page.get_by_role("button", name=re.compile("Mark as read")).first.click()
    expect(page.get_by_role("status")).to_be_visible()
    assert unread.count() == before - 1
    site.look(page, "a notification read without javascript")
