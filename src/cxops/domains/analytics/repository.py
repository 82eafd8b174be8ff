"""Queries of the analytics domain: the contact frame, the change watermark, live rows, texts for topics.

Every query is bounded: by time range, by a row cap, and on PostgreSQL by a statement timeout.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, String, cast, func, select, text
from sqlalchemy.orm import Session

from cxops.core.models import OutboxEvent
from cxops.domains.directory.public import Agent, Location, Queue, Region, Team
from cxops.domains.interactions.public import AgentStateEvent, Interaction, Turn

ENDED_EVENT = "interactions.ended"
MAX_TOPIC_DOCS = 5000
MAX_LIVE_ROWS = 50_000
MAX_STATE_ROWS = 100_000


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _epoch(session: Session, column: Any) -> ColumnElement[Any]:
    """Whole epoch seconds, rounded down on both dialects (a cast alone rounds to nearest on PostgreSQL, which
    put a contact of the last half second before a range boundary inside it)."""
    if _dialect(session) == "postgresql":
        return cast(func.floor(func.extract("epoch", column)), BigInteger)
    return cast(func.strftime("%s", column), Integer)


def _hex(session: Session, column: Any) -> ColumnElement[Any]:
    """A UUID column as 32 lowercase hex digits on both dialects (cheap to read, stable to join on)."""
    if _dialect(session) == "postgresql":
        return func.replace(cast(column, String), "-", "")
    return cast(column, String)


def bound_statement(session: Session, timeout_ms: int) -> None:
    """On PostgreSQL, cap every statement of this transaction (SQLite queries are bounded by range and LIMIT)."""
    if _dialect(session) == "postgresql":
        session.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))


def watermark(session: Session, org_id: uuid.UUID) -> str | None:
    """The newest 'interactions ended' event of the organisation: changes whenever contacts are ingested."""
    value = session.scalar(
        select(OutboxEvent.id)
        .where(OutboxEvent.org_id == org_id, OutboxEvent.type == ENDED_EVENT)
        .order_by(OutboxEvent.id.desc())
        .limit(1)
    )
    return None if value is None else str(value)


def contact_rows(session: Session, org_id: uuid.UUID, *, since: datetime, limit: int) -> list[Sequence[Any]]:
    """Contacts started since `since` as plain tuples in compute.metrics.RAW_COLUMNS order (at most `limit`).

    No joins (directory ids are mapped to codes in memory) and rows read straight from the DBAPI cursor:
    both halve the time to load a million contacts.
    """
    stmt = select(
        _hex(session, Interaction.id),
        _epoch(session, Interaction.started_at),
        Interaction.channel,
        _hex(session, Interaction.queue_id),
        _hex(session, Interaction.team_id),
        _hex(session, Interaction.primary_agent_id),
        _hex(session, Interaction.customer_id),
        Interaction.intent,
        Interaction.outcome,
        Interaction.talk_s,
        Interaction.hold_s,
        Interaction.wrap_s,
        Interaction.csat,
        Interaction.survey_answered,
        Interaction.ai_involved,
        Interaction.handed_off,
        Interaction.sentiment_start,
        Interaction.sentiment_end,
        Interaction.attributes["wait_s"].as_string(),
    ).where(Interaction.org_id == org_id, Interaction.started_at >= since)
    result = session.connection().execute(stmt.limit(limit))
    cursor = result.cursor
    return [] if cursor is None else list(cursor.fetchall())


def directory_maps(session: Session, org_id: uuid.UUID) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Directory ids (32 hex digits) -> codes: queues (code, SL threshold), teams (team, location, region
    codes) and agents (code, kind)."""
    queues = session.execute(
        select(_hex(session, Queue.id), Queue.code, Queue.sl_threshold_s).where(Queue.org_id == org_id)
    )
    teams = session.execute(
        select(_hex(session, Team.id), Team.code, Location.code, Region.code)
        .join(Location, Location.id == Team.location_id)
        .join(Region, Region.id == Location.region_id)
        .where(Team.org_id == org_id)
    )
    agents = session.execute(select(_hex(session, Agent.id), Agent.code, Agent.kind).where(Agent.org_id == org_id))
    return {
        "queue": {i: tuple(rest) for i, *rest in queues},
        "team": {i: tuple(rest) for i, *rest in teams},
        "agent": {i: tuple(rest) for i, *rest in agents},
    }


