"""Workflows end to end: rules through the API, events to durable runs, every step kind, webhooks with retries
and dead letters (against a real local HTTP server), approvals, dry runs, and loops stopped."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from cxops.core.events import Delivered
from cxops.domains.workflows import service
from tests.conftest import auth, drain_events
from tests.factories import interaction


class _Hook(http.server.BaseHTTPRequestHandler):
    calls: list[dict] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).calls.append(
            {
                "body": orjson.loads(body),
                "sig": self.headers.get("x-cxops-signature"),
                "key": self.headers.get("idempotency-key"),
            }
        )
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(503)
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    _Hook.calls, _Hook.fail_first = [], 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def _rule(client: TestClient, keys: dict, text: str) -> dict:
    r = client.post("/v1/workflows/rules", json={"source": text}, headers=auth(keys["supervisor"]))
    assert r.status_code == 201, r.text
    return r.json()


def _ingest(client: TestClient, keys: dict, records: list[dict]) -> None:
    body = b"\n".join(orjson.dumps(x) for x in records)
    r = client.post(
        "/v1/interactions/bulk", content=body, headers={**auth(keys["service"]), "content-type": "application/x-ndjson"}
    )
    assert r.json()["failed"] == 0


def test_interaction_rule_runs_every_step_kind(client: TestClient, org_keys: dict, app, hook: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    client.post("/v1/agents", json={"code": "bot-9", "name": "Bot", "kind": "ai"}, headers=auth(org_keys["admin"]))
    _rule(
        client,
        org_keys,
        f"""\
name: Escalated refunds
trigger: interaction_ended
conditions:
  - {{field: outcome, op: eq, value: escalated}}
  - {{field: intent, op: eq, value: refund}}
steps:
  - tag: {{tags: [needs-review]}}
  - create_task: {{team: refunds, title: "Check {{interaction_id}}"}}
  - notify: {{message: "Escalated refund on {{channel}}", level: warning}}
  - pause_automation: {{agent: bot-9, reason: escalations}}
  - request_approval: {{title: "Resume bot-9?", expires_in_h: 4}}
  - webhook: {{url: "{hook}", secret_env: HOOK_SECRET}}
