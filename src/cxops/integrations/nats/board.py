"""The supervisor-board relay between API processes over core NATS (the assist domain's BoardRelay port).

A live call is held by the API process that serves its agent desktop; a supervisor's board may be connected to
another. Each process publishes its board frames (call state, alerts, ended calls, and every few seconds the
state of each of its live calls) on `<prefix>.assist.board` and hears everyone's. Board frames are a live view,
not records: one lost during a reconnect is healed by the next state heartbeat (alerts stay in the database).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg

from cxops.core.config import Settings
from cxops.integrations.nats.background import NatsThread
from cxops.integrations.nats.config import NatsBusConfig

log = logging.getLogger(__name__)
MAX_FRAME_BYTES = 256 * 1024


class NatsBoardRelay(NatsThread):
    """Publishes this process's board envelopes and hands everyone's to `deliver` (called on the NATS thread)."""

    def __init__(self, config: NatsBusConfig) -> None:
        super().__init__(config, "cxops-nats-board")
        self.subject = f"{config.prefix}.assist.board"
        self._deliver: Callable[[dict[str, Any]], None] | None = None

    def open(self, deliver: Callable[[dict[str, Any]], None]) -> None:
        """Connect in the background and hand every envelope heard (this process's own included) to `deliver`."""
        self._deliver = deliver
        self.start()

    def close(self) -> None:
        self.stop()

    def publish(self, envelope: dict[str, Any]) -> None:
        self.publish_soon(self.subject, orjson.dumps(envelope))

    async def on_connect(self, nc: Client) -> None:
        await nc.subscribe(self.subject, cb=self._on_message)

    async def _on_message(self, msg: Msg) -> None:
        deliver = self._deliver
        if deliver is None or len(msg.data) > MAX_FRAME_BYTES:
            return
        try:
            envelope = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            log.warning("board relay: a message that is not JSON was ignored", extra={"bytes": len(msg.data)})
            return
        if isinstance(envelope, dict):
            deliver(envelope)


def board_relay(settings: Settings) -> NatsBoardRelay | None:
    """The relay of an API process in NATS mode (started with the assist engine); None without NATS."""
    return NatsBoardRelay(NatsBusConfig.from_settings(settings)) if settings.nats_url else None
