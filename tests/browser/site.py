"""A journey's view of the live site: people signing in, and every page looked at the same way.

`Site.look` runs axe-core on the page, checks it reflows at 200 % zoom and at 320 px, and keeps
it as desktop and 320 px screenshots under var/browser/<test>/.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR) / "var" / "browser"
PASSWORD = "kiaa-demo-2026"
SLUG = "kirkvale"
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 800}  # WCAG 1.4.10 reflow: 1280 px at 400 % zoom
ZOOMED = {"width": 640, "height": 450}  # 1280 x 900 at 200 % zoom
# WCAG 2.2 A and AA, as axe tags them.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class Site:
    """The live server, and what a journey does with it."""

    base: str
    browser: Browser
    shots: Path
    seen: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    scriptless: set[BrowserContext] = field(default_factory=set)

    def url(self, path: str = "") -> str:
        return f"{self.base}/a/{SLUG}/{path}"

    def person(self, username: str, *, javascript: bool = True) -> Page:
        """A fresh browser window in which `username` has signed in through the sign-in page."""
        context: BrowserContext = self.browser.new_context(
            viewport=DESKTOP, locale="en-GB", java_script_enabled=javascript
        )
        if not javascript:
            self.scriptless.add(context)
        page = context.new_page()
        page.set_default_timeout(10_000)  # the live server answers in well under a second
        page.goto(f"{self.base}/accounts/login/")
        self.look(page, f"{username}-sign-in")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    def look(self, page: Page, name: str, *, keep: bool = True) -> None:
        """Check the page as it stands: axe finds nothing serious and it reflows at 200 % zoom
        and at 320 px; keep it as desktop and narrow screenshots (unless `keep` is false: a tour
        of many pages keeps none). Problems are gathered, so that one run lists every page's,
        and fail the test when it ends."""
        page.wait_for_load_state("networkidle")
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        number = len(self.seen) + 1
        self.seen.append(page.url)
        where = f"{name} ({page.url})"
        self.problems += [f"{where}: {p}" for p in axe_violations(self.audited(page))]
        if keep:
            page.screenshot(path=self.shots / f"{number:02d}-{slug}-desktop.png", full_page=True)
        size = page.viewport_size or DESKTOP
        try:
            # Only a data table's own scroll region may scroll sideways.
            for viewport in (ZOOMED, NARROW):
                page.set_viewport_size(viewport)
                width = page.evaluate("() => document.documentElement.scrollWidth")
                if width > viewport["width"]:
                    self.problems.append(f"{where}: {width} px wide at {viewport['width']} px")
            if keep:
                page.screenshot(path=self.shots / f"{number:02d}-{slug}-320px.png", full_page=True)
        finally:
            page.set_viewport_size(size)

    def audited(self, page: Page) -> Page:
        """The page for axe to run in: itself, or with the page's JavaScript off (axe cannot run
        there), the same HTML in a page that has it, with the live server's styles."""
        if page.context not in self.scriptless:
            return page
        copy = self.browser.new_context(viewport=page.viewport_size).new_page()
        html = page.content().replace("<head>", f'<head><base href="{page.url}">', 1)
        copy.set_content(html, wait_until="networkidle")
        return copy


def go_to(page: Page, section: str | re.Pattern[str]) -> None:
    """Follow a link of the main navigation, as a person does to change section."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=section).click()


def axe_violations(page: Page) -> list[str]:
    """What axe-core (WCAG 2.2 A/AA rules) finds serious or critical on the page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        f"axe {v['impact']} {v['id']} ({v['help']}) at {json.dumps([n['target'] for n in v['nodes'][:5]])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
