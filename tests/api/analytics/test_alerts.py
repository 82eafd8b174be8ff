"""Analytics alerts reach workflows: a queue below its service-level target, and an emerging topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxops.core.events import Delivered
from cxops.core.models import OutboxEvent
from cxops.domains.analytics import alerts
from tests.conftest import auth, drain_events
from tests.factories import interaction


def test_service_level_breach_is_announced_once_and_triggers_a_rule(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    client.post(
        "/v1/workflows/rules",
        headers=auth(org_keys["supervisor"]),
        json={
            "source": "name: sl\ntrigger: service_level_breached\nsteps:\n"
            '  - notify: {message: "{queue} at {service_level}"}\n'
        },
    )
    now = datetime.now(UTC)
    records = [
        interaction(
            i,
            queue="billing-voice",
            started_at=(now - timedelta(minutes=5)).isoformat(),
            ended_at=(now - timedelta(minutes=1)).isoformat(),
            attributes={"wait_s": 90 if i % 4 else 5},
        )
        for i in range(12)
    ]
    body = b"\n".join(orjson.dumps(r) for r in records)
    client.post(
        "/v1/interactions/bulk",
        content=body,
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    drain_events(app)
    with app.state.session_factory() as s:
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "analytics.service_level_breached")).all()
    assert len(events) == 1 and events[0].payload["queue"] == "billing-voice"
    assert events[0].payload["service_level"] < events[0].payload["target"] == 0.8
    runs = client.get("/v1/workflows/runs", headers=auth(org_keys["analyst"])).json()
    assert [r["status"] for r in runs] == ["succeeded"]
    # More contacts in the same window do not repeat the alert.
    more = [
        interaction(
            100 + i,
            queue="billing-voice",
            started_at=(now - timedelta(minutes=4)).isoformat(),
            ended_at=(now - timedelta(minutes=1)).isoformat(),
            attributes={"wait_s": 90},
        )
        for i in range(3)
    ]
    client.post(
        "/v1/interactions/bulk",
        content=b"\n".join(orjson.dumps(r) for r in more),
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    drain_events(app)
    with app.state.session_factory() as s:
        assert (
            len(s.scalars(select(OutboxEvent).where(OutboxEvent.type == "analytics.service_level_breached")).all()) == 1
        )


def test_emerging_topic_is_announced(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    old = [("my invoice shows a wrong amount", now - timedelta(days=20 - i % 14)) for i in range(40)]
    new = [("the mobile app crashes when I log in", now - timedelta(days=1, hours=i % 20)) for i in range(30)]
    records = []
    for i, (text, at) in enumerate(old + new):
        rec = interaction(i, started_at=at.isoformat(), ended_at=(at + timedelta(minutes=3)).isoformat(), turns=0)
        rec["turns"] = [{"speaker": "customer", "offset_ms": 0, "text": text}]
        records.append(rec)
    client.post(
        "/v1/interactions/bulk",
        content=b"\n".join(orjson.dumps(r) for r in records),
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    with app.state.session_factory() as s:
        event = Delivered(uuid.uuid4(), "interactions.ended", uuid.UUID(org_keys["org_id"]), {})
        published = alerts.scan_topics(s, event, force=True)
        again = alerts.scan_topics(s, event, force=True)
        s.commit()
    assert any("crash" in a["label"] or "app" in a["label"] for a in published), published
    assert again == []
