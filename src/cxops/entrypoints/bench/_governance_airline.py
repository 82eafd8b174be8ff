"""Generated violations of the tau2 airline pack's rules, from real reservations, users and flights."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cxops.domains.actions.sandbox.airline import NOW
from cxops.entrypoints.bench._governance_replay import Case
from cxops.entrypoints.bench._governance_violations import _with


def _ctx(uid: str, **extra: Any) -> dict[str, Any]:
    base = {"identity_verified": True, "identity_method": "user_id", "authenticated_user_id": uid}
    return {**base, "confirmed": True, "actor_kind": "ai", **extra}


def _statuses(db: dict[str, Any], res: dict[str, Any]) -> list[str]:
    return [db["flights"][f["flight_number"]]["dates"].get(f["date"], {}).get("status", "?") for f in res["flights"]]


def _find(db: dict[str, Any], want: Any) -> dict[str, Any] | None:
    return next((r for r in db["reservations"].values() if want(r, _statuses(db, r))), None)


def _unflown(statuses: list[str]) -> bool:
    return not any(s in ("landed", "flying") for s in statuses)


def _card(db: dict[str, Any], uid: str, source: str = "credit_card") -> str | None:
    return next((m["id"] for m in db["users"][uid]["payment_methods"].values() if m["source"] == source), None)


def _other_date(db: dict[str, Any], number: str, date: str) -> str | None:
    days = db["flights"][number]["dates"]
    return next((d for d, v in days.items() if d != date and v.get("status") == "available"), None)


def book_rules(case: Case, db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """Violations of the booking rules derived from a valid ground-truth booking."""
    p = case.params
    pax = p["passengers"]
    six = [*pax, *([pax[0]] * (6 - len(pax)))]
    yield "A2-max-passengers", _with(case, params={"passengers": six})
    nameless = [{**pax[0], "first_name": ""}, *pax[1:]]
    yield "A2-passenger-details", _with(case, params={"passengers": nameless})
    foreign = next(m for u, user in db["users"].items() if u != p["user_id"] for m in user["payment_methods"])
    pay = [{"payment_id": foreign, "amount": sum(m["amount"] for m in p["payment_methods"])}]
    yield "A2-payments-in-profile", _with(case, params={"payment_methods": pay})
    more = [dict(m) for m in p["payment_methods"]]
    more[0]["amount"] += 10
    yield "A2-total", _with(case, params={"payment_methods": more})
    extra = [dict(m) for m in p["payment_methods"]]
    extra[0]["amount"] += 50
    yield "A3-free-bags", _with(case, params={"nonfree_baggages": p["nonfree_baggages"] + 1, "payment_methods": extra})
    flight = p["flights"][0]
    gone = next(
        (d for d, v in db["flights"][flight["flight_number"]]["dates"].items() if v.get("status") != "available"),
        None,
    )
    if gone:
        flights = [{**flight, "date": gone}, *p["flights"][1:]]
        yield "A2-availability", _with(case, params={"flights": flights})
    cards = [m for m in db["users"][p["user_id"]]["payment_methods"].values() if m["source"] == "gift_card"]
    if len(cards) >= 1:
        split = [{"payment_id": cards[0]["id"], "amount": 1}] * 4
        yield "A2-payment-caps", _with(case, params={"payment_methods": split})


def update_flight_rules(db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """Basic-economy change, route change, certificate payment, unavailable flight, cabin after flown."""
    basic = _find(db, lambda r, s: r["cabin"] == "basic_economy" and _unflown(s) and r.get("status") != "cancelled")
    if basic:
        uid, f0 = basic["user_id"], basic["flights"][0]
        date = _other_date(db, f0["flight_number"], f0["date"])
        flights = [{"flight_number": f0["flight_number"], "date": date}] + [
            {"flight_number": f["flight_number"], "date": f["date"]} for f in basic["flights"][1:]
        ]
        params = {"reservation_id": basic["reservation_id"], "cabin": "basic_economy", "flights": flights}
        params["payment_id"] = _card(db, uid) or _card(db, uid, "gift_card") or "credit_card_0"
        yield "A4-basic-economy", Case("airline", "scan", "update_reservation_flights", params, _ctx(uid))
    eco = _find(db, lambda r, s: r["cabin"] == "economy" and _unflown(s) and _card(db, r["user_id"]) is not None)
    if eco is None:
        return
    uid = eco["user_id"]
    keep = [{"flight_number": f["flight_number"], "date": f["date"]} for f in eco["flights"]]
    base = {"reservation_id": eco["reservation_id"], "cabin": "economy", "flights": keep, "payment_id": _card(db, uid)}
    elsewhere = next(
        n for n, f in db["flights"].items() if f["origin"] != eco["origin"] and f["destination"] != eco["origin"]
    )
    date = _other_date(db, elsewhere, "")
    moved = {**base, "flights": [{"flight_number": elsewhere, "date": date}, *keep[1:]]}
    yield "A4-same-route", Case("airline", "scan", "update_reservation_flights", moved, _ctx(uid))
    cert = _card(db, uid, "certificate")
    if cert:
        yield (
            "A4-payment",
            Case("airline", "scan", "update_reservation_flights", {**base, "payment_id": cert}, _ctx(uid)),
        )
    f0 = eco["flights"][0]
    gone = next(
        (d for d, v in db["flights"][f0["flight_number"]]["dates"].items() if v.get("status") == "landed"), None
    )
    if gone:
        late = {**base, "flights": [{"flight_number": f0["flight_number"], "date": gone}, *keep[1:]]}
        yield "A4-availability", Case("airline", "scan", "update_reservation_flights", late, _ctx(uid))
    flown = _find(db, lambda r, s: "landed" in s and r["cabin"] != "business" and _card(db, r["user_id"]) is not None)
    if flown:
        legs = [{"flight_number": f["flight_number"], "date": f["date"]} for f in flown["flights"]]
        params = {"reservation_id": flown["reservation_id"], "cabin": "business", "flights": legs}
        params["payment_id"] = _card(db, flown["user_id"])
        yield (
            "A5-cabin-after-flown",
            Case("airline", "scan", "update_reservation_flights", params, _ctx(flown["user_id"])),
        )


def reservation_rules(db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """Bags removed, passenger count changed, cancellations outside their conditions."""
    bags = _find(db, lambda r, s: r["total_baggages"] > 0 and _unflown(s) and _card(db, r["user_id"]) is not None)
    if bags:
        uid = bags["user_id"]
        params = {"reservation_id": bags["reservation_id"], "total_baggages": bags["total_baggages"] - 1}
        params |= {"nonfree_baggages": 0, "payment_id": _card(db, uid)}
        yield "A6-no-bag-removal", Case("airline", "scan", "update_reservation_baggages", params, _ctx(uid))
    multi = _find(db, lambda r, s: len(r["passengers"]) > 1)
    if multi:
        params = {"reservation_id": multi["reservation_id"], "passengers": multi["passengers"][:-1]}
        yield (
            "A7-passenger-count",
            Case("airline", "scan", "update_reservation_passengers", params, _ctx(multi["user_id"])),
        )
    flown = _find(db, lambda r, s: "landed" in s)
    if flown:
        ctx = _ctx(flown["user_id"], reason="change_of_plan")
        yield (
            "A8-flown",
            Case("airline", "scan", "cancel_reservation", {"reservation_id": flown["reservation_id"]}, ctx),
        )
    yield from _cancel_conditions(db)


def _old(r: dict[str, Any]) -> bool:
    return (NOW - datetime.fromisoformat(r["created_at"])).total_seconds() > 24 * 3600


def _cancel_conditions(db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    plain = _find(
        db,
        lambda r, s: (
            r["cabin"] != "business"
            and _unflown(s)
            and "cancelled" not in s
            and _old(r)
            and r.get("status") != "cancelled"
        ),
    )
    if plain is None:
        return
    rid, uid = plain["reservation_id"], plain["user_id"]
    yield "A8-reason", Case("airline", "scan", "cancel_reservation", {"reservation_id": rid}, _ctx(uid))
    reason = "change_of_plan" if plain["insurance"] == "yes" else "health"
    yield (
        "A8-conditions",
        Case("airline", "scan", "cancel_reservation", {"reservation_id": rid}, _ctx(uid, reason=reason)),
    )


def certificate_rules(db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """Compensation not asked for, to an ineligible member, without grounds, for the wrong amount."""

    def cert(res: dict[str, Any], amount: int, **ctx: Any) -> Case:
        context = _ctx(res["user_id"], reservation_id=res["reservation_id"], **ctx)
        return Case("airline", "scan", "send_certificate", {"user_id": res["user_id"], "amount": amount}, context)

    ok = _find(db, lambda r, s: "cancelled" in s and db["users"][r["user_id"]]["membership"] != "regular")
    if ok:
        pax = len(ok["passengers"])
        asked = {"compensation_requested": True, "complaint": "cancelled_flight"}
        yield "A9-explicit-request", cert(ok, 100 * pax, complaint="cancelled_flight")
        yield "A9-amount", cert(ok, 150 * pax, **asked)
        other = next(r for r in db["reservations"].values() if r["user_id"] != ok["user_id"])
        yield "A9-reservation", cert({**ok, "reservation_id": other["reservation_id"]}, 100 * pax, **asked)
        yield "A9-grounds", cert(ok, 50 * pax, compensation_requested=True, complaint="lost_luggage")
    plain = _find(
        db,
        lambda r, s: (
            "cancelled" in s
            and db["users"][r["user_id"]]["membership"] == "regular"
            and r["insurance"] == "no"
            and r["cabin"] != "business"
        ),
    )
    if plain:
        asked = {"compensation_requested": True, "complaint": "cancelled_flight"}
        yield "A9-eligibility", cert(plain, 100 * len(plain["passengers"]), **asked)
    no_delay = _find(db, lambda r, s: "delayed" not in s and "cancelled" not in s and r["cabin"] == "business")
    if no_delay:
        asked = {"compensation_requested": True, "complaint": "delayed_flight", "change_done": True}
        yield "A9-grounds", cert(no_delay, 50 * len(no_delay["passengers"]), **asked)


def airline_case_rules(case: Case, db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """Violations derived from one allowed ground-truth airline action."""
    if case.action == "book_reservation":
        yield from book_rules(case, db)
    if case.action == "update_reservation_baggages":
        less = {"total_baggages": max(0, case.params["total_baggages"] - 10)}
        res = db["reservations"][case.params["reservation_id"]]
        if less["total_baggages"] < res["total_baggages"]:
            yield "A6-no-bag-removal", _with(case, params=less)
    if case.action == "update_reservation_passengers":
        yield (
            "A7-passenger-count",
            _with(case, params={"passengers": [*case.params["passengers"], case.params["passengers"][0]]}),
        )
    if case.action == "cancel_reservation":
        yield "A8-reason", _with(case, context={"reason": None})
    yield from ()


def scans(db: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    """Every DB-derived airline violation."""
    yield from update_flight_rules(copy.deepcopy(db))
    yield from reservation_rules(db)
    yield from certificate_rules(db)
