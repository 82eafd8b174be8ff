"""The recovery sweep: a proposal a crash left 'executing' (the connector applied the step, the outcome was never
recorded) is resumed once its lease has passed, with no client retry, through the path a retry takes: the same
connector idempotency key (so the system of record applies it once), one 'recovery' then one 'execution' audit entry.
Run by `cxops worker` every interval, by the API when it runs the event consumers itself (no worker on a laptop),
and by `cxops actions recover`."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from cxops.core.auth import Principal, Role
from cxops.core.clock import utcnow
from cxops.core.config import Settings, get_settings
from cxops.core.db import unit_of_work
from cxops.domains.actions import audit, service
from cxops.domains.actions.breakers import set_breaker
from cxops.domains.actions.compute.catalogue import Catalogue
from cxops.domains.actions.errors import ConnectorTimeout
from cxops.domains.actions.models import ActionProposal, AuditEntry
from cxops.domains.actions.schemas import ProposalCreate
from cxops.domains.actions.tasks import recover_interrupted
from cxops.entrypoints.actions_wiring import action_recovery, actions_runtime
from cxops.entrypoints.cli.main import app as cli
from cxops.entrypoints.http.app import create_app
from tests.api.actions.conftest import pending_order
from tests.api.actions.test_actions_api import Averse
from tests.api.actions.test_actions_interrupted import Crash, CrashAfterApply, cancel
from tests.conftest import auth


def crash_mid_execution(app: Any, org_keys: dict[str, str], order: dict[str, Any], key: str) -> CrashAfterApply:
    """Propose `key`; the process 'dies' right after the sandbox applied it (nothing of the request commits after)."""
    runtime = app.state.actions_runtime
    sandbox = runtime.connectors["sandbox"]
    crashing = CrashAfterApply(sandbox)
    runtime.connectors = {**runtime.connectors, "sandbox": crashing}
    org_id = uuid.UUID(org_keys["org_id"])
    who = Principal(key_id=uuid.uuid4(), org_id=org_id, role=Role.SERVICE)
    with app.state.session_factory() as s, pytest.raises(Crash):
        service.propose(s, runtime, org_id=org_id, who=who, req=ProposalCreate.model_validate(cancel(order, key)))
    runtime.connectors = {**runtime.connectors, "sandbox": sandbox}
    return crashing


def age(app: Any, key: str, seconds: float) -> str:
    """Make the proposal's execution intent `seconds` old (as if the crash happened that long ago); its id."""
    with app.state.session_factory() as s:
        row = s.scalars(select(ActionProposal).where(ActionProposal.idempotency_key == key)).one()
        s.execute(
            update(ActionProposal)
            .where(ActionProposal.id == row.id)
            .values(created_at=utcnow() - timedelta(seconds=seconds))
        )
        s.commit()
        return str(row.id)


def kinds(app: Any, proposal_id: str) -> list[str]:
    with app.state.session_factory() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.proposal_id == uuid.UUID(proposal_id)).order_by(AuditEntry.seq)
        ).all()
    return [r.kind for r in rows]


def test_sweep_resumes_a_stuck_execution_once_past_its_lease(client, org_keys, app, retail_db):
    order = pending_order(retail_db, 8)
    crashing = crash_mid_execution(app, org_keys, order, "sweep-1")
    runtime, factory = app.state.actions_runtime, app.state.session_factory
    proposal_id = age(app, "sweep-1", 60)
    assert recover_interrupted(factory, runtime, lease_s=300) == []  # within its lease: maybe still running

    report = recover_interrupted(factory, runtime, lease_s=30)
    assert report == [{"proposal_id": proposal_id, "org_id": org_keys["org_id"], "outcome": "executed"}]
    assert crashing.calls == [f"{proposal_id}:0"]  # the crashed call; the sweep's call used the same key
    got = client.get(f"/v1/actions/proposals/{proposal_id}", headers=auth(org_keys["supervisor"])).json()
    assert got["status"] == "executed" and got["results"][0]["result"]["status"] == "cancelled"
    assert kinds(app, proposal_id) == ["proposal", "decision", "recovery", "execution"]
    with factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.kind == "recovery")).one()
        assert entry.payload["by"] == "recovery sweep" and entry.payload["lease_s"] == 30
        assert audit.verify(s, org_id=uuid.UUID(org_keys["org_id"]))["ok"] is True

    assert recover_interrupted(factory, runtime, lease_s=30) == []  # nothing left
    retry = client.post("/v1/actions/proposals", json=cancel(order, "sweep-1"), headers=auth(org_keys["service"]))
    assert retry.json()["status"] == "executed" and retry.json()["replayed"] is True
    assert kinds(app, proposal_id).count("execution") == 1  # the client's late retry only reads the outcome


