"""A real uvicorn server: a desktop that never reads is dropped (slow_consumer), another call is unaffected."""

from __future__ import annotations

import base64
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from websockets.sync.client import ClientConnection, connect

from cxops.core.config import load_settings
from cxops.domains.interactions.models import Turn
from cxops.entrypoints.http.app import create_app
from tests.conftest import make_org_keys
from tests.integration.assist.served import served

START = {"type": "start", "channel": "chat", "agent": "a-1"}
DROPPED_METRIC = "cxops_assist_dropped_connections_total"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    settings = load_settings(
        {
            "CXOPS_DATA_DIR": str(tmp_path),
            "CXOPS_RATE_LIMIT_PER_MINUTE": "0",
            "CXOPS_LOG_LEVEL": "WARNING",
            "CXOPS_MODELS_DIR": str(tmp_path / "no-models"),
            "CXOPS_ASSIST_INFERENCE": "thread",
        }
    )
    app = create_app(settings)
    app.state.assist.config.send_queue = 128
    with served(app) as port:
        keys = make_org_keys(app.state.session_factory, "acme")
        yield {"url": f"ws://127.0.0.1:{port}", "key": keys["agent"], "app": app}


def _open(url: str, key: str, ref: str, **kwargs: Any) -> tuple[ClientConnection, str]:
    ws = connect(f"{url}/v1/assist/live/{ref}", additional_headers={"X-API-Key": key}, **kwargs).__enter__()
    ws.send(json.dumps(START))
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame["type"] == "started":
            return ws, frame["interaction_id"]


def _segment(seq: int, text: str) -> str:
    return json.dumps({"type": "segment", "seq": seq, "speaker": "agent", "text": text, "begin_ms": seq * 10})


class RawClient:
    """A WebSocket client on a bare socket with a small receive buffer that reads only when told to."""

    def __init__(self, url: str, key: str, ref: str) -> None:
        host, port = url.removeprefix("ws://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((host, int(port)))
        request = (f"GET /v1/assist/live/{ref} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                   f"Sec-WebSocket-Version: 13\r\nX-API-Key: {key}\r\n\r\n")  # fmt: skip
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head

    def send(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        n = len(payload)
        header = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def read_until_closed(self) -> tuple[int | None, str]:
        """Read every frame; the close frame's (code, reason), or (None, "") if the socket just ended."""
        self.sock.settimeout(10)
        data = b""
        try:
            while chunk := self.sock.recv(65536):
                data += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        pos = 0
        while pos + 2 <= len(data):
            opcode, n = data[pos] & 0x0F, data[pos + 1] & 0x7F
            pos += 2
            if n == 126:
                n, pos = int.from_bytes(data[pos : pos + 2], "big"), pos + 2
            elif n == 127:
                n, pos = int.from_bytes(data[pos : pos + 8], "big"), pos + 8
            body, pos = data[pos : pos + n], pos + n
            if opcode == 0x8:
                return int.from_bytes(body[:2], "big"), body[2:].decode()
        return None, ""


def test_client_that_never_reads_is_dropped_and_others_are_unaffected(server: dict[str, Any]) -> None:
    app = server["app"]
    slow = RawClient(server["url"], server["key"], "slow-call")
    slow.send(json.dumps(START))
    healthy, healthy_id = _open(server["url"], server["key"], "healthy-call")
    deadline = time.monotonic() + 30
    while not any(c.external_id == "slow-call" for c in app.state.assist.calls.values()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    slow_id = next(c.id for c in app.state.assist.calls.values() if c.external_id == "slow-call")
    sent = 0
    dropped_before = REGISTRY.get_sample_value(DROPPED_METRIC, {"kind": "slow_consumer"}) or 0.0
    while slow_id in app.state.assist.desktops and time.monotonic() < deadline:
        try:
            slow.send(_segment(sent, "Let me check that order for you, it will only take a moment."))
        except OSError:
            break
        sent += 1
        if sent % 200 == 0:  # the healthy call goes on meanwhile
            healthy.send(_segment(sent // 200, "Thanks for waiting, I can see the order."))
            assert json.loads(healthy.recv(timeout=10))["type"] == "assist"
    assert slow_id not in app.state.assist.desktops, f"not dropped after {sent} unread frames"
    assert REGISTRY.get_sample_value(DROPPED_METRIC, {"kind": "slow_consumer"}) == dropped_before + 1
    # the client finally reads: the close frame (1008 slow_consumer) if it could still be written behind the
    # unread data, else the connection was aborted (a client that never reads cannot be sent a close frame)
    code, reason = slow.read_until_closed()
    assert code is None or (code == 1008 and reason.startswith("slow_consumer")), (code, reason)
    # the other call and the server are healthy
    healthy.send(_segment(10_000, "Is there anything else I can help with?"))
    assert json.loads(healthy.recv(timeout=10))["seq"] == 10_000
    assert httpx.get(server["url"].replace("ws", "http") + "/healthz").status_code == 200
    healthy.close()
    # the transcript keeps the slow call's accepted segments exactly once, in order
    app.state.assist.writer.flush()
    with app.state.session_factory() as s:
        seqs = list(s.scalars(select(Turn.seq).where(Turn.interaction_id == slow_id).order_by(Turn.seq)))
    assert seqs == list(range(len(seqs))) and 0 < len(seqs) <= sent
    assert healthy_id != str(slow_id)
