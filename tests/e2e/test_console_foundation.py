"""The console in real Chromium: sign-in, role-aware navigation, overview, drill to a transcript, keyboard use."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in
from tests.factories import interaction

pytestmark = pytest.mark.e2e


def test_sign_in_overview_and_transcript(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, keys = live_server["base"], live_server["keys"]
    page.goto(base + "/")
    page.get_by_role("heading", name="Sign in to cxops").wait_for()
    page.get_by_label("API key").fill("cx_wrong-key-000000")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("invalid or revoked API key").wait_for()
    sign_in(page, base, keys["supervisor"])
    page.get_by_role("link", name="Daily overview").click()
    page.get_by_role("heading", name="Daily overview").wait_for()
    page.get_by_role("group", name="Contacts").get_by_text("30").wait_for()
    assert page.locator("figure.chart svg rect").count() > 0
    # the same range and definitions as the Operations overview: said on the page
    assert "Last 30 days up to the newest contact" in page.get_by_test_id("range").inner_text()
    assert page.get_by_role("group", name="Avg handle time").get_by_text("of handled contacts").is_visible()
    shot(page, "foundation-overview")
    page.get_by_role("link", name="Interactions").click()
    page.get_by_text("30 interactions").wait_for()
    page.locator("table.data tbody a").first.click()
    page.get_by_test_id("transcript").wait_for()
    assert page.locator(".turn").count() == 6
    shot(page, "foundation-transcript")
    # From the contact to its customer's trust ledger (and its documentation and QA scores when there are some).
    page.get_by_test_id("related").get_by_role("link", name="Customer's trust ledger").click()
    page.get_by_role("heading", name="Customer trust").wait_for()
    assert "customer_id=" in page.url


def test_roles_shape_navigation(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, keys = live_server["base"], live_server["keys"]
    sign_in(page, base, keys["analyst"])
    assert page.get_by_role("link", name="API keys").count() == 0
    page.goto(base + "/#/keys")
    page.get_by_role("heading", name="Not allowed").wait_for()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, keys["admin"])
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("e2e key")
    page.get_by_role("button", name="Create key").click()
    page.get_by_text("New key (shown once)").wait_for()
    shot(page, "foundation-keys")


def test_keyboard_only_sign_in_and_navigation(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, keys = live_server["base"], live_server["keys"]
    page.goto(base + "/")
    page.get_by_label("API key").wait_for()
    assert page.evaluate("document.activeElement.name") == "api_key"
    page.keyboard.type(keys["analyst"])
    page.keyboard.press("Enter")
    page.wait_for_selector("nav a")
    focused = []
    for _ in range(60):  # Tab through the navigation until the Organisation link has focus
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
        if focused[-1] == "Organisation":
            break
    assert focused[-1] == "Organisation", focused
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Organisation").wait_for()


def test_navigation_sections_in_working_order_and_landing_per_role(page, live_server) -> None:  # type: ignore[no-untyped-def]
    """Sections follow one order for every role; each role lands on the first page it may see."""
    base, keys = live_server["base"], live_server["keys"]
    sign_in(page, base, keys["admin"])
    page.get_by_role("heading", name="Daily overview").wait_for()  # not a page of whichever script loaded first
    sections = [s.lower() for s in page.locator("nav h2").all_inner_texts()]  # CSS may upper-case them
    assert sections[:3] == ["operations", "analytics", "assist"] and sections[-1] == "admin", sections
    assert len(sections) == len(set(sections)), sections
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, keys["agent"])
    page.get_by_role("heading", name="Agent assist").wait_for()


def test_interactions_paging_text_at_the_ends(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "paging-e2e")
    sign_in(page, base, keys["analyst"])
    page.goto(f"{base}/#/interactions")
    assert page.get_by_test_id("paging").inner_text() == "No interactions yet."  # not "0 interactions; showing 1-0."
    assert page.locator("table.data").count() == 0
    body = b"\n".join(orjson.dumps(interaction(i, source="paging")) for i in range(51))
    headers = {**auth(keys["service"]), "content-type": "application/x-ndjson"}
    assert httpx.post(f"{base}/v1/interactions/bulk", content=body, headers=headers).json()["created"] == 51
    page.goto(f"{base}/#/interactions?t=1")
    page.get_by_text("51 interactions; showing 1-50.").wait_for()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("51 interactions; showing 51-51.").wait_for()
    assert page.locator("table.data tbody tr").count() == 1
    assert page.get_by_role("button", name="Next").count() == 0
    # an address past the end (an old link) says so, and Previous goes to the last page
    page.goto(f"{base}/#/interactions?offset=500")
    page.get_by_text("51 interactions; this page is past the last one.").wait_for()
    page.get_by_role("button", name="Previous").click()
    page.get_by_text("51 interactions; showing 51-51.").wait_for()
    page.get_by_label("Intent").fill("no_such_intent")
    page.get_by_role("button", name="Filter").click()
    page.get_by_test_id("paging").get_by_text("No interactions match these filters.").wait_for()
    shot(page, "interactions-none")
    # a drill-down's filter the form does not show (the organisation page's team links) is named and removable
    page.goto(f"{base}/#/interactions?team_id=00000000-0000-7000-8000-00000000abcd")
    assert page.get_by_test_id("hidden-filters").inner_text().startswith("team: …0000abcd")
    page.get_by_test_id("paging").get_by_text("No interactions match these filters.").wait_for()
    page.get_by_role("button", name="Remove the team filter").click()
    page.get_by_text("51 interactions; showing 1-50.").wait_for()
    assert page.get_by_test_id("hidden-filters").count() == 0


def test_an_agent_opens_their_own_interaction_not_anothers(page, live_server) -> None:  # type: ignore[no-untyped-def]
    """The API lets an agent read an interaction they took part in; the console's interaction page does too, and
    another agent's contact answers as not found."""
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "own-contact-e2e")
    body = b"\n".join(orjson.dumps(interaction(i, source="own")) for i in (1, 2))  # handled by a-1 and a-2
    headers = {**auth(keys["service"]), "content-type": "application/x-ndjson"}
    assert httpx.post(f"{base}/v1/interactions/bulk", content=body, headers=headers).json()["created"] == 2
    items = httpx.get(f"{base}/v1/interactions", params={"limit": 10}, headers=auth(keys["admin"])).json()["items"]
    by_ext = {it["external_id"]: it["id"] for it in items}
    made = httpx.post(
        f"{base}/v1/keys", json={"name": "a1", "role": "agent", "subject": "a-1"}, headers=auth(keys["admin"])
    )
    assert made.status_code == 201, made.text
    sign_in(page, base, made.json()["api_key"])
    page.goto(f"{base}/#/interaction?id={by_ext['c-1']}")
    page.get_by_test_id("transcript").wait_for()
    assert page.get_by_role("link", name="Call documentation").count() == 0  # documentation is for readers
    page.goto(f"{base}/#/interaction?id={by_ext['c-2']}")
    page.get_by_text("not found").first.wait_for()
