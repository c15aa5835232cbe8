"""Browser tests: Debian's Chromium driven by Playwright for Python, checked with axe-core.

Playwright's own browser download cannot work here, so the tests launch /usr/bin/chromium.
When CI=true a missing Chromium fails the run instead of skipping it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, REPO, chromium_path, require_service

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures creating data) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    require_service("Chromium", path is not None, "install Debian's chromium (apt-get install chromium)")
    require_service("axe-core", AXE_JS.exists(), "run npm ci")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def assert_accessible(page) -> None:
    """Run axe-core (from npm) in the page and fail on any WCAG 2.2 A/AA violation."""
    page.wait_for_load_state("load")  # never check a half-loaded page (or lose axe to a navigation)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
        # govern (an injected <script> element would be blocked, as the CSP means it to be).
        page.evaluate(Path(AXE_JS).read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    violations = result["violations"]
    report = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
    ]
    assert not violations, f"axe-core found WCAG violations on {page.url}:\n{json.dumps(report, indent=1)}"


def loaded(page):
    """The page once its document has loaded: a click that navigates returns when the new page
    starts loading, so read whole-document things (title, content) through this."""
    page.wait_for_load_state("load")
    return page


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    # Wait for the answer page to load, so callers never read the page mid-navigation.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Sign in").click()
