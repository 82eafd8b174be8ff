"""An execution interrupted by a crash (the process dies after the connector call, before the outcome commits):
the proposal stays recorded as 'executing', and a retry of its idempotency key or of the approval resumes it with
the same connector idempotency keys, so the system of record applies it once and the audit records it once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, update

from cxops.core.auth import Principal, Role
from cxops.domains.actions import audit, service
from cxops.domains.actions.models import ActionProposal, AuditEntry
from cxops.domains.actions.schemas import ProposalCreate
from tests.api.actions.conftest import confirmed, pending_order
from tests.api.actions.test_actions_api import Averse
from tests.conftest import auth


class Crash(BaseException):
    """Stands for SIGKILL: nothing after it runs in this request."""


class CrashAfterApply:
    """The sandbox connector, except that the process 'dies' right after the system of record applied a step."""

    name = "sandbox"

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, []

    def read_state(self, **kw: Any) -> dict[str, Any]:
        return dict(self.inner.read_state(**kw))

    def execute(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(kw["idempotency_key"])
        self.inner.execute(**kw)
        raise Crash

    def compensate(self, **kw: Any) -> dict[str, Any]:
        return dict(self.inner.compensate(**kw))


def cancel(order: dict[str, Any], key: str) -> dict[str, Any]:
    params = {"order_id": order["order_id"], "reason": "no longer needed"}
    return {**confirmed("cancel_pending_order", params, order["user_id"]), "idempotency_key": key}


def executions(app: Any, proposal_id: str) -> int:
    with app.state.session_factory() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.proposal_id == uuid.UUID(proposal_id))).all()
    return sum(r.kind == "execution" for r in rows)


def test_crash_after_apply_is_resumed_by_the_retry_not_applied_again(client, org_keys, app, retail_db):
    runtime = app.state.actions_runtime
    sandbox = runtime.connectors["sandbox"]
    order = pending_order(retail_db, 5)
    org_id = uuid.UUID(org_keys["org_id"])
    who = Principal(key_id=uuid.uuid4(), org_id=org_id, role=Role.SERVICE)  # the service layer does not look it up
    crashing = CrashAfterApply(sandbox)
    runtime.connectors = {**runtime.connectors, "sandbox": crashing}
    req = ProposalCreate.model_validate(cancel(order, "crash-1"))
    with app.state.session_factory() as s, pytest.raises(Crash):
        service.propose(s, runtime, org_id=org_id, who=who, req=req)  # the session is dropped without a commit
    runtime.connectors = {**runtime.connectors, "sandbox": sandbox}

    listed = client.get("/v1/actions/proposals?status=executing", headers=auth(org_keys["supervisor"])).json()
    assert [p["idempotency_key"] for p in listed] == ["crash-1"]
    assert sandbox.db(org_id, "retail")["orders"][order["order_id"]]["status"] == "cancelled"  # applied once

    retry = client.post("/v1/actions/proposals", json=cancel(order, "crash-1"), headers=auth(org_keys["service"]))
    assert retry.status_code == 200, retry.text
    body = retry.json()
    assert body["id"] == listed[0]["id"] and body["replayed"] is True and body["status"] == "executed"
    assert body["results"][0]["result"]["status"] == "cancelled"  # the first application's result, not a refusal
    assert crashing.calls == [f"{body['id']}:0"]
    assert executions(app, body["id"]) == 1
    again = client.post("/v1/actions/proposals", json=cancel(order, "crash-1"), headers=auth(org_keys["service"]))
    assert again.json()["status"] == "executed" and executions(app, body["id"]) == 1
    with app.state.session_factory() as s:
        assert audit.verify(s, org_id=org_id)["ok"] is True


def test_interrupted_approval_is_resumed_by_approving_again(client, org_keys, app, retail_db):
    app.state.actions_runtime.trust = Averse()
    order = pending_order(retail_db, 6)
    r = client.post("/v1/actions/proposals", json=cancel(order, "appr-1"), headers=auth(org_keys["service"])).json()
    assert r["status"] == "pending_approval"
    with app.state.session_factory() as s:  # the approval committed its intent, then the process died
        s.execute(update(ActionProposal).where(ActionProposal.id == uuid.UUID(r["id"])).values(status="executing"))
        s.commit()
    ok = client.post(
        f"/v1/actions/approvals/{r['id']}/approve", json={"reason": "retry"}, headers=auth(org_keys["supervisor"])
    )
    assert ok.status_code == 200 and ok.json()["status"] == "executed"
    assert executions(app, r["id"]) == 1
    done = client.post(
        f"/v1/actions/approvals/{r['id']}/approve", json={"reason": "again"}, headers=auth(org_keys["supervisor"])
    )
    assert done.status_code == 409 and "'executed'" in done.json()["error"]["message"]


def test_intent_is_committed_before_the_connector_runs(client, org_keys, app, retail_db):
    runtime = app.state.actions_runtime
    sandbox = runtime.connectors["sandbox"]
    seen: list[str] = []

    class Observing(CrashAfterApply):
        def execute(self, **kw: Any) -> dict[str, Any]:
            with app.state.session_factory() as s:  # another connection: only committed data is visible
                row = s.scalars(select(ActionProposal).where(ActionProposal.idempotency_key == "seen-1")).one()
                seen.append(row.status)
            return dict(self.inner.execute(**kw))

    runtime.connectors = {**runtime.connectors, "sandbox": Observing(sandbox)}
    r = client.post(
        "/v1/actions/proposals", json=cancel(pending_order(retail_db, 7), "seen-1"), headers=auth(org_keys["service"])
    )
    assert r.json()["status"] == "executed" and seen == ["executing"]
