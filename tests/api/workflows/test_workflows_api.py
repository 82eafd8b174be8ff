"""Workflows end to end: rules through the API, events to durable runs, every step kind, webhooks with retries
and dead letters (against a real local HTTP server), approvals, dry runs, and loops stopped."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event
from sqlalchemy import select

from cxops.core.events import Delivered, to_delivered
from cxops.core.ids import new_id
from cxops.core.models import OutboxEvent
from cxops.domains.interactions.public import Interaction
from cxops.domains.workflows import service
from cxops.domains.workflows.models import WorkflowRun
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


def _live(n: int, **overrides: object) -> dict:
    """An interaction that ends after the test's rules were saved (a rule acts on facts from then on)."""
    end = datetime.now(UTC) + timedelta(seconds=n)
    return interaction(n, started_at=(end - timedelta(minutes=6)).isoformat(), ended_at=end.isoformat(), **overrides)


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
            _live(1, intent="refund", outcome="escalated"),
            _live(2, intent="refund"),
            _live(3, intent="billing", outcome="escalated"),
        ],
    )
    drain_events(app)
    runs = client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()
    # the webhook follows the approval: it waits for the decision
    assert len(runs) == 1 and runs[0]["status"] == "awaiting_approval", runs
    assert [s["kind"] for s in runs[0]["steps"]] == [
        "tag",
        "create_task",
        "notify",
        "pause_automation",
        "request_approval",
    ]
    assert _Hook.calls == []
    approval = next(
        t
        for t in client.get("/v1/workflows/tasks", headers=auth(org_keys["analyst"])).json()
        if t["kind"] == "approval"
    )
    decided = client.post(
        f"/v1/workflows/tasks/{approval['id']}/decision",
        json={"decision": "approve", "reason": "fine"},
        headers=auth(org_keys["supervisor"]),
    )
    assert decided.status_code == 200, decided.text
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
    _ingest(client, org_keys, [_live(1)])
    drain_events(app)
    run = client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()[0]
    assert run["status"] == "succeeded" and "2 attempt" in run["steps"][0]["detail"]
    _Hook.fail_first = 10
    _ingest(client, org_keys, [_live(2)])
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
    _ingest(client, org_keys, [_live(1)])
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


