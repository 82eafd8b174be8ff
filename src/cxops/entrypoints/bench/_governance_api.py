"""End-to-end dry-run latency through the HTTP app on a temporary SQLite database (context for the figure)."""

from __future__ import annotations

import tempfile
import time
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from cxops.core import keys
from cxops.core.auth import Role
from cxops.core.config import load_settings
from cxops.core.db import unit_of_work
from cxops.domains.actions.sandbox.connector import load_db
from cxops.entrypoints.http.app import create_app


def api_dry_run_latency(n: int) -> dict[str, Any]:
    """p50/p95 of POST /v1/actions/dry-run (auth, validation, state read, velocity queries, audit write)."""
    tmp = tempfile.mkdtemp(prefix="cxops-bench-")
    env = {"CXOPS_DATA_DIR": tmp, "CXOPS_RATE_LIMIT_PER_MINUTE": "0", "CXOPS_LOG_LEVEL": "WARNING"}
    app = create_app(load_settings(env), dispatch=False)
    db = load_db("retail")
    orders = [o for o in db["orders"].values() if o["status"] == "pending"][:n]
    with TestClient(app) as client:
        with unit_of_work(app.state.session_factory) as s:
            org = keys.ensure_organisation(s, slug="bench")
            _, secret = keys.create_key(s, org_id=org.id, role=Role.SERVICE, name="bench")
        headers = {"Authorization": f"Bearer {secret}"}
        timings = []
        for order in orders:
            params = {"order_id": order["order_id"], "reason": "no longer needed"}
            ctx = {"identity_verified": True, "identity_method": "email", "authenticated_user_id": order["user_id"]}
            body = {
                "action": "cancel_pending_order",
                "params": params,
                "context": {**ctx, "confirmation": {"action": "cancel_pending_order", "params": params}},
            }
            started = time.perf_counter()
            client.post("/v1/actions/dry-run", json=body, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
    arr = np.array(timings[5:])
    return {
        "api_dry_run_p50_ms": round(float(np.percentile(arr, 50)), 2),
        "api_dry_run_p95_ms": round(float(np.percentile(arr, 95)), 2),
        "api_dry_runs": int(arr.size),
    }
