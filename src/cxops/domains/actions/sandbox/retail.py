"""Sandbox retail system of record: tau2-bench retail write tools and the facts policies read.

Semantics follow src/tau2/domains/retail/tools.py (sierra-research/tau2-bench, MIT): every coded check
of the benchmark's tools raises `ToolError` here too, so a policy miss still cannot corrupt the sandbox.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from cxops.core.errors import NotFound


class ToolError(ValueError):
    """The system of record refused the call (the benchmark tool's own ValueError)."""


def _order(db: dict[str, Any], order_id: str) -> dict[str, Any]:
    order = db["orders"].get(order_id)
    if order is None:
        raise NotFound(f"order {order_id!r} not found in the retail system of record", field="params.order_id")
    return order


def _method(db: dict[str, Any], user_id: str, pm_id: str) -> dict[str, Any] | None:
    return db["users"].get(user_id, {}).get("payment_methods", {}).get(pm_id)


def _variant(db: dict[str, Any], product_id: str, item_id: str) -> dict[str, Any] | None:
    return db["products"].get(product_id, {}).get("variants", {}).get(item_id)


def _item_facts(db: dict[str, Any], order: dict[str, Any], old: list[str], new: list[str]) -> dict[str, Any]:
    have = Counter(i["item_id"] for i in order["items"])
    in_order = all(have[i] >= c for i, c in Counter(old).items())
    same = exist = avail = differ = True
    diff = 0.0
    for old_id, new_id in zip(old, new, strict=False):
        item = next((i for i in order["items"] if i["item_id"] == old_id), None)
        if item is None:
            same = exist = avail = False
            continue
        variant = _variant(db, item["product_id"], new_id)
        found = any(new_id in p["variants"] for p in db["products"].values())
        exist = exist and found
        same = same and variant is not None
        avail = avail and bool(variant and variant.get("available"))
        differ = differ and new_id != old_id
        diff += (variant["price"] - item["price"]) if variant else 0.0
    return {
        "items_in_order": in_order,
        "counts_match": len(old) == len(new),
        "new_items_exist": exist,
        "same_product": same,
        "new_items_available": avail,
        "items_differ": differ,
        "price_difference": round(diff, 2),
        "amount": abs(round(diff, 2)),
    }


def _payment_facts(db: dict[str, Any], user_id: str, pm_id: str | None) -> dict[str, Any]:
    method = _method(db, user_id, pm_id or "")
    return {
        "payment_method_owned": method is not None,
        "payment_is_gift_card": bool(method and method.get("source") == "gift_card"),
        "gift_card_balance": float(method.get("balance", 0)) if method and method.get("source") == "gift_card" else 0,
    }


def state(db: dict[str, Any], action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Facts about the target entity for `action` (raises NotFound if it does not exist)."""
    if action == "modify_user_address":
        if params["user_id"] not in db["users"]:
            raise NotFound(
                f"user {params['user_id']!r} not found in the retail system of record", field="params.user_id"
            )
        return {"user_exists": True, "customer_id": params["user_id"], "amount": 0}
    order = _order(db, params["order_id"])
    facts: dict[str, Any] = {
        "order_exists": True,
        "order_status": order["status"],
        "order_user_id": order["user_id"],
        "customer_id": order["user_id"],
        "amount": 0,
    }
    paid = [p for p in order["payment_history"] if p["transaction_type"] == "payment"]
    total = round(
        sum(p["amount"] for p in paid)
        - sum(p["amount"] for p in order["payment_history"] if p["transaction_type"] == "refund"),
        2,
    )
    if action == "cancel_pending_order":
        facts["amount"] = total
    elif action in ("modify_pending_order_items", "exchange_delivered_order_items"):
        facts.update(_item_facts(db, order, params["item_ids"], params["new_item_ids"]))
        facts.update(_payment_facts(db, order["user_id"], params["payment_method_id"]))
    elif action == "return_delivered_order_items":
        have = Counter(i["item_id"] for i in order["items"])
        facts["items_in_order"] = all(have[i] >= c for i, c in Counter(params["item_ids"]).items())
        facts.update(_payment_facts(db, order["user_id"], params["payment_method_id"]))
        facts["payment_is_original"] = params["payment_method_id"] in {p["payment_method_id"] for p in paid}
        prices = {i["item_id"]: i["price"] for i in order["items"]}
        facts["amount"] = round(sum(prices.get(i, 0) for i in params["item_ids"]), 2)
    elif action == "modify_pending_order_payment":
        facts.update(_payment_facts(db, order["user_id"], params["payment_method_id"]))
        facts["payment_count"] = len(paid)
        facts["current_payment_method"] = paid[0]["payment_method_id"] if paid else None
        facts["order_total"] = round(sum(i["price"] for i in order["items"]), 2)
        facts["amount"] = facts["order_total"]
    return facts


def touched(db: dict[str, Any], action: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The (table, key) records an action may change, for snapshot-based compensation."""
    if action == "modify_user_address":
        return [("users", params["user_id"])]
    order = _order(db, params["order_id"])
    return [("orders", params["order_id"]), ("users", order["user_id"])]


def _cancel(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    order = _order(db, p["order_id"])
    if order["status"] != "pending":
        raise ToolError("Non-pending order cannot be cancelled")
    if p["reason"] not in ("no longer needed", "ordered by mistake"):
        raise ToolError("Invalid reason")
    refunds = []
    for pay in order["payment_history"]:
        refunds.append(
            {"transaction_type": "refund", "amount": pay["amount"], "payment_method_id": pay["payment_method_id"]}
        )
        method = _method(db, order["user_id"], pay["payment_method_id"])
        if method and method.get("source") == "gift_card":
            method["balance"] = round(method["balance"] + pay["amount"], 2)
    order["status"] = "cancelled"
    order["cancel_reason"] = p["reason"]
    order["payment_history"].extend(refunds)
    return order


def _swap_checks(db: dict[str, Any], order: dict[str, Any], p: dict[str, Any], *, must_differ: bool) -> float:
    have = [i["item_id"] for i in order["items"]]
    for item_id in p["item_ids"]:
        if p["item_ids"].count(item_id) > have.count(item_id):
            raise ToolError(f"Number of {item_id} not found.")
    if len(p["item_ids"]) != len(p["new_item_ids"]):
        raise ToolError("The number of items to be exchanged should match.")
    diff = 0.0
    for old_id, new_id in zip(p["item_ids"], p["new_item_ids"], strict=True):
        if must_differ and old_id == new_id:
            raise ToolError("The new item id should be different from the old item id.")
        item = next(i for i in order["items"] if i["item_id"] == old_id)
        variant = _variant(db, item["product_id"], new_id)
        if variant is None or not variant.get("available"):
            raise ToolError(f"New item {new_id} not found or available")
        diff += variant["price"] - item["price"]
    diff = round(diff, 2)
    method = _method(db, order["user_id"], p["payment_method_id"])
    if method is None:
        raise ToolError("Payment method not found")
    if method.get("source") == "gift_card" and method.get("balance", 0) < diff:
        raise ToolError("Insufficient gift card balance to pay for the price difference")
    return diff


def _exchange(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    order = _order(db, p["order_id"])
    if order["status"] != "delivered":
        raise ToolError("Non-delivered order cannot be exchanged")
    diff = _swap_checks(db, order, p, must_differ=False)
    order["status"] = "exchange requested"
    order["exchange_items"] = sorted(p["item_ids"])
    order["exchange_new_items"] = sorted(p["new_item_ids"])
    order["exchange_payment_method_id"] = p["payment_method_id"]
    order["exchange_price_difference"] = diff
    return order


def _modify_items(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    order = _order(db, p["order_id"])
    if order["status"] != "pending":
        raise ToolError("Non-pending order cannot be modified")
    diff = _swap_checks(db, order, p, must_differ=True)
    method = _method(db, order["user_id"], p["payment_method_id"]) or {}
    kind = "payment" if diff > 0 else "refund"
    order["payment_history"].append(
        {"transaction_type": kind, "amount": abs(diff), "payment_method_id": p["payment_method_id"]}
    )
    if method.get("source") == "gift_card":
        method["balance"] = round(method["balance"] - diff, 2)
    for old_id, new_id in zip(p["item_ids"], p["new_item_ids"], strict=True):
        item = next(i for i in order["items"] if i["item_id"] == old_id)
        variant = _variant(db, item["product_id"], new_id) or {}
        item.update(item_id=new_id, price=variant["price"], options=variant["options"])
    order["status"] = "pending (item modified)"
    return order


def _modify_address(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    order = _order(db, p["order_id"])
    if "pending" not in order["status"]:
        raise ToolError("Non-pending order cannot be modified")
    order["address"] = {k: p.get(k) or "" for k in ("address1", "address2", "city", "state", "country", "zip")}
    return order


def _modify_payment(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    order = _order(db, p["order_id"])
    if "pending" not in order["status"]:
        raise ToolError("Non-pending order cannot be modified")
    method = _method(db, order["user_id"], p["payment_method_id"])
    if method is None:
        raise ToolError("Payment method not found")
    history = order["payment_history"]
    if len(history) > 1 or history[0]["transaction_type"] != "payment":
        raise ToolError("There should be exactly one payment for a pending order")
    old = history[0]
    if old["payment_method_id"] == p["payment_method_id"]:
        raise ToolError("The new payment method should be different from the current one")
    amount = old["amount"]
    if method.get("source") == "gift_card" and method.get("balance", 0) < amount:
        raise ToolError("Insufficient gift card balance to pay for the order")
    history.append({"transaction_type": "payment", "amount": amount, "payment_method_id": p["payment_method_id"]})
    history.append({"transaction_type": "refund", "amount": amount, "payment_method_id": old["payment_method_id"]})
    if method.get("source") == "gift_card":
        method["balance"] = round(method["balance"] - amount, 2)
    old_method = _method(db, order["user_id"], old["payment_method_id"])
    if old_method and old_method.get("source") == "gift_card":
        old_method["balance"] = round(old_method["balance"] + amount, 2)
    return order


def _return(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    order = _order(db, p["order_id"])
    if order["status"] != "delivered":
        raise ToolError("Non-delivered order cannot be returned")
    method = _method(db, order["user_id"], p["payment_method_id"])
    if method is None:
        raise ToolError("Payment method not found")
    if (
        method.get("source") != "gift_card"
        and p["payment_method_id"] != order["payment_history"][0]["payment_method_id"]
    ):
        raise ToolError("Payment method should be the original payment method")
    have = [i["item_id"] for i in order["items"]]
    for item_id in p["item_ids"]:
        if p["item_ids"].count(item_id) > have.count(item_id):
            raise ToolError("Some item not found")
    order["status"] = "return requested"
    order["return_items"] = sorted(p["item_ids"])
    order["return_payment_method_id"] = p["payment_method_id"]
    return order


def _user_address(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    user = db["users"].get(p["user_id"])
    if user is None:
        raise ToolError("User not found")
    user["address"] = {k: p.get(k) or "" for k in ("address1", "address2", "city", "state", "country", "zip")}
    return user


TOOLS = {
    "cancel_pending_order": _cancel,
    "exchange_delivered_order_items": _exchange,
    "modify_pending_order_items": _modify_items,
    "modify_pending_order_address": _modify_address,
    "modify_pending_order_payment": _modify_payment,
    "return_delivered_order_items": _return,
    "modify_user_address": _user_address,
}
