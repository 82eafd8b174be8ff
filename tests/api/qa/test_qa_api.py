"""QA end to end: publish scorecards, score every ended interaction through the event pipeline, re-score on a
new version without touching past scores, calibration (CSV and the real Connect form), coaching, disputes."""

from __future__ import annotations

from pathlib import Path

import orjson
from fastapi.testclient import TestClient

import cxops.domains.qa as qa_pkg
from tests.conftest import SHARED_DATA, auth, drain_events, linked_key
from tests.factories import interaction

DEMO = (Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml").read_text()


def _call(n: int, good: bool) -> dict:
    turns = [
        ("agent", "Thank you for contacting Acme, my name is Sam. This call may be recorded." if good else "Yeah?"),
        ("customer", "I want to change my address."),
        ("agent", "Sure, first I need to verify your identity." if good else "Ok."),
        ("customer", "Fine."),
        ("agent", "Done, I have updated your address."),
        ("customer", "Great, thanks a lot!" if good else "This is awful."),
        ("agent", "Is there anything else I can help you with today?" if good else "Bye."),
        ("customer", "No, that's all, thank you!" if good else "Terrible."),
    ]
    rec = interaction(
        n,
        outcome="resolved" if good else "escalated",
        turns=0,
        participants=[{"agent": "good-agent" if good else "bad-agent"}],
    )
    rec["turns"] = [{"speaker": s, "offset_ms": i * 4000, "text": t} for i, (s, t) in enumerate(turns)]
    return rec


def _setup(client: TestClient, keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=auth(keys["supervisor"]))
    assert r.status_code == 201, r.text
    body = b"\n".join(orjson.dumps(_call(i, i % 2 == 0)) for i in range(6))
    client.post(
        "/v1/interactions/bulk", content=body, headers={**auth(keys["service"]), "content-type": "application/x-ndjson"}
    )
    drain_events(app)


def test_every_ended_interaction_is_scored_with_evidence(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    evs = client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json()
    assert len(evs) == 6 and {e["version"] for e in evs} == {1}
    good = [e for e in evs if e["total"] > 90]
    bad = [e for e in evs if e["auto_failed"]]
    assert len(good) == 3 and len(bad) == 3
    crit = {c["criterion"]: c for c in bad[0]["criteria"]}
    assert crit["identity_before_change"]["status"] == "fail" and crit["identity_before_change"]["evidence"] == [4]
    low = client.get("/v1/qa/evaluations?below=50", headers=auth(org_keys["analyst"])).json()
    assert len(low) == 3


def test_new_version_rescores_and_past_scores_keep_their_version(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    again = client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=auth(org_keys["supervisor"]))
    assert again.status_code == 409 and "raise 'version'" in again.json()["error"]["message"]
    v2 = DEMO.replace("version: 1", "version: 2").replace("auto_fail: true", "auto_fail: false")
    assert (
        client.post("/v1/qa/scorecards", json={"source": v2}, headers=auth(org_keys["supervisor"])).status_code == 201
    )
    drain_events(app)
    evs = client.get("/v1/qa/evaluations?limit=500", headers=auth(org_keys["analyst"])).json()
    by_version = {v: [e for e in evs if e["version"] == v] for v in (1, 2)}
    assert len(by_version[1]) == 6 and len(by_version[2]) == 6
    assert all(e["auto_failed"] is False for e in by_version[2])
    assert sum(e["auto_failed"] for e in by_version[1]) == 3


def test_bad_scorecards_are_refused_with_their_line(client: TestClient, org_keys: dict) -> None:
    bad = DEMO.replace("weight: 15", "weight: 16")
    r = client.post("/v1/qa/scorecards/validate", json={"source": bad}, headers=auth(org_keys["analyst"]))
    assert r.status_code == 422 and r.json()["error"]["details"]["line"] == 5 and "101" in r.json()["error"]["message"]
    assert client.get("/v1/qa/scorecards", headers=auth(org_keys["analyst"])).json() == []


def test_calibration_from_csv_and_connect_form(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    rows = ["source,external_id,evaluator,criterion,result"]
    for i in range(6):
        rows.append(f"test,c-{i},jane,greeting,{'pass' if i % 2 == 0 else 'fail'}")
        rows.append(f"test,c-{i},jane,resolved,pass")
    rows.append("test,c-99,jane,greeting,pass")
    rows.append("test,c-1,jane,greeting,maybe")
    r = client.post(
        "/v1/qa/calibration/csv",
        content="\n".join(rows),
        headers={**auth(org_keys["supervisor"]), "content-type": "text/csv"},
    )
    report = r.json()
    assert report["imported"] == 12 and report["failed"] == 2
    assert {e["line"] for e in report["errors"]} == {14, 15}
    form = orjson.loads(
        (SHARED_DATA / "amazon_connect_contact_lens" / "evaluation_form_output_example.json").read_bytes()
    )
    form["metadata"]["contactId"] = "c-0"
    connect = client.post(
        "/v1/qa/calibration/connect",
        headers=auth(org_keys["supervisor"]),
        json={"source": "test", "form": form, "mapping": {"Did the agent introduce themselves?": "greeting"}},
    )
    assert connect.status_code == 200 and connect.json()["imported"] == 1
    cal = {
        c["criterion"]: c
        for c in client.get("/v1/qa/calibration", headers=auth(org_keys["analyst"])).json()["criteria"]
    }
    assert cal["greeting"]["percent_agreement"] == 1.0 and cal["greeting"]["kappa"] == 1.0
    assert cal["resolved"]["percent_agreement"] == 0.5
    unknown = client.post(
        "/v1/qa/calibration/connect",
        headers=auth(org_keys["supervisor"]),
        json={"source": "test", "form": {**form, "metadata": {**form["metadata"], "contactId": "nope"}}, "mapping": {}},
    )
    assert unknown.status_code == 422 and "unknown interaction" in unknown.json()["error"]["message"]


def test_coaching_and_disputes(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    bad_agent = next(
        a for a in client.get("/v1/agents", headers=auth(org_keys["admin"])).json() if a["code"] == "bad-agent"
    )
    agent = linked_key(client, org_keys["admin"], "bad-agent")  # the agent's own key
    coach = client.get(f"/v1/qa/coaching/{bad_agent['id']}", headers=auth(agent)).json()
    assert coach["evaluations"] == 3 and coach["weakest"][0]["pass_rate"] == 0.0
    assert coach["weakest"][0]["failed_examples"]
    ev = client.get(f"/v1/qa/evaluations?agent_id={bad_agent['id']}", headers=auth(org_keys["analyst"])).json()[0]
    r = client.post(
        f"/v1/qa/evaluations/{ev['id']}/disputes",
        json={"criterion": "nope", "reason": "x"},
        headers=auth(agent),
    )
    assert r.status_code == 422
    d = client.post(
        f"/v1/qa/evaluations/{ev['id']}/disputes",
        json={"criterion": "greeting", "reason": "I did greet"},
        headers=auth(agent),
    ).json()
    url = f"/v1/qa/disputes/{d['id']}/decision"
    assert client.post(url, json={"decision": "upheld", "reason": "ok"}, headers=auth(agent)).status_code == 403
    done = client.post(
        url, json={"decision": "rejected", "reason": "no greeting heard"}, headers=auth(org_keys["supervisor"])
    ).json()
    assert done["status"] == "rejected" and [h["action"] for h in done["history"]] == ["opened", "rejected"]
    assert (
        client.post(url, json={"decision": "upheld", "reason": "x"}, headers=auth(org_keys["supervisor"])).status_code
        == 409
    )


def test_history_rescore_skips_what_the_new_version_already_scored(
    client: TestClient,
    org_keys: dict,
    app,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """Interactions ingested, then a scorecard published before the events are delivered (the demo's order): their
    'ended' events score them with it, and the publication's re-score of history does not score them again."""
    from cxops.domains.qa import service

    calls = []
    real = service.score
    monkeypatch.setattr(service, "score", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    body = b"\n".join(orjson.dumps(_call(i, i % 2 == 0)) for i in range(6))
    client.post(
        "/v1/interactions/bulk",
        content=body,
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    r = client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=auth(org_keys["supervisor"]))
    assert r.status_code == 201, r.text
    drain_events(app)
    assert len(client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json()) == 6
    assert len(calls) == 6  # was 12: every interaction scored twice by the same version


def test_low_scores_trigger_workflow_rules_from_one_batched_event(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from cxops.core.models import OutboxEvent

    rule = (
        "name: Review low QA scores\ntrigger: qa_scored_below_threshold\n"
        "conditions:\n  - {field: score, op: lt, value: 60}\n"
        'steps:\n  - create_task: {team: quality, title: "Review {interaction_id} ({score})"}\n'
    )
    # the calls end on 2026-03-02: the rule acts on facts from then (by default it would from when it is saved)
    body = {"source": rule, "applies_from": "2026-03-01T00:00:00Z"}
    r = client.post("/v1/workflows/rules", json=body, headers=auth(org_keys["supervisor"]))
    assert r.status_code == 201, r.text
    _setup(client, org_keys, app)  # 6 calls, 3 of them bad
    with app.state.session_factory() as s:
        events = s.scalar(select(func.count()).where(OutboxEvent.type == "qa.evaluations_scored"))
    assert events == 1  # one event for the batch, not one per evaluation
    low = [e for e in client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json() if e["total"] < 60]
    tasks = client.get("/v1/workflows/tasks", headers=auth(org_keys["analyst"])).json()
    assert len(low) == 3 and len(tasks) == 3
    assert {t["title"].split(" ")[1] for t in tasks} == {e["interaction_id"] for e in low}
