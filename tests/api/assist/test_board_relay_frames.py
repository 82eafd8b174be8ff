"""How an engine handles board frames relayed from other API processes (the relay itself: test_board_relay.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from fastapi.testclient import TestClient

from cxops.domains.assist import engine as engine_module
from cxops.domains.assist.engine import AssistEngine, Outbox, Subscriber
from tests.api.assist.test_assist_stream import START, seg, until
from tests.conftest import auth

ORG, TEAM, OTHER_TEAM = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def envelope(frame: dict[str, Any], *, origin: str = "other-process", team: uuid.UUID | None = TEAM) -> dict[str, Any]:
    return {"origin": origin, "org_id": str(ORG), "team_id": str(team) if team else None, "frame": frame}


def call_frame(call_id: str, segments: int = 1) -> dict[str, Any]:
    return {"type": "call", "call": {"interaction_id": call_id, "external_id": f"ext-{call_id}", "segments": segments}}


def board(engine: AssistEngine, team: uuid.UUID | None = None, org: uuid.UUID = ORG) -> asyncio.Queue[Any]:
    outbox = Outbox(64, lambda: None)
    engine.subscribers.append(Subscriber(org, team, outbox))
    return outbox.queue


def frames(queue: asyncio.Queue[Any]) -> list[dict[str, Any]]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def test_remote_calls_reach_the_boards_that_want_them_and_their_snapshots(app: Any) -> None:
    engine: AssistEngine = app.state.assist
    whole_org, team, other_team, other_org = (
        board(engine),
        board(engine, TEAM),
        board(engine, OTHER_TEAM),
        board(engine, org=uuid.uuid4()),
    )
    engine._remote(envelope(call_frame("c1")))
    engine._remote(envelope({"type": "alert", "alert": {"kind": "sentiment_drop", "raised_at": "2026-11-25T03:00"}}))
    assert [f["type"] for f in frames(whole_org)] == ["call", "alert"]
    assert [f["type"] for f in frames(team)] == ["call", "alert"]
    assert frames(other_team) == [] and frames(other_org) == []
    snapshot = engine.snapshot(Subscriber(ORG, TEAM, Outbox(4, lambda: None)))
    assert [c["interaction_id"] for c in snapshot["calls"]] == ["c1"]
    assert [a["kind"] for a in snapshot["alerts"]] == ["sentiment_drop"]
    assert engine.snapshot(Subscriber(ORG, OTHER_TEAM, Outbox(4, lambda: None)))["calls"] == []
    engine._remote(envelope({"type": "ended", "interaction_id": "c1"}))
    assert frames(whole_org) == [{"type": "ended", "interaction_id": "c1"}]
    assert engine.snapshot(Subscriber(ORG, None, Outbox(4, lambda: None)))["calls"] == []


def test_own_and_malformed_envelopes_are_ignored(app: Any) -> None:
    engine: AssistEngine = app.state.assist
    queue = board(engine)
    engine._remote(envelope(call_frame("mine"), origin=engine.origin))  # this process's own, heard back
    for bad in (
        {"origin": "x"},
        {**envelope(call_frame("c2")), "org_id": "not-a-uuid"},
        envelope({"type": "call"}),
        envelope({"type": "execute", "code": "rm -rf /"}),
        envelope("not a frame"),  # type: ignore[arg-type]
    ):
        engine._remote(bad)
    assert frames(queue) == [] and engine.remote == {}


def test_a_remote_call_not_heard_of_leaves_the_boards(app: Any, monkeypatch: Any) -> None:
    """Its process stopped without ending it: after REMOTE_TTL_S without a heartbeat it is ended on the boards."""
    engine: AssistEngine = app.state.assist
    queue = board(engine)
    engine._remote(envelope(call_frame("c3")))
    frames(queue)
    engine._expire_remote()
    assert "c3" in engine.remote and frames(queue) == []
    engine.remote["c3"].seen = time.monotonic() - engine_module.REMOTE_TTL_S - 1
    engine._expire_remote()
    assert engine.remote == {} and frames(queue) == [{"type": "ended", "interaction_id": "c3"}]


class _Recording:
    """A relay that records what the engine publishes (the NATS one is tested in test_board_relay.py)."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []
        self.opened = False

    def open(self, deliver: Any) -> None:
        self.opened = True

    def publish(self, envelope: dict[str, Any]) -> None:
        self.published.append(envelope)

    def close(self) -> None:
        self.opened = False


def test_a_live_call_is_published_with_its_origin_org_and_team(client: TestClient, org_keys: dict, app: Any) -> None:
    relay = _Recording()
    app.state.assist.relay = relay
    with client.websocket_connect("/v1/assist/live/relayed-1", headers=auth(org_keys["agent"])) as ws:
        ws.send_json(START)
        until(ws, "started")
        ws.send_json(seg(0, "customer", "This is absolutely unacceptable, I want to make a complaint to your manager!"))
        until(ws, "assist")
        deadline = time.monotonic() + 5
        while not any(e["frame"]["type"] == "call" for e in relay.published) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert relay.opened
    kinds = {e["frame"]["type"] for e in relay.published}
    assert {"call", "alert"} <= kinds
    first = relay.published[0]
    assert first["origin"] == app.state.assist.origin and first["org_id"] == org_keys["org_id"]


def test_the_live_calls_listing_includes_other_processes_calls(client: TestClient, org_keys: dict, app: Any) -> None:
    engine: AssistEngine = app.state.assist
    org = org_keys["org_id"]
    engine._remote({"origin": "other", "org_id": org, "team_id": None, "frame": call_frame("remote-1")})
    engine._remote({"origin": "other", "org_id": str(uuid.uuid4()), "team_id": None, "frame": call_frame("elsewhere")})
    listed = client.get("/v1/assist/calls", headers=auth(org_keys["agent"])).json()
    assert [c["interaction_id"] for c in listed] == ["remote-1"]
