"""Beyond the journeys: every page each kind of person reaches from the main navigation, and the
pages one step further (the first rows of each list, the actions it offers), passes the same
check as a journey's pages: axe-core finds nothing serious, and it reflows at 200 % and 320 px.
The journeys keep screenshots; a tour of so many pages keeps none."""

from __future__ import annotations

import pytest

from .site import Site

pytestmark = pytest.mark.browser

# One of each kind of person in the demo, and what their navigation leads to.
PEOPLE = [
    "alliance.admin",  # admin: members, protocol, reports, the audit trail
    "cab.chief",  # chief officer of the consortium's lead
    "cab.trustee1",  # trustee: the board's decisions
    "dual.trustee",  # trustee of two rival boards, acting for either
    "kva.chief",  # the CVS's arbiter
    "pha.chief",  # a competitor, withdrawn from its network
    "cab.staff",  # staff: sees what the barrier allows, acts on nothing
]
# Links a tour follows from each page: its list rows and the actions it offers. Downloads and
# feeds are not pages; each journey downloads what it needs.
ONE_STEP = "main table a, main .cards a, main a.button"
ROWS_PER_PAGE = 3
NOT_PAGES = ("/download", "calendar.ics", "/export")


@pytest.mark.parametrize("username", PEOPLE)
def test_every_page_a_person_reaches_is_accessible(site: Site, username: str) -> None:
    page = site.person(username)
    sections = page.eval_on_selector_all(
        "nav[aria-label=Main] a", "links => links.map(a => a.href)"
    )
    assert len(sections) >= 8, sections
    further: list[str] = []
    for address in sections:
        page.goto(address)
        site.look(page, address.removeprefix(site.url()) or "overview", keep=False)
        links = page.eval_on_selector_all(ONE_STEP, "links => links.map(a => a.href)")
        further += links[:ROWS_PER_PAGE]
    for address in dict.fromkeys(further):
        if address in sections or any(part in address for part in NOT_PAGES):
            continue
        response = page.goto(address)
        assert response is not None and response.ok, f"{address}: {response and response.status}"
        site.look(page, address.removeprefix(site.url()), keep=False)
    assert len(site.seen) > len(sections) + 5  # the tour went beyond the navigation