def test_an_interrupted_approval_is_recovered_from_its_approval_time(client, org_keys, app, retail_db):
    app.state.actions_runtime.trust = Averse()
    order = pending_order(retail_db, 9)
    r = client.post("/v1/actions/proposals", json=cancel(order, "sweep-2"), headers=auth(org_keys["service"])).json()
    assert r["status"] == "pending_approval"
    with app.state.session_factory() as s:  # proposed long ago, approved just now, then the process died
        s.execute(
            update(ActionProposal)
            .where(ActionProposal.id == uuid.UUID(r["id"]))
            .values(status="executing", created_at=utcnow() - timedelta(hours=2), reviewed_at=utcnow())
        )
        s.commit()
    factory, runtime = app.state.session_factory, app.state.actions_runtime
    assert recover_interrupted(factory, runtime, lease_s=600) == []  # the execution began at the approval
    with factory() as s:
        s.execute(
            update(ActionProposal)
            .where(ActionProposal.id == uuid.UUID(r["id"]))
            .values(reviewed_at=utcnow() - timedelta(minutes=11))
        )
        s.commit()
    assert [x["outcome"] for x in recover_interrupted(factory, runtime, lease_s=600)] == ["executed"]


def test_worker_thread_recovers_without_any_request(client, org_keys, app, retail_db, settings: Settings):
    crash_mid_execution(app, org_keys, pending_order(retail_db, 10), "sweep-3")
    proposal_id = age(app, "sweep-3", 120)
    worker_settings = settings.model_copy(update={"actions_recovery_interval_s": 1, "actions_recovery_lease_s": 60})
    factory = app.state.session_factory
    sweep = action_recovery(worker_settings, factory, actions_runtime(factory))  # what `cxops worker` runs
    sweep.start()
    try:
        assert wait_for_execution(app, proposal_id)[-2:] == ["recovery", "execution"]
    finally:
        sweep.stop()


