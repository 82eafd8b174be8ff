"""Parameter validation: wrong type, out of range, unknown or missing parameter, unknown action."""

from __future__ import annotations

import pytest

from cxops.core.errors import NotFound, ValidationFailed
from cxops.domains.actions.compute.catalogue import validate_params
from cxops.domains.actions.policy.registry import default_catalogue


def spec(name):
    return default_catalogue().get(name)


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        ("cancel_pending_order", {"order_id": 12, "reason": "x"}, "params.order_id"),
        ("cancel_pending_order", {"order_id": "#W1"}, "params.reason"),
        ("cancel_pending_order", {"order_id": "#W1", "reason": "x", "force": True}, "params.force"),
        ("send_certificate", {"user_id": "u", "amount": -5}, "params.amount"),
        ("send_certificate", {"user_id": "u", "amount": 10**9}, "params.amount"),
        ("send_certificate", {"user_id": "u", "amount": True}, "params.amount"),
        (
            "update_reservation_flights",
            {"reservation_id": "A", "cabin": "first", "flights": [], "payment_id": "p"},
            "params.cabin",
        ),
        ("book_reservation", {"user_id": "u"}, "params.origin"),
    ],
)
def test_bad_params_name_the_field(action, params, field):
    with pytest.raises(ValidationFailed) as info:
        validate_params(spec(action), params)
    assert info.value.field == field
    assert field in info.value.message


def test_unknown_action_lists_catalogue():
    with pytest.raises(NotFound) as info:
        default_catalogue().get("wire_money")
    assert "unknown action 'wire_money'" in info.value.message and "cancel_pending_order" in info.value.message


def test_optional_params_become_none():
    out = validate_params(
        spec("modify_user_address"),
        {"user_id": "u", "address1": "a", "city": "c", "state": "s", "country": "US", "zip": "1"},
    )
    assert out["address2"] is None


def test_catalogue_entries_are_complete():
    for action in default_catalogue().actions.values():
        entry = action.public()
        assert entry["kind"] == "write" and entry["risk"] in ("low", "medium", "high")
        assert entry["reversible"] and entry["compensation"] and entry["connector"] == "sandbox"
