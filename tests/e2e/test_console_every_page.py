"""Every page in the navigation renders for an admin without an error, and is reachable by keyboard."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def test_every_navigation_page_loads(page, live_server) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server["base"], live_server["keys"]["admin"])
    links = page.locator("nav a").evaluate_all("els => els.map(e => [e.textContent.trim(), e.getAttribute('href')])")
    assert len(links) >= 10
    failed = []
    for title, href in links:
        page.goto(live_server["base"] + "/" + href)
        page.wait_for_selector(f"main h1:text-is('{title}')", timeout=15_000)
        page.wait_for_load_state("networkidle")
        alert = page.locator("main .bad[role=alert]")
        if alert.count() and "Could not load" in alert.first.inner_text():
            failed.append((title, alert.first.inner_text()))
        shot(page, f"page-{href.strip('#/').replace('/', '-')}")
    assert failed == [], failed
    assert errors == [], errors
