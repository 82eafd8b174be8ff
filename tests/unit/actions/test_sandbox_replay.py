"""The sandbox system of record (tau2 semantics, compensation, idempotency) and the ground-truth replay."""

from __future__ import annotations

import uuid

import pytest

from cxops.core.errors import NotFound
from cxops.domains.actions.errors import ActionRefused
from cxops.domains.actions.sandbox.connector import SandboxConnector
from cxops.entrypoints.bench._governance_replay import Harness, replay
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / "tau2_bench" / "retail" / "db.json").is_file(), reason="tau2 data missing"
)


@pytest.fixture
def sandbox():
    return SandboxConnector(), uuid.uuid4()


def test_cancel_refunds_gift_card_and_compensation_restores(sandbox):
    sb, org = sandbox
    db = sb.db(org, "retail")
    order = next(
        o
        for o in db["orders"].values()
        if o["status"] == "pending"
        and any(p["payment_method_id"].startswith("gift_card") for p in o["payment_history"])
    )
    card = order["payment_history"][0]["payment_method_id"]
    before = db["users"][order["user_id"]]["payment_methods"][card]["balance"]
    params = {"order_id": order["order_id"], "reason": "no longer needed"}
    outcome = sb.execute(org_id=org, action="cancel_pending_order", params=params, idempotency_key="k1")
    assert db["orders"][order["order_id"]]["status"] == "cancelled"
    assert db["users"][order["user_id"]]["payment_methods"][card]["balance"] == pytest.approx(
        before + order["payment_history"][0]["amount"]
    )
    again = sb.execute(org_id=org, action="cancel_pending_order", params=params, idempotency_key="k1")
    assert again is outcome  # the retried key did not execute twice (a second cancel would raise)
    sb.compensate(org_id=org, action="cancel_pending_order", params=params, outcome=outcome)
    assert db["orders"][order["order_id"]]["status"] == "pending"
    assert db["users"][order["user_id"]]["payment_methods"][card]["balance"] == pytest.approx(before)


def test_tool_refusal_changes_nothing(sandbox):
    sb, org = sandbox
    db = sb.db(org, "retail")
    order = next(o for o in db["orders"].values() if o["status"] == "delivered")
    with pytest.raises(ActionRefused, match="Non-pending order cannot be cancelled"):
        sb.execute(
            org_id=org,
            action="cancel_pending_order",
            params={"order_id": order["order_id"], "reason": "no longer needed"},
            idempotency_key="k",
        )
    assert db["orders"][order["order_id"]]["status"] == "delivered"


def test_unknown_entity_is_not_found(sandbox):
    sb, org = sandbox
    with pytest.raises(NotFound, match="order '#W0000000' not found"):
        sb.read_state(
            org_id=org, action="cancel_pending_order", params={"order_id": "#W0000000", "reason": "x"}, context={}
        )
    with pytest.raises(NotFound, match="reservation 'ZZZZZZ' not found"):
        sb.read_state(org_id=org, action="cancel_reservation", params={"reservation_id": "ZZZZZZ"}, context={})


def test_book_reservation_compensation_removes_it(sandbox):
    sb, org = sandbox
    db = sb.db(org, "airline")
    n = len(db["reservations"])
    uid, user = next(
        (u, x)
        for u, x in db["users"].items()
        if any(m["source"] == "credit_card" for m in x["payment_methods"].values())
    )
    card = next(m["id"] for m in user["payment_methods"].values() if m["source"] == "credit_card")
    number, day = next(
        (n_, d) for n_, f in db["flights"].items() for d, v in f["dates"].items() if v.get("status") == "available"
    )
    flight = db["flights"][number]
    price = flight["dates"][day]["prices"]["economy"]
    params = {
        "user_id": uid,
        "origin": flight["origin"],
        "destination": flight["destination"],
        "flight_type": "one_way",
        "cabin": "economy",
        "flights": [{"flight_number": number, "date": day}],
        "passengers": [{"first_name": "A", "last_name": "B", "dob": "1990-01-01"}],
        "payment_methods": [{"payment_id": card, "amount": price}],
        "total_baggages": 0,
        "nonfree_baggages": 0,
        "insurance": "no",
    }
    outcome = sb.execute(org_id=org, action="book_reservation", params=params, idempotency_key="b")
    assert len(db["reservations"]) == n + 1
    sb.compensate(org_id=org, action="book_reservation", params=params, outcome=outcome)
    assert len(db["reservations"]) == n


@pytest.mark.parametrize("system", ["retail", "airline"])
def test_ground_truth_replay_has_no_false_blocks(system):
    result = replay(system, Harness())
    assert result["writes"] > 40
    assert result["false_blocks"] == []
    # Only ground-truth calls that the benchmark's own tool refuses may be blocked.
    assert all("tool_error" in r for r in result["refused"])
