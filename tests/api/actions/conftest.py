"""Helpers for the actions API tests: real tau2 sandbox records and a context that authenticates their owner."""

from __future__ import annotations

from typing import Any

import pytest

from cxops.domains.actions.sandbox.connector import load_db
from tests.conftest import SHARED_DATA

if not (SHARED_DATA / "tau2_bench" / "retail" / "db.json").is_file():
    pytest.skip("tau2 data missing", allow_module_level=True)


@pytest.fixture(scope="session")
def retail_db() -> dict[str, Any]:
    return load_db("retail")


def confirmed(action: str, params: dict[str, Any], user_id: str, **extra: Any) -> dict[str, Any]:
    """A request body whose context authenticated `user_id` and confirmed this exact action."""
    ctx = {
        "identity_verified": True,
        "identity_method": "email",
        "authenticated_user_id": user_id,
        "confirmation": {"action": action, "params": dict(params)},
        "items_list_confirmed": True,
        **extra,
    }
    return {"action": action, "params": params, "context": ctx}


def pending_order(db: dict[str, Any], skip: int = 0) -> dict[str, Any]:
    orders = [o for o in db["orders"].values() if o["status"] == "pending" and len(o["payment_history"]) == 1]
    return orders[skip]
