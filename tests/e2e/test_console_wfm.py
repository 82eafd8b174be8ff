"""Workforce pages in real Chromium: forecast vs actual, staffing with a what-if, requirement vs scheduled."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in
from tests.unit.wfm.helpers import synthetic

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def planned(live_server):  # type: ignore[no-untyped-def]
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "wfm-e2e")
    h = auth(keys["analyst"])
    df = synthetic(30)
    csv = df.assign(ts=df.ts.dt.strftime("%Y-%m-%dT%H:%M:%S")).to_csv(index=False)
    run = httpx.post(base + "/v1/wfm/forecasts", json={"source": "csv", "csv": csv, "horizon": 100}, headers=h).json()
    plan = httpx.post(
        base + "/v1/wfm/staffing",
        json={"forecast_run_id": run["id"], "aht_s": 240, "apply_automation": False},
        headers=h,
    ).json()
    first = httpx.get(f"{base}/v1/wfm/forecasts/{run['id']}", headers=h).json()["points"][0]["ts"]
    agents = [{"code": f"a{i}", "skills": ["q1"]} for i in range(40)]
    body = {"plan_id": plan["id"], "week_start": datetime.fromisoformat(first).date().isoformat(), "agents": agents}
    sched = httpx.post(base + "/v1/wfm/schedules", json=body, headers=h, timeout=120).json()
    return {"keys": keys, "run": run["id"], "plan": plan["id"], "schedule": sched["id"]}


def test_wfm_pages_plot_and_answer_a_what_if(page, live_server, planned) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sign_in(page, base, planned["keys"]["analyst"])
    page.goto(f"{base}/#/wfm-forecast?id={planned['run']}")
    page.wait_for_selector("svg")
    assert page.get_by_text("forecast vs actual").count() >= 1
    shot(page, "wfm-forecast")
    page.goto(f"{base}/#/wfm-staffing?id={planned['plan']}")
    page.wait_for_selector("svg")
    page.get_by_label("Volume factor (1.2 = +20%)").fill("1.2")
    page.get_by_role("button", name="Run scenario").press("Enter")
    page.wait_for_selector("text=agent-hours")
    assert page.get_by_text("plan vs scenario").count() >= 1
    shot(page, "wfm-staffing-what-if")
    page.goto(f"{base}/#/wfm-schedule?id={planned['schedule']}")
    page.wait_for_selector("text=requirement vs scheduled")
    assert page.get_by_text("Gap to LP bound").count() == 1
    assert page.locator("table tr").count() > 10
    shot(page, "wfm-schedule")


def test_wfm_lists_say_what_each_run_is(page, live_server, planned) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sign_in(page, base, planned["keys"]["analyst"])
    page.goto(f"{base}/#/wfm-forecast")
    row = page.locator("table tr", has=page.locator(f"code[title='{planned['run']}']"))
    row.wait_for()
    assert "volume" in row.inner_text() and "30 min" in row.inner_text()
    page.goto(f"{base}/#/wfm-staffing")
    row = page.locator("table tr", has=page.locator(f"code[title='{planned['plan']}']"))
    row.wait_for()
    assert "80% in 20 s" in row.inner_text()
    option = page.locator("select[name=forecast_run_id] option").first.inner_text()
    assert "volume" in option  # the staffing form names each forecast by metric, interval and reach
    page.goto(f"{base}/#/wfm-schedule")
    row = page.locator("table tr", has=page.locator(f"code[title='{planned['schedule']}']"))
    row.wait_for()
    assert "Optimal" in row.inner_text() or "Feasible" in row.inner_text()


def test_workforce_forms_take_fractions_and_name_their_fields_in_errors(page, live_server, planned) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sign_in(page, base, planned["keys"]["analyst"])
    # the forecast page links to a staffing form with that forecast chosen
    page.goto(f"{base}/#/wfm-forecast?id={planned['run']}")
    page.get_by_role("link", name="Plan staffing for this forecast").click()
    page.get_by_role("heading", name="New staffing plan").wait_for()
    assert page.locator("select[name=forecast_run_id]").input_value() == planned["run"]
    # fractions are valid input in every number field (step="any"), not just whole steps from the default
    for name in ("service_level", "shrinkage", "threshold_s"):
        assert page.locator(f"input[name={name}]").get_attribute("step") == "any"
        assert page.locator(f"input[name={name}]").get_attribute("aria-required") == (
            "true" if name == "shrinkage" else None
        )
    # the form checks the server's bounds before sending: shrinkage below 1, a threshold above 0 s
    sent_bodies: list[str] = []
    page.on(
        "request",
        lambda r: sent_bodies.append(r.url) if r.url.endswith("/v1/wfm/staffing") and r.method == "POST" else None,
    )
    page.get_by_label("Service level, all queues").fill("1")
    page.get_by_label("Answered within (s), all queues").fill("0")
    page.get_by_label("Shrinkage (0 to below 1)").fill("1")
    page.get_by_role("button", name="Staff").click()
    errors = page.get_by_test_id("form-errors")
    errors.get_by_text("Shrinkage (0 to below 1): must be less than 1").wait_for()
    assert "must be less than 1" in errors.get_by_text("Service level, all queues").inner_text()
    assert "answered within 0 s is meaningless" in errors.get_by_text("Answered within (s), all queues").inner_text()
    for name in ("service_level", "threshold_s", "shrinkage"):
        assert page.locator(f"input[name={name}]").get_attribute("aria-invalid") == "true"
    assert "targets." not in errors.inner_text() and sent_bodies == []
    # blank targets: each queue is staffed to its own (only what is given is sent)
    page.get_by_label("Service level, all queues").fill("0.9")
    page.get_by_label("Answered within (s), all queues").fill("")
    page.get_by_label("Shrinkage (0 to below 1)").fill("0.25")
    with page.expect_request("**/v1/wfm/staffing") as sent:
        page.get_by_role("button", name="Staff").click()
    assert sent.value.post_data_json["targets"] == {"service_level": 0.9, "shrinkage": 0.25}
    # the plan says per queue which target it used and where from
    page.get_by_test_id("series-notes").wait_for()
    page.get_by_text("Targets and notes per queue").click()
    notes = page.get_by_test_id("series-notes").inner_text()
    assert "target 90% answered within 20 s, from the request (targets.service_level) (service level)" in notes, notes

    page.goto(f"{base}/#/wfm-staffing?id={planned['plan']}")
    page.get_by_label("Volume factor (1.2 = +20%)").fill("1.15")
    page.get_by_label("Shrinkage override (blank = plan's)").press_sequentially("1e")  # not a number
    page.get_by_role("button", name="Run scenario").click()
    field_error = page.locator(
        "input[name=shrinkage] >> xpath=../following-sibling::span[contains(@class,'field-error')]"
    )
    assert field_error.inner_text() == "must be a number"
    page.get_by_label("Shrinkage override (blank = plan's)").fill("1")
    page.get_by_role("button", name="Run scenario").click()
    assert field_error.inner_text() == "must be less than 1"
    page.get_by_label("Shrinkage override (blank = plan's)").fill("0.35")
    page.get_by_label("Extra automation (0.10 = +10 points)").fill("0.1")
    page.get_by_role("button", name="Run scenario").click()
    # both problems at once: an automation delta needs its intent (checked before sending)
    page.get_by_test_id("form-errors").get_by_text("Intent AI resolves more of: required").wait_for()
    page.get_by_label("Intent AI resolves more of").fill("no_such_intent")
    with page.expect_request("**/what-if") as sent:
        page.get_by_role("button", name="Run scenario").click()
    assert sent.value.post_data_json == {
        "volume_factor": 1.15,
        "automation_delta": {"no_such_intent": 0.1},
        "shrinkage": 0.35,
    }
    # the API's error on `automation_delta` is about the intent: shown under that label
    page.get_by_test_id("form-errors").get_by_text("Intent AI resolves more of: no queue of the plan").wait_for()
    page.get_by_label("Intent AI resolves more of").fill("")
    page.get_by_label("Extra automation (0.10 = +10 points)").fill("0")
    page.get_by_role("button", name="Run scenario").click()
    page.get_by_test_id("what-if-delta").first.wait_for()
    assert page.get_by_test_id("form-errors").is_hidden()


def test_an_empty_required_number_says_required(page, live_server, planned) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sign_in(page, base, planned["keys"]["analyst"])
    page.goto(f"{base}/#/wfm-forecast")
    page.get_by_label("Intervals ahead").fill("")
    page.get_by_role("button", name="Forecast").click()
    page.get_by_test_id("form-errors").get_by_text("Intervals ahead: required").wait_for()
    page.get_by_label("Intervals ahead").fill("0")
    page.get_by_role("button", name="Forecast").click()
    page.get_by_test_id("form-errors").get_by_text("Intervals ahead: must be at least 1").wait_for()
    assert "horizon" not in page.get_by_test_id("form-errors").inner_text()
