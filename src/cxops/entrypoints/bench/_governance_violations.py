"""Generated violations of every rule of the tau2 retail and airline packs, against the sandbox's real data.

Each generator takes allowed ground-truth cases (with the state of the sandbox at that point) or real records
of the database and breaks one rule: wrong order status, refund to another method, second modification,
basic-economy change, cancellation outside its conditions, compensation to an ineligible member, action
before authentication or without confirmation, and so on. A violation is caught when the decision is deny
or require_approval (or the input is rejected as invalid before any decision).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from cxops.domains.actions.policy.registry import default_catalogue
from cxops.entrypoints.bench._governance_replay import Case

Gen = Callable[[Case, dict[str, Any]], Iterator[Case]]
NIGHT = "2024-05-15T07:00:00+00:00"  # 03:00 in New York


def _with(case: Case, **changes: Any) -> Case:
    new = copy.deepcopy(case)
    for key, value in changes.items():
        if key in ("params", "context", "trust", "velocity"):
            getattr(new, key).update(value)
        else:
            setattr(new, key, value)
    return new


def _other_user(db: dict[str, Any], uid: str | None) -> str:
    return next(u for u in db["users"] if u != uid)


def _generic(case: Case, db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """Violations every action can suffer: confirmation, identity, ownership, velocity, trust, time."""
    yield "X1-confirmation", _with(case, context={"confirmed": False})
    changed = copy.deepcopy(case.params)
    first = next(iter(changed))
    changed[first] = f"{changed[first]}-other" if isinstance(changed[first], str) else changed[first]
    wrong = _with(case, context={"confirmed": False, "confirmation": {"action": case.action, "params": changed}})
    yield "X1-confirmation", wrong
    auth_rule = "R1-authentication" if case.system == "retail" else "A1-user-id"
    yield auth_rule, _with(case, context={"identity_verified": False})
    own_rule = "R2-own-account" if case.system == "retail" else "A1-own-reservation"
    uid = case.context.get("authenticated_user_id")
    yield own_rule, _with(case, context={"authenticated_user_id": _other_user(db, uid)})
    yield "G1-customer-velocity", _with(case, velocity={"customer_day": 10})
    yield "G2-agent-velocity", _with(case, velocity={"agent_hour": 300})
    yield "G3-amount-velocity", _with(case, velocity={"amount_hour": 1_000_000})
    yield "G4-automation-averse", _with(case, trust={"automation_averse": True})
    if default_catalogue().get(case.action).risk == "high":
        yield "G5-poor-experiences", _with(case, trust={"poor_experience_count": 3})


def _order_of(db: dict[str, Any], uid: str, want: Callable[[str], bool]) -> dict[str, Any] | None:
    return next((o for o in db["orders"].values() if o["user_id"] == uid and want(o["status"])), None) or next(
        (o for o in db["orders"].values() if want(o["status"])), None
    )


def _retail_item_rules(case: Case, db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    p = case.params
    order = db["orders"][p["order_id"]]
    in_order = {i["item_id"] for i in order["items"]}
    stranger = next(v for prod in db["products"].values() for v in prod["variants"] if v not in in_order)
    yield "R5-items-in-order", _with(case, params={"item_ids": [stranger, *p["item_ids"][1:]]})
    yield "R5-counts", _with(case, params={"new_item_ids": [*p["new_item_ids"], p["new_item_ids"][0]]})
    item = next(i for i in order["items"] if i["item_id"] == p["item_ids"][0])
    other = next(
        vid
        for prod in db["products"].values()
        if prod["product_id"] != item["product_id"]
        for vid, v in prod["variants"].items()
        if v["available"]
    )
    yield "R5-same-product", _with(case, params={"new_item_ids": [other, *p["new_item_ids"][1:]]})
    variants = db["products"][item["product_id"]]["variants"]
    gone = next((vid for vid, v in variants.items() if not v["available"] and vid != item["item_id"]), None)
    if gone:
        yield "R5-available", _with(case, params={"new_item_ids": [gone, *p["new_item_ids"][1:]]})
    if case.action == "modify_pending_order_items":
        yield "R5-different-option", _with(case, params={"new_item_ids": list(p["item_ids"])})
    foreign = next(iter(db["users"][_other_user(db, order["user_id"])]["payment_methods"]))
    yield "R5-payment-owned", _with(case, params={"payment_method_id": foreign})
    yield "R6-complete-list", _with(case, context={"items_list_confirmed": False})
    yield from _gift_card_short(case, db, order)


def _price_difference(db: dict[str, Any], order: dict[str, Any], old: list[str], new: list[str]) -> float:
    diff = 0.0
    for old_id, new_id in zip(old, new, strict=False):
        item = next(i for i in order["items"] if i["item_id"] == old_id)
        diff += db["products"][item["product_id"]]["variants"].get(new_id, {"price": item["price"]})["price"]
        diff -= item["price"]
    return round(diff, 2)


def _gift_card_short(case: Case, db: dict[str, Any], order: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    diff = _price_difference(db, order, case.params["item_ids"], case.params["new_item_ids"])
    for m in db["users"][order["user_id"]]["payment_methods"].values():
        if m["source"] == "gift_card" and m["balance"] < diff:
            yield "R5-gift-card-balance", _with(case, params={"payment_method_id": m["id"]})


def _retail_rules(case: Case, db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    uid = case.context["authenticated_user_id"]
    p = case.params
    if case.action == "cancel_pending_order":
        bad = _order_of(db, uid, lambda s: s != "pending")
        if bad:
            ctx = {"authenticated_user_id": bad["user_id"]}
            yield "R4-cancel-status", _with(case, params={"order_id": bad["order_id"]}, context=ctx)
        yield "R4-cancel-reason", _with(case, params={"reason": "found a better price"})
    if case.action in ("modify_pending_order_items", "exchange_delivered_order_items"):
        yield from _retail_item_rules(case, db)
    if case.action == "exchange_delivered_order_items":
        bad = _order_of(db, uid, lambda s: s != "delivered")
        if bad:
            ctx = {"authenticated_user_id": bad["user_id"]}
            yield "R10-exchange-status", _with(case, params={"order_id": bad["order_id"]}, context=ctx)
    if case.action == "return_delivered_order_items":
        yield from _return_rules(case, db, uid)
    if case.action == "modify_pending_order_payment":
        order = db["orders"][p["order_id"]]
        current = order["payment_history"][0]["payment_method_id"]
        yield "R8-different-method", _with(case, params={"payment_method_id": current})


def _return_rules(case: Case, db: dict[str, Any], uid: str) -> Iterator[tuple[str, Case]]:
    bad = _order_of(db, uid, lambda s: s != "delivered")
    if bad:
        ctx = {"authenticated_user_id": bad["user_id"]}
        yield "R9-return-status", _with(case, params={"order_id": bad["order_id"]}, context=ctx)
    order = db["orders"][case.params["order_id"]]
    original = {x["payment_method_id"] for x in order["payment_history"]}
    for m in db["users"][order["user_id"]]["payment_methods"].values():
        if m["source"] != "gift_card" and m["id"] not in original:
            yield "R9-refund-method", _with(case, params={"payment_method_id": m["id"]})
            break
    stranger = "0000000000"
    yield "R5-items-in-order", _with(case, params={"item_ids": [stranger]})


def sequenced_retail(case: Case) -> Iterator[tuple[str, Case]]:
    """Violations that exist only after the ground-truth action ran (second modification, R7 gap)."""
    if case.action != "modify_pending_order_items":
        return
    yield "R5-modify-status", copy.deepcopy(case)
    address = {"address1": "1 Main St", "address2": "", "city": "Austin", "state": "TX", "country": "USA"}
    params = {"order_id": case.params["order_id"], **address, "zip": "78701"}
    yield "R7-modify-after-items", _with(case, action="modify_pending_order_address", params=params)
    pay = {"order_id": case.params["order_id"], "payment_method_id": case.params["payment_method_id"]}
    yield "R7-modify-after-items", _with(case, action="modify_pending_order_payment", params=pay)
    yield "R8-single-payment", _with(case, action="modify_pending_order_payment", params=pay)


def retail_scans(db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """Violations built from records of the database rather than from a ground-truth action."""
    for order in db["orders"].values():
        paid = [x for x in order["payment_history"] if x["transaction_type"] == "payment"]
        if order["status"] != "pending" or len(paid) != 1:
            continue
        for m in db["users"][order["user_id"]]["payment_methods"].values():
            if m["source"] == "gift_card" and m["balance"] < paid[0]["amount"]:
                ctx = {"identity_verified": True, "identity_method": "email", "confirmed": True}
                ctx |= {"authenticated_user_id": order["user_id"], "actor_kind": "ai"}
                params = {"order_id": order["order_id"], "payment_method_id": m["id"]}
                yield "R8-gift-card-total", Case("retail", "scan", "modify_pending_order_payment", params, ctx)
                break
    yield from _gift_card_scan(db)


def _gift_card_scan(db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """A pending order whose owner's gift card cannot cover an upgrade to a pricier variant."""
    for order in db["orders"].values():
        if order["status"] != "pending":
            continue
        cards = [m for m in db["users"][order["user_id"]]["payment_methods"].values() if m["source"] == "gift_card"]
        for item in order["items"]:
            for vid, v in db["products"][item["product_id"]]["variants"].items():
                if not v["available"] or vid == item["item_id"]:
                    continue
                for card in cards:
                    if v["price"] - item["price"] > card["balance"]:
                        ctx = {"identity_verified": True, "identity_method": "email", "confirmed": True}
                        ctx |= {"authenticated_user_id": order["user_id"], "items_list_confirmed": True}
                        params = {"order_id": order["order_id"], "item_ids": [item["item_id"]], "new_item_ids": [vid]}
                        params["payment_method_id"] = card["id"]
                        yield "R5-gift-card-balance", Case("retail", "scan", "modify_pending_order_items", params, ctx)
                        return
