"""Queries of the pilots domain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cxops.core.clock import as_utc
from cxops.domains.directory.public import Location, Queue, Region, Team
from cxops.domains.interactions.public import Interaction
from cxops.domains.pilots.compute.outcomes import Contact
from cxops.domains.pilots.models import Pilot, PilotLook

_COLUMNS = (
    Interaction.id,
    Interaction.customer_id,
    Interaction.intent,
    Interaction.started_at,
    Interaction.outcome,
    Interaction.handed_off,
    Interaction.talk_s + Interaction.hold_s + Interaction.wrap_s,
    Interaction.csat,
    Interaction.survey_answered,
)
_CHUNK = 500


def _contact(row: Any) -> Contact:
    return Contact(
        str(row[0]), str(row[1]), row[2], row[3], row[4], bool(row[5]), float(row[6] or 0), row[7], bool(row[8])
    )


def _in_scope(org_id: uuid.UUID, scope: dict[str, Any]) -> Select[Any]:
    """Ended contacts with a customer of the organisation in `scope` (intents, queue codes, region codes)."""
    stmt: Any = select(*_COLUMNS).where(
        Interaction.org_id == org_id,
        Interaction.customer_id.is_not(None),
        Interaction.ended_at.is_not(None),
    )
    if scope.get("intents"):
        stmt = stmt.where(Interaction.intent.in_(scope["intents"]))
    if scope.get("queues"):
        stmt = stmt.join(Queue, Queue.id == Interaction.queue_id).where(Queue.code.in_(scope["queues"]))
    if scope.get("regions"):
        stmt = (
            stmt.join(Team, Team.id == Interaction.team_id)
            .join(Location, Location.id == Team.location_id)
            .join(Region, Region.id == Location.region_id)
            .where(Region.code.in_(scope["regions"]))
        )
    return stmt


def _scoped(pilot: Pilot) -> Select[Any]:
    stmt = _in_scope(pilot.org_id, pilot.scope or {}).where(Interaction.started_at >= pilot.starts_at)
    if pilot.ends_at is not None:
        stmt = stmt.where(Interaction.started_at < pilot.ends_at)
    return stmt


def _horizon(session: Session, org_id: uuid.UUID) -> datetime | None:
    """When the organisation's latest contact started: how far its data reaches (repeat windows close by it)."""
    return session.scalar(select(func.max(Interaction.started_at)).where(Interaction.org_id == org_id))


def _customers_contacts(
    session: Session, org_id: uuid.UUID, customers: list[str], since: datetime, until: datetime
) -> list[Contact]:
    """Every contact of these customers started in [since, until], in scope or not (repeats are per intent)."""
    out: list[Contact] = []
    for i in range(0, len(customers), _CHUNK):
        ids = [uuid.UUID(c) for c in customers[i : i + _CHUNK]]
        stmt = select(*_COLUMNS).where(
            Interaction.org_id == org_id,
            Interaction.customer_id.in_(ids),
            Interaction.started_at >= since,
            Interaction.started_at <= until,
        )
        out.extend(_contact(r) for r in session.execute(stmt))
    return out


def scope_contacts(session: Session, pilot: Pilot) -> tuple[list[Contact], list[Contact], datetime | None]:
    """In-scope contacts, every later contact of the same customers (for repeats), and the data horizon."""
    in_scope = [_contact(r) for r in session.execute(_scoped(pilot).order_by(Interaction.started_at))]
    horizon = _horizon(session, pilot.org_id)
    customers = sorted({c.customer_id for c in in_scope})
    until = (pilot.ends_at or horizon or pilot.starts_at) + timedelta(days=pilot.repeat_window_days)
    history = _customers_contacts(session, pilot.org_id, customers, pilot.starts_at, until)
    return in_scope, history, horizon


@dataclass(frozen=True, slots=True)
class PrePeriodContacts:
    """A scope's contacts of a past window, the same customers' contacts for repeats, and the data horizon."""

    since: datetime
    until: datetime
    horizon: datetime
    in_scope: list[Contact]
    history: list[Contact]
    #: the window held more than `limit` contacts; `in_scope` keeps the latest ones
    truncated: bool


def pre_period_contacts(
    session: Session,
    *,
    org_id: uuid.UUID,
    scope: dict[str, Any],
    days: int,
    repeat_window_days: int,
    before: datetime | None = None,
    limit: int = 200_000,
) -> PrePeriodContacts | None:
    """The scope's contacts started in the `days` before `before` (or before the data horizon, if earlier).

    None when the organisation has no contacts at all. Only the organisation's own rows are read.
    """
    horizon = _horizon(session, org_id)
    if horizon is None:
        return None
    until = as_utc(horizon) if before is None else min(as_utc(before), as_utc(horizon))
    since = until - timedelta(days=days)
    stmt = (
        _in_scope(org_id, scope)
        .where(Interaction.started_at >= since, Interaction.started_at < until)
        .order_by(Interaction.started_at.desc())
        .limit(limit + 1)
    )
    in_scope = [_contact(r) for r in session.execute(stmt)]
    truncated = len(in_scope) > limit
    in_scope = in_scope[:limit][::-1]
    customers = sorted({c.customer_id for c in in_scope})
    history = _customers_contacts(session, org_id, customers, since, until + timedelta(days=repeat_window_days))
    return PrePeriodContacts(since, until, as_utc(horizon), in_scope, history, truncated)


def looks_of(session: Session, pilot_id: uuid.UUID) -> list[PilotLook]:
    return list(session.scalars(select(PilotLook).where(PilotLook.pilot_id == pilot_id).order_by(PilotLook.seq)))


def list_pilots(session: Session, org_id: uuid.UUID) -> list[Pilot]:
    return list(session.scalars(select(Pilot).where(Pilot.org_id == org_id).order_by(Pilot.created_at.desc())))