def wait_for_execution(app: Any, proposal_id: str, timeout_s: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while "execution" not in kinds(app, proposal_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    return kinds(app, proposal_id)


def test_the_api_recovers_when_it_runs_the_consumers_itself(client, org_keys, app, retail_db, settings: Settings):
    """Laptop mode (embedded dispatch, no `cxops worker`): the API process runs the sweep; a server whose
    consumers run elsewhere (dispatch off) leaves it to the workers."""
    crash_mid_execution(app, org_keys, pending_order(retail_db, 12), "sweep-5")
    proposal_id = age(app, "sweep-5", 120)
    fast = settings.model_copy(update={"actions_recovery_interval_s": 1, "actions_recovery_lease_s": 60})
    with TestClient(create_app(fast, dispatch=False)):
        time.sleep(2.5)  # two intervals and more: nothing runs the sweep in this process
        assert "execution" not in kinds(app, proposal_id)
    with TestClient(create_app(fast, dispatch=True)):
        assert wait_for_execution(app, proposal_id)[-2:] == ["recovery", "execution"]


def test_cli_recover_reports_each_proposal(client, org_keys, app, retail_db, settings: Settings, monkeypatch):
    monkeypatch.setenv("CXOPS_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("CXOPS_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        empty = runner.invoke(cli, ["actions", "recover", "--lease", "30"])
        assert empty.exit_code == 0 and "no proposal has been executing for longer than 30 s" in empty.output
        crash_mid_execution(app, org_keys, pending_order(retail_db, 11), "sweep-4")
        proposal_id = age(app, "sweep-4", 120)
        out = runner.invoke(cli, ["actions", "recover", "--lease", "30", "--json"])
        assert out.exit_code == 0, out.output
        body = orjson.loads(out.stdout)
        assert body["lease_s"] == 30 and [(p["proposal_id"], p["outcome"]) for p in body["proposals"]] == [
            (proposal_id, "executed")
        ]
        bad = runner.invoke(cli, ["actions", "recover", "--lease", "0"])
        assert bad.exit_code == 2 and "--lease" in bad.output
    finally:
        get_settings.cache_clear()


# --- a proposal the sweep cannot resume: given up for human review at once (permanent) or after N attempts ----------


class Unreachable:
    """The sandbox connector, except that every execution times out (the system of record may or may not have it)."""

    name = "sandbox"

    def __init__(self, inner: Any, message: str = "no answer in 10 s") -> None:
        self.inner, self.message, self.calls = inner, message, []

    def read_state(self, **kw: Any) -> dict[str, Any]:
        return dict(self.inner.read_state(**kw))

    def execute(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(kw["idempotency_key"])
        raise ConnectorTimeout(self.message)

    def compensate(self, **kw: Any) -> dict[str, Any]:
        return dict(self.inner.compensate(**kw))


def proposal(app: Any, proposal_id: str) -> dict[str, Any]:
    with app.state.session_factory() as s:
        row = s.get(ActionProposal, uuid.UUID(proposal_id))
        assert row is not None
        return {c: getattr(row, c) for c in ("status", "error", "recovery_attempts", "recovery_next_at")}


def recoveries(app: Any, proposal_id: str) -> list[dict[str, Any]]:
    with app.state.session_factory() as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.proposal_id == uuid.UUID(proposal_id), AuditEntry.kind == "recovery")
            .order_by(AuditEntry.seq)
        ).all()
    return [r.payload for r in rows]


def make_due(app: Any, proposal_id: str) -> None:
    """As if the backoff after the last failed attempt had passed."""
    with app.state.session_factory() as s:
        s.execute(
            update(ActionProposal)
            .where(ActionProposal.id == uuid.UUID(proposal_id))
            .values(recovery_next_at=utcnow() - timedelta(seconds=1))
        )
        s.commit()


def chain_ok(app: Any, org_id: str) -> bool:
    with app.state.session_factory() as s:
        return bool(audit.verify(s, org_id=uuid.UUID(org_id))["ok"])


def test_a_proposal_whose_action_left_the_catalogue_is_given_up_for_review_once(client, org_keys, app, retail_db):
    order = pending_order(retail_db, 13)
    crash_mid_execution(app, org_keys, order, "gone-1")
    proposal_id = age(app, "gone-1", 120)
    runtime, factory = app.state.actions_runtime, app.state.session_factory
    runtime.catalogue = Catalogue({n: a for n, a in runtime.catalogue.actions.items() if n != "cancel_pending_order"})

    report = recover_interrupted(factory, runtime, lease_s=30)
    assert len(report) == 1 and report[0]["outcome"].startswith(
        "gave up: action 'cancel_pending_order' is no longer in the catalogue; the interrupted execution may have"
    )
    got = proposal(app, proposal_id)
    assert got["status"] == "failed_uncompensated" and got["recovery_attempts"] == 1  # failed, maybe applied: review
    assert got["error"].startswith("recovery gave up: action 'cancel_pending_order' is no longer in the catalogue")
    assert got["error"].endswith("needs human review")
    assert kinds(app, proposal_id) == ["proposal", "decision", "recovery"]
    (note,) = recoveries(app, proposal_id)
    assert note["outcome"] == "gave_up" and note["permanent"] is True and note["needs_review"] is True
    assert note["error_type"] == "NotFound" and note["attempt"] == 1 and note["status"] == "failed_uncompensated"
    assert chain_ok(app, org_keys["org_id"])

    assert recover_interrupted(factory, runtime, lease_s=30) == []  # the next sweep leaves it alone
    assert kinds(app, proposal_id) == ["proposal", "decision", "recovery"]
    retry = client.post("/v1/actions/proposals", json=cancel(order, "gone-1"), headers=auth(org_keys["service"]))
    assert retry.status_code == 502 and "needs human review" in retry.json()["error"]["message"]


def test_a_missing_connector_or_arguments_no_longer_valid_are_permanent_too(client, org_keys, app, retail_db):
    crash_mid_execution(app, org_keys, pending_order(retail_db, 14), "gone-2")
    crash_mid_execution(app, org_keys, pending_order(retail_db, 15), "gone-3")
    runtime, factory = app.state.actions_runtime, app.state.session_factory
    no_connector, sandbox = age(app, "gone-2", 120), runtime.connectors["sandbox"]
    runtime.connectors = {}
    first = recover_interrupted(factory, runtime, lease_s=30)
    assert [r["proposal_id"] for r in first] == [no_connector]
    assert "connector 'sandbox' of action 'cancel_pending_order' is not configured" in first[0]["outcome"]
    assert recoveries(app, no_connector)[0]["error_type"] == "ConfigurationError"
    runtime.connectors = {"sandbox": sandbox}

    bad_args = age(app, "gone-3", 120)
    with app.state.session_factory() as s:  # e.g. the action's parameter schema changed since it was decided
        s.execute(
            update(ActionProposal)
            .where(ActionProposal.id == uuid.UUID(bad_args))
            .values(steps=[{"action": "cancel_pending_order", "params": {"order_id": 42, "reason": "x"}}])
        )
        s.commit()
    second = recover_interrupted(factory, runtime, lease_s=30)
    assert [r["proposal_id"] for r in second] == [bad_args]  # the first one is not picked up again
    assert "the stored arguments of step 0 (cancel_pending_order) are no longer valid" in second[0]["outcome"]
    assert recoveries(app, bad_args)[0]["error_type"] == "ValidationFailed"
    assert {proposal(app, p)["status"] for p in (no_connector, bad_args)} == {"failed_uncompensated"}
    assert recover_interrupted(factory, runtime, lease_s=30) == []
    assert chain_ok(app, org_keys["org_id"])


def test_a_transient_failure_is_retried_with_backoff_then_given_up_after_the_cap(
    client, org_keys, app, retail_db, settings: Settings, monkeypatch, caplog
):
    crash_mid_execution(app, org_keys, pending_order(retail_db, 16), "flaky-1")
    proposal_id = age(app, "flaky-1", 120)
    runtime, factory = app.state.actions_runtime, app.state.session_factory
    sandbox = runtime.connectors["sandbox"]
    personal = "jane.doe@example.com"  # what a system of record may echo back; it must not reach the logs
    down = Unreachable(sandbox, f"gateway timeout for {personal}")
    runtime.connectors = {**runtime.connectors, "sandbox": down}

    with caplog.at_level("WARNING", logger="cxops.domains.actions.tasks"):
        first = recover_interrupted(factory, runtime, lease_s=30, max_attempts=3, backoff_s=60)
        assert first[0]["outcome"].startswith("failed: ConnectorTimeout: gateway timeout")
        assert "(attempt 1 of 3; next after " in first[0]["outcome"]
        got = proposal(app, proposal_id)
        assert got["status"] == "executing" and got["recovery_attempts"] == 1  # still to be finished
        assert timedelta(seconds=55) < got["recovery_next_at"] - utcnow() <= timedelta(seconds=60)
        assert recover_interrupted(factory, runtime, lease_s=30, max_attempts=3, backoff_s=60) == []  # backing off

        make_due(app, proposal_id)
        second = recover_interrupted(factory, runtime, lease_s=30, max_attempts=3, backoff_s=60)
        assert "(attempt 2 of 3;" in second[0]["outcome"]
        assert timedelta(seconds=115) < proposal(app, proposal_id)["recovery_next_at"] - utcnow()  # doubled
        make_due(app, proposal_id)
        third = recover_interrupted(factory, runtime, lease_s=30, max_attempts=3, backoff_s=60)
    assert third[0]["outcome"].startswith("gave up: 3 attempts failed, the last with ConnectorTimeout")
    got = proposal(app, proposal_id)
    assert got["status"] == "failed_uncompensated" and got["recovery_attempts"] == 3
    assert got["recovery_next_at"] is None and got["error"].endswith("needs human review")
    assert down.calls == [f"{proposal_id}:0"] * 3  # each attempt with the step's idempotency key
    notes = recoveries(app, proposal_id)
    assert [(n["outcome"], n["attempt"]) for n in notes] == [("retry", 1), ("retry", 2), ("gave_up", 3)]
    assert notes[-1]["permanent"] is False and notes[-1]["needs_review"] is True
    assert kinds(app, proposal_id) == ["proposal", "decision", "recovery", "recovery", "recovery"]

    logged = [r for r in caplog.records if r.name == "cxops.domains.actions.tasks"]
    assert [r.levelname for r in logged] == ["WARNING", "WARNING", "ERROR"]
    for r in logged:
        assert personal not in r.getMessage() and all(personal not in str(v) for v in vars(r).values())
        assert (
            r.error_type == "ConnectorTimeout" and r.proposal_id == proposal_id and r.action == "cancel_pending_order"
        )

    make_due(app, proposal_id)
    assert recover_interrupted(factory, runtime, lease_s=30, max_attempts=3, backoff_s=60) == []
    monkeypatch.setenv("CXOPS_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("CXOPS_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        verified = CliRunner().invoke(cli, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert verified.exit_code == 0 and verified.output.startswith("ok "), verified.output


def test_after_transient_failures_the_sweep_finishes_the_execution_once(client, org_keys, app, retail_db):
    """An open breaker defers the sweep (the kill switch holds); a timeout leaves the proposal 'executing'; once
    both pass, the next attempt executes it with the same connector key, so the system of record applies it once."""
    crash_mid_execution(app, org_keys, pending_order(retail_db, 17), "flaky-2")
    proposal_id = age(app, "flaky-2", 120)
    runtime, factory = app.state.actions_runtime, app.state.session_factory
    org_id = uuid.UUID(org_keys["org_id"])
    with unit_of_work(factory) as s:
        set_breaker(s, org_id=org_id, scope="action", key="cancel_pending_order", is_open=True, reason="t", by="sup")
    blocked = recover_interrupted(factory, runtime, lease_s=30, backoff_s=0)
    assert blocked[0]["outcome"].startswith("failed: Conflict: circuit breaker open for action 'cancel_pending_order'")
    with unit_of_work(factory) as s:
        set_breaker(s, org_id=org_id, scope="action", key="cancel_pending_order", is_open=False, reason="t", by="sup")

    sandbox = runtime.connectors["sandbox"]
    runtime.connectors = {**runtime.connectors, "sandbox": Unreachable(sandbox)}
    assert "(attempt 2 of 10;" in recover_interrupted(factory, runtime, lease_s=30, backoff_s=0)[0]["outcome"]
    runtime.connectors = {**runtime.connectors, "sandbox": sandbox}
    done = recover_interrupted(factory, runtime, lease_s=30, backoff_s=0)
    assert done == [{"proposal_id": proposal_id, "org_id": org_keys["org_id"], "outcome": "executed"}]
    got = client.get(f"/v1/actions/proposals/{proposal_id}", headers=auth(org_keys["supervisor"])).json()
    assert got["status"] == "executed" and got["results"][0]["result"]["status"] == "cancelled"  # the first result
    assert [n.get("outcome") for n in recoveries(app, proposal_id)] == ["retry", "retry", None]  # None: resumed
    assert recoveries(app, proposal_id)[-1]["attempt"] == 3
    assert kinds(app, proposal_id)[-1] == "execution" and chain_ok(app, org_keys["org_id"])
