"""Governed actions through the HTTP app: decisions, idempotent execution, approvals, breakers, audit, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from cxops.core.clock import utcnow
from cxops.core.models import OutboxEvent
from cxops.domains.actions import decide
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.policy.engine import time_facts
from cxops.domains.actions.ports import TrustState
from tests.api.actions.conftest import confirmed, pending_order
from tests.conftest import auth, new_agent_key


class Averse:
    """Trust binding saying the customer is automation-averse."""

    def trust_state(self, **_):
        return TrustState(poor_experience_count=0, automation_averse=True)


def cancel_body(order, **extra):
    params = {"order_id": order["order_id"], "reason": "no longer needed"}
    return confirmed("cancel_pending_order", params, order["user_id"], **extra)


def audit_kinds(client, keys):
    return [e["kind"] for e in client.get("/v1/actions/audit", headers=auth(keys["admin"])).json()]


def test_catalogue_lists_actions_with_packs(client, org_keys):
    body = client.get("/v1/actions/catalogue", headers=auth(org_keys["service"])).json()
    names = {a["name"]: a for a in body["actions"]}
    assert {"cancel_pending_order", "book_reservation", "send_certificate"} <= set(names)
    assert names["cancel_pending_order"]["pack"] == "tau2-retail@2026.11.1"
    assert names["cancel_pending_order"]["parameters"]["required"] == ["order_id", "reason"]


def test_dry_run_does_not_execute(client, org_keys, retail_db):
    order = pending_order(retail_db)
    r = client.post("/v1/actions/dry-run", json=cancel_body(order), headers=auth(org_keys["service"]))
    assert r.status_code == 200 and r.json()["decision"] == "allow"
    again = client.post("/v1/actions/dry-run", json=cancel_body(order), headers=auth(org_keys["service"]))
    assert again.json()["decision"] == "allow"  # still pending: nothing executed
    assert audit_kinds(client, org_keys) == ["dry_run", "dry_run"]


def test_after_business_hours_a_high_risk_action_needs_approval(client, org_keys, retail_db, monkeypatch):
    """The pinned clock of the other tests is what makes them independent of the hour: at 21:00 in New York
    (after the retail pack's 8-20 hours) the same cancellation needs a supervisor (rule G6)."""
    late = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Tuesday 21:00 America/New_York
    monkeypatch.setattr(decide, "time_facts", lambda _now, hours: time_facts(late, hours))
    body = cancel_body(pending_order(retail_db))
    r = client.post("/v1/actions/dry-run", json=body, headers=auth(org_keys["service"]))
    assert r.status_code == 200 and r.json()["decision"] == "require_approval"
    assert "G6-after-hours" in {x["rule_id"] for x in r.json()["rules"]}


def test_deny_names_rules_and_reasons(client, org_keys, retail_db):
    order = pending_order(retail_db)
    body = cancel_body(order)
    body["context"]["confirmation"]["params"]["reason"] = "ordered by mistake"  # confirmed something else
    body["params"]["reason"] = "found it cheaper"
    agent = new_agent_key(client, org_keys["admin"], "agent-sam")
    r = client.post("/v1/actions/proposals", json={**body, "idempotency_key": "d1"}, headers=auth(agent))
    out = r.json()
    assert out["status"] == "denied" and out["actor_ref"] == "agent-sam"
    assert {x["rule_id"] for x in out["rules"]} == {"X1-confirmation", "R4-cancel-reason"}
    assert all(x["reason"] for x in out["rules"])


def test_execute_is_idempotent(client, org_keys, retail_db):
    order = pending_order(retail_db, 1)
    body = {**cancel_body(order), "idempotency_key": "retry-me"}
    first = client.post("/v1/actions/proposals", json=body, headers=auth(org_keys["service"]))
    assert first.status_code == 200 and first.json()["status"] == "executed"
    assert first.json()["results"][0]["result"]["status"] == "cancelled"
    second = client.post("/v1/actions/proposals", json=body, headers=auth(org_keys["service"]))
    assert second.json()["id"] == first.json()["id"] and second.json()["replayed"] is True
    assert audit_kinds(client, org_keys).count("execution") == 1
    other = {**body, "customer_ref": "someone-else"}
    conflict = client.post("/v1/actions/proposals", json=other, headers=auth(org_keys["service"]))
    assert conflict.status_code == 409 and "idempotency key 'retry-me'" in conflict.json()["error"]["message"]


def test_approval_queue_approve_and_reject(client, org_keys, app, retail_db):
    runtime = app.state.actions_runtime
    runtime.trust = Averse()
    a, b = pending_order(retail_db, 2), pending_order(retail_db, 3)
    ra = client.post(
        "/v1/actions/proposals", json={**cancel_body(a), "idempotency_key": "a"}, headers=auth(org_keys["service"])
    ).json()
    rb = client.post(
        "/v1/actions/proposals", json={**cancel_body(b), "idempotency_key": "b"}, headers=auth(org_keys["service"])
    ).json()
    assert ra["status"] == rb["status"] == "pending_approval"
    assert ra["rules"][0]["rule_id"] == "G4-automation-averse"
    queue = client.get("/v1/actions/approvals", headers=auth(org_keys["supervisor"])).json()
    assert {q["id"] for q in queue} == {ra["id"], rb["id"]}
    forbidden = client.post(
        f"/v1/actions/approvals/{ra['id']}/approve", json={"reason": "ok"}, headers=auth(org_keys["agent"])
    )
    assert forbidden.status_code == 403
    ok = client.post(
        f"/v1/actions/approvals/{ra['id']}/approve",
        json={"reason": "customer called back"},
        headers=auth(org_keys["supervisor"]),
    )
    assert ok.json()["status"] == "executed" and ok.json()["review_reason"] == "customer called back"
    no = client.post(
        f"/v1/actions/approvals/{rb['id']}/reject", json={"reason": "not needed"}, headers=auth(org_keys["supervisor"])
    )
    assert no.json()["status"] == "rejected"
    twice = client.post(
        f"/v1/actions/approvals/{rb['id']}/approve", json={"reason": "x"}, headers=auth(org_keys["supervisor"])
    )
    assert twice.status_code == 409 and "'rejected'" in twice.json()["error"]["message"]
    assert client.get("/v1/actions/approvals", headers=auth(org_keys["supervisor"])).json() == []


def test_expired_approval_cannot_be_approved(client, org_keys, app, retail_db):
    body = cancel_body(pending_order(retail_db, 4))
    body["context"]["identity_verified"] = True
    r = client.post("/v1/actions/proposals", json={**body, "idempotency_key": "exp"}, headers=auth(org_keys["service"]))
    pid = r.json()["id"]
    with app.state.session_factory() as s:
        s.execute(update(ActionProposal).values(status="pending_approval", expires_at=utcnow() - timedelta(minutes=1)))
        s.commit()
    resp = client.post(
        f"/v1/actions/approvals/{pid}/approve", json={"reason": "late"}, headers=auth(org_keys["supervisor"])
    )
    assert resp.status_code == 409 and "expired" in resp.json()["error"]["message"]


def test_kill_switch_blocks_and_notifies(client, org_keys, app, retail_db):
    kill = {"scope": "action", "key": "cancel_pending_order", "open": True, "reason": "incident 42"}
    assert client.post("/v1/actions/breakers", json=kill, headers=auth(org_keys["supervisor"])).status_code == 200
    r = client.post(
        "/v1/actions/proposals",
        json={**cancel_body(pending_order(retail_db, 5)), "idempotency_key": "k"},
        headers=auth(org_keys["service"]),
    )
    assert r.json()["status"] == "denied"
    assert r.json()["rules"][-1]["rule_id"] == "breaker:action:cancel_pending_order"
    with app.state.session_factory() as s:
        types = s.scalars(select(OutboxEvent.type)).all()
    assert "actions.breaker_tripped" in types and "actions.decided" in types


def test_breaker_trips_automatically_on_denials(client, org_keys, app, retail_db):
    order = pending_order(retail_db, 6)
    for i in range(10):
        body = cancel_body(order)
        body["params"]["reason"] = f"bad reason {i}"
        body["context"]["confirmation"]["params"]["reason"] = f"bad reason {i}"
        client.post(
            "/v1/actions/proposals", json={**body, "idempotency_key": f"n{i}"}, headers=auth(org_keys["service"])
        )
    breakers = client.get("/v1/actions/breakers", headers=auth(org_keys["supervisor"])).json()
    tripped = {(b["scope"], b["is_open"], b["automatic"]) for b in breakers}
    assert ("action", True, True) in tripped and ("agent", True, True) in tripped
    assert "denial rate 10/10" in breakers[0]["reason"]


def test_supervisor_reverses_an_executed_action(client, org_keys, app, retail_db):
    order = pending_order(retail_db, 8)
    done = client.post(
        "/v1/actions/proposals",
        json={**cancel_body(order), "idempotency_key": "rev"},
        headers=auth(org_keys["service"]),
    )
    assert done.json()["status"] == "executed"
    pid = done.json()["id"]
    denied = client.post(
        f"/v1/actions/proposals/{pid}/reverse", json={"reason": "x"}, headers=auth(org_keys["service"])
    )
    assert denied.status_code == 403
    r = client.post(
        f"/v1/actions/proposals/{pid}/reverse",
        json={"reason": "customer changed mind"},
        headers=auth(org_keys["supervisor"]),
    )
    assert r.status_code == 200 and r.json()["status"] == "reversed"
    again = client.post(
        f"/v1/actions/proposals/{pid}/reverse", json={"reason": "again"}, headers=auth(org_keys["supervisor"])
    )
    assert again.status_code == 409
    # The order is pending again in the sandbox: cancelling it is allowed once more.
    dry = client.post("/v1/actions/dry-run", json=cancel_body(order), headers=auth(org_keys["service"]))
    assert dry.json()["decision"] == "allow"
    assert "reversal" in audit_kinds(client, org_keys)


def test_packs_endpoint_lists_rules(client, org_keys):
    body = client.get("/v1/actions/packs", headers=auth(org_keys["analyst"])).json()
    by_system = {p["system"]: p for p in body["packs"]}
    assert set(by_system) == {"retail", "airline"}
    rule = next(r for r in by_system["airline"]["rules"] if r["id"] == "A4-basic-economy")
    assert rule["effect"] == "deny" and rule["actions"] == ["update_reservation_flights"] and rule["reason"]
