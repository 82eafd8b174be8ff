"""WFM through the HTTP app: forecast -> staffing -> what-if -> schedule -> adherence, and the bad-input paths."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.factories import interaction
from tests.unit.wfm.helpers import synthetic


def _csv(days: int = 30, **kw) -> str:  # type: ignore[no-untyped-def]
    df = synthetic(days, **kw)
    return df.assign(ts=df.ts.dt.strftime("%Y-%m-%dT%H:%M:%S")).to_csv(index=False)


@pytest.fixture
def planner(org_keys: dict) -> dict[str, str]:
    return auth(org_keys["analyst"])


def _forecast(client: TestClient, h: dict, **body) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/v1/wfm/forecasts", json={"source": "csv", "csv": _csv(), "horizon": 100} | body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def test_plan_end_to_end_from_a_csv(client: TestClient, planner: dict, org_keys: dict) -> None:
    run = _forecast(client, planner)
    assert run["choices"]["q1"]["model"] in ("seasonal_naive", "calendar_regression", "ets_profile")
    assert set(run["choices"]["q1"]["mase"]) >= {"seasonal_naive"}
    detail = client.get(f"/v1/wfm/forecasts/{run['id']}", headers=planner).json()
    assert len(detail["points"]) == 100 and detail["actuals"] == []
    first = datetime.fromisoformat(detail["points"][0]["ts"])
    assert first.weekday() == 0 and first.hour == 8  # the history ends on a Friday; weekends stay closed

    staff = client.post(
        "/v1/wfm/staffing",
        json={"forecast_run_id": run["id"], "aht_s": 240, "apply_automation": False},
        headers=planner,
    )
    assert staff.status_code == 201, staff.text
    plan = client.get(f"/v1/wfm/staffing/{staff.json()['id']}", headers=planner).json()
    assert len(plan["intervals"]) == 100
    assert all(i["scheduled_agents"] >= i["raw_agents"] > 0 for i in plan["intervals"])

    more = client.post(f"/v1/wfm/staffing/{plan['id']}/what-if", json={"volume_factor": 1.2}, headers=planner)
    assert more.status_code == 200 and more.json()["series"]["q1"]["agent_hours_delta"] > 0

    monday = first.date().isoformat()
    agents = [{"code": f"a{i}", "skills": ["q1"]} for i in range(40)]
    rules = {"shift_lengths_min": [480, 360], "max_weekly_hours": 40}
    sched = client.post(
        "/v1/wfm/schedules",
        json={"plan_id": plan["id"], "week_start": monday, "agents": agents, "rules": rules},
        headers=planner,
    )
    assert sched.status_code == 201, sched.text
    body = client.get(f"/v1/wfm/schedules/{sched.json()['id']}", headers=planner).json()
    assert 0 <= body["gap_ratio"] < 0.05 and body["shifts"]
    cov = body["coverage"]["skills"]["q1"]
    assert all(s >= r - 1e-6 for r, s in zip(cov["required"], cov["scheduled"], strict=True))

    start = datetime.fromisoformat(body["shifts"][0]["starts_at"])
    who = body["shifts"][0]["agent_code"]
    states = [{"agent": who, "state": "available", "started_at": start.isoformat()}]
    assert client.post("/v1/agent-states", json={"events": states}, headers=auth(org_keys["admin"])).status_code == 200
    adh = client.get(
        f"/v1/wfm/schedules/{body['id']}/adherence",
        params={"since": start.isoformat(), "until": (start + timedelta(hours=2)).isoformat()},
        headers=planner,
    ).json()
    assert adh["agents"][who]["scheduled_min"] > 0 and adh["agents"][who]["adherence"] > 0.7


def test_bad_inputs_are_specific_errors(client: TestClient, planner: dict) -> None:
    dup = _csv(10)
    dup = dup + dup.splitlines()[1] + "\n"
    r = client.post("/v1/wfm/forecasts", json={"source": "csv", "csv": dup}, headers=planner)
    assert r.status_code == 422 and "duplicate timestamp" in r.json()["error"]["message"]
    r = client.post("/v1/wfm/forecasts", json={"source": "csv", "csv": "a,b\n1,2\n"}, headers=planner)
    assert r.status_code == 422 and "series_id, ts, y" in r.json()["error"]["message"]
    r = client.post("/v1/wfm/forecasts", json={"source": "csv"}, headers=planner)
    assert r.status_code == 422 and r.json()["error"]["field"] == "csv"
    run = _forecast(client, planner)
    impossible = {"service_level": 1.0, "threshold_s": 0}
    body = {"forecast_run_id": run["id"], "aht_s": 200, "apply_automation": False, "targets": impossible}
    r = client.post("/v1/wfm/staffing", json=body, headers=planner)
    assert r.status_code == 422 and "service level 100% within 0 s is impossible" in r.json()["error"]["message"]
    r = client.post("/v1/wfm/staffing", json={"forecast_run_id": run["id"], "model": "erlang_a"}, headers=planner)
    assert r.status_code == 422 and r.json()["error"]["field"] == "patience_s"
    r = client.post(
        "/v1/wfm/staffing", json={"forecast_run_id": "00000000-0000-7000-8000-000000000000"}, headers=planner
    )
    assert r.status_code == 404
    plan = client.post(
        "/v1/wfm/staffing",
        json={"forecast_run_id": run["id"], "aht_s": 240, "apply_automation": False},
        headers=planner,
    ).json()
    monday = client.get(f"/v1/wfm/forecasts/{run['id']}", headers=planner).json()["points"][0]["ts"][:10]
    tuesday = (datetime.fromisoformat(monday) + timedelta(days=1)).date().isoformat()
    r = client.post("/v1/wfm/schedules", json={"plan_id": plan["id"], "week_start": tuesday}, headers=planner)
    assert r.status_code == 422 and "give a Monday" in r.json()["error"]["message"]
    few = [{"code": "solo", "skills": ["q1"]}]
    r = client.post(
        "/v1/wfm/schedules", json={"plan_id": plan["id"], "week_start": monday, "agents": few}, headers=planner
    )
    assert r.status_code == 422 and "but at most 1 can be on duty" in r.json()["error"]["message"]
    r = client.post("/v1/wfm/schedules", json={"plan_id": plan["id"], "week_start": monday}, headers=planner)
    assert r.status_code == 422 and "no human agent has any of the required skills" in r.json()["error"]["message"]


def test_interactions_history_falls_back_and_applies_automation(
    client: TestClient, org_keys: dict, planner: dict
) -> None:
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    records = []
    for n in range(60):
        start = today - timedelta(days=3 - n // 20) + timedelta(minutes=9 * (n % 20))
        ai_only = n % 3 == 0
        rec = interaction(
            n,
            turns=0,
            started_at=start.isoformat(),
            ended_at=(start + timedelta(minutes=5)).isoformat(),
            intent="billing" if n % 2 else "address_change",
            participants=[{"agent": "bot-1", "kind": "ai"}]
            if ai_only
            else [{"agent": "bot-1", "kind": "ai"}, {"agent": "a-1", "role": "handoff"}],
            customer={"external_id": f"cust-{n}"},
        )
        records.append(rec)
    body = "\n".join(json.dumps(r) for r in records)
    r = client.post(
        "/v1/interactions/bulk",
        content=body,
        headers=auth(org_keys["service"]) | {"content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    run = client.post("/v1/wfm/forecasts", json={"horizon": 24, "freq_min": 60}, headers=planner)
    assert run.status_code == 201, run.text
    choice = run.json()["choices"]["billing-voice"]
    assert choice["fallback"] is True and "too short for a rolling-origin backtest" in " ".join(choice["notes"])
    plan = client.post("/v1/wfm/staffing", json={"forecast_run_id": run.json()["id"]}, headers=planner)
    assert plan.status_code == 201, plan.text
    share = plan.json()["summary"]["billing-voice"]["automation_share"]
    assert set(share) == {"billing", "address_change"} and all(0 < v < 1 for v in share.values())
    human = plan.json()["summary"]["billing-voice"]
    assert human["human_contacts"] < human["contacts"]
    body = {"forecast_run_id": run.json()["id"], "model": "erlang_a", "patience_s": 90}
    patient = client.post("/v1/wfm/staffing", json=body, headers=planner)
    assert patient.status_code == 201, patient.text
    erlang_a_hours = patient.json()["summary"]["billing-voice"]["agent_hours"]
    assert 0 < erlang_a_hours <= human["agent_hours"]  # callers who abandon need no agent
    aht = client.post("/v1/wfm/forecasts", json={"horizon": 24, "freq_min": 60, "metric": "aht"}, headers=planner)
    assert aht.status_code == 201, aht.text
    assert aht.json()["metric"] == "aht" and "billing-voice" in aht.json()["choices"]
    r = client.post("/v1/wfm/staffing", json={"forecast_run_id": aht.json()["id"]}, headers=planner)
    assert r.status_code == 422 and "needs a volume forecast" in r.json()["error"]["message"]


def test_reforecast_scales_the_rest_of_the_day(client: TestClient, planner: dict) -> None:
    run = _forecast(client, planner)
    points = client.get(f"/v1/wfm/forecasts/{run['id']}", headers=planner).json()["points"]
    day = points[0]["ts"][:10]
    until = (datetime.fromisoformat(points[0]["ts"]) + timedelta(hours=3)).isoformat()
    r = client.post(
        f"/v1/wfm/forecasts/{run['id']}/reforecast",
        json={"series_id": "q1", "day": day, "until": until},
        headers=planner,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["elapsed"]) == 6 and all(e["actual"] == 0 for e in body["elapsed"])
    assert body["ratio"] < 1 and body["remaining"][0]["reforecast"] < body["remaining"][0]["forecast"]
    r = client.post(
        f"/v1/wfm/forecasts/{run['id']}/reforecast", json={"series_id": "q1", "day": "1999-01-01"}, headers=planner
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "day"


def test_staffing_can_take_handle_time_from_an_aht_forecast(client: TestClient, planner: dict) -> None:
    volume = _forecast(client, planner)
    df = synthetic(30)
    df["y"] = 200 + (df["y"] % 7) * 10  # handle seconds per interval
    csv = df.assign(ts=df.ts.dt.strftime("%Y-%m-%dT%H:%M:%S")).to_csv(index=False)
    aht = _forecast(client, planner, csv=csv, metric="aht")
    body = {"forecast_run_id": volume["id"], "aht_run_id": aht["id"], "apply_automation": False}
    plan = client.post("/v1/wfm/staffing", json=body, headers=planner)
    assert plan.status_code == 201, plan.text
    intervals = client.get(f"/v1/wfm/staffing/{plan.json()['id']}", headers=planner).json()["intervals"]
    assert all(200 <= i["aht_s"] <= 270 for i in intervals)
    assert len({round(i["aht_s"], 3) for i in intervals}) > 1
    r = client.post("/v1/wfm/staffing", json=body | {"aht_run_id": volume["id"]}, headers=planner)
    assert r.status_code == 422 and "must be an 'aht' forecast" in r.json()["error"]["message"]
    short = _forecast(client, planner, csv=csv, metric="aht", horizon=10)
    r = client.post("/v1/wfm/staffing", json=body | {"aht_run_id": short["id"]}, headers=planner)
    assert r.status_code == 422 and "90 interval(s) missing" in r.json()["error"]["message"]
