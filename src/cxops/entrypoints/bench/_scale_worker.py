"""A worker process of the scale benchmark: `run_worker` with one measured consumer doing real DB work.

For every interaction of an `interactions.ended` event the consumer reads the interaction and its turn count from
PostgreSQL and writes one row to `bench_scale_effect` (created by the benchmark; no unique key, so a double
application would show as a duplicate row). Settings come from the environment (CXOPS_DATABASE_URL, CXOPS_NATS_URL).
"""

from __future__ import annotations

import uuid

from sqlalchemy import column, func, insert, select, table
from sqlalchemy.orm import Session

from cxops.core.config import load_settings
from cxops.core.events import Delivered, Subscriptions
from cxops.domains.interactions.public import Interaction, Turn
from cxops.entrypoints.worker import run_worker

EFFECT = table("bench_scale_effect", column("interaction_id"), column("event_id"), column("turns"))
CONSUMER = "bench.scale"


def measured_consumer(session: Session, event: Delivered) -> None:
    """Read each interaction with its turn count and write one effect row per interaction."""
    ids = [uuid.UUID(i) for i in event.payload["interaction_ids"]]
    rows = session.execute(
        select(Interaction.id, func.count(Turn.seq))
        .outerjoin(Turn, Turn.interaction_id == Interaction.id)
        .where(Interaction.id.in_(ids))
        .group_by(Interaction.id)
    ).all()
    if rows:
        session.execute(
            insert(EFFECT), [{"interaction_id": str(i), "event_id": str(event.id), "turns": n} for i, n in rows]
        )


def main() -> None:
    subs = Subscriptions()
    subs.subscribe("interactions.ended", CONSUMER, measured_consumer)
    run_worker(load_settings(), subs, wait_s=30)


if __name__ == "__main__":
    main()
