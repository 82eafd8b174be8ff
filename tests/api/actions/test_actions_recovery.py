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
from cxops.domains.actions import audit, service
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
