"""A small, fully known contact centre for the analytics API tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient

from cxops.domains.analytics.cache import FrameCache
from cxops.domains.analytics.config import AnalyticsConfig
from tests.conftest import auth

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=3)


def contact(n: int, start: datetime, agents: list[tuple[str, str]], **kw):  # type: ignore[no-untyped-def]
    record = {
        "source": "t",
        "external_id": f"x{n}",
        "channel": "voice",
        "queue": "billing-voice",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=4)).isoformat(),
        "participants": [
            {"agent": code, "kind": kind, "role": "primary" if i == 0 else "handoff"}
            for i, (code, kind) in enumerate(agents)
        ],
        "talk_s": 120,
        "hold_s": 0,
        "wrap_s": 30,
        "outcome": "resolved",
        "intent": "billing",
        "turns": [
            {"speaker": "customer", "offset_ms": 0, "text": "my invoice is wrong", "sentiment": -1.0},
            {"speaker": "agent", "offset_ms": 1000, "text": "let me check"},
            {"speaker": "customer", "offset_ms": 2000, "text": "thanks", "sentiment": 1.0},
        ],
    }
    record.update(kw)
    return record


H1, H2, BOT = [("h1", "human")], [("h2", "human")], [("bot", "ai")]
CONTACTS = [
    contact(1, OLD, H1, customer={"external_id": "A"}, attributes={"wait_s": 10}, csat=5),
    contact(2, OLD + timedelta(hours=2), H1, customer={"external_id": "A"}, attributes={"wait_s": 30}),
    contact(3, OLD + timedelta(hours=1), H2, channel="chat", queue="chat-q", customer={"external_id": "B"},
            outcome="abandoned", talk_s=0, wrap_s=0, attributes={"wait_s": 50}),
    contact(4, OLD + timedelta(hours=3), BOT, channel="chat", queue="chat-q", customer={"external_id": "C"},
            intent="delivery", talk_s=60, wrap_s=0),
    contact(5, OLD + timedelta(hours=4), [*BOT, ("h2", "human")], channel="chat", queue="chat-q",
            customer={"external_id": "D"}, intent="delivery", outcome="escalated"),
    contact(6, NOW - timedelta(minutes=5), H2, customer={"external_id": "E"}, outcome="transferred"),
    contact(7, NOW - timedelta(minutes=2), H2, customer={"external_id": "F"}, outcome=None, ended_at=None),
]  # fmt: skip


def seed_directory(client: TestClient, admin: dict[str, str]) -> None:
    posts = [
        ("/v1/regions", {"code": "EU", "name": "Europe"}),
        ("/v1/regions", {"code": "US", "name": "Americas"}),
        ("/v1/locations", {"code": "berlin", "name": "Berlin", "region": "EU", "timezone": "Europe/Berlin"}),
        ("/v1/locations", {"code": "austin", "name": "Austin", "region": "US", "timezone": "America/Chicago"}),
        ("/v1/teams", {"code": "t-ber", "name": "Berlin billing", "location": "berlin"}),
        ("/v1/teams", {"code": "t-aus", "name": "Austin care", "location": "austin"}),
        ("/v1/agents", {"code": "h1", "name": "Hana", "team": "t-ber"}),
        ("/v1/agents", {"code": "h2", "name": "Hugo", "team": "t-aus"}),
        ("/v1/agents", {"code": "bot", "name": "Assistant", "kind": "ai"}),
        ("/v1/queues", {"code": "billing-voice", "name": "Billing", "channel": "voice", "sl_threshold_s": 20}),
    ]
    for path, body in posts:
        r = client.post(path, json=body, headers=admin)
        assert r.status_code == 201, r.text


def ingest(client: TestClient, service_key: str, records: list[dict]) -> None:
    body = b"\n".join(orjson.dumps(r) for r in records)
    r = client.post(
        "/v1/interactions/bulk", content=body, headers={**auth(service_key), "content-type": "application/x-ndjson"}
    )
    assert r.status_code == 200 and r.json()["failed"] == 0, r.text


@pytest.fixture
def centre(client: TestClient, org_keys: dict, app) -> dict:  # type: ignore[no-untyped-def]
    """The app with the known contacts ingested; the frame reloads on every change (min_reload_s=0)."""
    app.state.analytics_cache = FrameCache(AnalyticsConfig(min_reload_s=0, background_reload=False))
    seed_directory(client, auth(org_keys["admin"]))
    ingest(client, org_keys["service"], CONTACTS)
    return {"keys": org_keys, "reader": auth(org_keys["analyst"])}