""",
    )
    _ingest(
        client,
        org_keys,
        [
            interaction(1, intent="refund", outcome="escalated"),
            interaction(2, intent="refund"),
            interaction(3, intent="billing", outcome="escalated"),
        ],
    )
    drain_events(app)
    runs = client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()
    assert len(runs) == 1 and runs[0]["status"] == "succeeded", runs
    assert [s["kind"] for s in runs[0]["steps"]] == [
        "tag",
        "create_task",
        "notify",
        "pause_automation",
        "request_approval",
        "webhook",
    ]
    detail = client.get(f"/v1/interactions/{runs[0]['subject']}", headers=auth(org_keys["admin"])).json()
    assert detail["external_id"] == "c-1"
    tasks = client.get("/v1/workflows/tasks", headers=auth(org_keys["analyst"])).json()
    assert {t["kind"] for t in tasks} == {"task", "approval"}
    paused = [
        a for a in client.get("/v1/agents?kind=ai", headers=auth(org_keys["admin"])).json() if a["code"] == "bot-9"
    ]
    assert paused[0]["status"] == "paused"
    assert len(_Hook.calls) == 1 and _Hook.calls[0]["sig"] and _Hook.calls[0]["key"].endswith(":5")
    notes = client.get("/v1/workflows/notifications", headers=auth(org_keys["supervisor"])).json()
    assert notes[0]["message"] == "Escalated refund on voice"
    drain_events(app)  # redelivery / second pass: nothing runs twice
    assert len(client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()) == 1
    assert len(_Hook.calls) == 1


def test_webhook_retries_then_dead_letters_and_replays(client: TestClient, org_keys: dict, app, hook: str) -> None:  # type: ignore[no-untyped-def]
    _rule(
        client,
        org_keys,
        f'name: hook\ntrigger: interaction_ended\nsteps:\n  - webhook: {{url: "{hook}", attempts: 2}}\n',
    )
    _Hook.fail_first = 1
    _ingest(client, org_keys, [interaction(1)])
    drain_events(app)
    run = client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()[0]
    assert run["status"] == "succeeded" and "2 attempt" in run["steps"][0]["detail"]
    _Hook.fail_first = 10
    _ingest(client, org_keys, [interaction(2)])
    drain_events(app)
    failed = client.get("/v1/workflows/runs?status=failed", headers=auth(org_keys["analyst"])).json()
    assert len(failed) == 1 and "dead-lettered" in failed[0]["steps"][0]["detail"]
    letters = client.get("/v1/workflows/dead-letters", headers=auth(org_keys["analyst"])).json()
    assert len(letters) == 1 and letters[0]["attempts"] == 2
    _Hook.fail_first = 0
    replay = client.post(f"/v1/workflows/dead-letters/{letters[0]['id']}/replay", headers=auth(org_keys["supervisor"]))
    assert replay.status_code == 200 and replay.json()["replayed_at"]
    again = client.post(f"/v1/workflows/dead-letters/{letters[0]['id']}/replay", headers=auth(org_keys["supervisor"]))
    assert again.status_code == 409


def test_unreachable_webhook_is_bounded(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _rule(
        client,
        org_keys,
        "name: dead\ntrigger: interaction_ended\nsteps:\n"
        '  - webhook: {url: "http://127.0.0.1:9/never", attempts: 3, timeout_s: 0.5}\n',
    )
    _ingest(client, org_keys, [interaction(1)])
    drain_events(app)
    run = client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()[0]
    assert run["status"] == "failed" and "3 attempts" in run["steps"][0]["detail"]


def test_loops_are_refused_at_save_and_stopped_at_run_time(client: TestClient, org_keys: dict) -> None:
    _rule(client, org_keys, "name: a\ntrigger: task_created\nsteps:\n  - notify: {message: m}\n")
    r = client.post(
        "/v1/workflows/rules",
        json={"source": "name: b\ntrigger: notification_created\nsteps:\n  - create_task: {team: t, title: x}\n"},
        headers=auth(org_keys["supervisor"]),
    )
    message = r.json()["error"]["message"]
    assert r.status_code == 422 and "loop" in message and "a" in message.split(":")[1] and "b" in message


def test_runtime_guard_stops_a_chain_that_comes_back(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _rule(client, org_keys, "name: a\ntrigger: task_created\nsteps:\n  - notify: {message: m}\n")
    with app.state.session_factory() as session:
        event = Delivered(
            uuid.uuid4(),
            "workflows.task_created",
            uuid.UUID(org_keys["org_id"]),
            {"kind": "create_task", "run_id": "r", "causation": {"rules": ["x", "a"], "depth": 2}},
        )
        assert service.on_event(session, event) == 1
        deep = Delivered(
            uuid.uuid4(),
            "workflows.task_created",
            uuid.UUID(org_keys["org_id"]),
            {"kind": "create_task", "run_id": "r", "causation": {"rules": ["x"], "depth": 9}},
        )
        service.on_event(session, deep)
        session.commit()
    runs = client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()
    assert [r["status"] for r in runs] == ["loop_stopped", "loop_stopped"]


def test_rule_errors_and_versions(client: TestClient, org_keys: dict) -> None:
    bad = client.post(
        "/v1/workflows/rules",
        json={"source": "name: x\ntrigger: nope\nsteps: []\n"},
        headers=auth(org_keys["supervisor"]),
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"]["line"] == 2
    v1 = _rule(client, org_keys, "name: v\ntrigger: interaction_ended\nsteps:\n  - notify: {message: one}\n")
    v2 = _rule(client, org_keys, "name: v\ntrigger: interaction_ended\nsteps:\n  - notify: {message: two}\n")
    assert (v1["version"], v2["version"]) == (1, 2)
    current = client.get("/v1/workflows/rules", headers=auth(org_keys["analyst"])).json()
    assert [r["version"] for r in current] == [2]
    off = client.post(f"/v1/workflows/rules/{v2['id']}/enabled?value=false", headers=auth(org_keys["supervisor"]))
    assert off.json()["enabled"] is False
    assert (
        client.post(
            f"/v1/workflows/rules/{v1['id']}/enabled?value=true", headers=auth(org_keys["supervisor"])
        ).status_code
        == 409
    )


def test_dry_run_against_past_events_executes_nothing(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _ingest(client, org_keys, [interaction(i, outcome="abandoned" if i % 3 == 0 else "resolved") for i in range(9)])
    text = (
        "name: abandons\ntrigger: interaction_ended\nconditions:\n  - {field: outcome, op: eq, value: abandoned}\n"
        'steps:\n  - create_task: {team: wfm, title: "Abandoned {external_id}"}\n'
    )
    r = client.post("/v1/workflows/dry-run", json={"source": text}, headers=auth(org_keys["analyst"]))
    assert r.status_code == 200
    report = r.json()
    assert report["subjects_evaluated"] == 9 and report["would_run"] == 3
    assert report["examples"][0]["steps"][0]["params"]["title"].startswith("Abandoned c-")
    assert client.get("/v1/workflows/tasks", headers=auth(org_keys["analyst"])).json() == []


def test_approvals_need_a_reason_and_close_once(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _rule(client, org_keys, 'name: ap\ntrigger: interaction_ended\nsteps:\n  - request_approval: {title: "ok?"}\n')
    _ingest(client, org_keys, [interaction(1)])
    drain_events(app)
    task = client.get("/v1/workflows/tasks?status=pending", headers=auth(org_keys["analyst"])).json()[0]
    url = f"/v1/workflows/tasks/{task['id']}/decision"
    assert client.post(url, json={"decision": "approve"}, headers=auth(org_keys["supervisor"])).status_code == 422
    assert (
        client.post(url, json={"decision": "approve", "reason": "fine"}, headers=auth(org_keys["analyst"])).status_code
        == 403
    )
    ok = client.post(url, json={"decision": "reject", "reason": "too risky"}, headers=auth(org_keys["supervisor"]))
    assert ok.json()["status"] == "rejected"
    assert (
        client.post(url, json={"decision": "approve", "reason": "x"}, headers=auth(org_keys["supervisor"])).status_code
        == 409
    )


def test_trust_threshold_crossing_triggers_a_rule(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _rule(
        client,
        org_keys,
        "name: averse\ntrigger: trust_threshold_crossed\nsteps:\n"
        '  - notify: {message: "customer {customer_id} now automation-averse ({poor_experiences})"}\n',
    )
    # The factory's contacts start with an AI agent and hand off to a human: poor automated experiences.
    same = {"external_id": "cust-x"}
    _ingest(client, org_keys, [interaction(1, customer=same, outcome="escalated")])
    drain_events(app)
    assert client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json() == []
    _ingest(client, org_keys, [interaction(2, customer=same, outcome="escalated"), interaction(3, customer=same)])
    drain_events(app)
    runs = client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()
    assert len(runs) == 1 and runs[0]["status"] == "succeeded"
    note = client.get("/v1/workflows/notifications", headers=auth(org_keys["analyst"])).json()[0]["message"]
    assert "now automation-averse" in note
