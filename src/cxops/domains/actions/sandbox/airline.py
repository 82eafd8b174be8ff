"""Sandbox airline system of record: tau2-bench airline write tools and the facts policies read.

Semantics follow src/tau2/domains/airline/tools.py (sierra-research/tau2-bench, MIT). The benchmark's
clock is fixed: "The current time is 2024-05-15 15:00:00 EST" (airline policy.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cxops.core.errors import NotFound
from cxops.domains.actions.sandbox.retail import ToolError

NOW = datetime(2024, 5, 15, 15, 0, 0)
FREE_BAGS = {
    "regular": {"basic_economy": 0, "economy": 1, "business": 2},
    "silver": {"basic_economy": 1, "economy": 2, "business": 3},
    "gold": {"basic_economy": 2, "economy": 3, "business": 4},
}


def _reservation(db: dict[str, Any], rid: str) -> dict[str, Any]:
    res = db["reservations"].get(rid)
    if res is None:
        raise NotFound(f"reservation {rid!r} not found in the airline system of record", field="params.reservation_id")
    return res


def _user(db: dict[str, Any], uid: str) -> dict[str, Any]:
    user = db["users"].get(uid)
    if user is None:
        raise NotFound(f"user {uid!r} not found in the airline system of record", field="params.user_id")
    return user


def _statuses(db: dict[str, Any], res: dict[str, Any]) -> list[str]:
    out = []
    for f in res["flights"]:
        day = db["flights"].get(f["flight_number"], {}).get("dates", {}).get(f["date"], {})
        out.append(day.get("status", "unknown"))
    return out


def _reservation_facts(db: dict[str, Any], res: dict[str, Any]) -> dict[str, Any]:
    statuses = _statuses(db, res)
    created = datetime.fromisoformat(res["created_at"])
    user = db["users"].get(res["user_id"], {})
    return {
        "reservation_exists": True,
        "customer_id": res["user_id"],
        "cabin": res["cabin"],
        "membership": user.get("membership"),
        "insurance": res.get("insurance"),
        "passenger_count": len(res["passengers"]),
        "any_segment_flown": any(s in ("landed", "flying") for s in statuses),
        "any_flight_cancelled": "cancelled" in statuses,
        "any_flight_delayed": "delayed" in statuses,
        "created_hours_ago": round((NOW - created).total_seconds() / 3600, 3),
        "flight_type": res["flight_type"],
        "amount": 0,
    }


def _payment_facts(db: dict[str, Any], uid: str, pid: str) -> dict[str, Any]:
    method = db["users"].get(uid, {}).get("payment_methods", {}).get(pid)
    return {
        "payment_method_owned": method is not None,
        "payment_source": method.get("source") if method else None,
        "gift_card_balance": method.get("amount", 0) if method and method.get("source") == "gift_card" else 0,
    }


def _day(db: dict[str, Any], number: str, date: str) -> dict[str, Any] | None:
    return db["flights"].get(number, {}).get("dates", {}).get(date)


def _new_flights_price(
    db: dict[str, Any], res: dict[str, Any], cabin: str, flights: list[dict[str, Any]]
) -> tuple[float, bool]:
    total, available = 0.0, True
    pax = len(res["passengers"])
    for f in flights:
        kept = next(
            (
                k
                for k in res["flights"]
                if k["flight_number"] == f["flight_number"] and k["date"] == f["date"] and cabin == res["cabin"]
            ),
            None,
        )
        if kept is not None:
            total += kept["price"] * pax
            continue
        day = _day(db, f["flight_number"], f["date"])
        if not day or day.get("status") != "available" or day["available_seats"][cabin] < pax:
            available = False
            continue
        total += day["prices"][cabin] * pax
    total -= sum(k["price"] for k in res["flights"]) * pax
    return round(total, 2), available


def _route(db: dict[str, Any], flights: list[dict[str, Any]]) -> list[tuple[str, str]]:
    legs = []
    for f in flights:
        meta = db["flights"].get(f["flight_number"], {})
        legs.append((meta.get("origin", "?"), meta.get("destination", "?")))
    return legs


def _flights_state(db: dict[str, Any], res: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    old = {(f["flight_number"], f["date"]) for f in res["flights"]}
    new = {(f["flight_number"], f["date"]) for f in p["flights"]}
    legs = _route(db, p["flights"])
    if res["flight_type"] == "round_trip":
        preserved = bool(legs) and legs[0][0] == res["origin"] and legs[-1][1] == res["origin"]
        preserved = preserved and any(d == res["destination"] for _, d in legs)
    else:
        preserved = bool(legs) and legs[0][0] == res["origin"] and legs[-1][1] == res["destination"]
    diff, available = _new_flights_price(db, res, p["cabin"], p["flights"])
    return {
        "flights_changed": old != new,
        "cabin_changed": p["cabin"] != res["cabin"],
        "route_preserved": preserved,
        "flights_available": available,
        "amount": abs(diff),
        **_payment_facts(db, res["user_id"], p["payment_id"]),
    }


def _book_state(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    user = _user(db, p["user_id"])
    pax = len(p["passengers"])
    sources = [user["payment_methods"].get(m["payment_id"], {}).get("source") for m in p["payment_methods"]]
    days = [_day(db, f["flight_number"], f["date"]) for f in p["flights"]]
    avail = all(d and d.get("status") == "available" for d in days)
    seats = avail and all(d["available_seats"][p["cabin"]] >= pax for d in days if d)
    price = sum(d["prices"][p["cabin"]] for d in days if d and "prices" in d) * pax
    allowance = FREE_BAGS.get(user.get("membership", "regular"), FREE_BAGS["regular"])[p["cabin"]] * pax
    expected_nonfree = max(0, p["total_baggages"] - allowance)
    total = price + (30 * pax if p["insurance"] == "yes" else 0) + 50 * p["nonfree_baggages"]
    return {
        "user_exists": True,
        "customer_id": p["user_id"],
        "membership": user.get("membership"),
        "flights_available": bool(avail),
        "seats_available": bool(seats),
        "all_payments_owned": all(s is not None for s in sources),
        "certificate_count": sources.count("certificate"),
        "credit_card_count": sources.count("credit_card"),
        "gift_card_count": sources.count("gift_card"),
        "passengers_complete": all(
            x.get("first_name") and x.get("last_name") and x.get("dob") for x in p["passengers"]
        ),
        "cabins_consistent": True,
        "free_bag_allowance": allowance,
        "expected_nonfree_baggages": expected_nonfree,
        "expected_total": round(total, 2),
        "total_paid": round(sum(m["amount"] for m in p["payment_methods"]), 2),
        "amount": round(total, 2),
    }


def state(db: dict[str, Any], action: str, params: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Facts about the target entity for `action` (raises NotFound if it does not exist)."""
    if action == "book_reservation":
        return _book_state(db, params)
    if action == "send_certificate":
        user = _user(db, params["user_id"])
        rid = context.get("reservation_id")
        res = db["reservations"].get(rid) if rid else None
        facts = _reservation_facts(db, res) if res else {"reservation_exists": False}
        return {
            **facts,
            "user_exists": True,
            "membership": user.get("membership"),
            "customer_id": params["user_id"],
            "reservation_owner": res["user_id"] if res else None,
            "amount": params["amount"],
        }
    res = _reservation(db, params["reservation_id"])
    facts = _reservation_facts(db, res)
    if action == "cancel_reservation":
        facts["amount"] = round(sum(x["amount"] for x in res["payment_history"]), 2)
    elif action == "update_reservation_flights":
        facts.update(_flights_state(db, res, params))
    elif action == "update_reservation_baggages":
        facts.update(_payment_facts(db, res["user_id"], params["payment_id"]))
        facts["current_total_baggages"] = res["total_baggages"]
        facts["current_nonfree_baggages"] = res["nonfree_baggages"]
        facts["amount"] = 50 * max(0, params["nonfree_baggages"] - res["nonfree_baggages"])
    return facts


