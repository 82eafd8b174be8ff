"""Workflow rules in real Chromium: a saved rule acts only on new facts; the console backfills it over the past,
once (a second backfill starts nothing)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in
from tests.factories import interaction

pytestmark = pytest.mark.e2e

RULE = """\
name: E2E tag past voice calls
trigger: interaction_ended
conditions:
  - {field: channel, op: eq, value: voice}
steps:
  - tag: {tags: [e2e-backfilled]}
"""


def test_a_rule_is_backfilled_from_the_console_once(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, keys = live_server["base"], live_server["keys"]
    saved = httpx.post(f"{base}/v1/workflows/rules", json={"source": RULE}, headers=auth(keys["admin"]))
    assert saved.status_code == 201, saved.text
    rule = saved.json()
    assert rule["active_from"] > "2026-03-03"  # saved now: the fixture's calls of 2026-03-02 are in its past
    sign_in(page, base, keys["supervisor"])
    page.goto(f"{base}/#/workflows?edit={rule['id']}")
    page.get_by_label("Also act on past facts since").fill("2026-03-01")
    page.get_by_role("button", name="Backfill").click()
    card = page.get_by_test_id("backfill")
    card.get_by_text("run(s) started").wait_for()
    started = int(card.inner_text().split("Backfill: ")[1].split(" ")[0])
    assert started >= 10  # the fixture's voice calls (every third of 30)
    shot(page, "workflows-backfill")
    page.get_by_role("button", name="Backfill").click()
    page.get_by_text("Backfill: 0 run(s) started").wait_for()
    assert f"{started} already had a run" in page.get_by_test_id("backfill").inner_text()


def test_the_example_rule_uses_an_intent_that_exists_and_its_dry_run_reads_clearly(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "workflows-example-e2e")
    records = [interaction(i, source="wf-example", outcome="escalated", intent="delivery_late") for i in range(3)]
    records += [interaction(i + 3, source="wf-example") for i in range(2)]
    for record in records:
        assert httpx.post(f"{base}/v1/interactions", json=record, headers=auth(keys["service"])).status_code == 201
    sign_in(page, base, keys["supervisor"])
    page.goto(f"{base}/#/workflows")
    source = page.get_by_label("Rule (YAML)")
    source.wait_for()
    # the organisation's escalated calls are about delivery_late, so the example is too (the demo's: refund_request)
    assert "{field: intent, op: eq, value: delivery_late}" in source.input_value()
    assert "team: supervisors" in source.input_value()
    page.get_by_role("button", name="Validate and dry run").click()
    card = page.get_by_test_id("dry-run")
    card.get_by_text("would have run 3 times").wait_for()
    assert re.search(
        r"5 interactions checked against the conditions \(from \d+ stored events?\); nothing was executed",
        card.inner_text(),
    ), card.inner_text()
    # a rule the API refuses: the error is shown under the field's label
    source.fill("name: broken\ntrigger: nothing_like_this\nsteps: []\n")
    page.get_by_role("button", name="Validate and dry run").click()
    page.get_by_test_id("form-errors").get_by_text("Rule (YAML):").wait_for()
    source.fill("")
    page.get_by_role("button", name="Validate and dry run").click()
    page.get_by_test_id("form-errors").get_by_text("Rule (YAML): required").wait_for()


def test_the_builtin_example_names_the_demo_refund_intent(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], live_server["keys"]["supervisor"])
    page.goto(f"{live_server['base']}/#/workflows")
    assert "value: refund_request}" in page.get_by_label("Rule (YAML)").input_value()  # no escalated calls here


NAMED_RULE = """\
name: E2E call back escalated
trigger: interaction_ended
conditions:
  - {field: outcome, op: eq, value: escalated}
steps:
  - create_task: {team: supervisors, title: "Call back about interaction {interaction_id}"}
