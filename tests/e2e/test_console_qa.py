"""QA pages in real Chromium: an agent sees their own coaching (no choice of agent) and opens an example's evaluation
with the transcript evidence highlighted; a supervisor chooses any agent."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import orjson
import pytest

import cxops.domains.qa as qa_pkg
from tests.api.qa.test_qa_api import _call
from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e
DEMO = (Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml").read_text()


@pytest.fixture(scope="module")
def scored(live_server):  # type: ignore[no-untyped-def]
    """Six calls of a good and a bad agent scored with the demo scorecard; a key linked to the bad agent."""
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "qa-e2e")
    r = httpx.post(f"{base}/v1/qa/scorecards", json={"source": DEMO}, headers=auth(keys["supervisor"]))
    assert r.status_code == 201, r.text
    body = b"\n".join(orjson.dumps(_call(i, i % 2 == 0)) for i in range(6))
    headers = {**auth(keys["service"]), "content-type": "application/x-ndjson"}
    assert httpx.post(f"{base}/v1/interactions/bulk", content=body, headers=headers).status_code == 200
    for _ in range(300):  # the embedded dispatcher scores them after commit
        evs = httpx.get(f"{base}/v1/qa/evaluations", headers=auth(keys["analyst"])).json()
        if len(evs) == 6:
            break
        time.sleep(0.2)
    assert len(evs) == 6
    agents = {a["code"]: a["id"] for a in httpx.get(f"{base}/v1/agents", headers=auth(keys["admin"])).json()}
    made = httpx.post(
        f"{base}/v1/keys",
        json={"name": "bad agent desk", "role": "agent", "subject": "bad-agent"},
        headers=auth(keys["admin"]),
    )
    assert made.status_code == 201, made.text
    return {**keys, "linked_agent": made.json()["api_key"], "agents": agents}


def test_an_agent_sees_their_own_coaching_and_its_evidence(page, live_server, scored) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, scored["linked_agent"])
    # Even when the address names another agent, the agent gets their own coaching and no list of agents.
    page.goto(f"{base}/#/qa-coaching?agent_id={scored['agents']['good-agent']}")
    page.get_by_text("Your coaching (bad-agent)").wait_for()
    assert page.get_by_label("Agent (human or AI)").count() == 0
    page.get_by_role("group", name="Evaluations").get_by_text("3").wait_for()
    shot(page, "qa-coaching-agent")
    page.locator("table.data").last.get_by_role("link", name="open").first.click()
    page.get_by_test_id("qa-transcript").wait_for()
    assert page.locator("[data-testid=qa-transcript] mark").count() >= 1  # the evidence is highlighted
    assert page.get_by_test_id("qa-transcript-missing").count() == 0
    shot(page, "qa-evaluation-agent")
    page.goto(f"{base}/#/qa-evaluations")
    page.get_by_text("Your own evaluations.").wait_for()
    assert page.locator("table.data tbody tr").count() == 3
    assert errors == [], errors


def test_a_supervisor_chooses_any_agents_coaching(page, live_server, scored) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sign_in(page, base, scored["supervisor"])
    page.goto(f"{base}/#/qa-coaching")
    page.get_by_label("Agent (human or AI)").select_option(scored["agents"]["good-agent"])
    page.get_by_role("button", name="Show").click()
    page.get_by_role("group", name="Evaluations").get_by_text("3").wait_for()
    assert page.get_by_text("Your coaching").count() == 0


def test_an_agent_key_not_linked_to_an_agent_is_told_why(page, live_server, scored) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sign_in(page, base, scored["agent"])
    page.goto(f"{base}/#/qa-coaching")
    page.get_by_text("not linked to an agent").wait_for()
