"""Process-local consumers in NATS mode: every API process hears every event on a plain (core NATS) subscription.

JetStream delivers each event once per durable consumer, to one worker; a consumer that updates state held in an
API process (waking its live streams, say) must instead run in every API process. Those consumers are registered
with `Subscriptions.subscribe(..., local=True)`; here they run at most once per process, in a transaction of their
own, without an idempotency marker. They must be cheap and tolerate a missed event (e.g. during a reconnect).
"""

from __future__ import annotations

import asyncio
import logging

from nats.aio.client import Client
from nats.aio.msg import Msg
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings
from cxops.core.events import Delivered, Handler, Subscriptions, handler_for
from cxops.integrations.nats.background import NatsThread
from cxops.integrations.nats.codec import BadMessage, decode
from cxops.integrations.nats.config import NatsBusConfig

log = logging.getLogger(__name__)


class NatsLocalListener(NatsThread):
    """Runs the local consumers of this process in a daemon thread with its own event loop."""

    def __init__(self, factory: sessionmaker[Session], subscriptions: Subscriptions, config: NatsBusConfig) -> None:
        super().__init__(config, "cxops-nats-local")
        self._factory = factory
        self._consumers = subscriptions.by_consumer(local=True)

    def start(self) -> None:
        """Subscribe in the background (retrying while NATS is unreachable); no-op without local consumers."""
        if self._consumers:
            super().start()

    def notify(self) -> None:
        """Nothing to do: events arrive from NATS."""

    async def on_connect(self, nc: Client) -> None:
        await nc.subscribe(self._cfg.events_subject, cb=self._on_message)

    async def _on_message(self, msg: Msg) -> None:
        try:
            event = decode(msg.data)
        except BadMessage:
            return
        for consumer, handlers in self._consumers.items():
            handler = handler_for(handlers, event.type)
            if handler is not None:
                await asyncio.to_thread(self._apply, consumer, handler, event)

    def _apply(self, consumer: str, handler: Handler, event: Delivered) -> None:
        try:
            with self._factory() as session:
                handler(session, event)
                session.commit()
        except Exception as exc:
            log.warning("local consumer failed", extra={"consumer": consumer, "error": type(exc).__name__})


def local_listener(settings: Settings, factory: sessionmaker[Session], subs: Subscriptions) -> NatsLocalListener | None:
    """The listener of an API process in NATS mode, started; None in embedded mode."""
    if not settings.nats_url:
        return None
    listener = NatsLocalListener(factory, subs, NatsBusConfig.from_settings(settings))
    listener.start()
    return listener
