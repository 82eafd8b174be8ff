"""Steps after a `request_approval` wait for the decision: approved, they run once (durably, through the run
consumer, however often its request is delivered or retried) and `close_breaker` closes the tripped breaker with
the approver's reason; rejected or expired, the run ends so and they are skipped, the breaker stays open."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cxops.core.clock import utcnow
from cxops.core.db import unit_of_work
from cxops.core.events import OutboxDispatcher, apply_once, to_delivered
from cxops.core.models import OutboxEvent
from cxops.domains.workflows import service
from cxops.domains.workflows.expiry import ExpiryScheduler, expire_once
from cxops.domains.workflows.models import WorkflowNotification, WorkflowRun, WorkflowTask
from cxops.entrypoints.http.app import build_subscriptions
from tests.conftest import auth, drain_events

RULE = """\
name: Close tripped breakers once approved
trigger: breaker_tripped
steps:
  - notify: {message: "Breaker opened for {scope} {key}: {reason}"}
  - request_approval: {title: "Close the breaker of {scope} {key}?", expires_in_h: 72}
  - notify: {message: "Closing the breaker of {key}: {approval.reason}"}
  - close_breaker: {scope: "{scope}", key: "{key}", reason: "approved in workflow task"}
"""


def _setup(client: TestClient, keys: dict, rule: str = RULE) -> dict[str, Any]:
    """Agent bot-9 with the rule saved, then its breaker opened by hand: the rule's run waits for the approval."""
    r = client.post("/v1/agents", json={"code": "bot-9", "name": "Bot", "kind": "ai"}, headers=auth(keys["admin"]))
    assert r.status_code == 201, r.text
    r = client.post("/v1/workflows/rules", json={"source": rule}, headers=auth(keys["supervisor"]))
    assert r.status_code == 201, r.text
    kill = {"scope": "agent", "key": "bot-9", "open": True, "reason": "too many refunds"}
    assert client.post("/v1/actions/breakers", json=kill, headers=auth(keys["supervisor"])).status_code == 200
    return _task(client, keys)


def _task(client: TestClient, keys: dict) -> dict[str, Any]:
    tasks = client.get("/v1/workflows/tasks", headers=auth(keys["analyst"])).json()
    return next(t for t in tasks if t["kind"] == "approval") if tasks else {}


def _run(client: TestClient, keys: dict) -> dict[str, Any]:
    runs = client.get("/v1/workflows/runs", headers=auth(keys["analyst"])).json()
    assert len(runs) == 1, runs
    return runs[0]


def _breaker(client: TestClient, keys: dict) -> dict[str, Any]:
    rows = client.get("/v1/actions/breakers", headers=auth(keys["supervisor"])).json()
    return next(b for b in rows if (b["scope"], b["key"]) == ("agent", "bot-9"))


def _decide(client: TestClient, keys: dict, task: dict, decision: str, reason: str) -> dict[str, Any]:
    r = client.post(
        f"/v1/workflows/tasks/{task['id']}/decision",
        json={"decision": decision, "reason": reason},
        headers=auth(keys["supervisor"]),
    )
    assert r.status_code == 200, r.text
    return r.json()


def _closings(client: TestClient, keys: dict) -> list[dict[str, Any]]:
    audit = client.get("/v1/actions/audit?limit=500", headers=auth(keys["admin"])).json()
    return [a for a in audit if a["kind"] == "breaker_closed"]


