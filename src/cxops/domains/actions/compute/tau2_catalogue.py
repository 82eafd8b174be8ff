"""Catalogue entries for the tau2-bench retail and airline write tools (sierra-research/tau2-bench, MIT).

Parameters mirror the benchmark's tool signatures; `state_fields` are the facts the sandbox system of
record reads about the target entity before a decision (see sandbox/retail.py and sandbox/airline.py).
"""

from __future__ import annotations

from typing import Any

from cxops.domains.actions.compute.catalogue import ActionSpec, Catalogue

_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_IDS = {"type": "array", "items": _ID, "minItems": 1, "maxItems": 50}
_ADDRESS = {
    name: {"type": "string", "maxLength": 200} for name in ("address1", "address2", "city", "state", "country", "zip")
}
_ORDER_STATE = frozenset({"order_exists", "order_status", "order_user_id"})
_ITEM_STATE = _ORDER_STATE | {
    "items_in_order",
    "counts_match",
    "new_items_exist",
    "same_product",
    "new_items_available",
    "items_differ",
    "payment_method_owned",
    "payment_is_gift_card",
    "gift_card_balance",
    "price_difference",
}
_RES_STATE = frozenset(
    {
        "reservation_exists",
        "cabin",
        "membership",
        "insurance",
        "passenger_count",
        "any_segment_flown",
        "any_flight_cancelled",
        "any_flight_delayed",
        "created_hours_ago",
        "flight_type",
    }
)
_PAY_STATE = frozenset({"payment_method_owned", "payment_source", "gift_card_balance"})
_PASSENGER = {
    "type": "object",
    "required": ["first_name", "last_name", "dob"],
    "properties": {
        "first_name": {"type": "string", "minLength": 1, "maxLength": 100},
        "last_name": {"type": "string", "minLength": 1, "maxLength": 100},
        "dob": {"type": "string", "pattern": r"\d{4}-\d{2}-\d{2}"},
    },
}
_FLIGHT = {
    "type": "object",
    "required": ["flight_number", "date"],
    "properties": {
        "flight_number": {"type": "string", "minLength": 1, "maxLength": 16},
        "date": {"type": "string", "pattern": r"\d{4}-\d{2}-\d{2}"},
    },
}
_BOOK_REQUIRED = [
    "user_id",
    "origin",
    "destination",
    "flight_type",
    "cabin",
    "flights",
    "passengers",
    "payment_methods",
    "total_baggages",
    "nonfree_baggages",
    "insurance",
]
_CABIN = {"type": "string", "enum": ["basic_economy", "economy", "business"]}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": False}


def _retail() -> list[ActionSpec]:
    item_params = _obj(
        ["order_id", "item_ids", "new_item_ids", "payment_method_id"],
        order_id=_ID,
        item_ids=_IDS,
        new_item_ids=_IDS,
        payment_method_id=_ID,
    )
    return [
        ActionSpec(
            "cancel_pending_order",
            "retail",
            "Cancel a pending order and refund it to the original payment methods.",
            _obj(["order_id", "reason"], order_id=_ID, reason={"type": "string", "maxLength": 200}),
            _ORDER_STATE,
            risk="high",
            entity_param="order_id",
        ),
        ActionSpec(
            "modify_pending_order_items",
            "retail",
            "Swap items of a pending order for other variants of the same product (once per order).",
            item_params,
            _ITEM_STATE,
            risk="high",
            entity_param="order_id",
        ),
        ActionSpec(
            "exchange_delivered_order_items",
            "retail",
            "Exchange items of a delivered order for other variants of the same product.",
            item_params,
            _ITEM_STATE,
            risk="high",
            entity_param="order_id",
        ),
        ActionSpec(
            "return_delivered_order_items",
            "retail",
            "Request a return of items of a delivered order, refunded to the original method or a gift card.",
            _obj(["order_id", "item_ids", "payment_method_id"], order_id=_ID, item_ids=_IDS, payment_method_id=_ID),
            _ORDER_STATE | {"items_in_order", "payment_method_owned", "payment_is_original", "payment_is_gift_card"},
            risk="high",
            entity_param="order_id",
        ),
        ActionSpec(
            "modify_pending_order_address",
            "retail",
            "Change the shipping address of a pending order.",
            _obj(["order_id", "address1", "city", "state", "country", "zip"], order_id=_ID, **_ADDRESS),
            _ORDER_STATE,
            risk="low",
            entity_param="order_id",
        ),
        ActionSpec(
            "modify_pending_order_payment",
            "retail",
            "Change the payment method of a pending order.",
            _obj(["order_id", "payment_method_id"], order_id=_ID, payment_method_id=_ID),
            _ORDER_STATE
            | {"payment_count", "current_payment_method", "payment_method_owned", "payment_is_gift_card"}
            | {"gift_card_balance", "order_total"},
            risk="medium",
            entity_param="order_id",
        ),
        ActionSpec(
            "modify_user_address",
            "retail",
            "Change the default address of a user.",
            _obj(["user_id", "address1", "city", "state", "country", "zip"], user_id=_ID, **_ADDRESS),
            frozenset({"user_exists"}),
            risk="low",
            entity_param="user_id",
        ),
    ]


