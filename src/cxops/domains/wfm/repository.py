"""Queries of workforce management: history from interactions, stored runs, agents and their states."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, insert, select
from sqlalchemy.orm import Session

from cxops.domains.directory.public import Agent, Queue
from cxops.domains.interactions.public import AgentStateEvent, Interaction
from cxops.domains.wfm.models import ForecastPoint, ForecastRun, Schedule, Shift, StaffingInterval, StaffingPlan

#: Rows per INSERT statement (keeps PostgreSQL parameter counts low).
CHUNK = 2000


def contacts(
    session: Session, org_id: uuid.UUID, since: datetime, until: datetime | None, queues: list[str] | None
) -> list[tuple[Any, ...]]:
    """(queue code, started_at, handle seconds, intent, customer, ai_involved, handed_off, outcome) per interaction.

    The customer id is read as text: it only tells one customer's contacts apart, and turning tens of thousands of
    them into UUID objects cost more than the query.
    """
    handle = Interaction.talk_s + Interaction.hold_s + Interaction.wrap_s
    stmt = (
        select(
            Queue.code,
            Interaction.started_at,
            handle,
            Interaction.intent,
            cast(Interaction.customer_id, String),
            Interaction.ai_involved,
            Interaction.handed_off,
            Interaction.outcome,
        )
        .join(Queue, Queue.id == Interaction.queue_id)
        .where(Interaction.org_id == org_id, Interaction.started_at >= since)
    )
    if until is not None:
        stmt = stmt.where(Interaction.started_at < until)
    if queues:
        stmt = stmt.where(Queue.code.in_(queues))
    return [tuple(r) for r in session.execute(stmt.order_by(Interaction.started_at))]


def bulk_insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in chunks."""
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[i : i + CHUNK])


def list_runs(session: Session, model: Any, org_id: uuid.UUID, limit: int, offset: int) -> list[Any]:
    """Newest first."""
    stmt = select(model).where(model.org_id == org_id).order_by(model.created_at.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def forecast_points(session: Session, run_id: uuid.UUID) -> list[ForecastPoint]:
    stmt = select(ForecastPoint).where(ForecastPoint.run_id == run_id)
    return list(session.scalars(stmt.order_by(ForecastPoint.series_id, ForecastPoint.ts)))


def staffing_intervals(session: Session, plan_id: uuid.UUID) -> list[StaffingInterval]:
    stmt = select(StaffingInterval).where(StaffingInterval.plan_id == plan_id)
    return list(session.scalars(stmt.order_by(StaffingInterval.series_id, StaffingInterval.ts)))


def shifts(session: Session, schedule_id: uuid.UUID) -> list[Shift]:
    stmt = select(Shift).where(Shift.schedule_id == schedule_id)
    return list(session.scalars(stmt.order_by(Shift.starts_at, Shift.agent_code)))


def human_agents(session: Session, org_id: uuid.UUID) -> list[Agent]:
    """Active human agents of the organisation."""
    stmt = select(Agent).where(Agent.org_id == org_id, Agent.kind == "human", Agent.status == "active")
    return list(session.scalars(stmt.order_by(Agent.code)))


def state_events(
    session: Session, org_id: uuid.UUID, codes: list[str], since: datetime, until: datetime
) -> list[tuple[str, str, datetime]]:
    """(agent code, state, started_at) of the agents between since and until, in time order."""
    stmt = (
        select(Agent.code, AgentStateEvent.state, AgentStateEvent.started_at)
        .join(Agent, Agent.id == AgentStateEvent.agent_id)
        .where(
            AgentStateEvent.org_id == org_id,
            Agent.code.in_(codes),
            AgentStateEvent.started_at >= since,
            AgentStateEvent.started_at < until,
        )
        .order_by(AgentStateEvent.started_at)
    )
    return [(c, s, t) for c, s, t in session.execute(stmt)]


def queue_targets(session: Session, org_id: uuid.UUID, codes: list[str]) -> dict[str, tuple[float, float, bool]]:
    """(service-level target %, threshold seconds, auto-created) of the organisation's directory queues by code."""
    if not codes:
        return {}
    stmt = select(Queue.code, Queue.sl_target_pct, Queue.sl_threshold_s, Queue.auto_created).where(
        Queue.org_id == org_id, Queue.code.in_(codes)
    )
    return {code: (float(pct), float(thr), bool(auto)) for code, pct, thr, auto in session.execute(stmt)}


__all__ = ["ForecastRun", "Schedule", "StaffingPlan", "bulk_insert", "contacts", "list_runs"]
