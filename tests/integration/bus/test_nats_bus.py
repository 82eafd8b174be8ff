"""NATS JetStream bus: publish after commit with server-side dedupe, durable consumers applying each event once,
duplicate and reordered deliveries, redelivery and the dead-letter subject."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.events import InteractionsEnded
from cxops.core import keys
from cxops.core.db import unit_of_work
from cxops.core.events import Delivered, Subscriptions, emit
from cxops.core.models import EventConsumption, OutboxEvent
from cxops.integrations.nats.background import NatsThread
from cxops.integrations.nats.bus import NatsEventBus
from cxops.integrations.nats.codec import encode
from cxops.integrations.nats.config import NatsBusConfig
from cxops.integrations.nats.local import NatsLocalListener
from tests.integration.bus.conftest import NATS_URL, _free_port, needs_nats, unique_config

pytestmark = [pytest.mark.nats, needs_nats]


def _emit(factory: sessionmaker[Session], n: int, org_slug: str = "acme") -> list[uuid.UUID]:
    with unit_of_work(factory) as s:
        org = keys.ensure_organisation(s, slug=org_slug).id
        return [emit(s, org_id=org, event=InteractionsEnded(interaction_ids=[f"i{k}"], source="t")) for k in range(n)]


def _counting(subs: Subscriptions, name: str, seen: dict[str, int], fail_always: bool = False) -> None:
    def handler(_s: Session, event: Delivered) -> None:
        if fail_always:
            raise RuntimeError("downstream is down")
        key = event.payload["interaction_ids"][0]
        seen[key] = seen.get(key, 0) + 1

    subs.subscribe("interactions.ended", name, handler)


async def _drain(bus: NatsEventBus, consumers: list[str], rounds: int = 40) -> None:
    """Relay everything, then consume until every consumer has seen nothing for two rounds."""
    while await bus.relay_once():
        pass
    for consumer in consumers:
        idle = 0
        for _ in range(rounds):
            idle = idle + 1 if await bus.consume_once(consumer, timeout=0.3) == 0 else 0
            if idle >= 2:
                break


def test_relay_marks_published_after_ack_and_consumers_apply_each_event_once(
    session_factory: sessionmaker[Session], shared_bus_config: NatsBusConfig
) -> None:
    ids = _emit(session_factory, 20)
    seen_a: dict[str, int] = {}
    seen_b: dict[str, int] = {}
    subs = Subscriptions()
    _counting(subs, "a", seen_a)
    _counting(subs, "b.all", seen_b)

    async def scenario() -> int:
        bus = NatsEventBus(session_factory, subs, shared_bus_config)
        await bus.connect()
        try:
            await _drain(bus, ["a", "b.all"])
            info = await bus.js.stream_info(shared_bus_config.stream)
            return int(info.state.messages)
        finally:
            await bus.close()

    assert asyncio.run(scenario()) == len(ids)
    assert seen_a == seen_b == {f"i{k}": 1 for k in range(20)}
    with session_factory() as s:
        assert s.scalar(select(func.count()).where(OutboxEvent.published_at.is_(None))) == 0
        assert s.scalar(select(func.count()).select_from(EventConsumption)) == 40


def test_republished_events_are_deduplicated_by_the_server(
    session_factory: sessionmaker[Session], shared_bus_config: NatsBusConfig
) -> None:
    _emit(session_factory, 5)

    async def scenario() -> tuple[int, int]:
        bus = NatsEventBus(session_factory, Subscriptions(), shared_bus_config)
        await bus.connect()
        try:
            first = await bus.relay_once()
            with session_factory() as s:  # a relay that crashed after the ack but before marking
                s.execute(OutboxEvent.__table__.update().values(published_at=None))
                s.commit()
            second = await bus.relay_once()
            info = await bus.js.stream_info(shared_bus_config.stream)
            return first + second, int(info.state.messages)
        finally:
            await bus.close()

    relayed, stored = asyncio.run(scenario())
    assert relayed == 10 and stored == 5


def test_duplicate_and_reordered_deliveries_apply_exactly_once(
    session_factory: sessionmaker[Session], shared_bus_config: NatsBusConfig
) -> None:
    ids = _emit(session_factory, 10)
    with session_factory() as s:
        rows = {r.id: r for r in s.scalars(select(OutboxEvent)).all()}
    seen: dict[str, int] = {}
    subs = Subscriptions()
    _counting(subs, "c", seen)

    async def scenario() -> None:
        bus = NatsEventBus(session_factory, subs, shared_bus_config, relay=False)
        await bus.connect()
        try:
            # Reversed order, each event sent three times under distinct message ids (so the server keeps all).
            for event_id in reversed(ids):
                row = rows[event_id]
                body = encode(Delivered(row.id, row.type, row.org_id, row.payload))
                for copy in range(3):
                    headers = {"Nats-Msg-Id": f"{event_id}-{copy}"}
                    await bus.js.publish(shared_bus_config.event_subject(row.type), body, headers=headers)
            await _drain(bus, ["c"])
        finally:
            await bus.close()

    asyncio.run(scenario())
    assert seen == {f"i{k}": 1 for k in range(10)}


def test_failing_consumer_is_redelivered_then_dead_lettered_with_its_error(
    session_factory: sessionmaker[Session], shared_bus_config: NatsBusConfig
) -> None:
    (event_id,) = _emit(session_factory, 1)
    calls = {"bad": 0}
    ok: dict[str, int] = {}
    subs = Subscriptions()
    _counting(subs, "ok", ok)

    def bad(_s: Session, _e: Delivered) -> None:
        calls["bad"] += 1
        raise RuntimeError("downstream is down")

    subs.subscribe("interactions.ended", "bad", bad)

    async def scenario() -> tuple[dict[str, str], bytes]:
        bus = NatsEventBus(session_factory, subs, shared_bus_config)
        await bus.connect()
        try:
            dlq = await bus.js.pull_subscribe(shared_bus_config.dlq_subject("bad"), stream=shared_bus_config.dlq_stream)
            await _drain(bus, ["ok"])
            for _ in range(100):  # redeliveries come after a growing nak delay; wait for the dead letter
                await bus.consume_once("bad", timeout=0.2)
                try:
                    (msg,) = await dlq.fetch(1, timeout=0.05)
                except TimeoutError:
                    continue
                await msg.ack()
                return dict(msg.headers or {}), msg.data
            raise AssertionError("no dead letter arrived")
        finally:
            await bus.close()

    headers, data = asyncio.run(scenario())
    assert calls["bad"] == shared_bus_config.max_deliver
    assert ok == {"i0": 1}
    assert headers["Cxops-Consumer"] == "bad" and "downstream is down" in headers["Cxops-Error"]
    assert headers["Cxops-Event-Id"] == str(event_id) and str(event_id).encode() in data
    with session_factory() as s:
        row = s.get(OutboxEvent, event_id)
        assert row is not None and "downstream is down" in (row.last_error or "")
        consumed = s.scalars(select(EventConsumption.consumer)).all()
    assert consumed == ["ok"]


def test_local_consumers_run_in_every_listening_process_and_not_in_durable_consumers(
    session_factory: sessionmaker[Session], shared_bus_config: NatsBusConfig
) -> None:
    _emit(session_factory, 3)
    heard: list[list[str]] = [[], []]
    subs = Subscriptions()
    _counting(subs, "durable", {})
    subs.subscribe(
        "interactions.ended", "live", lambda _s, e: heard[0].append(e.payload["interaction_ids"][0]), local=True
    )
    other = Subscriptions()
    other.subscribe("*", "live", lambda _s, e: heard[1].append(e.payload["interaction_ids"][0]), local=True)
    assert list(subs.by_consumer()) == ["durable"] and list(subs.by_consumer(local=True)) == ["live"]
    listeners = [NatsLocalListener(session_factory, s, shared_bus_config) for s in (subs, other)]  # two API processes
    for listener in listeners:
        listener.start()
    try:
        time.sleep(1.0)  # let both subscribe

        async def relay() -> int:
            bus = NatsEventBus(session_factory, subs, shared_bus_config, consume=False)
            await bus.connect()
            try:
                return await bus.relay_once()
            finally:
                await bus.close()

        assert asyncio.run(relay()) == 3
        deadline = time.monotonic() + 10
        while (len(heard[0]) < 3 or len(heard[1]) < 3) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for listener in listeners:
            listener.stop()
    assert sorted(heard[0]) == sorted(heard[1]) == ["i0", "i1", "i2"]
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(EventConsumption)) == 0


def test_the_bus_runs_in_a_background_thread_like_the_embedded_dispatcher(
    session_factory: sessionmaker[Session], shared_bus_config: NatsBusConfig
) -> None:
    seen: dict[str, int] = {}
    subs = Subscriptions()
    _counting(subs, "bg", seen)
    bus = NatsEventBus(session_factory, subs, shared_bus_config)
    bus.start()  # the EventBus interface: start / notify / stop
    try:
        _emit(session_factory, 4)
        bus.notify()
        deadline = time.monotonic() + 15
        while len(seen) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        bus.stop()
    assert seen == {f"i{k}": 1 for k in range(4)}


def test_a_listener_that_never_reached_nats_stops_when_asked(session_factory: sessionmaker[Session]) -> None:
    """nats-py retries an unreachable server forever inside connect(); stop() must still end the thread (before,
    it went on retrying and logging in the background after its API process had shut down)."""
    subs = Subscriptions()
    subs.subscribe("*", "live", lambda _s, _e: None, local=True)
    listener = NatsLocalListener(session_factory, subs, unique_config(f"nats://127.0.0.1:{_free_port()}"))
    listener.start()
    thread = listener._thread
    assert thread is not None
    time.sleep(1.0)  # a few connection attempts
    assert thread.is_alive()
    started = time.monotonic()
    listener.stop()
    assert not thread.is_alive() and time.monotonic() - started < 2


def test_a_failed_subscription_is_retried_on_a_new_connection() -> None:
    attempts: list[int] = []

    class Flaky(NatsThread):
        async def on_connect(self, nc: Any) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("subscription refused")

    thread = Flaky(unique_config(NATS_URL), "cxops-test-flaky")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not thread.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert thread.connected and len(attempts) == 2
    finally:
        thread.stop()
    assert not thread.connected
