"""The transactional outbox: events only after commit, each consumer applies each event once, bounded retries."""

from __future__ import annotations

import threading
import time
import uuid

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.events import BULK_EVENT_TYPES, BreakerTripped, InteractionsEnded
from cxops.core import keys
from cxops.core.db import unit_of_work
from cxops.core.events import MAX_ATTEMPTS, Delivered, OutboxDispatcher, Subscriptions, apply_once, emit
from cxops.core.models import EventConsumption, OutboxEvent
from tests.conftest import auth
from tests.factories import interaction


def _org(factory: sessionmaker[Session]) -> uuid.UUID:
    with unit_of_work(factory) as s:
        return keys.ensure_organisation(s, slug="acme").id


def test_rolled_back_transaction_publishes_nothing(session_factory: sessionmaker[Session]) -> None:
    org = _org(session_factory)
    seen: list[str] = []
    subs = Subscriptions()
    subs.subscribe("interactions.ended", "probe", lambda s, e: seen.append(e.payload["source"]))
    with session_factory() as s:
        emit(s, org_id=org, event=InteractionsEnded(interaction_ids=["a"], source="lost"))
        s.rollback()
    with unit_of_work(session_factory) as s:
        emit(s, org_id=org, event=InteractionsEnded(interaction_ids=["b"], source="kept"))
    assert OutboxDispatcher(session_factory, subs).run_once() == 1
    assert seen == ["kept"]


def test_each_consumer_applies_an_event_once_even_when_redelivered(session_factory: sessionmaker[Session]) -> None:
    org = _org(session_factory)
    applied: list[str] = []
    subs = Subscriptions()
    subs.subscribe("interactions.ended", "a", lambda s, e: applied.append("a"))
    subs.subscribe("*", "b", lambda s, e: applied.append("b"))
    with unit_of_work(session_factory) as s:
        event_id = emit(s, org_id=org, event=InteractionsEnded(interaction_ids=["x"], source="t"))
    dispatcher = OutboxDispatcher(session_factory, subs)
    assert dispatcher.run_once() == 1 and sorted(applied) == ["a", "b"]
    assert dispatcher.run_once() == 0
    delivered = Delivered(event_id, "interactions.ended", org, {"interaction_ids": ["x"], "source": "t"})
    assert apply_once(session_factory, "a", lambda s, e: applied.append("again"), delivered) is False
    assert sorted(applied) == ["a", "b"]


def test_failing_consumer_is_retried_then_dead_lettered_without_redoing_the_others(
    session_factory: sessionmaker[Session],
) -> None:
    org = _org(session_factory)
    calls = {"ok": 0, "bad": 0}
    subs = Subscriptions()

    def ok(_s: Session, _e: Delivered) -> None:
        calls["ok"] += 1

    def bad(_s: Session, _e: Delivered) -> None:
        calls["bad"] += 1
        raise RuntimeError("downstream is down")

    subs.subscribe("interactions.ended", "ok", ok)
    subs.subscribe("interactions.ended", "bad", bad)
    with unit_of_work(session_factory) as s:
        emit(s, org_id=org, event=InteractionsEnded(interaction_ids=["x"], source="t"))
    dispatcher = OutboxDispatcher(session_factory, subs)
    for _ in range(MAX_ATTEMPTS):
        dispatcher.run_once()
    assert calls == {"ok": 1, "bad": MAX_ATTEMPTS}
    with session_factory() as s:
        row = s.scalars(select(OutboxEvent)).one()
        assert row.published_at is not None and row.attempts == MAX_ATTEMPTS
        assert "downstream is down" in (row.last_error or "")
        assert s.scalar(select(func.count()).select_from(EventConsumption)) == 1
    assert dispatcher.run_once() == 0


def test_ingestion_emits_one_event_per_batch_of_ended_interactions(client, org_keys, app) -> None:  # type: ignore[no-untyped-def]
    lines = [interaction(i) for i in range(5)] + [interaction(9, ended_at=None)]
    body = b"\n".join(orjson.dumps(x) for x in lines)
    client.post(
        "/v1/interactions/bulk",
        content=body,
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    with app.state.session_factory() as s:
        events = s.scalars(select(OutboxEvent)).all()
    assert [e.type for e in events] == ["interactions.ended"]
    assert len(events[0].payload["interaction_ids"]) == 5


def test_other_events_do_not_wait_behind_a_backlog_of_bulk_batches(session_factory: sessionmaker[Session]) -> None:
    """Running in the background, the dispatcher handles a tripped breaker while the consumer of an earlier
    history batch is still busy (held here until the breaker has been handled); each lane keeps its own order."""
    org = _org(session_factory)
    release = threading.Event()
    seen: list[str] = []
    subs = Subscriptions()

    def slow_batch(_s: Session, e: Delivered) -> None:
        assert release.wait(30), "the breaker was not handled while a history batch was in progress"
        seen.append(e.payload["source"])

    subs.subscribe("interactions.ended", "analysis", slow_batch)
    subs.subscribe("actions.breaker_tripped", "ops", lambda _s, e: (seen.append("breaker"), release.set()))
    with unit_of_work(session_factory) as s:
        for n in range(3):
            emit(s, org_id=org, event=InteractionsEnded(interaction_ids=[str(n)], source=f"history-{n}"))
        emit(s, org_id=org, event=BreakerTripped(scope="agent", key="bot-1", reason="denials", automatic=True))
    dispatcher = OutboxDispatcher(session_factory, subs, bulk_types=BULK_EVENT_TYPES)
    dispatcher.start(interval_s=0.05)
    try:
        deadline = time.monotonic() + 30
        while len(seen) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        dispatcher.stop()
    assert seen == ["breaker", "history-0", "history-1", "history-2"]
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))) == 0
