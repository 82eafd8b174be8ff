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
