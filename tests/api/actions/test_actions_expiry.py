"""Approvals expire for real: a proposal awaiting approval past its expiry reads as 'expired' (lists, the approvals
queue, the proposal itself) even before anything marks it; the periodic sweep marks it 'expired' with one audit
entry; approving or rejecting it is refused with the expiry, and that refusal also marks it."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from cxops.core.clock import utcnow
from cxops.core.config import Settings
from cxops.domains.actions import audit
from cxops.domains.actions.models import ActionProposal, AuditEntry
from cxops.domains.actions.tasks import expire_overdue, sweep
from cxops.entrypoints.actions_wiring import action_recovery, actions_runtime
from tests.api.actions.conftest import pending_order
from tests.api.actions.test_actions_api import Averse
from tests.api.actions.test_actions_interrupted import cancel
from tests.conftest import auth


def queue_two(client: Any, app: Any, org_keys: dict[str, str], retail_db: Any, first: int) -> tuple[str, str]:
    """Two proposals awaiting approval; the first one's expiry is already past. Their ids (overdue, live)."""
    app.state.actions_runtime.trust = Averse()
    ids = []
    for i, key in enumerate(("old", "new")):
        r = client.post(
            "/v1/actions/proposals",
            json=cancel(pending_order(retail_db, first + i), f"{key}-{first}"),
            headers=auth(org_keys["service"]),
        )
        assert r.status_code == 200 and r.json()["status"] == "pending_approval", r.text
        ids.append(r.json()["id"])
    with app.state.session_factory() as s:
        s.execute(
            update(ActionProposal)
            .where(ActionProposal.id == uuid.UUID(ids[0]))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        s.commit()
    return ids[0], ids[1]


def stored(app: Any, proposal_id: str) -> tuple[str, list[AuditEntry]]:
    with app.state.session_factory() as s:
        row = s.get(ActionProposal, uuid.UUID(proposal_id))
        assert row is not None
        entries = s.scalars(select(AuditEntry).where(AuditEntry.proposal_id == row.id).order_by(AuditEntry.seq)).all()
        return row.status, list(entries)


def chain_ok(app: Any, org_id: str) -> bool:
    with app.state.session_factory() as s:
        return bool(audit.verify(s, org_id=uuid.UUID(org_id))["ok"])


def test_an_overdue_approval_reads_as_expired_and_the_sweep_marks_it_once(client, org_keys, app, retail_db):
    overdue, live = queue_two(client, app, org_keys, retail_db, 20)
    sup = auth(org_keys["supervisor"])

    # between sweeps: reads never present it as awaiting approval (and reading writes nothing)
    assert [p["id"] for p in client.get("/v1/actions/approvals", headers=sup).json()] == [live]
    pending = client.get("/v1/actions/proposals?status=pending_approval", headers=sup).json()
    assert [p["id"] for p in pending] == [live]
    expired = client.get("/v1/actions/proposals?status=expired", headers=sup).json()
    assert [(p["id"], p["status"]) for p in expired] == [(overdue, "expired")]
    listed = {p["id"]: p["status"] for p in client.get("/v1/actions/proposals", headers=sup).json()}
    assert listed == {overdue: "expired", live: "pending_approval"}
    assert client.get(f"/v1/actions/proposals/{overdue}", headers=sup).json()["status"] == "expired"
    status, entries = stored(app, overdue)
    assert status == "pending_approval" and [e.kind for e in entries] == ["proposal", "decision"]

    factory = app.state.session_factory
    assert expire_overdue(factory) == [{"proposal_id": overdue, "org_id": org_keys["org_id"], "outcome": "expired"}]
    status, entries = stored(app, overdue)
    assert status == "expired" and [e.kind for e in entries] == ["proposal", "decision", "expired"]
    assert entries[-1].payload["by"] == "expiry sweep" and entries[-1].payload["expired_at"]
    assert expire_overdue(factory) == []  # the second sweep does nothing
    assert [e.kind for e in stored(app, overdue)[1]] == ["proposal", "decision", "expired"]
    assert stored(app, live)[0] == "pending_approval"  # not yet due
    assert chain_ok(app, org_keys["org_id"])

    # approving (or rejecting) it keeps failing with the expiry, and audits nothing more
    for verb in ("approve", "reject"):
        r = client.post(f"/v1/actions/approvals/{overdue}/{verb}", json={"reason": "late"}, headers=sup)
        assert r.status_code == 409 and "expired at" in r.json()["error"]["message"], r.text
        assert "propose it again" in r.json()["error"]["message"]
    assert [e.kind for e in stored(app, overdue)[1]] == ["proposal", "decision", "expired"]
    ok = client.post(f"/v1/actions/approvals/{live}/approve", json={"reason": "fine"}, headers=sup)
    assert ok.status_code == 200 and ok.json()["status"] == "executed"
    assert client.get("/v1/actions/approvals", headers=sup).json() == []
    assert chain_ok(app, org_keys["org_id"])


def test_approving_an_overdue_approval_marks_it_expired_before_the_sweep(client, org_keys, app, retail_db):
    overdue, _live = queue_two(client, app, org_keys, retail_db, 22)
    sup = auth(org_keys["supervisor"])
    r = client.post(f"/v1/actions/approvals/{overdue}/approve", json={"reason": "late"}, headers=sup)
    assert r.status_code == 409 and "expired at" in r.json()["error"]["message"]
    status, entries = stored(app, overdue)  # the refusal committed the expiry with its audit entry
    assert status == "expired" and [e.kind for e in entries] == ["proposal", "decision", "expired"]
    assert entries[-1].payload["by"] == "review after expiry"
    again = client.post(f"/v1/actions/approvals/{overdue}/approve", json={"reason": "late"}, headers=sup)
    assert again.status_code == 409 and "expired at" in again.json()["error"]["message"]
    assert expire_overdue(app.state.session_factory) == []
    assert [e.kind for e in stored(app, overdue)[1]] == ["proposal", "decision", "expired"]
    assert chain_ok(app, org_keys["org_id"])


def test_the_periodic_sweep_expires_approvals(client, org_keys, app, retail_db, settings: Settings):
    """What `cxops worker` (or the API without a worker) runs every interval: expiry, then recovery."""
    overdue, live = queue_two(client, app, org_keys, retail_db, 24)
    factory = app.state.session_factory
    assert [r["outcome"] for r in sweep(factory, app.state.actions_runtime, lease_s=60)] == ["expired"]
    with factory() as s:
        s.execute(
            update(ActionProposal)
            .where(ActionProposal.id == uuid.UUID(live))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        s.commit()
    fast = settings.model_copy(update={"actions_recovery_interval_s": 1})
    periodic = action_recovery(fast, factory, actions_runtime(factory))
    periodic.start()
    try:
        deadline = time.monotonic() + 20
        while stored(app, live)[0] != "expired" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        periodic.stop()
    assert stored(app, live)[0] == "expired" and stored(app, overdue)[0] == "expired"
    assert chain_ok(app, org_keys["org_id"])