"""


def test_tasks_and_runs_name_what_they_are_about_instead_of_ids(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "workflows-names-e2e")
    call = interaction(1, source="wf-names", outcome="escalated")
    assert httpx.post(f"{base}/v1/interactions", json=call, headers=auth(keys["service"])).status_code == 201
    saved = httpx.post(f"{base}/v1/workflows/rules", json={"source": NAMED_RULE}, headers=auth(keys["admin"]))
    assert saved.status_code == 201, saved.text
    url = f"{base}/v1/workflows/rules/{saved.json()['id']}/backfill"  # the call is in the rule's past
    assert httpx.post(url, json={"since": "2026-03-01T00:00:00Z"}, headers=auth(keys["admin"])).status_code == 200
    tasks: list = []
    for _ in range(300):  # the embedded dispatcher runs the rule after commit
        tasks = httpx.get(f"{base}/v1/workflows/tasks", headers=auth(keys["analyst"])).json()
        if tasks:
            break
        time.sleep(0.1)
    assert len(tasks) == 1
    subject = httpx.get(f"{base}/v1/workflows/runs", headers=auth(keys["analyst"])).json()[0]["subject"]
    assert tasks[0]["title"] == f"Call back about interaction {subject}"

    sign_in(page, base, keys["supervisor"])
    page.goto(f"{base}/#/workflow-tasks")
    row = page.locator("table.data").first.locator("tbody tr").first
    row.get_by_text("E2E call back escalated").wait_for()  # the rule that made it
    # the id in the title is a link to the interaction, the id kept as its tooltip
    assert subject not in row.inner_text()
    links = row.get_by_role("link", name="Interaction")
    assert links.count() == 2 and links.first.get_attribute("title") == subject
    assert links.first.get_attribute("href") == f"#/interaction?id={subject}"
    shot(page, "workflow-tasks-names")
    page.goto(f"{base}/#/workflow-runs")
    run = page.locator("table.data tbody tr").first
    run.get_by_text("task “Call back about interaction").wait_for()  # the task by its title, not its id
    assert tasks[0]["id"] not in run.inner_text() and subject not in run.inner_text(), run.inner_text()
    assert run.get_by_role("link", name="E2E call back escalated").count() == 1
    shot(page, "workflow-runs-names")


APPROVAL_RULE = """\
name: E2E close tripped breakers once approved
trigger: breaker_tripped
steps:
  - request_approval:
      title: "Close the breaker of {scope} {key}?"
      body: "It opened because: {reason}. Approving closes it."
  - close_breaker: {scope: "{scope}", key: "{key}", reason: "approved in workflow task"}
"""


def test_approving_in_the_page_with_a_reason_closes_the_breaker(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "workflows-approval-e2e")
    agent = {"code": "bot-e2e", "name": "E2E bot", "kind": "ai"}
    assert httpx.post(f"{base}/v1/agents", json=agent, headers=auth(keys["admin"])).status_code == 201
    saved = httpx.post(f"{base}/v1/workflows/rules", json={"source": APPROVAL_RULE}, headers=auth(keys["admin"]))
    assert saved.status_code == 201, saved.text
    kill = {"scope": "agent", "key": "bot-e2e", "open": True, "reason": "refund spike"}
    assert httpx.post(f"{base}/v1/actions/breakers", json=kill, headers=auth(keys["supervisor"])).status_code == 200
    tasks: list = []
    for _ in range(300):  # the embedded dispatcher runs the rule after commit
        tasks = httpx.get(f"{base}/v1/workflows/tasks", headers=auth(keys["analyst"])).json()
        if tasks:
            break
        time.sleep(0.1)
    assert [t["title"] for t in tasks] == ["Close the breaker of agent bot-e2e?"]

    sign_in(page, base, keys["supervisor"])
    page.goto(f"{base}/#/workflow-tasks")
    row = page.locator("table.data").first.locator("tbody tr").first
    row.get_by_text("Approving closes it.").wait_for()  # what approving does, read before deciding
    row.get_by_role("button", name="Approve").click()  # no reason yet: asked in the page, nothing sent
    row.get_by_role("alert").get_by_text("give the reason for the decision").wait_for()
    assert httpx.get(f"{base}/v1/workflows/tasks", headers=auth(keys["analyst"])).json()[0]["status"] == "pending"
    row.get_by_label("Reason").fill("spike explained by a price error")
    row.get_by_role("button", name="Approve").click()
    after = page.get_by_test_id("after-decision")
    after.get_by_text("close breaker: succeeded — breaker agent bot-e2e closed").wait_for()
    row = page.locator("table.data").first.locator("tbody tr").first
    assert "approved" in row.inner_text() and "spike explained by a price error" in row.inner_text()
    shot(page, "workflow-approval-closed-breaker")
    breaker = next(
        b
        for b in httpx.get(f"{base}/v1/actions/breakers", headers=auth(keys["supervisor"])).json()
        if b["key"] == "bot-e2e"
    )
    assert not breaker["is_open"] and "spike explained by a price error" in breaker["reason"]
    page.goto(f"{base}/#/workflow-runs")
    run = page.locator("table.data tbody tr").first
    run.get_by_text("approved: \u201cspike explained by a price error\u201d").wait_for()
    assert "succeeded" in run.inner_text()
