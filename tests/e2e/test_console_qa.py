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


def test_calibration_reads_in_percentages_and_disputes_are_decided_with_action_buttons(
    page, live_server, scored
) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    rows = ["source,external_id,evaluator,criterion,result"] + [f"test,c-{i},jane,resolved,pass" for i in range(6)]
    headers = {**auth(scored["supervisor"]), "content-type": "text/csv"}
    assert httpx.post(f"{base}/v1/qa/calibration/csv", content="\n".join(rows), headers=headers).json()["imported"] == 6
    evs = httpx.get(f"{base}/v1/qa/evaluations", headers=auth(scored["analyst"])).json()
    good = next(e for e in evs if e["agent_id"] == scored["agents"]["good-agent"])
    body = {"criterion": "resolved", "reason": "the customer's problem was solved"}
    opened = httpx.post(f"{base}/v1/qa/evaluations/{good['id']}/disputes", json=body, headers=auth(scored["analyst"]))
    assert opened.status_code == 201, opened.text
    sign_in(page, base, scored["supervisor"])
    page.goto(f"{base}/#/qa-calibration")
    # every rate is a percentage (the shared formatter), the human verdicts' pass rate included
    row = page.locator("table.data").first.locator("tbody tr", has_text="resolved")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "resolved" and cells[5] == "100%", cells
    assert all(c.endswith("%") for c in (cells[2], cells[4], cells[5])), cells
    # the decision buttons say what they do, and send the status the API expects
    dispute = page.locator("table.data").last.locator("tbody tr", has_text="the customer's problem was solved")
    dispute.wait_for()
    assert dispute.get_by_role("button").all_inner_texts() == ["Uphold", "Reject"]
    shot(page, "qa-calibration")
    page.once("dialog", lambda d: d.accept("agreed: it was resolved"))
    dispute.get_by_role("button", name="Uphold").click()
    expect_gone = page.locator("table.data").last.locator("tbody tr", has_text="the customer's problem was solved")
    expect_gone.wait_for(state="detached")
    decided = httpx.get(f"{base}/v1/qa/disputes", headers=auth(scored["supervisor"])).json()
    assert next(d for d in decided if d["id"] == opened.json()["id"])["status"] == "upheld"


def test_a_supervisor_sees_evaluations_by_agent_name(page, live_server, scored) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    admin = auth(scored["admin"])
    renamed = httpx.patch(
        f"{base}/v1/agents/{scored['agents']['good-agent']}", json={"name": "Grace Hopper"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    sign_in(page, base, scored["supervisor"])
    page.goto(f"{base}/#/qa-evaluations")
    named = page.locator("table.data tbody").get_by_text("Grace Hopper").first
    named.wait_for()
    assert named.get_attribute("title") == scored["agents"]["good-agent"]  # the agent's id, for support
    assert page.locator("table.data tbody").get_by_text("Grace Hopper").count() == 3


def test_an_agent_sees_the_status_of_their_disputes_on_their_coaching(page, live_server, scored) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    evs = httpx.get(f"{base}/v1/qa/evaluations", headers=auth(scored["analyst"])).json()
    own = [e for e in evs if e["agent_id"] == scored["agents"]["bad-agent"]]
    theirs = next(e for e in evs if e["agent_id"] == scored["agents"]["good-agent"])
    opened = []
    for ev, reason in (
        (own[0], "I verified the caller first"),
        (own[1], "the greeting was there"),
        (theirs, "good agent's greeting"),
    ):
        body = {"criterion": "greeting", "reason": reason}
        r = httpx.post(f"{base}/v1/qa/evaluations/{ev['id']}/disputes", json=body, headers=auth(scored["analyst"]))
        assert r.status_code == 201, r.text
        opened.append(r.json())
    verdict = {"decision": "rejected", "reason": "no identity check before the change"}
    url = f"{base}/v1/qa/disputes/{opened[0]['id']}/decision"
    assert httpx.post(url, json=verdict, headers=auth(scored["supervisor"])).status_code == 200

    sign_in(page, base, scored["linked_agent"])
    page.goto(f"{base}/#/qa-coaching")
    page.get_by_role("heading", name="Your disputes").wait_for()
    rows = page.locator("table.data").last.locator("tbody tr")
    mine = httpx.get(f"{base}/v1/qa/disputes", headers=auth(scored["linked_agent"])).json()
    assert rows.count() == len(mine) and {opened[0]["id"], opened[1]["id"]} <= {d["id"] for d in mine}
    assert rows.filter(has_text="good agent's greeting").count() == 0  # not the other agent's
    decided = rows.filter(has_text="I verified the caller first")
    assert decided.get_by_text("rejected").count() == 1
    assert decided.get_by_text("no identity check before the change").count() == 1
    assert rows.filter(has_text="the greeting was there").get_by_text("open").count() == 1
    shot(page, "qa-coaching-agent-disputes")
    decided.get_by_role("link").click()
    page.get_by_test_id("qa-transcript").wait_for()
    assert errors == [], errors


def test_scorecards_say_active_or_inactive_and_the_coaching_picker_tells_namesakes_apart(
    page, live_server, scored
) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sup = auth(scored["supervisor"])
    v2 = DEMO.replace("version: 1", "version: 2")
    assert httpx.post(f"{base}/v1/qa/scorecards", json={"source": v2}, headers=sup).status_code == 201
    namesakes = {}
    for code in ("apatel-1", "apatel-2"):
        made = httpx.post(f"{base}/v1/agents", json={"code": code, "name": "Andrea Patel"}, headers=sup)
        assert made.status_code == 201, made.text
        namesakes[code] = made.json()["id"]
    sign_in(page, base, scored["supervisor"])
    page.goto(f"{base}/#/qa-scorecards")
    rows = page.locator("table.data").first.locator("tbody tr")
    rows.first.wait_for()
    active = {r.locator("td").nth(1).inner_text(): r.locator("td").nth(2) for r in rows.all()}
    # the Active column reads active / inactive (not a pass/na verdict pill)
    assert active["2"].inner_text() == "active" and "ok" in active["2"].locator(".pill").get_attribute("class")
    assert active["1"].inner_text() == "inactive"
    assert page.locator("table.data").first.get_by_text("pass", exact=True).count() == 0
    shot(page, "qa-scorecards")
    page.goto(f"{base}/#/qa-coaching")
    picker = page.get_by_label("Agent (human or AI)")
    picker.wait_for()
    labels = {o.get_attribute("value"): o.inner_text() for o in picker.locator("option").all()}
    assert labels[namesakes["apatel-1"]] == "Andrea Patel · apatel-1 (human)"
    assert labels[namesakes["apatel-2"]] == "Andrea Patel · apatel-2 (human)"
    picker.select_option(label="Andrea Patel · apatel-2 (human)")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**agent_id={namesakes['apatel-2']}")
