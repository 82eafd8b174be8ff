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
    impossible = {"service_level": 1.0, "threshold_s": 20}
    body = {"forecast_run_id": run["id"], "aht_s": 200, "apply_automation": False, "targets": impossible}
    r = client.post("/v1/wfm/staffing", json=body, headers=planner)
    assert r.status_code == 422 and "service level 100% within 20 s is impossible" in r.json()["error"]["message"]
    assert r.json()["error"]["field"] == "targets.service_level"
    # a threshold of 0 s is meaningless: refused on the field that says it, for every queue or for one
    for targets, field in (
        ({"targets": {"threshold_s": 0}}, "targets.threshold_s"),
        ({"queue_targets": {"q1": {"threshold_s": 0}}}, "queue_targets.q1.threshold_s"),
    ):
        r = client.post("/v1/wfm/staffing", json={"forecast_run_id": run["id"], **targets}, headers=planner)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
        assert "answered within 0 s is meaningless" in r.json()["error"]["message"]
    r = client.post(
        "/v1/wfm/staffing",
        json={"forecast_run_id": run["id"], "queue_targets": {"q1": {"service_level": 1.0}}},
        headers=planner,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "queue_targets.q1.service_level", r.text
    r = client.post(
        "/v1/wfm/staffing",
        json={"forecast_run_id": run["id"], "queue_targets": {"nope": {"service_level": 0.9}}},
        headers=planner,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "queue_targets.nope", r.text
    assert "does not forecast" in r.json()["error"]["message"] and "q1" in r.json()["error"]["message"]
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


def _queue(client: TestClient, org_keys: dict, code: str, channel: str, pct: float, threshold_s: float) -> None:
    body = {"code": code, "name": code, "channel": channel, "sl_target_pct": pct, "sl_threshold_s": threshold_s}
    r = client.post("/v1/queues", json=body, headers=auth(org_keys["admin"]))
    assert r.status_code == 201, r.text


def test_each_queue_is_staffed_to_its_own_target(client: TestClient, planner: dict, org_keys: dict) -> None:
    """A voice queue at 85% in 20 s and an e-mail queue at 90% in 24 h (directory), a series without a queue (the
    default), then the request's overrides for all and for one; the e-mail queue is staffed to its workload."""
    _queue(client, org_keys, "voice-x", "voice", 85, 20)
    _queue(client, org_keys, "email-x", "email", 90, 86_400)
    csv = _csv(series=("voice-x", "email-x", "other"))
    run = _forecast(client, planner, csv=csv, horizon=200)
    base = {"forecast_run_id": run["id"], "aht_s": 400, "apply_automation": False}
    r = client.post("/v1/wfm/staffing", json=base, headers=planner)
    assert r.status_code == 201, r.text
    summary = r.json()["summary"]
    voice, email, other = summary["voice-x"], summary["email-x"], summary["other"]
    assert voice["targets"] | {"source": None} == {
        "service_level": 0.85, "threshold_s": 20, "asa_s": None, "source": None, "method": "erlang_c"
    }  # fmt: skip
    assert voice["targets"]["source"] == {"service_level": "directory", "threshold_s": "directory"}
    assert voice["notes"][0].startswith("target 85% answered within 20 s, from the directory queue 'voice-x'")
    assert other["targets"]["source"] == {"service_level": "default", "threshold_s": "default"}
    assert "target 80% answered within 20 s, from the default" in other["notes"][0]
    assert email["targets"]["method"] == "deferred" and email["targets"]["threshold_s"] == 86_400
    assert email["notes"][0].startswith("target 90% answered within 24 h, from the directory queue 'email-x'")
    assert any(n.startswith("deferred work: a 24 h threshold") for n in email["notes"])
    assert email["answered_within_threshold"] >= 0.9
    # Deferred: about the workload / (max occupancy x (1 - shrinkage)) in agent-hours, not an agent per interval.
    work_h = email["human_contacts"] * 400 / 3600
    assert work_h / (0.85 * 0.7) <= email["agent_hours"] <= 1.1 * work_h / (0.85 * 0.7) + 1
    per_interval = client.post(
        "/v1/wfm/staffing", json=base | {"targets": {"threshold_s": 20, "service_level": 0.9}}, headers=planner
    ).json()["summary"]["email-x"]
    assert per_interval["targets"]["method"] == "erlang_c"
    assert per_interval["targets"]["source"] == {
        "service_level": "targets.service_level",
        "threshold_s": "targets.threshold_s",
    }
    assert email["peak_agents"] < per_interval["peak_agents"] and email["agent_hours"] < per_interval["agent_hours"]
    # One queue overridden, the rest from the directory.
    mixed = client.post(
        "/v1/wfm/staffing",
        json=base | {"queue_targets": {"voice-x": {"service_level": 0.95}}},
        headers=planner,
    )
    assert mixed.status_code == 201, mixed.text
    plan = mixed.json()
    assert plan["summary"]["voice-x"]["targets"]["source"] == {
        "service_level": "queue_targets.voice-x.service_level", "threshold_s": "directory"
    }  # fmt: skip
    assert "(service level) and the directory queue 'voice-x' (threshold)" in plan["summary"]["voice-x"]["notes"][0]
    assert plan["summary"]["voice-x"]["agent_hours"] > voice["agent_hours"]
    assert plan["summary"]["email-x"]["targets"]["method"] == "deferred"
    # The what-if staffs each series as the plan did: no change, no delta.
    same = client.post(f"/v1/wfm/staffing/{plan['id']}/what-if", json={"volume_factor": 1.0}, headers=planner)
    assert same.status_code == 200, same.text
    assert all(v["agent_hours_delta"] == 0 for v in same.json()["series"].values())
    more = client.post(f"/v1/wfm/staffing/{plan['id']}/what-if", json={"volume_factor": 1.5}, headers=planner).json()
    assert more["series"]["email-x"]["agent_hours_delta"] > 0
