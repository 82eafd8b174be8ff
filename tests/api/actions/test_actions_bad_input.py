"""Bad input and failing connectors: specific errors, no partial execution without compensation, audited."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cxops.domains.actions.compute.catalogue import ActionSpec
from cxops.domains.actions.policy.pack import load_pack
from cxops.integrations.connectors.webhook import WebhookConnector
from tests.api.actions.conftest import confirmed
from tests.conftest import auth


def audit(client, keys):
    return client.get("/v1/actions/audit", headers=auth(keys["admin"])).json()


def post(client, keys, body, key="k1", role="service"):
    return client.post("/v1/actions/proposals", json={**body, "idempotency_key": key}, headers=auth(keys[role]))


def test_unknown_action_is_404_and_audited(client, org_keys):
    r = post(client, org_keys, {"action": "wire_money", "params": {"to": "me"}})
    assert r.status_code == 404 and "unknown action 'wire_money'" in r.json()["error"]["message"]
    entry = audit(client, org_keys)[0]
    assert entry["kind"] == "rejected_input" and entry["payload"]["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"order_id": 7, "reason": "no longer needed"}, "params.order_id", "expected string"),
        ({"order_id": "#W1"}, "params.reason", "required parameter is missing"),
        ({"order_id": "#W1", "reason": "x", "refund_all": True}, "params.refund_all", "unknown parameter"),
    ],
)
def test_bad_params_are_422_naming_field(client, org_keys, params, field, words):
    r = post(client, org_keys, {"action": "cancel_pending_order", "params": params})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field and words in r.json()["error"]["message"]
    assert audit(client, org_keys)[0]["kind"] == "rejected_input"


def test_out_of_range_amount(client, org_keys):
    r = post(client, org_keys, {"action": "send_certificate", "params": {"user_id": "mia_li_3668", "amount": -100}})
    assert r.status_code == 422 and "below the minimum 0" in r.json()["error"]["message"]


def test_unknown_entity_is_404_and_audited(client, org_keys):
    body = confirmed("cancel_pending_order", {"order_id": "#W0000000", "reason": "no longer needed"}, "u1")
    r = post(client, org_keys, body)
    assert r.status_code == 404 and "order '#W0000000' not found" in r.json()["error"]["message"]
    assert r.json()["error"]["field"] == "params.order_id"
    assert audit(client, org_keys)[0]["kind"] == "rejected_input"


def test_malformed_request_is_422(client, org_keys):
    r = client.post("/v1/actions/proposals", json={"action": "x"}, headers=auth(org_keys["service"]))
    assert r.status_code == 422


def test_half_way_failure_is_compensated(client, org_keys, retail_db, app):
    order = next(
        o
        for o in retail_db["orders"].values()
        if o["status"] == "pending"
        and len(o["payment_history"]) == 1
        and o["payment_history"][0]["payment_method_id"].startswith("credit")
    )
    item = order["items"][0]
    variants = retail_db["products"][item["product_id"]]["variants"]
    new = next(v for v, d in variants.items() if d["available"] and v != item["item_id"])
    pm = order["payment_history"][0]["payment_method_id"]
    modify = {
        "order_id": order["order_id"],
        "item_ids": [item["item_id"]],
        "new_item_ids": [new],
        "payment_method_id": pm,
    }
    cancel = {"order_id": order["order_id"], "reason": "no longer needed"}
    ctx = confirmed("modify_pending_order_items", modify, order["user_id"])["context"]
    ctx["confirmations"] = [{"action": "cancel_pending_order", "params": cancel}]
    body = {
        "steps": [
            {"action": "modify_pending_order_items", "params": modify},
            {"action": "cancel_pending_order", "params": cancel},
        ],
        "context": ctx,
    }
    r = post(client, org_keys, body, key="multi")
    assert r.status_code == 502
    err = r.json()["error"]
    assert (
        "step 1 (cancel_pending_order) failed" in err["message"]
        and "step 0 (modify_pending_order_items) compensated" in err["message"]
    )
    assert err["details"]["status"] == "compensated"
    sandbox = app.state.actions_runtime.connectors["sandbox"]
    db = sandbox.db(uuid.UUID(org_keys["org_id"]), "retail")
    assert db["orders"][order["order_id"]]["status"] == "pending"
    assert db["orders"][order["order_id"]]["items"][0]["item_id"] == item["item_id"]
    kinds = [e["kind"] for e in audit(client, org_keys)]
    assert kinds[:3] == ["execution", "decision", "proposal"]
    retry = post(client, org_keys, body, key="multi")
    assert retry.status_code == 502 and retry.json()["error"]["details"]["replayed"] is True


class SlowRemote:
    def __init__(self, mode: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                if self.path == "/state":
                    raw = json.dumps({"ok": True, "state": {"customer_id": "c1", "amount": 5}}).encode()
                elif mode == "slow":
                    time.sleep(1.0)
                    raw = b"{}"
                else:
                    raw = b"<<garbage>>"
                self.send_response(200)
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


CRM_PACK = """pack: crm
version: "1"
system: crm
rules:
  - id: C1
    when: not context.confirmed
    effect: deny
    reason: confirm first
"""


@pytest.mark.parametrize(
    ("mode", "status", "words", "what"),
    [
        ("slow", 504, "timed out after 0.2s", "the connector timed out"),
        ("garbage", 502, "answered garbage", "the connector gave no definite answer"),
    ],
)
def test_webhook_timeout_or_garbage_leaves_the_outcome_unknown_and_audited(
    client, org_keys, app, mode, status, words, what
):
    """Neither is a refusal: the remote may have applied the step, so the proposal is not recorded 'failed' (which
    would invite a blind retry) but stays 'executing' for a retry or the recovery sweep, with the same keys."""
    remote = SlowRemote(mode)
    try:
        runtime = app.state.actions_runtime
        schema = {"type": "object", "required": ["ticket"], "properties": {"ticket": {"type": "string"}}}
        runtime.catalogue = replace(runtime.catalogue, actions=dict(runtime.catalogue.actions))
        runtime.catalogue.add(
            ActionSpec("crm_refund", "crm", "Refund in the CRM", schema, frozenset(), connector="webhook")
        )
        runtime.packs = {**runtime.packs, "crm": load_pack(CRM_PACK, runtime.catalogue)}
        runtime.connectors = {
            **runtime.connectors,
            "webhook": WebhookConnector(
                name="crm", base_url=remote.url, secret="x", timeout_s=0.2, attempts=2, backoff_s=0.01
            ),
        }
        body = confirmed("crm_refund", {"ticket": "T1"}, "c1")
        r = post(client, org_keys, body, key=f"crm-{mode}")
        error = r.json()["error"]
        assert r.status_code == status and error["code"] == "outcome_unknown"
        assert error["message"].startswith(f"outcome unknown: {what} on step 0 (crm_refund)")
        assert error["details"]["status"] == "executing" and words in error["details"]["error"]
        entry = audit(client, org_keys)[0]
        assert entry["kind"] == "outcome_unknown" and entry["payload"]["status"] == "executing"
    finally:
        remote.server.shutdown()
        remote.server.server_close()


def test_huge_integer_is_refused_not_500(client, org_keys):
    body = {"steps": [{"action": "send_certificate", "params": {"user_id": "u", "amount": -(2**63) - 1}}]}
    r = post(client, org_keys, body, key="huge")
    assert r.status_code == 422 and "below the minimum" in r.json()["error"]["message"]
    assert audit(client, org_keys)[0]["kind"] == "rejected_input"