def test_dry_run_examples_explain_each_subject_in_interaction_order(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    """A batch's interactions are evaluated on the fields a rule reads (ids as text, handle time, start time) and
    listed in interaction id order, each example with the verdict of every condition."""
    records = [interaction(i, outcome="escalated" if i % 2 else "resolved", wrap_s=40 + i) for i in range(8)]
    _ingest(client, org_keys, records)
    text = (
        "name: slow escalations\ntrigger: interaction_ended\nconditions:\n"
        "  - {field: outcome, op: eq, value: escalated}\n  - {field: handle_s, op: ge, value: 363}\n"
        'steps:\n  - create_task: {team: sup, title: "{interaction_id} {customer_id} {queue_id} {team_id} '
        '{handle_s} {started_at} {channel} {external_id}"}\n'
    )
    report = client.post("/v1/workflows/dry-run", json={"source": text}, headers=auth(org_keys["analyst"])).json()
    assert (report["events_examined"], report["subjects_evaluated"], report["would_run"]) == (1, 8, 3)
    with app.state.session_factory() as session:
        rows = {
            str(r.id): r
            for r in session.scalars(select(Interaction).where(Interaction.external_id.in_(["c-3", "c-5", "c-7"])))
        }
    assert [e["subject"] for e in report["examples"]] == sorted(rows)
    for example in report["examples"]:
        row = rows[example["subject"]]
        assert example["steps"][0]["params"]["title"] == (
            f"{row.id} {row.customer_id} {row.queue_id} {row.team_id or ''} {300 + 20 + row.wrap_s} "
            f"{row.started_at.isoformat()} voice {row.external_id}"
        )
        assert example["conditions"] == [
            "outcome eq 'escalated': yes (value 'escalated')",
            f"handle_s ge 363: yes (value {300 + 20 + row.wrap_s!r})",
        ]
        assert example["fact_at"] == row.ended_at.isoformat()


def test_a_dry_run_counts_every_match_beyond_the_examples_it_shows(
    client: TestClient, org_keys: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """would_run is how many times the rule would have run, not how many examples fit in the report (it read
    "would have run 200 times" for any rule matching more)."""
    monkeypatch.setattr(service, "DRY_RUN_MAX_EXAMPLES", 2)
    _ingest(client, org_keys, [interaction(i, outcome="escalated" if i % 2 else "resolved") for i in range(8)])
    text = "name: esc\ntrigger: interaction_ended\nconditions:\n  - {field: outcome, op: eq, value: escalated}\n"
    text += "steps:\n  - create_task: {team: sup, title: x}\n"
    report = client.post("/v1/workflows/dry-run", json={"source": text}, headers=auth(org_keys["analyst"])).json()
    assert (report["subjects_evaluated"], report["would_run"], len(report["examples"])) == (8, 4, 2)


def test_approvals_need_a_reason_and_close_once(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _rule(client, org_keys, 'name: ap\ntrigger: interaction_ended\nsteps:\n  - request_approval: {title: "ok?"}\n')
    _ingest(client, org_keys, [_live(1)])
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


ESCALATIONS = (
    "name: escalations\ntrigger: interaction_ended\nconditions:\n  - {field: outcome, op: eq, value: escalated}\n"
    'steps:\n  - create_task: {team: supervisors, title: "Call back {external_id}"}\n'
)


def _ended(n: int, ago: timedelta, **overrides: object) -> dict:
    """An interaction that ended `ago` before now."""
    end = datetime.now(UTC) - ago
    return interaction(n, started_at=(end - timedelta(minutes=6)).isoformat(), ended_at=end.isoformat(), **overrides)


def _runs(client: TestClient, keys: dict) -> list[dict]:
    return client.get("/v1/workflows/runs", headers=auth(keys["analyst"])).json()


def _external_ids(client: TestClient, keys: dict, runs: list[dict]) -> set[str]:
    return {
        client.get(f"/v1/interactions/{r['subject']}", headers=auth(keys["admin"])).json()["external_id"] for r in runs
    }


def test_a_rule_acts_on_facts_from_when_it_is_saved(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    # ended (and ingested) before the rule exists; its event is delivered only after the rule is saved
    _ingest(client, org_keys, [_ended(1, timedelta(minutes=30), outcome="escalated")])
    rule = _rule(client, org_keys, ESCALATIONS)
    assert datetime.fromisoformat(rule["active_from"]) >= datetime.now(UTC) - timedelta(minutes=1)
    drain_events(app)
    assert _runs(client, org_keys) == []
    # an old call ingested after the rule is saved is still an old fact; a call that ends afterwards fires
    _ingest(client, org_keys, [interaction(2, outcome="escalated"), _live(3, outcome="escalated")])
    drain_events(app)
    runs = _runs(client, org_keys)
    assert len(runs) == 1 and _external_ids(client, org_keys, runs) == {"c-3"}


def test_versions_keep_active_from_and_enabling_resets_it(client: TestClient, org_keys: dict) -> None:
    v1 = _rule(client, org_keys, ESCALATIONS)
    v2 = _rule(client, org_keys, ESCALATIONS.replace("Call back", "Ring"))
    assert v2["version"] == 2 and v2["active_from"] == v1["active_from"]
    sup = auth(org_keys["supervisor"])
    assert (
        client.post(f"/v1/workflows/rules/{v2['id']}/enabled?value=false", headers=sup).json()["active_from"]
        == (v1["active_from"])
    )
    on = client.post(f"/v1/workflows/rules/{v2['id']}/enabled?value=true", headers=sup).json()
    assert on["enabled"] and on["active_from"] > v1["active_from"]
    again = client.post(f"/v1/workflows/rules/{v2['id']}/enabled?value=true", headers=sup).json()
    assert again["active_from"] == on["active_from"]  # enabling an enabled rule changes nothing
    listed = client.get("/v1/workflows/rules", headers=auth(org_keys["analyst"])).json()
    assert [r["active_from"] for r in listed] == [on["active_from"]]


def test_explicit_applies_from(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    sup = auth(org_keys["supervisor"])
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = client.post("/v1/workflows/rules", json={"source": ESCALATIONS, "applies_from": future}, headers=sup)
    assert r.status_code == 422 and r.json()["error"]["field"] == "applies_from"
    assert "future" in r.json()["error"]["message"]
    naive = client.post(
        "/v1/workflows/rules", json={"source": ESCALATIONS, "applies_from": "2026-01-01T00:00:00"}, headers=sup
    )
    assert naive.status_code == 422 and "applies_from" in naive.text
    r = client.post(
        "/v1/workflows/rules", json={"source": ESCALATIONS, "applies_from": "2020-01-01T00:00:00Z"}, headers=sup
    )
    assert r.status_code == 201 and r.json()["active_from"].startswith("2020-01-01T00:00:00")
    _ingest(client, org_keys, [interaction(1, outcome="escalated")])  # ended 2026-03-02: after 2020
    drain_events(app)
    assert _external_ids(client, org_keys, _runs(client, org_keys)) == {"c-1"}


def test_backfill_acts_on_the_window_once(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    # one batch: an escalation 3 days ago, two 1-2 hours ago, and a resolved call; not delivered yet
    _ingest(
        client,
        org_keys,
        [
            _ended(1, timedelta(days=3), outcome="escalated"),
            _ended(2, timedelta(hours=2), outcome="escalated"),
            _ended(3, timedelta(hours=1), outcome="escalated"),
            _ended(4, timedelta(hours=1)),
        ],
    )
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    sup = auth(org_keys["supervisor"])
    rule = client.post(
        "/v1/workflows/rules", json={"source": ESCALATIONS, "applies_from": two_days_ago}, headers=sup
    ).json()
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    dry = client.post(
        "/v1/workflows/dry-run", json={"source": ESCALATIONS, "since": since}, headers=auth(org_keys["analyst"])
    ).json()
    assert (dry["events_examined"], dry["subjects_evaluated"], dry["would_run"]) == (1, 3, 2)

    url = f"/v1/workflows/rules/{rule['id']}/backfill"
    first = client.post(url, json={"since": since, "max_events": 50}, headers=sup)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["events_examined"], report["subjects_evaluated"]) == (1, 3)
    assert (report["runs_created"], report["runs_already_present"], report["more_events"]) == (2, 0, False)
    assert _external_ids(client, org_keys, _runs(client, org_keys)) == {"c-2", "c-3"}
    again = client.post(url, json={"since": since, "max_events": 50}, headers=sup).json()
    assert (again["runs_created"], again["runs_already_present"]) == (0, 2)

    # the live consumer receives the same event afterwards (its facts are after the rule's active_from): no duplicate
    with app.state.session_factory() as session:
        row = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "interactions.ended")).one()
        assert service.on_event(session, to_delivered(row)) == 0
        session.rollback()
    drain_events(app)
    runs = _runs(client, org_keys)
    assert len(runs) == 2 and {r["status"] for r in runs} == {"succeeded"}

    # a wider window adds the older escalation only
    wider = (datetime.now(UTC) - timedelta(days=4)).isoformat()
    report = client.post(url, json={"since": wider}, headers=sup).json()
    assert (report["runs_created"], report["runs_already_present"]) == (1, 2)


def test_a_run_made_concurrently_costs_the_event_no_other_run(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    """A backfill commits one rule's run between the live consumer's check and its insert: the consumer counts it
    as present and still makes the other rule's run for the same event (before, the unique violation rolled back
    both, and the event counted as applied)."""
    _rule(client, org_keys, ESCALATIONS)
    _rule(client, org_keys, ESCALATIONS.replace("name: escalations", "name: escalation-notes"))
    _ingest(client, org_keys, [_live(1, outcome="escalated")])
    factory = app.state.session_factory
    with factory() as session:
        row = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "interactions.ended")).one()
        event = to_delivered(row)
    raced: list[bool] = []

    def backfill_commits_first(session, *_: object) -> None:  # type: ignore[no-untyped-def]
        pending = [o for o in session.new if isinstance(o, WorkflowRun)]
        if raced or not pending:
            return
        raced.append(pending[0].rule_id)
        with factory() as other:
            other.add(
                WorkflowRun(
                    org_id=pending[0].org_id, rule_id=pending[0].rule_id, event_id=pending[0].event_id,
                    subject=pending[0].subject, status="pending", context=dict(pending[0].context), steps=[], depth=0,
                )
            )  # fmt: skip
            other.commit()

    with factory() as session:
        sa_event.listen(session, "before_flush", backfill_commits_first)
        assert service.on_event(session, event) == 1
        session.commit()
    assert raced
    with factory() as session:
        runs = session.scalars(select(WorkflowRun).where(WorkflowRun.event_id == event.id)).all()
    assert sorted(r.context["_chain"][0] for r in runs) == ["escalation-notes", "escalations"]
    assert len({r.subject for r in runs}) == 1


def test_backfill_is_refused_for_disabled_or_old_versions_and_future_times(client: TestClient, org_keys: dict) -> None:
    sup = auth(org_keys["supervisor"])
    v1 = _rule(client, org_keys, ESCALATIONS)
    body = {"since": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    future = client.post(
        f"/v1/workflows/rules/{v1['id']}/backfill",
        json={"since": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        headers=sup,
    )
    assert future.status_code == 422 and future.json()["error"]["field"] == "since"
    bounds = client.post(f"/v1/workflows/rules/{v1['id']}/backfill", json={**body, "max_events": 0}, headers=sup)
    assert bounds.status_code == 422
    extra = client.post(f"/v1/workflows/rules/{v1['id']}/backfill", json={**body, "dry": True}, headers=sup)
    assert extra.status_code == 422
    assert (
        client.post(
            f"/v1/workflows/rules/{v1['id']}/backfill", json=body, headers=auth(org_keys["analyst"])
        ).status_code
        == 403
    )
    v2 = _rule(client, org_keys, ESCALATIONS.replace("Call back", "Ring"))
    old = client.post(f"/v1/workflows/rules/{v1['id']}/backfill", json=body, headers=sup)
    assert old.status_code == 409 and "current version" in old.json()["error"]["message"]
    client.post(f"/v1/workflows/rules/{v2['id']}/enabled?value=false", headers=sup)
    off = client.post(f"/v1/workflows/rules/{v2['id']}/backfill", json=body, headers=sup)
    assert off.status_code == 409 and "disabled" in off.json()["error"]["message"]


def test_qa_scores_of_old_calls_do_not_fire_a_later_rule(client: TestClient, org_keys: dict) -> None:  # type: ignore[no-untyped-def]
    _ingest(client, org_keys, [interaction(1)])  # ended 2026-03-02, long before the rule
    _rule(
        client,
        org_keys,
        "name: low qa\ntrigger: qa_scored_below_threshold\nconditions:\n  - {field: score, op: lt, value: 60}\n"
        'steps:\n  - create_task: {team: quality, title: "Review {interaction_id}"}\n',
    )
    _ingest(client, org_keys, [_live(2)])
    ids = {
        r["external_id"]: r["id"]
        for r in client.get("/v1/interactions", params={"limit": 10}, headers=auth(org_keys["admin"])).json()["items"]
    }
    org_id = uuid.UUID(org_keys["org_id"])
    item = {"scorecard": "qa", "version": 1, "score": 20.0, "auto_failed": False}
    event = Delivered(
        new_id(),
        "qa.evaluations_scored",
        org_id,
        {"evaluations": [{**item, "evaluation_id": str(uuid.uuid4()), "interaction_id": ids[k]} for k in ids]},
    )
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        assert service.on_event(session, event) == 1
        run = session.scalars(select(WorkflowRun)).one()
        assert run.subject == ids["c-2"]
        session.rollback()
