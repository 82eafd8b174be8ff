"""Queries of the trust domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from cxops.domains.directory.public import Customer, CustomerIdentity, Location, Queue, Region, Team
from cxops.domains.interactions.public import Interaction
from cxops.domains.trust.compute.ledger import Policy
from cxops.domains.trust.models import TrustExperience, TrustPolicy


def load_policy(session: Session, org_id: uuid.UUID) -> Policy:
    """The organisation's policy, or the defaults."""
    row = session.get(TrustPolicy, org_id)
    if row is None:
        return Policy()
    return Policy(
        max_poor=row.max_poor,
        window_days=row.window_days,
        repeat_window_hours=row.repeat_window_hours,
        negative_sentiment=row.negative_sentiment,
        half_life_days=row.half_life_days,
    )


def customer_or_none(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID) -> Customer | None:
    """The customer if it belongs to the organisation."""
    row = session.get(Customer, customer_id)
    return row if row is not None and row.org_id == org_id else None


def resolve_customer_ref(session: Session, org_id: uuid.UUID, ref: str) -> uuid.UUID | None:
    """A customer id from a reference: our customer id, else a source system's external id (any source)."""
    try:
        as_id = uuid.UUID(ref)
    except ValueError:
        as_id = None
    if as_id is not None and customer_or_none(session, org_id, as_id) is not None:
        return as_id
    stmt = select(CustomerIdentity.customer_id).where(
        CustomerIdentity.org_id == org_id, CustomerIdentity.external_id == ref[:200]
    )
    return session.scalars(stmt.limit(1)).first()


def ended_interactions(session: Session, org_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Interaction]:
    """Ended interactions with a known customer, among `ids`."""
    if not ids:
        return []
    stmt = select(Interaction).where(
        Interaction.org_id == org_id,
        Interaction.id.in_(list(ids)),
        Interaction.customer_id.is_not(None),
        Interaction.ended_at.is_not(None),
    )
    return list(session.scalars(stmt))


def intent_contacts_around(
    session: Session,
    org_id: uuid.UUID,
    customer_ids: Iterable[uuid.UUID],
    *,
    ended: tuple[datetime, datetime],
    started: tuple[datetime, datetime],
) -> list[Interaction]:
    """Contacts with an intent of these customers that ended within `ended` or started within `started` (both
    inclusive), in start order: the candidate repeat contacts of a whole batch of interactions in one query."""
    ids = list(set(customer_ids))
    if not ids:
        return []
    stmt = select(Interaction).where(
        Interaction.org_id == org_id,
        Interaction.customer_id.in_(ids),
        Interaction.intent.is_not(None),
        or_(
            and_(Interaction.ended_at >= ended[0], Interaction.ended_at <= ended[1]),
            and_(Interaction.started_at >= started[0], Interaction.started_at <= started[1]),
        ),
    )
    return list(session.scalars(stmt.order_by(Interaction.started_at, Interaction.id)))


def team_regions(session: Session, org_id: uuid.UUID, team_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Region code of each team, through its location."""
    ids = [t for t in set(team_ids) if t is not None]
    if not ids:
        return {}
    stmt = (
        select(Team.id, Region.code)
        .join(Location, Location.id == Team.location_id)
        .join(Region, Region.id == Location.region_id)
        .where(Team.org_id == org_id, Team.id.in_(ids))
    )
    return {tid: code for tid, code in session.execute(stmt)}


def experiences(
    session: Session,
    org_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[TrustExperience]:
    """Ledger entries, newest first."""
    stmt = select(TrustExperience).where(TrustExperience.org_id == org_id)
    if customer_id is not None:
        stmt = stmt.where(TrustExperience.customer_id == customer_id)
    if since is not None:
        stmt = stmt.where(TrustExperience.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(TrustExperience.occurred_at < until)
    stmt = stmt.order_by(TrustExperience.occurred_at.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def entry_kinds_since(
    session: Session, org_id: uuid.UUID, customer_ids: Iterable[uuid.UUID], since: datetime
) -> dict[uuid.UUID, list[tuple[str, datetime]]]:
    """(kind, occurred_at) of these customers' entries at or after `since`, by customer (one query for a batch)."""
    ids = list(set(customer_ids))
    out: dict[uuid.UUID, list[tuple[str, datetime]]] = {cid: [] for cid in ids}
    if not ids:
        return out
    stmt = select(TrustExperience.customer_id, TrustExperience.kind, TrustExperience.occurred_at).where(
        TrustExperience.org_id == org_id,
        TrustExperience.customer_id.in_(ids),
        TrustExperience.occurred_at >= since,
    )
    for cid, kind, at in session.execute(stmt):
        out[cid].append((kind, at))
    return out


def ledger_rows(
    session: Session, org_id: uuid.UUID, *, since: datetime, until: datetime
) -> list[tuple[uuid.UUID, uuid.UUID | None, str, bool, datetime, str]]:
    """(customer, interaction, kind, poor, occurred_at, origin) of the entries in [since, until), as tuples."""
    stmt = select(
        TrustExperience.customer_id,
        TrustExperience.interaction_id,
        TrustExperience.kind,
        TrustExperience.poor,
        TrustExperience.occurred_at,
        TrustExperience.origin,
    ).where(TrustExperience.org_id == org_id, TrustExperience.occurred_at >= since, TrustExperience.occurred_at < until)
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def ledger_version(session: Session, org_id: uuid.UUID) -> str:
    """Changes whenever the organisation's ledger or routing policy changes (entry count, newest entry, policy)."""
    count, newest = session.execute(
        select(func.count(), func.max(TrustExperience.occurred_at)).where(TrustExperience.org_id == org_id)
    ).one()
    policy = session.scalar(select(TrustPolicy.updated_at).where(TrustPolicy.org_id == org_id))
    return f"{count}|{newest}|{policy}"


def group_labels(session: Session, org_id: uuid.UUID, group_by: str) -> dict[uuid.UUID, str]:
    """Codes of queues or teams by id (regions are stored as codes already)."""
    model = Queue if group_by == "queue" else Team
    return {i: c for i, c in session.execute(select(model.id, model.code).where(model.org_id == org_id))}


def interaction_ids_page(session: Session, org_id: uuid.UUID, after: uuid.UUID | None, size: int) -> list[uuid.UUID]:
    """Ids of ended interactions with a customer, in id order, after `after` (for the backfill)."""
    stmt = select(Interaction.id).where(
        Interaction.org_id == org_id, Interaction.customer_id.is_not(None), Interaction.ended_at.is_not(None)
    )
    if after is not None:
        stmt = stmt.where(Interaction.id > after)
    return list(session.scalars(stmt.order_by(Interaction.id).limit(size)))


def window_start(at: datetime, hours: int) -> datetime:
    """`at` minus `hours`."""
    return at - timedelta(hours=hours)