def _airline() -> list[ActionSpec]:
    money = {"type": "integer", "minimum": 0, "maximum": 100_000}
    payment = _obj(["payment_id", "amount"], payment_id=_ID, amount={"type": "number", "minimum": 0})
    book_state = frozenset(
        {"user_exists", "membership", "flights_available", "seats_available", "all_payments_owned"}
        | {"certificate_count", "credit_card_count", "gift_card_count", "passengers_complete", "cabins_consistent"}
        | {"free_bag_allowance", "expected_nonfree_baggages", "expected_total", "total_paid"}
    )
    flights_state = _RES_STATE | _PAY_STATE | {"flights_changed", "cabin_changed", "route_preserved"}
    flights_state |= {"flights_available"}
    return [
        ActionSpec(
            "book_reservation",
            "airline",
            "Book a reservation paid with methods already in the user's profile.",
            _obj(
                _BOOK_REQUIRED,
                user_id=_ID,
                origin={"type": "string", "pattern": "[A-Z]{3}"},
                destination={"type": "string", "pattern": "[A-Z]{3}"},
                flight_type={"type": "string", "enum": ["one_way", "round_trip"]},
                cabin=_CABIN,
                flights={"type": "array", "items": _FLIGHT, "minItems": 1, "maxItems": 8},
                passengers={"type": "array", "items": _PASSENGER, "minItems": 1, "maxItems": 20},
                payment_methods={"type": "array", "items": payment, "minItems": 1, "maxItems": 10},
                total_baggages={"type": "integer", "minimum": 0, "maximum": 100},
                nonfree_baggages={"type": "integer", "minimum": 0, "maximum": 100},
                insurance={"type": "string", "enum": ["yes", "no"]},
            ),
            book_state,
            risk="high",
            entity_param="user_id",
        ),
        ActionSpec(
            "cancel_reservation",
            "airline",
            "Cancel a whole reservation; refunds go to the original payment methods.",
            _obj(["reservation_id"], reservation_id=_ID),
            _RES_STATE,
            risk="high",
            entity_param="reservation_id",
        ),
        ActionSpec(
            "update_reservation_flights",
            "airline",
            "Change the flights or cabin of a reservation; pay or refund the difference.",
            _obj(
                ["reservation_id", "cabin", "flights", "payment_id"],
                reservation_id=_ID,
                cabin=_CABIN,
                flights={"type": "array", "items": _FLIGHT, "minItems": 1, "maxItems": 8},
                payment_id=_ID,
            ),
            flights_state,
            risk="high",
            entity_param="reservation_id",
        ),
        ActionSpec(
            "update_reservation_baggages",
            "airline",
            "Change the checked bags of a reservation.",
            _obj(
                ["reservation_id", "total_baggages", "nonfree_baggages", "payment_id"],
                reservation_id=_ID,
                total_baggages={"type": "integer", "minimum": 0, "maximum": 100},
                nonfree_baggages={"type": "integer", "minimum": 0, "maximum": 100},
                payment_id=_ID,
            ),
            _RES_STATE | _PAY_STATE | {"current_total_baggages", "current_nonfree_baggages"},
            risk="medium",
            entity_param="reservation_id",
        ),
        ActionSpec(
            "update_reservation_passengers",
            "airline",
            "Change passenger details of a reservation (never their number).",
            _obj(
                ["reservation_id", "passengers"],
                reservation_id=_ID,
                passengers={"type": "array", "items": _PASSENGER, "minItems": 1, "maxItems": 20},
            ),
            _RES_STATE,
            risk="medium",
            entity_param="reservation_id",
        ),
        ActionSpec(
            "send_certificate",
            "airline",
            "Send a travel certificate to a user as a compensation gesture.",
            _obj(["user_id", "amount"], user_id=_ID, amount=money),
            _RES_STATE | {"user_exists", "reservation_owner"},
            risk="high",
            entity_param="user_id",
        ),
    ]


def tau2_catalogue() -> Catalogue:
    """The catalogue of every tau2 retail and airline write tool, executed by the sandbox connector."""
    cat = Catalogue()
    for spec in [*_retail(), *_airline()]:
        cat.add(spec)
    return cat
