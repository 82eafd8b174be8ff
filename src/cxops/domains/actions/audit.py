"""The append-only, hash-chained audit log: append, verify, tombstone (for data-subject erasure)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.core.errors import NotFound
from cxops.core.models import Organisation
from cxops.domains.actions.compute.chain import GENESIS, Link, link_hash, payload_digest, verify_links
from cxops.domains.actions.models import AuditEntry


def append(
    session: Session, *, org_id: uuid.UUID, kind: str, payload: dict[str, Any], proposal_id: uuid.UUID | None = None
) -> AuditEntry:
    """Append one record to the organisation's chain (in the caller's transaction)."""
    # Serialise appends per organisation (PostgreSQL row lock on the organisation; SQLite has one writer).
    session.execute(select(Organisation.id).where(Organisation.id == org_id).with_for_update())
    last = session.scalars(
        select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    created = utcnow()
    digest = payload_digest(payload)
    pid = str(proposal_id) if proposal_id else None
    entry = AuditEntry(
        org_id=org_id,
        seq=seq,
        kind=kind,
        proposal_id=proposal_id,
        created_at=created,
        payload=payload,
        payload_digest=digest,
        prev_hash=prev,
        hash=link_hash(prev, seq, kind, pid, created, digest),
    )
    session.add(entry)
    session.flush()
    return entry


def _link(row: AuditEntry) -> Link:
    return Link(
        str(row.id),
        row.seq,
        row.kind,
        str(row.proposal_id) if row.proposal_id else None,
        row.created_at,
        row.payload,
        row.payload_digest,
        row.tombstoned,
        row.prev_hash,
        row.hash,
    )


def verify(session: Session, *, org_id: uuid.UUID) -> dict[str, Any]:
    """Walk the organisation's chain; names the first row that fails and why."""
    rows = session.scalars(select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)).all()
    ok, bad_id, detail = verify_links([_link(r) for r in rows])
    bad_seq = next((r.seq for r in rows if str(r.id) == bad_id), None)
    return {"ok": ok, "rows": len(rows), "first_bad_row": bad_id, "first_bad_seq": bad_seq, "detail": detail}


def tombstone(session: Session, *, org_id: uuid.UUID, entry_id: uuid.UUID, reason: str) -> AuditEntry:
    """Replace a row's payload by a tombstone (erasure); its digest stays, so the chain still verifies."""
    row = session.get(AuditEntry, entry_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"audit entry {entry_id} not found")
    row.payload = {"tombstone": True, "reason": reason[:200], "at": utcnow().isoformat()}
    row.tombstoned = True
    return row


def tombstone_customer(session: Session, *, org_id: uuid.UUID, customer_ref: str, reason: str) -> int:
    """Tombstone every audit payload that mentions `customer_ref`; returns how many rows."""
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.org_id == org_id, AuditEntry.tombstoned.is_(False))
    ).all()
    hit = [r for r in rows if customer_ref in str(r.payload)]
    for r in hit:
        tombstone(session, org_id=org_id, entry_id=r.id, reason=reason)
    return len(hit)