def test_approving_runs_the_remaining_steps_once_and_closes_the_breaker(
    client: TestClient, org_keys: dict, app, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys)
    drain_events(app)
    run = _run(client, org_keys)
    assert run["status"] == "awaiting_approval" and run["finished_at"] is None
    assert [s["kind"] for s in run["steps"]] == ["notify", "request_approval"]
    assert _breaker(client, org_keys)["is_open"]
    drain_events(app)  # nothing more happens while it waits
    assert _run(client, org_keys)["steps"] == run["steps"]

    # the first attempt of the resumed run fails after its notify: the dispatcher rolls it back and retries it
    original, calls = service._STEP_RUNNERS["close_breaker"], []

    def flaky(*args: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return original(*args)

    monkeypatch.setitem(service._STEP_RUNNERS, "close_breaker", flaky)
    task = _decide(client, org_keys, _task(client, org_keys), "approve", "refund spike explained: a price error")
    assert task["status"] == "approved" and task["decided_by"].startswith("key:")
    assert _run(client, org_keys)["status"] == "pending"  # requested again, executed by the run consumer
    drain_events(app)  # fails once
    assert _run(client, org_keys)["status"] == "pending" and _breaker(client, org_keys)["is_open"]
    drain_events(app)  # the retry
    assert len(calls) == 2

    run = _run(client, org_keys)
    assert run["status"] == "succeeded" and run["finished_at"], run
    assert [(s["kind"], s["status"]) for s in run["steps"]] == [
        ("notify", "succeeded"),
        ("request_approval", "succeeded"),
        ("notify", "succeeded"),
        ("close_breaker", "succeeded"),
    ]
    gate = run["steps"][1]
    assert (gate["decision"], gate["decision_reason"], gate["decided_by"]) == (
        "approved",
        "refund spike explained: a price error",
        task["decided_by"],
    )
    assert run["steps"][3]["detail"] == "breaker agent bot-9 closed"
    breaker = _breaker(client, org_keys)
    assert not breaker["is_open"] and breaker["changed_by"] == task["decided_by"]
    assert breaker["reason"].startswith("approved in workflow task: refund spike explained: a price error")
    closings = _closings(client, org_keys)
    assert len(closings) == 1 and closings[0]["payload"]["by"] == task["decided_by"]
    assert "refund spike explained" in closings[0]["payload"]["reason"]
    with unit_of_work(app.state.session_factory) as s:
        notes = [n.message for n in s.scalars(select(WorkflowNotification).order_by(WorkflowNotification.created_at))]
    assert notes == ["Breaker opened for agent bot-9: too many refunds", "Closing the breaker of bot-9: refund spike "
                     "explained: a price error"]  # fmt: skip

    # redelivery of every run request (a relay that lost its acknowledgements), and a direct re-execution: no-ops
    factory = app.state.session_factory
    handler = build_subscriptions(app.state.settings.effective_models_dir).by_consumer()["workflows.runner"]
    with factory() as s:
        requests = [
            to_delivered(e) for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == "workflows.run_requested"))
        ]
    assert len(requests) == 2  # the rule's match, then the approval
    for event in requests:
        assert apply_once(factory, "workflows.runner", handler["workflows.run_requested"], event) is False
    with unit_of_work(factory) as s:
        service.execute_run(s, run_id=uuid.UUID(run["id"]), sender=app.state.webhook_sender)
    assert _run(client, org_keys)["steps"] == run["steps"]
    assert len(_closings(client, org_keys)) == 1 and len(calls) == 2
    # deciding again is refused
    r = client.post(
        f"/v1/workflows/tasks/{task['id']}/decision",
        json={"decision": "reject", "reason": "x"},
        headers=auth(org_keys["supervisor"]),
    )
    assert r.status_code == 409


def test_rejecting_skips_the_remaining_steps_and_the_breaker_stays_open(
    client: TestClient, org_keys: dict, app
) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys)
    drain_events(app)
    task = _decide(client, org_keys, _task(client, org_keys), "reject", "the agent still misbehaves")
    assert task["status"] == "rejected"
    drain_events(app)
    run = _run(client, org_keys)
    assert run["status"] == "rejected" and run["finished_at"], run
    assert [(s["kind"], s["status"]) for s in run["steps"]] == [
        ("notify", "succeeded"),
        ("request_approval", "succeeded"),
        ("notify", "skipped"),
        ("close_breaker", "skipped"),
    ]
    assert run["steps"][1]["decision"] == "rejected"
    assert run["steps"][3]["detail"] == "not run: the approval was rejected"
    assert _breaker(client, org_keys)["is_open"] and _closings(client, org_keys) == []
    status = client.get("/v1/workflows/runs?status=rejected", headers=auth(org_keys["analyst"])).json()
    assert [r["id"] for r in status] == [run["id"]]


def test_an_expired_approval_ends_the_run_without_closing(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys)
    drain_events(app)
    with unit_of_work(app.state.session_factory) as s:
        row = s.scalars(select(WorkflowTask).where(WorkflowTask.kind == "approval")).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
    task = _task(client, org_keys)  # reading the tasks expires it, and ends its run
    assert task["status"] == "expired"
    run = _run(client, org_keys)
    assert run["status"] == "expired"
    assert [s["status"] for s in run["steps"][2:]] == ["skipped", "skipped"]
    assert run["steps"][2]["detail"] == "not run: the approval expired undecided"
    r = client.post(
        f"/v1/workflows/tasks/{task['id']}/decision",
        json={"decision": "approve", "reason": "late"},
        headers=auth(org_keys["supervisor"]),
    )
    assert r.status_code == 409
    drain_events(app)
    assert _breaker(client, org_keys)["is_open"] and _run(client, org_keys)["status"] == "expired"
    with unit_of_work(app.state.session_factory) as s:
        assert service.expire_approvals(s) == 0  # settled once


