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
from cxops.domains.pilots.compute.outcomes import Contact, Visit
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


def _visits(
    session: Session, org_id: uuid.UUID, in_scope: Select[Any], scope: dict[str, Any], since: datetime, until: datetime
) -> list[Visit]:
    """Every contact started in [since, until] of the customers of `in_scope` (a query of in-scope contacts), as
    (customer, intent, started_at): in scope or not, since repeats are per intent (so only the scope's intents,
    if it names some, can be repeats of an in-scope contact).

    One query with the customers as a subquery: the database reads its customer index once per customer, instead
    of the application sending the customer ids back in batches and building a contact per row.
    """
    customers = in_scope.subquery()
    stmt = select(Interaction.customer_id, Interaction.intent, Interaction.started_at).where(
        Interaction.org_id == org_id,
        Interaction.customer_id.in_(select(customers.c.customer_id)),
        Interaction.started_at >= since,
        Interaction.started_at <= until,
    )
    if scope.get("intents"):
        stmt = stmt.where(Interaction.intent.in_(scope["intents"]))
    return [(str(customer), intent, started) for customer, intent, started in session.execute(stmt)]


def scope_contacts(session: Session, pilot: Pilot) -> tuple[list[Contact], list[Visit], datetime | None]:
    """In-scope contacts, every later contact of the same customers (for repeats), and the data horizon."""
    in_scope = [_contact(r) for r in session.execute(_scoped(pilot).order_by(Interaction.started_at))]
    horizon = _horizon(session, pilot.org_id)
    until = (pilot.ends_at or horizon or pilot.starts_at) + timedelta(days=pilot.repeat_window_days)
    history = _visits(session, pilot.org_id, _scoped(pilot), pilot.scope or {}, pilot.starts_at, until)
    return in_scope, history, horizon


@dataclass(frozen=True, slots=True)
class PrePeriodContacts:
    """A scope's contacts of a past window, the same customers' contacts for repeats, and the data horizon."""

    since: datetime
    until: datetime
    horizon: datetime
    in_scope: list[Contact]
    history: list[Visit]
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
        .order_by(Interaction.started_at.desc(), Interaction.id.desc())  # the id: the same latest ones each time
        .limit(limit + 1)
    )
    in_scope = [_contact(r) for r in session.execute(stmt)]
    truncated = len(in_scope) > limit
    in_scope = in_scope[:limit][::-1]
    history = _visits(session, org_id, stmt.limit(limit), scope, since, until + timedelta(days=repeat_window_days))
    return PrePeriodContacts(since, until, as_utc(horizon), in_scope, history, truncated)


def known_codes(session: Session, org_id: uuid.UUID, scope: dict[str, Any]) -> dict[str, set[str]]:
    """Which of the scope's intents occur in the organisation's contacts, and which queue and region codes exist."""
    out: dict[str, set[str]] = {"intents": set(), "queues": set(), "regions": set()}
    if scope.get("intents"):
        stmt = select(Interaction.intent).where(Interaction.org_id == org_id, Interaction.intent.in_(scope["intents"]))
        out["intents"] = set(session.scalars(stmt.distinct()))
    if scope.get("queues"):
        stmt = select(Queue.code).where(Queue.org_id == org_id, Queue.code.in_(scope["queues"]))
        out["queues"] = set(session.scalars(stmt))
    if scope.get("regions"):
        stmt = select(Region.code).where(Region.org_id == org_id, Region.code.in_(scope["regions"]))
        out["regions"] = set(session.scalars(stmt))
    return out


def common_intents(session: Session, org_id: uuid.UUID, limit: int = 12) -> list[str]:
    """The organisation's most frequent intents (to suggest in place of an unknown one)."""
    stmt = (
        select(Interaction.intent)
        .where(Interaction.org_id == org_id, Interaction.intent.is_not(None))
        .group_by(Interaction.intent)
        .order_by(func.count().desc(), Interaction.intent)
        .limit(limit)
    )
    return [str(i) for i in session.scalars(stmt)]


def scope_span(session: Session, org_id: uuid.UUID, scope: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """When the scope's first and latest contacts started (None: no contact matches the scope)."""
    sub = _in_scope(org_id, scope).subquery()
    first, last = session.execute(select(func.min(sub.c.started_at), func.max(sub.c.started_at))).one()
    return None if first is None else (as_utc(first), as_utc(last))


def looks_of(session: Session, pilot_id: uuid.UUID) -> list[PilotLook]:
    return list(session.scalars(select(PilotLook).where(PilotLook.pilot_id == pilot_id).order_by(PilotLook.seq)))


def list_pilots(session: Session, org_id: uuid.UUID) -> list[Pilot]:
    return list(session.scalars(select(Pilot).where(Pilot.org_id == org_id).order_by(Pilot.created_at.desc())))
