"""The live view: the last 15 minutes per queue and team, agent states, and its server-sent event stream."""

from __future__ import annotations

import uuid
from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient

from cxops.domains.analytics import repository
from cxops.domains.analytics.live import HUB
from tests.api.analytics.conftest import NOW, contact, ingest
from tests.conftest import auth


def test_live_snapshot_counts_recent_contacts_and_agent_states(client: TestClient, centre: dict) -> None:
    events = [
        {"agent": "h1", "state": "on_contact", "started_at": (NOW - timedelta(minutes=30)).isoformat()},
        {"agent": "h1", "state": "available", "started_at": (NOW - timedelta(minutes=3)).isoformat()},
        {"agent": "h2", "state": "on_contact", "started_at": (NOW - timedelta(minutes=1)).isoformat()},
    ]
    r = client.post("/v1/agent-states", json={"events": events}, headers=auth(centre["keys"]["service"]))
    assert r.status_code == 200, r.text
    body = client.get("/v1/analytics/live", headers=centre["reader"]).json()
    assert body["window_minutes"] == 15
    assert body["totals"]["contacts"] == 2 and body["totals"]["in_progress"] == 1
    assert body["totals"]["agents"] == {"available": 1, "on_contact": 1}
    teams = {t["team"]: t for t in body["teams"]}
    assert teams["t-aus"]["contacts"] == 2 and teams["t-aus"]["agents"] == {"on_contact": 1}
    assert teams["t-ber"]["agents"] == {"available": 1} and teams["t-ber"]["contacts"] == 0
    assert [q["queue"] for q in body["queues"]] == ["billing-voice"]


def test_live_stream_sends_a_snapshot_then_one_after_each_change(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    org = centre["keys"]["org_id"]
    seen = []
    with client.stream("GET", "/v1/analytics/live/stream?max_events=2", headers=centre["reader"]) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                seen.append(orjson.loads(line[6:]))
                if len(seen) == 1:
                    ingest(
                        client, centre["keys"]["service"], [contact(50, NOW - timedelta(minutes=1), [("h1", "human")])]
                    )
                    app.state.dispatcher.run_once()  # the embedded dispatcher delivers after commit
    assert len(seen) == 2
    assert seen[1]["totals"]["contacts"] == seen[0]["totals"]["contacts"] + 1
    assert HUB.version(uuid.UUID(org)) >= 1


def test_live_snapshot_leaves_out_contacts_stamped_in_the_future(client: TestClient, centre: dict) -> None:
    before = client.get("/v1/analytics/live", headers=centre["reader"]).json()["totals"]["contacts"]
    ingest(client, centre["keys"]["service"], [contact(60, NOW + timedelta(hours=2), [("h1", "human")])])
    ingest(client, centre["keys"]["service"], [contact(61, NOW - timedelta(minutes=2), [("h1", "human")])])
    after = client.get("/v1/analytics/live", headers=centre["reader"]).json()["totals"]["contacts"]
    assert after == before + 1  # the contact two hours ahead is not live yet; the one two minutes ago is


def test_agent_states_beyond_the_row_limit_keep_each_agents_latest(
    client: TestClient, centre: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the lookback holds more state events than the row limit, the oldest are left out, not the latest."""
    monkeypatch.setattr(repository, "MAX_STATE_ROWS", 2)
    events = [
        {"agent": "h1", "state": "on_contact", "started_at": (NOW - timedelta(minutes=40)).isoformat()},
        {"agent": "h1", "state": "after_contact_work", "started_at": (NOW - timedelta(minutes=30)).isoformat()},
        {"agent": "h1", "state": "available", "started_at": (NOW - timedelta(minutes=3)).isoformat()},
        {"agent": "h2", "state": "break", "started_at": (NOW - timedelta(minutes=1)).isoformat()},
    ]
    r = client.post("/v1/agent-states", json={"events": events}, headers=auth(centre["keys"]["service"]))
    assert r.status_code == 200, r.text
    body = client.get("/v1/analytics/live", headers=centre["reader"]).json()
    assert body["totals"]["agents"] == {"available": 1, "break": 1}
