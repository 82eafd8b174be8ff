"""A connector timeout (or 5xx) during a live execution leaves the step's outcome unknown: the system of record may
have applied it. The proposal is not recorded 'failed' (which invites a blind retry) but stays 'executing', audited;
the caller gets 504 saying so; a retry of the same request or the recovery sweep resumes it with the same connector
idempotency key, so the system of record applies it once. A refusal (4xx) still fails at once."""

from __future__ import annotations

import uuid
from typing import Any

from cxops.domains.actions.errors import ActionRefused, ConnectorTimeout
from cxops.domains.actions.tasks import recover_interrupted
from tests.api.actions.conftest import pending_order
from tests.api.actions.test_actions_interrupted import cancel
from tests.api.actions.test_actions_recovery import age, chain_ok, kinds
from tests.conftest import auth

PERSONAL = "jane.doe@example.com"  # what a system of record may echo back; it must not reach the logs


class TimesOut:
    """The sandbox connector, except that the next `timeouts` executions apply the step and then time out (the
    worst case: applied, but the answer never came), and `refuse` makes every execution a refusal (4xx)."""

    name = "sandbox"

    def __init__(self, inner: Any, timeouts: int = 1, refuse: bool = False) -> None:
        self.inner, self.timeouts, self.refuse, self.calls = inner, timeouts, refuse, []

    def read_state(self, **kw: Any) -> dict[str, Any]:
        return dict(self.inner.read_state(**kw))

    def execute(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(kw["idempotency_key"])
        if self.refuse:
            raise ActionRefused(f"cancel_pending_order refused by the system of record for {PERSONAL}")
        outcome = dict(self.inner.execute(**kw))
        if self.timeouts > 0:
            self.timeouts -= 1
            raise ConnectorTimeout(f"no answer in 10 s for {PERSONAL}")
        return outcome

    def compensate(self, **kw: Any) -> dict[str, Any]:
        return dict(self.inner.compensate(**kw))


def install(app: Any, **kw: Any) -> TimesOut:
    runtime = app.state.actions_runtime
    wrapper = TimesOut(runtime.connectors["sandbox"], **kw)
    runtime.connectors = {**runtime.connectors, "sandbox": wrapper}
    return wrapper


def refunds(app: Any, org_keys: dict[str, str], order: dict[str, Any]) -> int:
    """How many times the system of record refunded the order (each cancellation refunds it once)."""
    sandbox = app.state.actions_runtime.connectors["sandbox"].inner
    db = sandbox.db(uuid.UUID(org_keys["org_id"]), "retail")
    return sum(p["transaction_type"] == "refund" for p in db["orders"][order["order_id"]]["payment_history"])


def test_a_live_timeout_is_left_for_the_sweep_which_completes_it_once(client, org_keys, app, retail_db, caplog):
    order = pending_order(retail_db, 26)
    wrapper = install(app)
    with caplog.at_level("WARNING", logger="cxops.domains.actions.execution"):
        r = client.post("/v1/actions/proposals", json=cancel(order, "unk-1"), headers=auth(org_keys["service"]))
    assert r.status_code == 504, r.text
    error = r.json()["error"]
    pid = error["details"]["id"]
    assert error["code"] == "outcome_unknown"
    assert error["message"] == (
        "outcome unknown: the connector timed out on step 0 (cancel_pending_order); the action will be re-tried "
        "safely with the same idempotency key by the recovery sweep (or by retrying this request), "
        f"see proposal {pid}"
    )
    got = client.get(f"/v1/actions/proposals/{pid}", headers=auth(org_keys["supervisor"])).json()
    assert got["status"] == "executing" and got["error"].startswith("outcome unknown: step 0 (cancel_pending_order)")
    assert kinds(app, pid) == ["proposal", "decision", "outcome_unknown"]
    logged = [x for x in caplog.records if x.name == "cxops.domains.actions.execution"]
    assert len(logged) == 1 and logged[0].error_type == "ConnectorTimeout" and logged[0].proposal_id == pid
    assert all(PERSONAL not in str(v) for v in vars(logged[0]).values()) and PERSONAL not in logged[0].getMessage()

    runtime, factory = app.state.actions_runtime, app.state.session_factory
    assert recover_interrupted(factory, runtime, lease_s=300) == []  # within its lease
    age(app, "unk-1", 600)
    report = recover_interrupted(factory, runtime, lease_s=300)
    assert report == [{"proposal_id": pid, "org_id": org_keys["org_id"], "outcome": "executed"}]
    assert wrapper.calls == [f"{pid}:0", f"{pid}:0"]  # the same connector key both times
    assert refunds(app, org_keys, order) == 1  # applied once at the system of record
    done = client.get(f"/v1/actions/proposals/{pid}", headers=auth(org_keys["supervisor"])).json()
    assert done["status"] == "executed" and done["error"] is None
    assert done["results"][0]["result"]["status"] == "cancelled"
    assert kinds(app, pid) == ["proposal", "decision", "outcome_unknown", "recovery", "execution"]
    assert recover_interrupted(factory, runtime, lease_s=300) == []  # nothing left
    retry = client.post("/v1/actions/proposals", json=cancel(order, "unk-1"), headers=auth(org_keys["service"]))
    assert retry.status_code == 200 and retry.json()["status"] == "executed" and retry.json()["replayed"] is True
    assert kinds(app, pid).count("execution") == 1 and len(wrapper.calls) == 2
    assert chain_ok(app, org_keys["org_id"])


def test_a_client_retry_of_a_timed_out_request_converges(client, org_keys, app, retail_db):
    order = pending_order(retail_db, 27)
    wrapper = install(app, timeouts=2)
    first = client.post("/v1/actions/proposals", json=cancel(order, "unk-2"), headers=auth(org_keys["service"]))
    assert first.status_code == 504
    pid = first.json()["error"]["details"]["id"]
    second = client.post("/v1/actions/proposals", json=cancel(order, "unk-2"), headers=auth(org_keys["service"]))
    assert second.status_code == 504 and second.json()["error"]["details"]["id"] == pid  # still unknown
    third = client.post("/v1/actions/proposals", json=cancel(order, "unk-2"), headers=auth(org_keys["service"]))
    assert third.status_code == 200, third.text
    body = third.json()
    assert body["id"] == pid and body["replayed"] is True and body["status"] == "executed"
    assert wrapper.calls == [f"{pid}:0"] * 3 and refunds(app, org_keys, order) == 1
    assert kinds(app, pid) == ["proposal", "decision", "outcome_unknown", "outcome_unknown", "execution"]
    age(app, "unk-2", 600)
    assert recover_interrupted(app.state.session_factory, app.state.actions_runtime, lease_s=300) == []
    assert chain_ok(app, org_keys["org_id"])


def test_a_refusal_still_fails_at_once(client, org_keys, app, retail_db):
    order = pending_order(retail_db, 28)
    install(app, refuse=True)
    r = client.post("/v1/actions/proposals", json=cancel(order, "unk-3"), headers=auth(org_keys["service"]))
    assert r.status_code == 502 and r.json()["error"]["code"] == "connector_failed"
    details = r.json()["error"]["details"]
    assert details["status"] == "failed" and "refused by the system of record" in details["error"]
    assert kinds(app, details["id"]) == ["proposal", "decision", "execution"]
    age(app, "unk-3", 600)
    assert recover_interrupted(app.state.session_factory, app.state.actions_runtime, lease_s=300) == []
    assert chain_ok(app, org_keys["org_id"])
