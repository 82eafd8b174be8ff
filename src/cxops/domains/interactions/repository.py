"""Queries of the interactions domain."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select
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


def took_part(
    session: Session,
    org_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None = None,
    interaction_id: uuid.UUID | None = None,
) -> bool:
    """Whether the agent took part, as primary agent or participant, in an interaction of the organisation: one of
    `customer_id` and/or `interaction_id` itself (at least one is given). Open (live) interactions count."""
    if customer_id is None and interaction_id is None:
        raise ValueError("took_part needs a customer_id or an interaction_id")
    participant = exists().where(
        InteractionParticipant.interaction_id == Interaction.id, InteractionParticipant.agent_id == agent_id
    )
    stmt = select(Interaction.id).where(
        Interaction.org_id == org_id, or_(Interaction.primary_agent_id == agent_id, participant)
    )
    if customer_id is not None:
        stmt = stmt.where(Interaction.customer_id == customer_id)
    if interaction_id is not None:
        stmt = stmt.where(Interaction.id == interaction_id)
    return session.scalars(stmt.limit(1)).first() is not None


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


def _utc_day(session: Session) -> ColumnElement[Any]:
    """The UTC calendar day of a contact's start (PostgreSQL's date() would use the session's time zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", Interaction.started_at))
    return func.date(Interaction.started_at)


def daily_overview(session: Session, org_id: uuid.UUID, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per UTC day and channel of contacts started in [since, until): volume, outcomes, AI involvement, handle
    time and CSAT, with the sums behind each mean so that days and channels add up exactly.

    Handle time (talk + hold + wrap) is averaged over handled contacts (every outcome but 'abandoned', open
    ones included), CSAT over the contacts with a score: the definitions of the analytics metrics `aht_s` and
    `csat`, so this overview and the operations overview agree on the same range.
    """
    day = _utc_day(session)
    count = Interaction.turn_count.type
    handled = or_(Interaction.outcome.is_(None), Interaction.outcome != "abandoned")
    handle = Interaction.talk_s + Interaction.hold_s + Interaction.wrap_s
    rows = session.execute(
        select(
            day.label("day"),
            Interaction.channel,
            func.count().label("n"),
            func.sum((Interaction.outcome == "resolved").cast(type_=count)),
            func.sum((Interaction.outcome == "abandoned").cast(type_=count)),
            func.sum(Interaction.ai_involved.cast(type_=count)),
            func.sum(handled.cast(type_=count)),
            func.sum(case((handled, handle), else_=0.0)),
            func.count(Interaction.csat),
            func.sum(Interaction.csat),
        )
        .where(Interaction.org_id == org_id, Interaction.started_at >= since, Interaction.started_at < until)
        .group_by(day, Interaction.channel)
        .order_by(day, Interaction.channel)
    )
    out = []
    for d, ch, n, res, ab, ai, hd, handle_sum, csat_n, csat_sum in rows:
        sums = {"handled": int(hd or 0), "handle_s": float(handle_sum or 0), "csat_n": int(csat_n or 0)}
        sums["csat_sum"] = float(csat_sum or 0)
        out.append(
            {
                "day": str(d),
                "channel": ch,
                "volume": int(n),
                "resolved": int(res or 0),
                "abandoned": int(ab or 0),
                "ai_involved": int(ai or 0),
                **sums,
                **overview_means(sums),
            }
        )
    return out


def overview_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows of `daily_overview` added up: counts summed, means as ratios of the summed sums (exact)."""
    keys = ("volume", "resolved", "abandoned", "ai_involved", "handled", "handle_s", "csat_n", "csat_sum")
    sums: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    return {**sums, **overview_means(sums)}


def overview_means(sums: dict[str, Any]) -> dict[str, float | None]:
    """Mean handle time of handled contacts (s, 2 decimals) and mean CSAT (2 decimals), None without any:
    rounded like the analytics API."""
    return {
        "aht_s": round(sums["handle_s"] / sums["handled"], 2) if sums["handled"] else None,
        "csat": round(sums["csat_sum"] / sums["csat_n"], 2) if sums["csat_n"] else None,
    }


def latest_start(session: Session, org_id: uuid.UUID) -> datetime | None:
    return session.scalar(select(func.max(Interaction.started_at)).where(Interaction.org_id == org_id))


def recent_window(latest: datetime | None, days: int, now: datetime) -> tuple[datetime, datetime]:
    """The `days` up to the newest contact, [since, until) by contact start: until is one second after the
    newest contact's start (whole seconds; `now` when there is none), since `days` x 24 h before.

    The same range the analytics API defaults to (analytics.service.check_range), so "the last 30 days" holds
    the same contacts on the daily overview and on the operations overview. It spans `days` + 1 UTC calendar
    days unless it ends at midnight: the first and the last are partial.
    """
    end = (latest or now).replace(microsecond=0) + timedelta(seconds=1)
    return end - timedelta(days=days), end
