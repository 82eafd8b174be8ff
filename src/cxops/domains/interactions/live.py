"""Live interactions (real-time assist): opened without an end, turns appended as they are spoken, then ended.

An open interaction is an ordinary row with `ended_at` NULL; `interactions.ended` is published only when it
ends, so downstream consumers (trust, QA, analytics, documentation) see it once, complete.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cxops.contracts.events import InteractionsEnded
from cxops.contracts.interactions import InteractionIn
from cxops.core.clock import utcnow
from cxops.core.errors import Conflict, NotFound
from cxops.core.events import emit
from cxops.core.repository import insert_ignore
from cxops.domains.interactions.ingest import ingest_batch
from cxops.domains.interactions.models import Interaction, Turn


@dataclass(frozen=True, slots=True)
class LiveInteraction:
    """What a live session needs to know about its interaction."""

    id: uuid.UUID
    org_id: uuid.UUID
    channel: str
    customer_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    team_id: uuid.UUID | None
    started_at: datetime
    seqs: frozenset[int]
    resumed: bool


def _live(session: Session, row: Interaction, resumed: bool) -> LiveInteraction:
    if row.ended_at is not None:
        raise Conflict(f"interaction {row.id} ended at {row.ended_at.isoformat()}; it takes no more segments")
    seqs = frozenset(session.scalars(select(Turn.seq).where(Turn.interaction_id == row.id)))
    return LiveInteraction(
        row.id,
        row.org_id,
        row.channel,
        row.customer_id,
        row.primary_agent_id,
        row.team_id,
        row.started_at,
        seqs,
        resumed,
    )


def open_live(session: Session, *, org_id: uuid.UUID, record: InteractionIn) -> LiveInteraction:
    """Create the open interaction of `record` (no end, no turns), or resume it if it is already open.

    Conflict if the (source, external_id) interaction has already ended.
    """
    existing = session.scalars(
        select(Interaction).where(
            Interaction.org_id == org_id,
            Interaction.source == record.source,
            Interaction.external_id == record.external_id,
        )
    ).first()
    if existing is not None:
        return _live(session, existing, resumed=True)
    result = ingest_batch(
        session, org_id=org_id, items=[(1, record.model_copy(update={"ended_at": None, "turns": []}))]
    )
    row = session.get(Interaction, uuid.UUID(str(result[0].id)))
    if row is None:  # pragma: no cover - ingest_batch just wrote it in this transaction
        raise NotFound(f"interaction {record.external_id} could not be opened")
    return _live(session, row, resumed=False)


def attach_live(session: Session, *, org_id: uuid.UUID, interaction_id: uuid.UUID) -> LiveInteraction:
    """An existing open interaction of the organisation; NotFound or Conflict (ended) otherwise."""
    row = session.get(Interaction, interaction_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"interaction {interaction_id} not found")
    return _live(session, row, resumed=True)


def append_turns(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert turns (interaction_id, seq, speaker, offset_ms, end_offset_ms, text, agent_id, sentiment);
    a (interaction_id, seq) already stored is left as it is, so a retried write never duplicates."""
    insert_ignore(session, Turn, rows, ["interaction_id", "seq"])


def end_live(
    session: Session,
    *,
    org_id: uuid.UUID,
    interaction_id: uuid.UUID,
    ended_at: datetime | None = None,
    outcome: str | None = None,
    hold_s: float = 0.0,
    attributes: dict[str, Any] | None = None,
) -> Interaction:
    """End an open interaction: end time, talk time, turn count, first/last customer sentiment; publishes
    `interactions.ended`. Conflict if it has already ended."""
    row = session.get(Interaction, interaction_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"interaction {interaction_id} not found")
    if row.ended_at is not None:
        raise Conflict(f"interaction {interaction_id} has already ended")
    end = ended_at or utcnow()
    if end < row.started_at:
        raise Conflict(f"ended_at {end.isoformat()} is before the interaction started")
    count = session.scalar(select(func.count()).select_from(Turn).where(Turn.interaction_id == interaction_id)) or 0
    moods = list(
        session.scalars(
            select(Turn.sentiment)
            .where(Turn.interaction_id == interaction_id, Turn.speaker == "customer", Turn.sentiment.is_not(None))
            .order_by(Turn.seq)
        )
    )
    session.execute(
        update(Interaction)
        .where(Interaction.id == interaction_id)
        .values(
            ended_at=end,
            talk_s=max(0.0, (end - row.started_at).total_seconds() - hold_s),
            hold_s=hold_s,
            outcome=outcome,
            turn_count=count,
            sentiment_start=moods[0] if moods else None,
            sentiment_end=moods[-1] if moods else None,
            attributes={**(row.attributes or {}), **(attributes or {})},
            updated_at=utcnow(),
        )
    )
    emit(session, org_id=org_id, event=InteractionsEnded(interaction_ids=[str(interaction_id)], source=row.source))
    session.expire(row)
    return row