def live_contacts(session: Session, org_id: uuid.UUID, *, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Contacts started in [since, until] (the live window) with their queue, team and state: a contact stamped
    in the future (a source's clock ahead of ours) is not live yet."""
    stmt = (
        select(
            Queue.code.label("queue"),
            Team.code.label("team"),
            Interaction.ended_at.is_not(None).label("ended"),
            Interaction.outcome,
            Interaction.sentiment_end,
            Interaction.attributes["wait_s"].as_string().label("wait_s"),
            func.coalesce(Queue.sl_threshold_s, 20.0).label("sl_threshold_s"),
        )
        .outerjoin(Queue, Queue.id == Interaction.queue_id)
        .outerjoin(Team, Team.id == Interaction.team_id)
        .where(Interaction.org_id == org_id, Interaction.started_at >= since, Interaction.started_at <= until)
        .limit(MAX_LIVE_ROWS)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def agent_states(session: Session, org_id: uuid.UUID, *, since: datetime, until: datetime) -> list[tuple[str, str]]:
    """(team code, state) of each agent's latest state event in [since, until]. Newest first, so a row limit that
    cuts the range leaves out the oldest events, not the latest ones (ascending, it had kept the oldest)."""
    stmt = (
        select(AgentStateEvent.agent_id, AgentStateEvent.state, Team.code)
        .join(Agent, Agent.id == AgentStateEvent.agent_id)
        .outerjoin(Team, Team.id == Agent.team_id)
        .where(
            AgentStateEvent.org_id == org_id,
            AgentStateEvent.started_at >= since,
            AgentStateEvent.started_at <= until,
        )
        .order_by(AgentStateEvent.started_at.desc(), AgentStateEvent.id.desc())
        .limit(MAX_STATE_ROWS)
    )
    latest: dict[uuid.UUID, tuple[str, str]] = {}
    for agent_id, state, team in session.execute(stmt):
        latest.setdefault(agent_id, (team or "(none)", state))
    return list(latest.values())


def topic_documents(
    session: Session, org_id: uuid.UUID, *, since: datetime, until: datetime, limit: int, unlabelled_only: bool
) -> tuple[list[tuple[int, str | None, str]], int]:
    """(start epoch, intent, customer text) of the newest `limit` contacts in range with customer turns, and the
    epoch from which the sample holds every such contact (the range start, or the oldest contact sampled when
    the limit cut the sample short)."""
    cond = [Interaction.org_id == org_id, Interaction.started_at >= since, Interaction.started_at < until]
    if unlabelled_only:
        cond.append(Interaction.intent.is_(None))
    ids = session.execute(
        select(Interaction.id, _epoch(session, Interaction.started_at), Interaction.intent)
        .where(*cond)
        .order_by(Interaction.started_at.desc())
        .limit(min(limit, MAX_TOPIC_DOCS))
    ).all()
    meta = {i: (int(ts or 0), intent) for i, ts, intent in ids}
    cut = len(ids) >= min(limit, MAX_TOPIC_DOCS)
    observed_from = min(ts for ts, _ in meta.values()) if cut and meta else int(since.timestamp())
    texts: dict[uuid.UUID, list[str]] = {}
    keys = list(meta)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.execute(
            select(Turn.interaction_id, Turn.text)
            .where(Turn.interaction_id.in_(chunk), Turn.speaker == "customer")
            .order_by(Turn.interaction_id, Turn.seq)
        )
        for interaction_id, body in rows:
            texts.setdefault(interaction_id, []).append(body)
    return [(meta[i][0], meta[i][1], " ".join(parts)) for i, parts in texts.items()], observed_from


def window_start(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
