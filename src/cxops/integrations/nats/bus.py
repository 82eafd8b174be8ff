"""The NATS JetStream event bus: a relay from the outbox to a stream, and durable pull consumers.

Relay: committed `core_outbox_event` rows are claimed (FOR UPDATE SKIP LOCKED on PostgreSQL, so any number of
relays share the work), published with `Nats-Msg-Id = event id` (the server drops a re-publish within its
duplicate window) and marked published only after the publish ack. A crash between ack and mark re-publishes:
deduplicated by the server, and harmless anyway because consumers are idempotent.

Consumers: one durable pull consumer per consumer name, shared by every worker process. Each message is applied
through `apply_once` (the consumer's effect and its `EventConsumption` marker commit together) and acknowledged
only after that commit. A failure is negatively acknowledged with a growing delay; on the last allowed delivery
(`max_deliver`) the message goes to the dead-letter subject `<prefix>.dlq.<consumer>` with the error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable

import nats
import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, PubAck, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.events import Delivered, Handler, Subscriptions, apply_once, claim_pending, handler_for, mark_published
from cxops.core.events import note_error as record_error
from cxops.integrations.nats.codec import BadMessage, decode, encode
from cxops.integrations.nats.config import NatsBusConfig, safe_url

log = logging.getLogger(__name__)

PUBLISHED = Counter("cxops_bus_published_total", "Outbox events acknowledged by JetStream", ["duplicate"])
APPLIED = Counter("cxops_bus_applied_total", "Events applied by a consumer (first time)", ["consumer"])
FAILED = Counter("cxops_bus_failed_total", "Consumer failures (redelivered later)", ["consumer"])
DEAD = Counter("cxops_bus_dead_lettered_total", "Events sent to the dead-letter subject", ["consumer"])


async def connect(config: NatsBusConfig, *, reconnect: bool = True) -> Client:
    """A client that reconnects forever (with reconnect) and logs connection changes without secrets."""
    where = safe_url(config.url)

    async def on_error(exc: Exception) -> None:
        log.warning("nats error", extra={"nats_url": where, "error": type(exc).__name__})

    async def on_disconnect() -> None:
        log.warning("nats disconnected; reconnecting", extra={"nats_url": where})

    async def on_reconnect() -> None:
        log.info("nats reconnected", extra={"nats_url": where})

    return await nats.connect(
        servers=config.url.split(","),
        connect_timeout=2,
        allow_reconnect=reconnect,
        max_reconnect_attempts=-1 if reconnect else 1,  # 0 would mean "forever" in nats-py
        reconnect_time_wait=0.5,
        error_cb=on_error,
        # A one-shot probe (reconnect=False) closes on purpose: no "reconnecting" noise in the logs.
        disconnected_cb=on_disconnect if reconnect else None,
        reconnected_cb=on_reconnect if reconnect else None,
    )


class NatsEventBus:
    """Relay plus durable consumers for one process; implements core.events.EventBus (start/stop/notify)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        subscriptions: Subscriptions,
        config: NatsBusConfig,
        *,
        relay: bool = True,
        consume: bool = True,
    ) -> None:
        self._factory = factory
        self._consumers = subscriptions.by_consumer() if consume else {}
        self._cfg = config
        self._relay = relay
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._subs: dict[str, JetStreamContext.PullSubscription] = {}
        self._stop_async: asyncio.Event | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("NatsEventBus.connect() has not run")
        return self._js

    async def connect(self) -> None:
        """Connect, create the streams if missing and bind one durable pull consumer per consumer name."""
        self._nc = await connect(self._cfg)
        self._js = self._nc.jetstream(timeout=5)
        await self.ensure_streams()
        for consumer, handlers in self._consumers.items():
            self._subs[consumer] = await self._subscribe(consumer, handlers)

    async def ensure_streams(self) -> None:
        """The events stream (file storage, dedupe window, max age) and the dead-letter stream."""
        for name, subject in ((self._cfg.stream, self._cfg.events_subject), (self._cfg.dlq_stream, None)):
            try:
                await self.js.stream_info(name)
            except NotFoundError:
                subjects = [subject or f"{self._cfg.prefix}.dlq.>"]
                await self.js.add_stream(
                    StreamConfig(
                        name=name,
                        subjects=subjects,
                        storage=StorageType.FILE,
                        max_age=self._cfg.max_age_s,
                        duplicate_window=self._cfg.duplicate_window_s,
                    )
                )

    async def _subscribe(self, consumer: str, handlers: dict[str, Handler]) -> JetStreamContext.PullSubscription:
        types = list(handlers)
        single = len(types) == 1 and types[0] != "*"
        subject = self._cfg.event_subject(types[0]) if single else self._cfg.events_subject
        durable = self._cfg.durable(consumer)
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self._cfg.max_deliver,
            ack_wait=self._cfg.ack_wait_s,
            filter_subject=subject,
            max_ack_pending=10_000,
        )
        return await self.js.pull_subscribe(subject, durable=durable, stream=self._cfg.stream, config=config)

    async def relay_once(self) -> int:
        """Publish up to one batch of committed outbox rows; returns how many were acknowledged and marked."""
        session = self._factory()
        try:
            events = await asyncio.to_thread(claim_pending, session, self._cfg.relay_batch)
            if not events:
                await asyncio.to_thread(session.rollback)
                return 0
            acked = await self._publish(events)
            await asyncio.to_thread(_commit_marks, session, acked)
            return len(acked)
        finally:
            await asyncio.to_thread(session.close)

    async def _publish(self, events: list[Delivered]) -> list[Delivered]:
        futures = []
        for event in events:
            headers = {"Nats-Msg-Id": str(event.id)}
            subject = self._cfg.event_subject(event.type)
            futures.append(
                await self.js.publish_async(subject, encode(event), stream=self._cfg.stream, headers=headers)
            )
        results = await asyncio.gather(*(asyncio.wait_for(f, 5.0) for f in futures), return_exceptions=True)
        acked = []
        for event, result in zip(events, results, strict=True):
            if isinstance(result, PubAck):
                PUBLISHED.labels(duplicate=str(bool(result.duplicate)).lower()).inc()
                acked.append(event)
        if len(acked) < len(events):
            log.warning("publish not acknowledged; will retry", extra={"unacked": len(events) - len(acked)})
        return acked

    async def consume_once(self, consumer: str, timeout: float = 1.0) -> int:
        """Fetch and handle one batch for `consumer`; returns how many messages were handled."""
        sub = self._subs[consumer]
        try:
            msgs = await sub.fetch(self._cfg.fetch_batch, timeout=timeout)
        except TimeoutError:  # nats.errors.TimeoutError, or a bare asyncio timeout from a batch fetch
            return 0
        handlers = self._consumers[consumer]
        for msg in msgs:
            await self._handle(consumer, handlers, msg)
        return len(msgs)

    async def _handle(self, consumer: str, handlers: dict[str, Handler], msg: Msg) -> None:
        try:
            event = decode(msg.data)
        except BadMessage as exc:
            await self._dead_letter(consumer, msg, None, f"BadMessage: {exc}")
            return
        handler = handler_for(handlers, event.type)
        if handler is not None:
            try:
                if await asyncio.to_thread(apply_once, self._factory, consumer, handler, event):
                    APPLIED.labels(consumer=consumer).inc()
            except Exception as exc:
                await self._failed(consumer, msg, event, f"{type(exc).__name__}: {exc}"[:1000])
                return
        await msg.ack()

    async def _failed(self, consumer: str, msg: Msg, event: Delivered, error: str) -> None:
        FAILED.labels(consumer=consumer).inc()
        delivered = msg.metadata.num_delivered or 1
        log.warning(
            "consumer failed",
            extra={"consumer": consumer, "event_type": event.type, "delivery": delivered, "error": error[:300]},
        )
        if delivered >= self._cfg.max_deliver:
            await self._dead_letter(consumer, msg, event, error)
        else:
            await msg.nak(delay=min(0.2 * 2 ** (delivered - 1), 30.0))

    async def _dead_letter(self, consumer: str, msg: Msg, event: Delivered | None, error: str) -> None:
        headers = {
            "Cxops-Consumer": consumer,
            "Cxops-Error": error.replace("\r", " ").replace("\n", " ")[:1000],
            "Cxops-Deliveries": str(msg.metadata.num_delivered or 1),
            "Cxops-Subject": msg.subject,
        }
        if event is not None:
            headers["Cxops-Event-Id"] = str(event.id)
        await self.js.publish(self._cfg.dlq_subject(consumer), msg.data, headers=headers)
        DEAD.labels(consumer=consumer).inc()
        log.error("event dead-lettered", extra={"consumer": consumer, "subject": self._cfg.dlq_subject(consumer)})
        if event is not None:
            await asyncio.to_thread(_note_error, self._factory, event, f"{consumer}: {error}")
        await msg.term()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay and consume until `stop` is set (connect() first); errors are logged and retried."""
        tasks = []
        if self._relay:
            tasks.append(asyncio.create_task(self._loop(stop, self.relay_once, idle_s=self._cfg.poll_s)))
        for consumer in self._subs:
            tasks.append(asyncio.create_task(self._loop(stop, _bind(self.consume_once, consumer), idle_s=0.0)))
        await asyncio.gather(*tasks)

    async def _loop(self, stop: asyncio.Event, step: Callable[[], Awaitable[int]], *, idle_s: float) -> None:
        failures = 0
        while not stop.is_set():
            try:
                handled = await step()
                failures = 0
            except Exception as exc:
                failures += 1
                log.warning("bus step failed; retrying", extra={"error": type(exc).__name__, "failures": failures})
                await _wait(stop, min(0.2 * 2 ** min(failures, 5), 5.0))
                continue
            if handled == 0 and idle_s > 0:
                await _wait(stop, idle_s)

    async def close(self) -> None:
        """Flush pending acks and close (drain would wait for the pull subscriptions' idle timeout)."""
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=2)
            await self._nc.close()
        self._nc = None
        self._js = None

    # EventBus protocol: run in a background thread with its own event loop.
    def notify(self) -> None:
        """Nothing to do: the relay polls the outbox every `poll_s`."""

    def start(self) -> None:
        """Connect and run in a daemon thread until stop()."""
        if self._thread is not None:
            return
        ready = threading.Event()

        async def main() -> None:
            self._event_loop = asyncio.get_running_loop()
            self._stop_async = asyncio.Event()
            ready.set()
            await self.connect()
            try:
                await self.run(self._stop_async)
            finally:
                await self.close()

        self._thread = threading.Thread(target=lambda: asyncio.run(main()), name="cxops-nats-bus", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self) -> None:
        """Stop the background thread after its current message."""
        if self._event_loop is not None and self._stop_async is not None:
            self._event_loop.call_soon_threadsafe(self._stop_async.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def _bind(fn: Callable[[str], Awaitable[int]], consumer: str) -> Callable[[], Awaitable[int]]:
    return lambda: fn(consumer)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _commit_marks(session: Session, acked: list[Delivered]) -> None:
    mark_published(session, [e.id for e in acked])
    session.commit()


def _note_error(factory: sessionmaker[Session], event: Delivered, error: str) -> None:
    with factory() as session:
        record_error(session, event.id, error)
        session.commit()
