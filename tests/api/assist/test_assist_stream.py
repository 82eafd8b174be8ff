"""Agent-desktop WebSocket: start, segments with assist frames, end; bad input gets specific error frames."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from cxops.domains.assist.models import AssistAlert
from cxops.domains.interactions.models import Interaction, Turn
from tests.conftest import SHARED_DATA, auth, drain_events, new_agent_key

START = {"type": "start", "channel": "voice", "queue": "orders", "agent": "a-101",
         "customer": {"external_id": "c-1", "region": "emea", "tier": "gold"}}  # fmt: skip


def seg(seq: int, speaker: str, text: str, begin: int | None = None) -> dict[str, Any]:
    b = begin if begin is not None else seq * 2000
    return {"type": "segment", "seq": seq, "speaker": speaker, "text": text, "begin_ms": b, "end_ms": b + 1500}


def until(ws: Any, kind: str, limit: int = 20) -> dict[str, Any]:
    """The next frame of type `kind` (skipping others such as trust)."""
    for _ in range(limit):
        frame = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def finish(ws: Any, **end: Any) -> dict[str, Any]:
    """Send `end`; the server answers `ended` and closes the stream (code 1000)."""
    ws.send_json({"type": "end", **end})
    ended = until(ws, "ended")
    with pytest.raises(WebSocketDisconnect) as info:
        ws.receive_json()
    assert info.value.code == 1000
    return ended


def turns(app: Any, interaction_id: str) -> list[tuple[int, str]]:
    app.state.assist.writer.flush()
    with app.state.session_factory() as s:
        rows = s.scalars(select(Turn).where(Turn.interaction_id == __import__("uuid").UUID(interaction_id)))
        return sorted((t.seq, t.text) for t in rows)


def test_live_call_end_to_end(client: TestClient, org_keys: dict, app: Any) -> None:
    with client.websocket_connect("/v1/assist/live/call-1", headers=auth(org_keys["agent"])) as ws:
        ws.send_json(START)
        started = until(ws, "started")
        assert started["resumed"] is False and started["next_seq"] == 0
        iid = started["interaction_id"]
        ws.send_json(seg(0, "agent", "Hello, you're through to Sam, how can I help?"))
        first = until(ws, "assist")
        assert first["seq"] == 0 and set(first["timings_ms"]) >= {
            "parse",
            "intent",
            "sentiment",
            "retrieval",
            "trust",
            "total",
        }
        assert first["next_step"]["step"] == "verify_identity"
        assert any(r["rule"] == "recording_disclosure" for r in first["compliance"])
        ws.send_json(
            seg(1, "customer", "This is ridiculous and awful, I hate this terrible service, I want your manager!")
        )
        second = until(ws, "assist")
        assert second["seq"] == 1 and second["sentiment"]["customer"]["score"] < -2
        ws.send_json(seg(2, "agent", "Could you confirm your full name and postcode for security?"))
        third = until(ws, "assist")
        assert third["next_step"]["step"] == "look_up" and third["next_step"]["done"] == 1
        ws.send_json(seg(3, "agent", "I guarantee it will arrive tomorrow."))
        fourth = until(ws, "assist")
        kinds = {a["kind"] for a in fourth["alerts"]}
        assert "compliance_miss" in kinds
        assert finish(ws, outcome="resolved")["turns"] == 4
    assert [s for s, _ in turns(app, iid)] == [0, 1, 2, 3]
    with app.state.session_factory() as s:
        row = s.get(Interaction, __import__("uuid").UUID(iid))
        assert row is not None and row.ended_at is not None and row.outcome == "resolved" and row.turn_count == 4
        assert row.sentiment_start is not None and row.sentiment_start < 0
        alerts = s.scalars(select(AssistAlert).where(AssistAlert.interaction_id == row.id)).all()
        assert {a.kind for a in alerts} >= {"compliance_miss"}
    r = client.get(f"/v1/assist/alerts?interaction_id={iid}", headers=auth(org_keys["supervisor"]))
    assert r.status_code == 200 and any(a["kind"] == "compliance_miss" for a in r.json())
    drain_events(app)  # interactions.ended reaches the consumers without error


def test_bad_input_gets_specific_errors_and_keeps_every_valid_segment_once(
    client: TestClient, org_keys: dict, app: Any
) -> None:
    with client.websocket_connect("/v1/assist/live/call-2", headers=auth(org_keys["agent"])) as ws:
        ws.send_json(seg(0, "customer", "hello"))
        err = until(ws, "error")
        assert err["code"] == "unknown_interaction" and err["seq"] == 0
        ws.send_json(START)
        iid = until(ws, "started")["interaction_id"]
        ws.send_text("{not json")
        assert until(ws, "error")["code"] == "malformed_json"
        ws.send_text("x" * 20_000)
        big = until(ws, "error")
        assert big["code"] == "frame_too_large" and "16384" in big["message"]
        ws.send_json({"type": "segment", "seq": 1, "speaker": "robot", "text": "hi", "begin_ms": 0})
        bad = until(ws, "error")
        assert bad["code"] == "invalid_frame" and bad["message"].startswith("speaker") and bad["seq"] == 1
        ws.send_json({"type": "wave"})
        assert until(ws, "error")["code"] == "invalid_frame"
        ws.send_json(seg(5, "customer", "Where is my order?"))
        assert until(ws, "assist")["seq"] == 5
        ws.send_json(seg(5, "customer", "Where is my order?"))
        dup = until(ws, "error")
        assert dup["code"] == "duplicate_seq" and dup["seq"] == 5
        ws.send_json(seg(3, "customer", "late"))
        late = until(ws, "error")
        assert late["code"] == "out_of_order_seq" and late["seq"] == 3
        ws.send_json(seg(6, "agent", "Let me check that for you."))
        assert until(ws, "assist")["seq"] == 6
        ws.send_json({"type": "ping"})
        assert until(ws, "pong")["type"] == "pong"
        finish(ws)
    assert [s for s, _ in turns(app, iid)] == [5, 6]
    # the interaction has ended: a new connection is told so, and its segments are refused
    with client.websocket_connect(f"/v1/assist/live/{iid}", headers=auth(org_keys["agent"])) as ws:
        assert until(ws, "error")["code"] == "interaction_ended"
        ws.send_json(seg(7, "customer", "hello again"))
        assert until(ws, "error")["code"] == "unknown_interaction"
        ws.send_json(START)
        assert until(ws, "error")["code"] == "interaction_ended"
    with client.websocket_connect("/v1/assist/live/call-2", headers=auth(org_keys["agent"])) as ws:
        ws.send_json(START)
        assert until(ws, "error")["code"] == "interaction_ended"
    assert [s for s, _ in turns(app, iid)] == [5, 6]


def test_auth_and_roles(client: TestClient, org_keys: dict) -> None:
    for headers, code in (({}, "unauthorized"), (auth("cx_wrong-key-000000000"), "unauthorized"),
                          (auth(org_keys["analyst"]), "forbidden")):  # fmt: skip
        with client.websocket_connect("/v1/assist/live/x", headers=headers) as ws:
            assert ws.receive_json()["code"] == code
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_json()
            assert info.value.code in (4401, 4403)
    with client.websocket_connect(f"/v1/assist/live/x?key={org_keys['service']}") as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"
    with client.websocket_connect("/v1/assist/board", headers=auth(org_keys["agent"])) as ws:
        assert ws.receive_json()["code"] == "forbidden"


def test_second_desktop_takes_over(client: TestClient, org_keys: dict, app: Any) -> None:
    key = auth(org_keys["agent"])
    with client.websocket_connect("/v1/assist/live/call-3", headers=key) as first:
        first.send_json(START)
        iid = until(first, "started")["interaction_id"]
        first.send_json(seg(0, "customer", "My parcel arrived damaged."))
        until(first, "assist")
        with client.websocket_connect(f"/v1/assist/live/{iid}", headers=key) as second:
            resumed = until(second, "started")
            assert resumed["resumed"] is True and resumed["next_seq"] == 1
            assert until(first, "error")["code"] == "taken_over"
            first.send_json(seg(1, "customer", "hello?"))
            second.send_json(seg(1, "customer", "It is completely smashed."))
            assert until(second, "assist")["seq"] == 1
            finish(second)
    assert [s for s, _ in turns(app, iid)] == [0, 1]


def test_contact_lens_events(client: TestClient, org_keys: dict, app: Any) -> None:
    folder = SHARED_DATA / "amazon_connect_contact_lens"
    events = [
        json.loads((folder / f"rt_segment_stream_{k}.json").read_text()) for k in ("STARTED", "SEGMENTS", "COMPLETED")
    ]
    with client.websocket_connect("/v1/assist/live/cl-contact-1", headers=auth(org_keys["service"])) as ws:
        ws.send_json(events[0])
        iid = until(ws, "started")["interaction_id"]
        ws.send_json(events[1])
        a, b = until(ws, "assist"), until(ws, "assist")
        assert (a["seq"], a["speaker"], b["seq"], b["speaker"]) == (0, "agent", 1, "customer")
        ws.send_json(events[1])  # the same event again: both transcripts are duplicates
        assert until(ws, "error")["code"] == "duplicate_segment"
        assert until(ws, "error")["code"] == "duplicate_segment"
        ws.send_json(events[2])
        assert until(ws, "ended")["turns"] == 2
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    stored = turns(app, iid)
    assert [s for s, _ in stored] == [0, 1] and stored[1][1].startswith("I'm having trouble")
    with app.state.session_factory() as s:
        row = s.get(Interaction, __import__("uuid").UUID(iid))
        assert row is not None and row.source == "amazon_connect_contact_lens" and row.channel == "voice"


def test_supervisor_board_sees_calls_and_alerts(client: TestClient, org_keys: dict) -> None:
    with client.websocket_connect("/v1/assist/board", headers=auth(org_keys["supervisor"])) as board:
        assert board.receive_json() == {"type": "snapshot", "calls": [], "alerts": []}
        with client.websocket_connect("/v1/assist/live/call-4", headers=auth(org_keys["agent"])) as ws:
            ws.send_json(START)
            until(ws, "started")
            ws.send_json(
                seg(0, "customer", "This is absolutely unacceptable, I want to make a complaint to your manager!")
            )
            until(ws, "assist")
            alert = until(board, "alert")
            assert alert["alert"]["kind"] in ("sentiment_drop", "escalation_risk")
            state = until(board, "call", limit=50)
            assert state["call"]["external_id"] == "call-4" and state["call"]["segments"] == 1
            listed = client.get("/v1/assist/calls", headers=auth(org_keys["agent"])).json()
            assert [c["external_id"] for c in listed] == ["call-4"]
            finish(ws)
        assert until(board, "ended", limit=50)["type"] == "ended"
    time.sleep(0)


def test_a_linked_agents_desk_calls_are_the_agents_own(client: TestClient, org_keys: dict, app: Any) -> None:
    """A start frame from an agent's desk (a key linked to its directory agent) takes the call as that agent; it
    may not start one as another agent (which the directory would have gained as a new agent)."""
    key = auth(new_agent_key(client, org_keys["admin"], "h-7"))
    no_agent = {k: v for k, v in START.items() if k != "agent"}
    with client.websocket_connect("/v1/assist/live/desk-own", headers=key) as ws:
        ws.send_json(no_agent)
        iid = until(ws, "started")["interaction_id"]
        finish(ws, outcome="resolved")
    detail = client.get(f"/v1/interactions/{iid}", headers=auth(org_keys["admin"])).json()
    agents = client.get("/v1/agents", params={"limit": 200}, headers=auth(org_keys["admin"])).json()
    by_code = {a["code"]: a["id"] for a in (agents["items"] if isinstance(agents, dict) else agents)}
    assert [p["agent_id"] for p in detail["participants"]] == [by_code["h-7"]]
    with client.websocket_connect("/v1/assist/live/desk-other", headers=key) as ws:
        ws.send_json({**START, "agent": "someone-else"})
        err = until(ws, "error")
    assert err["code"] == "invalid_frame" and "cannot start a call as 'someone-else'" in err["message"]
    agents = client.get("/v1/agents", params={"limit": 200}, headers=auth(org_keys["admin"])).json()
    codes = [a["code"] for a in (agents["items"] if isinstance(agents, dict) else agents)]
    assert "someone-else" not in codes
