"""The transactional outbox: events only after commit, each consumer applies each event once, bounded retries."""

from __future__ import annotations

import uuid

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.events import InteractionsEnded
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
