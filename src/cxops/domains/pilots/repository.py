"""Queries of the pilots domain."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

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


def _scoped(pilot: Pilot) -> Select[Any]:
    scope = pilot.scope or {}
    stmt: Any = select(*_COLUMNS).where(
        Interaction.org_id == pilot.org_id,
        Interaction.customer_id.is_not(None),
        Interaction.ended_at.is_not(None),
        Interaction.started_at >= pilot.starts_at,
    )
    if pilot.ends_at is not None:
        stmt = stmt.where(Interaction.started_at < pilot.ends_at)
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


def scope_contacts(session: Session, pilot: Pilot) -> tuple[list[Contact], list[Contact], datetime | None]:
    """In-scope contacts, every later contact of the same customers (for repeats), and the data horizon."""
    in_scope = [_contact(r) for r in session.execute(_scoped(pilot).order_by(Interaction.started_at))]
    horizon = session.scalar(select(func.max(Interaction.started_at)).where(Interaction.org_id == pilot.org_id))
    customers = sorted({c.customer_id for c in in_scope})
    until = (pilot.ends_at or horizon or pilot.starts_at) + timedelta(days=pilot.repeat_window_days)
    history: list[Contact] = []
    for i in range(0, len(customers), _CHUNK):
        ids = [uuid.UUID(c) for c in customers[i : i + _CHUNK]]
        stmt = select(*_COLUMNS).where(
            Interaction.org_id == pilot.org_id,
            Interaction.customer_id.in_(ids),
            Interaction.started_at >= pilot.starts_at,
            Interaction.started_at <= until,
        )
        history.extend(_contact(r) for r in session.execute(stmt))
    return in_scope, history, horizon


def looks_of(session: Session, pilot_id: uuid.UUID) -> list[PilotLook]:
    return list(session.scalars(select(PilotLook).where(PilotLook.pilot_id == pilot_id).order_by(PilotLook.seq)))


def list_pilots(session: Session, org_id: uuid.UUID) -> list[Pilot]:
    return list(session.scalars(select(Pilot).where(Pilot.org_id == org_id).order_by(Pilot.created_at.desc())))
