"""Queries of the interactions domain."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cxops.core.repository import insert_ignore
from cxops.domains.interactions.models import AgentStateEvent, Interaction, InteractionParticipant, Turn


def filtered(org_id: uuid.UUID, filters: dict[str, Any]) -> Select[Any]:
    """Interactions of the organisation matching the given equality and time filters."""
    stmt = select(Interaction).where(Interaction.org_id == org_id)
    since, until = filters.pop("since", None), filters.pop("until", None)
    if since is not None:
        stmt = stmt.where(Interaction.started_at >= since)
    if until is not None:
        stmt = stmt.where(Interaction.started_at < until)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Interaction, name) == value)
    return stmt


def page(session: Session, stmt: Select[Any], *, limit: int, offset: int) -> tuple[list[Interaction], int]:
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(session.scalars(stmt.order_by(Interaction.started_at.desc()).limit(limit).offset(offset)))
    return items, total


def turns_of(session: Session, interaction_id: uuid.UUID) -> list[Turn]:
    return list(session.scalars(select(Turn).where(Turn.interaction_id == interaction_id).order_by(Turn.seq)))


def participants_of(session: Session, interaction_id: uuid.UUID) -> list[InteractionParticipant]:
    return list(
        session.scalars(
            select(InteractionParticipant)
            .where(InteractionParticipant.interaction_id == interaction_id)
            .order_by(InteractionParticipant.seq)
        )
    )


def insert_states(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert agent state events, ignoring exact repeats; returns how many were new."""
    if not rows:
        return 0
    keys = {(r["agent_id"], r["started_at"], r["state"]) for r in rows}
    existing = set(
        session.execute(
            select(AgentStateEvent.agent_id, AgentStateEvent.started_at, AgentStateEvent.state).where(
                AgentStateEvent.org_id == rows[0]["org_id"],
                AgentStateEvent.agent_id.in_({r["agent_id"] for r in rows}),
                AgentStateEvent.started_at.in_({r["started_at"] for r in rows}),
            )
        )
    )
    insert_ignore(
        session,
        AgentStateEvent,
        rows,
        ["org_id", "agent_id", "started_at", "state"],
    )
    return len(keys - existing)


def daily_overview(session: Session, org_id: uuid.UUID, since: datetime) -> list[dict[str, Any]]:
    """Per day and channel: volume, outcomes, AI involvement, mean handle time and CSAT."""
    day = func.date(Interaction.started_at)
    rows = session.execute(
        select(
            day.label("day"),
            Interaction.channel,
            func.count().label("n"),
            func.sum((Interaction.outcome == "resolved").cast(type_=Interaction.turn_count.type)),
            func.sum((Interaction.outcome == "abandoned").cast(type_=Interaction.turn_count.type)),
            func.sum(Interaction.ai_involved.cast(type_=Interaction.turn_count.type)),
            func.avg(Interaction.talk_s + Interaction.hold_s + Interaction.wrap_s),
            func.avg(Interaction.csat),
        )
        .where(Interaction.org_id == org_id, Interaction.started_at >= since)
        .group_by(day, Interaction.channel)
        .order_by(day)
    )
    return [
        {
            "day": str(d),
            "channel": ch,
            "volume": n,
            "resolved": int(res or 0),
            "abandoned": int(ab or 0),
            "ai_involved": int(ai or 0),
            "aht_s": round(float(aht or 0), 1),
            "csat": round(float(cs), 2) if cs is not None else None,
        }
        for d, ch, n, res, ab, ai, aht, cs in rows
    ]


def latest_start(session: Session, org_id: uuid.UUID) -> datetime | None:
    return session.scalar(select(func.max(Interaction.started_at)).where(Interaction.org_id == org_id))


def window_start(latest: datetime | None, days: int) -> datetime | None:
    return None if latest is None else latest - timedelta(days=days)