def touched(db: dict[str, Any], action: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The (table, key) records an action may change, for snapshot-based compensation."""
    if action in ("book_reservation", "send_certificate"):
        keys = [("users", params["user_id"])]
        keys += [("flights", f["flight_number"]) for f in params.get("flights") or []]
        return keys + ([("reservations", _new_reservation_id(db))] if action == "book_reservation" else [])
    res = _reservation(db, params["reservation_id"])
    keys = [("reservations", params["reservation_id"]), ("users", res["user_id"])]
    return keys + [("flights", f["flight_number"]) for f in params.get("flights") or []]


def _pay_update(db: dict[str, Any], uid: str, pid: str, total: float) -> dict[str, Any] | None:
    method = db["users"][uid]["payment_methods"].get(pid)
    if method is None:
        raise ToolError("Payment method not found")
    if method["source"] == "certificate":
        raise ToolError("Certificate cannot be used to update reservation")
    if method["source"] == "gift_card":
        if method["amount"] < total:
            raise ToolError("Gift card balance is not enough")
        method["amount"] = round(method["amount"] - total, 2)
    return {"payment_id": pid, "amount": total} if total != 0 else None


def _check_booking_payments(user: dict[str, Any], p: dict[str, Any], total: float) -> None:
    paid = sum(m["amount"] for m in p["payment_methods"])
    for m in p["payment_methods"]:
        method = user["payment_methods"].get(m["payment_id"])
        if method is None:
            raise ToolError(f"Payment method {m['payment_id']} not found")
        if method["source"] in ("gift_card", "certificate") and method["amount"] < m["amount"]:
            raise ToolError(f"Not enough balance in payment method {m['payment_id']}")
    if round(paid, 2) != round(total, 2):
        raise ToolError(f"Payment amount does not add up, total price is {total}, but paid {paid}")


def _book(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    user = db["users"].get(p["user_id"])
    if user is None:
        raise ToolError("User not found")
    pax = len(p["passengers"])
    total, flights = 0.0, []
    for f in p["flights"]:
        meta = db["flights"].get(f["flight_number"])
        day = _day(db, f["flight_number"], f["date"])
        if meta is None or not day or day.get("status") != "available":
            raise ToolError(f"Flight {f['flight_number']} not available on date {f['date']}")
        if day["available_seats"][p["cabin"]] < pax:
            raise ToolError(f"Not enough seats on flight {f['flight_number']}")
        price = day["prices"][p["cabin"]]
        total += price * pax
        flights.append(
            {
                "origin": meta["origin"],
                "destination": meta["destination"],
                "flight_number": f["flight_number"],
                "date": f["date"],
                "price": price,
            }
        )
    total += (30 * pax if p["insurance"] == "yes" else 0) + 50 * p["nonfree_baggages"]
    _check_booking_payments(user, p, total)
    for m in p["payment_methods"]:
        method = user["payment_methods"][m["payment_id"]]
        if method["source"] == "gift_card":
            method["amount"] = round(method["amount"] - m["amount"], 2)
        elif method["source"] == "certificate":
            user["payment_methods"].pop(m["payment_id"])
    for f in p["flights"]:
        _day(db, f["flight_number"], f["date"])["available_seats"][p["cabin"]] -= pax  # type: ignore[index]
    rid = _new_reservation_id(db)
    db["reservations"][rid] = {
        "reservation_id": rid,
        "user_id": p["user_id"],
        "origin": p["origin"],
        "destination": p["destination"],
        "flight_type": p["flight_type"],
        "cabin": p["cabin"],
        "flights": flights,
        "passengers": [dict(x) for x in p["passengers"]],
        "payment_history": [dict(m) for m in p["payment_methods"]],
        "created_at": NOW.isoformat(),
        "total_baggages": p["total_baggages"],
        "nonfree_baggages": p["nonfree_baggages"],
        "insurance": p["insurance"],
    }
    user.setdefault("reservations", []).append(rid)
    return db["reservations"][rid]


def _new_reservation_id(db: dict[str, Any]) -> str:
    n = len(db["reservations"])
    while f"SBX{n:03d}" in db["reservations"]:
        n += 1
    return f"SBX{n:03d}"


def _cancel(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    res = _reservation(db, p["reservation_id"])
    res["payment_history"].extend(
        {"payment_id": x["payment_id"], "amount": -x["amount"]} for x in list(res["payment_history"])
    )
    res["status"] = "cancelled"
    return res


def _flights(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    res = _reservation(db, p["reservation_id"])
    pax = len(res["passengers"])
    total, new = 0.0, []
    for f in p["flights"]:
        kept = next(
            (
                k
                for k in res["flights"]
                if k["flight_number"] == f["flight_number"] and k["date"] == f["date"] and p["cabin"] == res["cabin"]
            ),
            None,
        )
        if kept is not None:
            total += kept["price"] * pax
            new.append(kept)
            continue
        meta = db["flights"].get(f["flight_number"])
        day = _day(db, f["flight_number"], f["date"])
        if meta is None or not day or day.get("status") != "available":
            raise ToolError(f"Flight {f['flight_number']} not available on date {f['date']}")
        if day["available_seats"][p["cabin"]] < pax:
            raise ToolError(f"Not enough seats on flight {f['flight_number']}")
        price = day["prices"][p["cabin"]]
        total += price * pax
        new.append(
            {
                "origin": meta["origin"],
                "destination": meta["destination"],
                "flight_number": f["flight_number"],
                "date": f["date"],
                "price": price,
            }
        )
    total -= sum(k["price"] for k in res["flights"]) * pax
    payment = _pay_update(db, res["user_id"], p["payment_id"], round(total, 2))
    if payment:
        res["payment_history"].append(payment)
    res["flights"] = new
    res["cabin"] = p["cabin"]
    return res


def _baggages(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    res = _reservation(db, p["reservation_id"])
    total = 50 * max(0, p["nonfree_baggages"] - res["nonfree_baggages"])
    payment = _pay_update(db, res["user_id"], p["payment_id"], total)
    if payment:
        res["payment_history"].append(payment)
    res["total_baggages"] = p["total_baggages"]
    res["nonfree_baggages"] = p["nonfree_baggages"]
    return res


def _passengers(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    res = _reservation(db, p["reservation_id"])
    if len(p["passengers"]) != len(res["passengers"]):
        raise ToolError("Number of passengers does not match")
    res["passengers"] = [dict(x) for x in p["passengers"]]
    return res


def _certificate(db: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    user = db["users"].get(p["user_id"])
    if user is None:
        raise ToolError("User not found")
    cid = f"certificate_{3221322 + len(user['payment_methods'])}"
    user["payment_methods"][cid] = {"source": "certificate", "amount": p["amount"], "id": cid}
    return {"message": f"Certificate {cid} added to user {p['user_id']} with amount {p['amount']}."}


TOOLS = {
    "book_reservation": _book,
    "cancel_reservation": _cancel,
    "update_reservation_flights": _flights,
    "update_reservation_baggages": _baggages,
    "update_reservation_passengers": _passengers,
    "send_certificate": _certificate,
}
