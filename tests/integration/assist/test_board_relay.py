"""Two API processes (two apps on one database) and real NATS: a supervisor board connected to one sees the live
calls, alerts and endings of the calls the other one holds."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from cxops.core.config import Settings
from cxops.entrypoints.assist_wiring import assist_engine
from cxops.entrypoints.http.app import create_app
from cxops.integrations.nats.board import NatsBoardRelay
from cxops.integrations.nats.config import NatsBusConfig
from tests.api.assist.test_assist_stream import START, seg
from tests.integration.assist.served import served
from tests.integration.bus.conftest import NATS_URL, needs_nats, unique_config

pytestmark = [pytest.mark.nats, needs_nats]


def wait_connected(relay: NatsBoardRelay) -> None:
    deadline = time.monotonic() + 10
    while not relay.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert relay.connected


def until(ws: ClientConnection, kind: str, timeout_s: float = 10) -> dict[str, Any]:
    """The next frame of type `kind` within `timeout_s` (TimeoutError otherwise: a failure, not a hang)."""
    deadline = time.monotonic() + timeout_s
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == kind:
            return frame


def test_a_board_on_one_process_follows_the_calls_of_another(org_keys: dict, app: Any, settings: Settings) -> None:
    config = unique_config(NATS_URL)
    app.state.assist.relay = relay_a = NatsBoardRelay(config)
    other = create_app(settings, dispatch=False)
    other.state.assist.relay = relay_b = NatsBoardRelay(config)
    supervisor, agent = {"X-API-Key": org_keys["supervisor"]}, {"X-API-Key": org_keys["agent"]}
    with served(app) as port_a, served(other) as port_b:
        desk_url, board_url = (
            f"ws://127.0.0.1:{port_a}/v1/assist/live/relay-1",
            f"ws://127.0.0.1:{port_b}/v1/assist/board",
        )
        with connect(board_url, additional_headers=supervisor) as board:
            assert json.loads(board.recv(timeout=10)) == {"type": "snapshot", "calls": [], "alerts": []}
            wait_connected(relay_b)
            with connect(desk_url, additional_headers=agent) as desk:
                desk.send(json.dumps(START))
                until(desk, "started")
                wait_connected(relay_a)
                angry = "This is absolutely unacceptable, I want to make a complaint to your manager!"
                desk.send(json.dumps(seg(0, "customer", angry)))
                until(desk, "assist")
                alert = until(board, "alert")
                assert alert["alert"]["kind"] in ("sentiment_drop", "escalation_risk")
                state = until(board, "call")
                assert state["call"]["external_id"] == "relay-1" and state["call"]["segments"] == 1
                # a board that connects later to the other process gets the call in its snapshot
                with connect(board_url, additional_headers=supervisor) as late:
                    snapshot = json.loads(late.recv(timeout=10))
                    assert [c["external_id"] for c in snapshot["calls"]] == ["relay-1"]
                    assert snapshot["alerts"] and snapshot["alerts"][0]["agent"] == "a-101"
                desk.send(json.dumps({"type": "end", "outcome": "resolved"}))
                until(desk, "ended")
            ended = until(board, "ended")
            assert ended["interaction_id"] == state["call"]["interaction_id"]
        assert other.state.assist.remote == {}


def test_the_wiring_relays_boards_only_with_nats(settings: Settings, app: Any) -> None:
    factory = app.state.session_factory
    assert assist_engine(settings, factory, None, None).relay is None  # one process: nothing to relay
    with_nats = settings.model_copy(update={"nats_url": NATS_URL})
    relay = assist_engine(with_nats, factory, None, None).relay
    assert isinstance(relay, NatsBoardRelay)
    assert relay.subject == f"{NatsBusConfig.from_settings(with_nats).prefix}.assist.board"
