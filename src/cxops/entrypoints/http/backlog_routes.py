"""`GET /v1/backlog`: what the background consumers still have to work through for the caller's organisation.

Right after a bulk import (the demo's 60 days, a history upload) the derived views fill in over minutes: QA scores,
call documentation, the trust ledger, workflow rules. Without a sign of it, a trust pillar that reads "not measured
yet" looks broken. This answers from the transactional outbox: the events not yet completed, by type, with the
consumers that act on each and the age of the oldest. With the embedded dispatcher an event is completed once
every consumer has applied it; with NATS (`CXOPS_NATS_URL`) once it is relayed to JetStream, whose durable
consumers then apply it (their lag is on the NATS side: `nats consumer report`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import case, func, select

from cxops.core.auth import READERS, Principal
from cxops.core.clock import as_utc, utcnow
from cxops.core.models import OutboxEvent
from cxops.core.web import DbSession, require

router = APIRouter(prefix="/v1", tags=["ops"])
Reader = Annotated[Principal, Depends(require(READERS))]


@router.get("/backlog")
def get_backlog(request: Request, session: DbSession, who: Reader) -> dict[str, Any]:
    """Events of the caller's organisation not yet completed, by type, oldest first, with their consumers."""
    rows = session.execute(
        select(
            OutboxEvent.type,
            func.count(),
            func.min(OutboxEvent.created_at),
            func.sum(case((OutboxEvent.attempts > 0, 1), else_=0)),
        )
        .where(OutboxEvent.org_id == who.org_id, OutboxEvent.published_at.is_(None))
        .group_by(OutboxEvent.type)
    ).all()
    subscriptions = request.app.state.dispatcher.subscriptions
    now = utcnow()
    types = sorted(
        (
            {
                "type": event_type,
                "pending": int(count),
                "retrying": int(retrying or 0),
                "oldest_age_s": round((now - as_utc(oldest)).total_seconds(), 1) if oldest else 0.0,
                "consumers": sorted({name for name, _ in subscriptions.for_type(event_type)}),
            }
            for event_type, count, oldest, retrying in rows
        ),
        key=lambda t: -t["oldest_age_s"],
    )
    return {
        "pending": sum(t["pending"] for t in types),
        "oldest_age_s": max((t["oldest_age_s"] for t in types), default=0.0),
        "mode": "nats" if request.app.state.settings.nats_url else "embedded",
        "types": types,
    }
