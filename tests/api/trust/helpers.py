"""Builders for trust API tests: recent interactions of chosen customers and outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import auth

_n = [0]


def record(
    *,
    customer: str = "cust-1",
    hours_ago: float = 24,
    ai: bool = True,
    handoff: bool = False,
    outcome: str = "resolved",
    intent: str = "billing",
    sentiment: float | None = None,
    text: str = "hello there",
    queue: str = "billing-voice",
) -> dict[str, Any]:
    _n[0] += 1
    start = datetime.now(UTC) - timedelta(hours=hours_ago)
    parts: list[dict[str, Any]] = [{"agent": "bot-1", "kind": "ai"}] if ai else [{"agent": "a-1"}]
    if handoff:
        parts.append({"agent": "a-1", "role": "handoff"})
    return {
        "source": "test",
        "external_id": f"t-{_n[0]}",
        "channel": "chat",
        "queue": queue,
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=5)).isoformat(),
        "customer": {"external_id": customer},
        "participants": parts,
        "outcome": outcome,
        "intent": intent,
        "turns": [{"speaker": "customer", "offset_ms": 0, "text": text, "sentiment": sentiment}],
    }


def ingest(client: TestClient, keys: dict, rec: dict[str, Any]) -> dict[str, Any]:
    """Post one record, deliver its events, return the stored interaction."""
    r = client.post("/v1/interactions", json=rec, headers=auth(keys["service"]))
    assert r.status_code in (200, 201), r.text
    client.app.state.dispatcher.run_once()  # type: ignore[attr-defined]
    return client.get(f"/v1/interactions/{r.json()['id']}", headers=auth(keys["admin"])).json()


def with_agents(rec: dict[str, Any], *codes: str) -> dict[str, Any]:
    """`rec` handled by these human agents, the first as primary (its external id made unique)."""
    _n[0] += 1
    return {**rec, "external_id": f"t-{_n[0]}", "participants": [{"agent": c} for c in codes]}
