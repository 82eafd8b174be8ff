"""Knowledge pages in real Chromium: sources with a keyboard-driven sync, search with citations, health."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in
from tests.knowledge_support import shared_embedder, write_markdown_source

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def kb(live_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    base, app = live_server["base"], live_server["app"]
    app.state.embedder = shared_embedder()
    keys = make_org_keys(app.state.session_factory, "kb-e2e")
    root = write_markdown_source(tmp_path_factory.mktemp("kb") / "md")
    body = {"name": "help-centre", "kind": "markdown", "path": str(root), "owner": "cx-ops"}
    source = httpx.post(f"{base}/v1/knowledge/sources", json=body, headers=auth(keys["admin"])).json()
    assert (
        httpx.post(f"{base}/v1/knowledge/sources/{source['id']}/sync", headers=auth(keys["admin"])).status_code == 200
    )
    return {"keys": keys, "root": root}


def test_sources_page_syncs_from_the_keyboard(page, live_server, kb) -> None:  # type: ignore[no-untyped-def]
    (kb["root"] / "broken.md").write_bytes(b"\xff\xfe not utf-8")
    sign_in(page, live_server["base"], kb["keys"]["supervisor"])
    page.goto(f"{live_server['base']}/#/kb-sources")
    page.get_by_role("button", name="Sync help-centre").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=not valid UTF-8")
    assert page.locator("text=3 unchanged").count() == 1
    shot(page, "knowledge-sources")


def test_search_page_cites_and_answers(page, live_server, kb) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], kb["keys"]["agent"])
    page.goto(f"{live_server['base']}/#/kb-search?query=how+do+I+reset+my+password")
    page.wait_for_selector("text=Search results (hybrid)")
    assert page.locator("td", has_text="Reset your password").count() >= 1
    assert page.locator("text=Grounded").count() + page.locator("text=Abstained").count() == 1
    shot(page, "knowledge-search")


def test_health_page_shows_readiness(page, live_server, kb) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], kb["keys"]["analyst"])
    page.goto(f"{live_server['base']}/#/kb-health")
    # (the navigation also has a "Readiness" link, so wait for the health page's own content)
    page.wait_for_selector("text=Why not 100 (worst first)")
    assert page.locator("text=Why not 100 (worst first)").count() == 1
    shot(page, "knowledge-health")


def test_sources_page_records_a_review(page, live_server, kb) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], kb["keys"]["supervisor"])
    page.goto(f"{live_server['base']}/#/kb-sources")
    page.get_by_role("button", name="Mark help-centre reviewed").click()
    page.get_by_text("help-centre: 3 article(s) reviewed today").wait_for()
    sources = httpx.get(f"{live_server['base']}/v1/knowledge/sources", headers=auth(kb["keys"]["analyst"])).json()
    [source] = [s for s in sources if s["name"] == "help-centre"]
    assert source["last_reviewed_at"] is not None  # it was never reviewed before: the click recorded one
