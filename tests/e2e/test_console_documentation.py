"""Call documentation in real Chromium: the list of documented interactions, one interaction's rendered
documentation (summary with turn references, action items, entities, JSON), regenerate for supervisors only."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e

TURNS = [
    ("agent", "Hello, you're through to Sam, how can I help?"),
    ("customer", "I was charged twice for order #W7654321 and I want the duplicate refunded."),
    ("agent", "I can see two payments of $59.99 on November 2."),
    ("agent", "I've reversed the duplicate payment; it'll be back on your card in 3 to 5 days."),
    ("customer", "Thanks, bye."),
]


@pytest.fixture(scope="module")
def documented(live_server):  # type: ignore[no-untyped-def]
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "doc-e2e")
    start = datetime.now(UTC) - timedelta(hours=2)
    rec = {
        "source": "e2e-doc",
        "external_id": "doc-1",
        "channel": "voice",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=5)).isoformat(),
        "outcome": "resolved",
        "intent": "double_charge",
        "turns": [{"speaker": s, "offset_ms": i * 4000, "text": t} for i, (s, t) in enumerate(TURNS)],
    }
    iid = httpx.post(base + "/v1/interactions", json=rec, headers=auth(keys["service"])).json()["id"]
    for _ in range(300):  # the embedded dispatcher documents it after commit
        r = httpx.get(f"{base}/v1/interactions/{iid}/documentation", headers=auth(keys["analyst"]))
        if r.status_code == 200:
            break
        time.sleep(0.1)
    assert r.status_code == 200, r.text
    # the intent is the intent model's reading when the model is ready, else the interaction's own (double_charge)
    return {"keys": keys, "id": iid, "intent": r.json()["intent"]}


def test_list_and_rendered_documentation(page, live_server, documented) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server["base"], documented["keys"]["analyst"])
    page.get_by_role("link", name="Call documentation").click()
    page.wait_for_selector("main h1:text-is('Call documentation')")
    row = page.locator("main table.data tbody tr").first
    assert documented["intent"] in row.inner_text() and "resolved" in row.inner_text()
    row.get_by_role("link").first.click()
    page.wait_for_selector("[data-testid=doc-summary] li")
    summary = page.locator("[data-testid=doc-summary]").inner_text()
    assert "#1 customer: I was charged twice for order #W7654321" in summary
    main = page.locator("main").inner_text()
    assert "it'll be back on your card in 3 to 5 days" in main and "W7654321" in main and "59.99 USD" in main
    assert "Not available (disabled)" in page.locator("[data-testid=doc-generative]").inner_text()
    doc = json.loads(page.locator("[data-testid=doc-json]").inner_text())
    assert doc["schema"] == "cxops.documentation/1" and doc["interaction"]["id"] == documented["id"]
    assert page.get_by_role("button", name="Regenerate").count() == 0  # analysts read only
    shot(page, "documentation-view")
    assert errors == [], errors


def test_supervisor_regenerates(page, live_server, documented) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], documented["keys"]["supervisor"])
    page.goto(f"{live_server['base']}/#/documentation-view?id={documented['id']}")
    page.get_by_role("button", name="Regenerate").click()
    page.wait_for_selector(".toast:text('Documentation rewritten')")
    page.wait_for_selector("[data-testid=doc-summary] li")
