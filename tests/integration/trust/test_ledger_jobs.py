"""Trust jobs on a real database: action outcomes from events, ledger rebuild, expired-memory purge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.interactions import InteractionIn
from cxops.core import keys
from cxops.core.db import unit_of_work
from cxops.core.events import Delivered
from cxops.core.ids import new_id
from cxops.domains.interactions.ingest import ingest_batch
from cxops.domains.interactions.public import Interaction
from cxops.domains.trust.models import MemoryItem, TrustExperience
from cxops.domains.trust.service import on_action_outcome
from cxops.domains.trust.tasks import purge_once, rebuild
from tests.api.trust.helpers import record


def _seed(factory: sessionmaker[Session]) -> tuple[uuid.UUID, Interaction]:
    with unit_of_work(factory) as s:
        org = keys.ensure_organisation(s, slug="jobs")
        recs = [
            record(customer="j-1", hours_ago=50, handoff=True, outcome="escalated"),
            record(customer="j-1", hours_ago=10, outcome="abandoned", intent="other"),
            record(customer="j-2", hours_ago=5, intent="x"),
        ]
        ingest_batch(s, org_id=org.id, items=[(i, InteractionIn.model_validate(r)) for i, r in enumerate(recs)])
        org_id = org.id
    with factory() as s:
        first = s.scalars(
            select(Interaction).where(Interaction.org_id == org_id).order_by(Interaction.started_at)
        ).first()
    assert first is not None
    return org_id, first


def _kinds(factory: sessionmaker[Session]) -> list[str]:
    with factory() as s:
        return sorted(s.scalars(select(TrustExperience.kind)))


def test_rebuild_derives_history_and_is_idempotent(session_factory: sessionmaker[Session]) -> None:
    _seed(session_factory)
    assert _kinds(session_factory) == []  # nothing derived until the consumer or the backfill runs
    rebuild(session_factory)
    expected = ["abandoned_in_automation", "ai_escalated", "resolved_by_ai"]
    assert _kinds(session_factory) == expected
    rebuild(session_factory)
    assert _kinds(session_factory) == expected


def test_action_outcome_events_are_read_defensively(session_factory: sessionmaker[Session]) -> None:
    org_id, first = _seed(session_factory)

    def deliver(payload: dict) -> None:
        with unit_of_work(session_factory) as s:
            on_action_outcome(s, Delivered(uuid.uuid4(), "actions.decided", org_id, payload))

    deliver({"action_id": "a-1", "decision": "denied", "interaction_id": str(first.id)})
    deliver({"action_id": "a-2", "status": "rolled_back", "customer_id": str(first.customer_id)})
    deliver({"action_id": "a-1", "decision": "denied", "interaction_id": str(first.id)})  # redelivery: no duplicate
    deliver({"action_id": "a-3", "decision": "approved", "customer_id": str(first.customer_id)})
    deliver({"action_id": "a-4", "decision": "denied"})  # no customer: ignored
    deliver({"action_id": "a-5", "decision": "denied", "customer_id": "not-a-uuid"})
    deliver({"action_id": "a-6", "decision": "denied", "customer_id": str(uuid.uuid4())})  # unknown customer
    deliver({"action_id": "a-7", "decision": "denied", "customer_id": str(first.customer_id), "actor_kind": "human"})
    assert _kinds(session_factory) == ["action_denied", "action_reversed"]


def test_an_action_outcome_is_dated_when_it_was_decided_not_when_consumed(
    session_factory: sessionmaker[Session],
) -> None:
    """A backlog drained hours later still dates the denied action at its decision (the event's UUIDv7 time)."""
    org_id, first = _seed(session_factory)
    decided = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    ms = int(decided.timestamp() * 1000)
    event_id = uuid.UUID(int=(new_id().int & ((1 << 80) - 1)) | (ms << 80))  # a UUIDv7 made 3 hours ago
    with unit_of_work(session_factory) as s:
        payload = {"action_id": "late-1", "decision": "denied", "customer_id": str(first.customer_id)}
        on_action_outcome(s, Delivered(event_id, "actions.decided", org_id, payload))
        on_action_outcome(s, Delivered(uuid.uuid4(), "actions.decided", org_id, {**payload, "action_id": "v4-1"}))
    with session_factory() as s:
        at = {e.ref: e.occurred_at for e in s.scalars(select(TrustExperience))}
    assert at["late-1"] == decided
    assert at["v4-1"] >= datetime.now(UTC) - timedelta(minutes=1)  # an id that carries no time: consumption time


def test_purge_removes_only_expired_memory(session_factory: sessionmaker[Session]) -> None:
    org_id, first = _seed(session_factory)
    now = datetime.now(UTC)
    with unit_of_work(session_factory) as s:
        for days, content in ((-1, "old"), (30, "fresh")):
            s.add(
                MemoryItem(
                    org_id=org_id,
                    customer_id=first.customer_id,
                    kind="preference",
                    content=content,
                    purpose="personalisation",
                    source_interaction_id=first.id,
                    reason="test",
                    retain_until=now + timedelta(days=days),
                )
            )
    assert purge_once(session_factory) == 1
    assert purge_once(session_factory) == 0
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(MemoryItem)) == 1
        assert s.scalars(select(MemoryItem.content)).one() == "fresh"
