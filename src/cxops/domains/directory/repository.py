"""Queries of the directory domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cxops.core.ids import new_id, parse_uuids
from cxops.core.repository import by_codes, insert_ignore
from cxops.domains.directory.models import Agent, Customer, CustomerIdentity, Location, Queue, Region, Team


def list_rows(session: Session, model: Any, org_id: uuid.UUID, *, limit: int, offset: int, **filters: Any) -> list[Any]:
    """A page of rows of one directory table, ordered by code."""
    stmt = select(model).where(model.org_id == org_id)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(model, name) == value)
    order = model.code if hasattr(model, "code") else model.id
    return list(session.scalars(stmt.order_by(order).limit(limit).offset(offset)))


def ensure_queues(session: Session, org_id: uuid.UUID, wanted: dict[str, str]) -> dict[str, Queue]:
    """Queues by code, creating unknown ones (flagged auto_created) with the channel first seen."""
    found = by_codes(session, Queue, org_id, list(wanted))
    missing = [c for c in wanted if c not in found]
    if missing:
        rows = [
            {
                "id": new_id(),
                "org_id": org_id,
                "code": c,
                "name": c,
                "channel": wanted[c],
                "sl_target_pct": 80.0,
                "sl_threshold_s": 20.0,
                "auto_created": True,
            }
            for c in missing
        ]
        insert_ignore(session, Queue, rows, ["org_id", "code"])
        found |= by_codes(session, Queue, org_id, missing)
    return found


def ensure_agents(session: Session, org_id: uuid.UUID, wanted: dict[str, str]) -> dict[str, Agent]:
    """Agents by code, creating unknown ones (auto_created, no team) with the kind first seen."""
    found = by_codes(session, Agent, org_id, list(wanted))
    missing = [c for c in wanted if c not in found]
    if missing:
        rows = [
            {
                "id": new_id(),
                "org_id": org_id,
                "code": c,
                "name": c,
                "kind": wanted[c],
                "skills": [],
                "status": "active",
                "auto_created": True,
            }
            for c in missing
        ]
        insert_ignore(session, Agent, rows, ["org_id", "code"])
        found |= by_codes(session, Agent, org_id, missing)
    return found


def ensure_customers(
    session: Session, org_id: uuid.UUID, refs: dict[tuple[str, str], dict[str, Any]]
) -> dict[tuple[str, str], uuid.UUID]:
    """Customer ids by (source, external_id), creating a customer and identity for each new pair."""
    if not refs:
        return {}
    found = _identities(session, org_id, refs.keys())
    missing = [k for k in refs if k not in found]
    if missing:
        customers: list[dict[str, Any]] = []
        identities: list[dict[str, Any]] = []
        for source, ext in missing:
            cid = new_id()
            info = refs[(source, ext)]
            customers.append(
                {
                    "id": cid,
                    "org_id": org_id,
                    "display_name": info.get("display_name"),
                    "tier": info.get("tier"),
                    "region": info.get("region"),
                    "attributes": {},
                }
            )
            identities.append(
                {"id": new_id(), "org_id": org_id, "customer_id": cid, "source": source, "external_id": ext}
            )
        session.execute(insert(Customer), customers)
        insert_ignore(
            session,
            CustomerIdentity,
            identities,
            ["org_id", "source", "external_id"],
        )
        found |= _identities(session, org_id, missing)
    return found


def _identities(
    session: Session, org_id: uuid.UUID, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], uuid.UUID]:
    by_source: dict[str, list[str]] = {}
    for source, ext in keys:
        by_source.setdefault(source, []).append(ext)
    out: dict[tuple[str, str], uuid.UUID] = {}
    for source, exts in by_source.items():
        rows = session.execute(
            select(CustomerIdentity.external_id, CustomerIdentity.customer_id).where(
                CustomerIdentity.org_id == org_id,
                CustomerIdentity.source == source,
                CustomerIdentity.external_id.in_(exts),
            )
        )
        out |= {(source, ext): cid for ext, cid in rows}
    return out


def hierarchy(session: Session, org_id: uuid.UUID) -> list[dict[str, Any]]:
    """Regions with their locations, teams and agent counts by kind."""
    counts: dict[tuple[uuid.UUID | None, str], int] = {
        (team_id, kind): n
        for team_id, kind, n in session.execute(
            select(Agent.team_id, Agent.kind, func.count())
            .where(Agent.org_id == org_id)
            .group_by(Agent.team_id, Agent.kind)
        )
    }
    teams = _grouped(session.scalars(select(Team).where(Team.org_id == org_id).order_by(Team.code)), "location_id")
    locations = _grouped(
        session.scalars(select(Location).where(Location.org_id == org_id).order_by(Location.code)), "region_id"
    )
    out = []
    for region in session.scalars(select(Region).where(Region.org_id == org_id).order_by(Region.code)):
        locs = []
        for loc in locations.get(region.id, []):
            team_rows = [
                {
                    "id": str(t.id),
                    "code": t.code,
                    "name": t.name,
                    "humans": counts.get((t.id, "human"), 0),
                    "ai": counts.get((t.id, "ai"), 0),
                }
                for t in teams.get(loc.id, [])
            ]
            locs.append(
                {"id": str(loc.id), "code": loc.code, "name": loc.name, "timezone": loc.timezone, "teams": team_rows}
            )
        out.append({"id": str(region.id), "code": region.code, "name": region.name, "locations": locs})
    return out


def _grouped(rows: Iterable[Any], key: str) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = {}
    for row in rows:
        out.setdefault(getattr(row, key), []).append(row)
    return out


def agents_by_ids(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Agent]:
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(list(ids))))}


def customer_names(session: Session, org_id: uuid.UUID, refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The organisation's customers by reference: a customer id, or an external id a source system knows them by
    (one that several customers share names none of them). Each with its display name and "source:external_id"s."""
    refs = set(refs)
    ids = {str(i): i for i in parse_uuids(refs)}
    by_ref: dict[str, uuid.UUID] = {}
    if ids:
        found = set(
            session.scalars(select(Customer.id).where(Customer.org_id == org_id, Customer.id.in_(ids.values())))
        )
        by_ref |= {ref: i for ref, i in ids.items() if i in found}
    others = [r for r in refs if r not in ids]
    if others:
        hits: dict[str, set[uuid.UUID]] = {}
        rows = session.execute(
            select(CustomerIdentity.external_id, CustomerIdentity.customer_id).where(
                CustomerIdentity.org_id == org_id, CustomerIdentity.external_id.in_(others)
            )
        )
        for ext, cid in rows:
            hits.setdefault(ext, set()).add(cid)
        by_ref |= {ext: next(iter(cids)) for ext, cids in hits.items() if len(cids) == 1}
    if not by_ref:
        return {}
    wanted = set(by_ref.values())
    names = dict(session.execute(select(Customer.id, Customer.display_name).where(Customer.id.in_(wanted))).all())
    external: dict[uuid.UUID, list[str]] = {}
    identities = session.execute(
        select(CustomerIdentity.customer_id, CustomerIdentity.source, CustomerIdentity.external_id)
        .where(CustomerIdentity.org_id == org_id, CustomerIdentity.customer_id.in_(wanted))
        .order_by(CustomerIdentity.source, CustomerIdentity.external_id)
    )
    for cid, source, ext in identities:
        external.setdefault(cid, []).append(f"{source}:{ext}")
    return {
        ref: {"id": cid, "display_name": names.get(cid), "external_ids": external.get(cid, [])}
        for ref, cid in by_ref.items()
    }


def agent_names(session: Session, org_id: uuid.UUID, refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The organisation's agents by reference: an agent id or a directory code."""
    refs = set(refs)
    ids = {str(i): i for i in parse_uuids(refs)}
    out: dict[str, Agent] = {}
    if ids:
        rows = {
            a.id: a for a in session.scalars(select(Agent).where(Agent.org_id == org_id, Agent.id.in_(ids.values())))
        }
        out |= {ref: rows[i] for ref, i in ids.items() if i in rows}
    codes = [r for r in refs if r not in ids]
    if codes:
        out |= by_codes(session, Agent, org_id, codes)
    return {ref: {"id": a.id, "code": a.code, "name": a.name, "kind": a.kind} for ref, a in out.items()}
