"""The trust ledger derived from a whole batch of ended interactions at once (as one `interactions.ended` event of
bulk ingestion carries up to 500): repeat contacts across the batch and earlier batches, threshold crossings per
customer, and the same entries and no new crossing when the batch is derived again."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.interactions import InteractionIn
from cxops.core import keys
from cxops.core.db import unit_of_work
from cxops.core.models import OutboxEvent
from cxops.domains.interactions.ingest import ingest_batch
from cxops.domains.trust.models import TrustExperience
from cxops.domains.trust.service import derive_from_interactions
from tests.api.trust.helpers import record


def _ingest(factory: sessionmaker[Session], org_id: uuid.UUID, recs: list[dict[str, Any]]) -> list[uuid.UUID]:
    with unit_of_work(factory) as s:
        results = ingest_batch(
            s, org_id=org_id, items=[(i, InteractionIn.model_validate(r)) for i, r in enumerate(recs)]
        )
    return [uuid.UUID(r.id) for r in results if r.id]


def _derive(factory: sessionmaker[Session], org_id: uuid.UUID, ids: list[uuid.UUID]) -> int:
    with unit_of_work(factory) as s:
        return derive_from_interactions(s, org_id=org_id, interaction_ids=ids)


def _ledger(factory: sessionmaker[Session]) -> set[tuple[str, str, str | None]]:
    with factory() as s:
        rows = s.execute(select(TrustExperience.ref, TrustExperience.kind, TrustExperience.detail))
        return {(ref, kind, (detail or {}).get("repeated_by")) for ref, kind, detail in rows}


def _crossings(factory: sessionmaker[Session]) -> list[tuple[str, int]]:
    with factory() as s:
        rows = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "trust.threshold_crossed"))
        return sorted((r.payload["customer_id"], r.payload["poor_experiences"]) for r in rows)


def _customer(factory: sessionmaker[Session], interaction_id: uuid.UUID) -> str:
    with factory() as s:
        return str(
            s.scalars(select(TrustExperience.customer_id).where(TrustExperience.ref == str(interaction_id))).first()
        )


def test_a_batch_derives_repeats_and_crossings_per_customer(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        org_id = keys.ensure_organisation(s, slug="ledger-batch").id
    # First batch: an automated contact of r-2 (repeated by the second batch), one poor contact of t-2, two of t-3.
    first = _ingest(
        session_factory,
        org_id,
        [
            record(customer="r-2", hours_ago=60, intent="delivery"),
            record(customer="t-2", hours_ago=50, handoff=True, outcome="escalated", intent="x"),
            record(customer="t-3", hours_ago=48, handoff=True, outcome="escalated", intent="y"),
            record(customer="t-3", hours_ago=47, outcome="abandoned", intent="z"),
        ],
    )
    _derive(session_factory, org_id, first)
    assert len(_crossings(session_factory)) == 1  # t-3 crossed with the first batch
    second = _ingest(
        session_factory,
        org_id,
        [
            # r-1: automated, repeated 10 h later by a human contact on the same intent; a third contact on that
            # intent comes after the repeat window and repeats nothing
            record(customer="r-1", hours_ago=200, intent="billing"),
            record(customer="r-1", hours_ago=190, ai=False, intent="billing"),
            record(customer="r-1", hours_ago=100, ai=False, intent="billing"),
            record(customer="r-1", hours_ago=150, intent="refund"),  # another intent: no repeat
            record(customer="r-2", hours_ago=36, intent="delivery"),  # repeats the first batch's contact
            record(customer="r-3", hours_ago=30, intent="billing"),  # another customer: r-1's contacts are not its
            record(customer="t-1", hours_ago=20, handoff=True, outcome="escalated", intent="x"),
            record(customer="t-1", hours_ago=10, outcome="abandoned", intent="y"),
            record(customer="t-2", hours_ago=5, outcome="abandoned", intent="y"),
            record(customer="t-3", hours_ago=4, handoff=True, outcome="escalated", intent="w"),
        ],
    )
    a1, h1, _h2, r1_refund, b2, r3, t1a, t1b, t2b, t3c = second
    _derive(session_factory, org_id, second)
    expected = {
        (str(first[0]), "resolved_by_ai", None),
        (str(first[0]), "repeat_contact", str(b2)),
        (str(first[1]), "ai_escalated", None),
        (str(first[2]), "ai_escalated", None),
        (str(first[3]), "abandoned_in_automation", None),
        (str(a1), "resolved_by_ai", None),
        (str(a1), "repeat_contact", str(h1)),
        (str(r1_refund), "resolved_by_ai", None),
        (str(b2), "resolved_by_ai", None),
        (str(r3), "resolved_by_ai", None),
        (str(t1a), "ai_escalated", None),
        (str(t1b), "abandoned_in_automation", None),
        (str(t2b), "abandoned_in_automation", None),
        (str(t3c), "ai_escalated", None),
    }
    assert _ledger(session_factory) == expected
    crossed = _crossings(session_factory)
    # t-1 (both poor contacts in this batch) and t-2 (its second) cross now; t-3 had crossed already; r-2 has one
    assert crossed == sorted(
        [
            (_customer(session_factory, first[2]), 2),
            (_customer(session_factory, t1a), 2),
            (_customer(session_factory, t2b), 2),
        ]
    )
    # Deriving the batch again (a re-ingested batch, a rebuild) writes the same entries, no more, and announces no
    # crossing a second time (its own entries were counted as gone before it, and t-1 and t-2 re-crossed).
    _derive(session_factory, org_id, second)
    _derive(session_factory, org_id, first)
    assert _ledger(session_factory) == expected
    assert _crossings(session_factory) == crossed