def test_an_approval_as_last_step_is_the_runs_outcome_and_a_missing_breaker_fails_the_step(
    client: TestClient, org_keys: dict, app
) -> None:  # type: ignore[no-untyped-def]
    rule = RULE.replace('key: "{key}"', 'key: "no-such-agent"')
    _setup(client, org_keys, rule)
    drain_events(app)
    _decide(client, org_keys, _task(client, org_keys), "approve", "ok")
    drain_events(app)
    run = _run(client, org_keys)
    assert run["status"] == "failed"
    assert run["steps"][-1] == {**run["steps"][-1], "kind": "close_breaker", "status": "failed"}
    assert "no breaker for agent 'no-such-agent'" in run["steps"][-1]["detail"]
    assert _breaker(client, org_keys)["is_open"]


def test_approval_as_the_last_step(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, 'name: ask\ntrigger: breaker_tripped\nsteps:\n  - request_approval: {title: "ok?"}\n')
    drain_events(app)
    assert _run(client, org_keys)["status"] == "awaiting_approval"
    _decide(client, org_keys, _task(client, org_keys), "approve", "fine")
    drain_events(app)
    run = _run(client, org_keys)
    assert run["status"] == "succeeded" and len(run["steps"]) == 1 and run["steps"][0]["decision"] == "approved"


def test_an_already_closed_breaker_is_left_alone(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys)
    drain_events(app)
    close = {"scope": "agent", "key": "bot-9", "open": False, "reason": "fixed by hand"}
    assert client.post("/v1/actions/breakers", json=close, headers=auth(org_keys["admin"])).status_code == 200
    _decide(client, org_keys, _task(client, org_keys), "approve", "ok")
    OutboxDispatcher(app.state.session_factory, build_subscriptions(app.state.settings.effective_models_dir)).run_once()
    run = _run(client, org_keys)
    assert run["status"] == "succeeded"
    assert run["steps"][-1]["detail"].startswith("breaker agent bot-9 was already closed (by key:")
    assert len(_closings(client, org_keys)) == 1  # the hand's only


def test_close_breaker_needs_scope_and_key_and_dry_run_marks_gated_steps(client: TestClient, org_keys: dict) -> None:
    bad = "name: b\ntrigger: breaker_tripped\nsteps:\n  - close_breaker: {scope: agent}\n"
    r = client.post("/v1/workflows/rules", json={"source": bad}, headers=auth(org_keys["supervisor"]))
    assert r.status_code == 422
    assert "step 'close_breaker' needs the breaker's key" in r.json()["error"]["message"]
    client.post("/v1/agents", json={"code": "bot-9", "name": "Bot", "kind": "ai"}, headers=auth(org_keys["admin"]))
    kill = {"scope": "agent", "key": "bot-9", "open": True, "reason": "test"}
    assert client.post("/v1/actions/breakers", json=kill, headers=auth(org_keys["supervisor"])).status_code == 200
    report = client.post("/v1/workflows/dry-run", json={"source": RULE}, headers=auth(org_keys["analyst"])).json()
    assert report["would_run"] == 1, report
    steps = report["examples"][0]["steps"]
    assert [s["when"] for s in steps] == ["now", "now", "after approval", "after approval"]
    assert steps[3]["params"] == {"scope": "agent", "key": "bot-9", "reason": "approved in workflow task"}


def test_the_app_settles_expired_approvals_on_a_schedule(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    """Without anyone reading tasks or runs, the app's expiry job ends a run whose approval expired."""
    _setup(client, org_keys)
    drain_events(app)
    with unit_of_work(app.state.session_factory) as s:
        row = s.scalars(select(WorkflowTask).where(WorkflowTask.kind == "approval")).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
    assert isinstance(app.state.approval_expiry, ExpiryScheduler)  # started with the app (every 300 s by default)
    assert expire_once(app.state.session_factory) == 1
    with app.state.session_factory() as s:
        assert s.scalars(select(WorkflowTask).where(WorkflowTask.kind == "approval")).one().status == "expired"
        assert s.scalars(select(WorkflowRun)).all()[-1].status == "expired"
    assert expire_once(app.state.session_factory) == 0
