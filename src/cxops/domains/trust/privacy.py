"""Privacy: the ingestion redactor (Redactor port of interactions), the restricted store of originals,
data subject access export and erasure."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cxops.contracts.events import CustomerErased
from cxops.core.clock import utcnow
from cxops.core.errors import NotFound
from cxops.core.events import emit
from cxops.domains.directory.public import CustomerIdentity
from cxops.domains.interactions.public import Interaction, Turn
from cxops.domains.trust import repository as repo
from cxops.domains.trust import schemas
from cxops.domains.trust.compute import pii
from cxops.domains.trust.models import (
    ConsentEvent,
    ConsentState,
    Erasure,
    MemoryItem,
    OriginalText,
    TrustExperience,
)
from cxops.domains.trust.ports import NameFinder

log = logging.getLogger(__name__)
ERASED_TEXT = "[ERASED]"
EVENT_CHUNK = 10_000


class PiiRedactor:
    """Implements the interactions Redactor port; keeps originals only in `redact_keep_original` mode."""

    def __init__(
        self, *, keep_original: bool = False, regions: tuple[str, ...] = ("US", "GB"), names: NameFinder | None = None
    ) -> None:
        self.keep_original = keep_original
        self.regions = regions
        self.names = names

    def redact(self, text: str) -> str:
        """The text with personal data replaced by typed placeholders such as [EMAIL]."""
        return pii.redact(text, pii.detect(text, regions=self.regions, names=self.names))

    def keep_originals(
        self, session: Session, *, org_id: uuid.UUID, interaction_id: uuid.UUID, originals: list[tuple[int, str]]
    ) -> None:
        """Store (turn seq, original text) in the restricted store, replacing earlier versions."""
        if not self.keep_original:
            return
        session.execute(delete(OriginalText).where(OriginalText.interaction_id == interaction_id))
        now = utcnow()
        session.add_all(
            OriginalText(interaction_id=interaction_id, seq=seq, org_id=org_id, text=text, stored_at=now)
            for seq, text in originals
        )


def originals(session: Session, *, org_id: uuid.UUID, interaction_id: uuid.UUID) -> list[schemas.OriginalRead]:
    """The unredacted turns kept for an interaction (restricted: the router allows admins only)."""
    row = session.get(Interaction, interaction_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"interaction {interaction_id} not found", field="interaction_id")
    rows = session.scalars(
        select(OriginalText).where(OriginalText.interaction_id == interaction_id).order_by(OriginalText.seq)
    )
    return [schemas.OriginalRead(seq=r.seq, text=r.text) for r in rows]


def _customer(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID) -> Any:
    customer = repo.customer_or_none(session, org_id, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found", field="customer_id")
    return customer


def _interaction_ids(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(Interaction.id).where(Interaction.org_id == org_id, Interaction.customer_id == customer_id)
    return list(session.scalars(stmt.order_by(Interaction.started_at)))


def _rows(session: Session, model: Any, org_id: uuid.UUID, customer_id: uuid.UUID) -> list[Any]:
    return list(session.scalars(select(model).where(model.org_id == org_id, model.customer_id == customer_id)))


def _plain(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = (
            value.isoformat() if hasattr(value, "isoformat") else str(value) if isinstance(value, uuid.UUID) else value
        )
    return out


def export_subject(session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any]:
    """Everything cxops holds about a customer (data subject access request)."""
    customer = _customer(session, org_id, customer_id)
    ids = _interaction_ids(session, org_id, customer_id)
    turns: dict[uuid.UUID, list[dict[str, Any]]] = {}
    kept: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for t in session.scalars(select(Turn).where(Turn.interaction_id.in_(chunk)).order_by(Turn.seq)):
            turns.setdefault(t.interaction_id, []).append({"seq": t.seq, "speaker": t.speaker, "text": t.text})
        for o in session.scalars(select(OriginalText).where(OriginalText.interaction_id.in_(chunk))):
            kept.setdefault(o.interaction_id, []).append({"seq": o.seq, "text": o.text})
    interactions = []
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for row in session.scalars(select(Interaction).where(Interaction.id.in_(chunk))):
            item = _plain(row, ("id", "channel", "started_at", "ended_at", "intent", "outcome", "csat", "attributes"))
            interactions.append({**item, "turns": turns.get(row.id, []), "original_turns": kept.get(row.id, [])})
    erasure = session.scalars(
        select(Erasure).where(Erasure.org_id == org_id, Erasure.customer_id == customer_id)
    ).first()
    return {
        "customer": _plain(customer, ("id", "display_name", "tier", "region", "attributes", "created_at")),
        "identities": [
            _plain(i, ("source", "external_id")) for i in _rows(session, CustomerIdentity, org_id, customer_id)
        ],
        "interactions": interactions,
        "memory": [
            _plain(
                m, ("id", "kind", "content", "purpose", "source_interaction_id", "reason", "created_at", "retain_until")
            )
            for m in _rows(session, MemoryItem, org_id, customer_id)
        ],
        "consents": [
            _plain(c, ("purpose", "granted", "scope", "updated_at"))
            for c in _rows(session, ConsentState, org_id, customer_id)
        ],
        "consent_history": [
            _plain(e, ("purpose", "action", "scope", "recorded_at"))
            for e in _rows(session, ConsentEvent, org_id, customer_id)
        ],
        "trust_ledger": [
            _plain(x, ("kind", "occurred_at", "interaction_id", "intent", "origin"))
            for x in _rows(session, TrustExperience, org_id, customer_id)
        ],
        "erasure": None if erasure is None else _plain(erasure, ("id", "erased_at", "counts")),
        "exported_at": utcnow().isoformat(),
    }


def erase_subject(
    session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID, requested_by: uuid.UUID | None
) -> schemas.ErasureRead:
    """Erase a customer's personal data (idempotent: a second request returns the first tombstone).

    Turn text becomes [ERASED]; originals, memory, consents, ledger and identities are deleted; the
    customer row stays as an anonymous tombstone; `trust.customer_erased` tells other domains (attributions,
    audit chain) to erase theirs and append a tombstone.
    """
    done = session.scalars(select(Erasure).where(Erasure.org_id == org_id, Erasure.customer_id == customer_id)).first()
    if done is not None:
        return schemas.ErasureRead.model_validate(done).model_copy(update={"already_erased": True})
    customer = _customer(session, org_id, customer_id)
    ids = _interaction_ids(session, org_id, customer_id)
    refs = [str(customer_id), *(i.external_id for i in _rows(session, CustomerIdentity, org_id, customer_id))]
    counts = {"interactions": len(ids), "turns": 0, "original_turns": 0}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        counts["turns"] += _count(
            session.execute(update(Turn).where(Turn.interaction_id.in_(chunk)).values(text=ERASED_TEXT))
        )
        session.execute(update(Interaction).where(Interaction.id.in_(chunk)).values(attributes={}, documentation=None))
        counts["original_turns"] += _count(
            session.execute(delete(OriginalText).where(OriginalText.interaction_id.in_(chunk)))
        )
    for name, model in (
        ("memory_items", MemoryItem),
        ("consents", ConsentState),
        ("consent_events", ConsentEvent),
        ("ledger_entries", TrustExperience),
        ("identities", CustomerIdentity),
    ):
        counts[name] = _count(
            session.execute(delete(model).where(model.org_id == org_id, model.customer_id == customer_id))
        )
    customer.display_name = None
    customer.attributes = {"erased": True}
    erasure = Erasure(
        org_id=org_id, customer_id=customer_id, requested_by=requested_by, erased_at=utcnow(), counts=counts
    )
    session.add(erasure)
    session.flush()
    for start in range(0, max(len(ids), 1), EVENT_CHUNK):
        chunk_ids = [str(i) for i in ids[start : start + EVENT_CHUNK]]
        emit(
            session,
            org_id=org_id,
            event=CustomerErased(
                customer_id=str(customer_id),
                erasure_id=str(erasure.id),
                interaction_ids=chunk_ids,
                customer_refs=refs[:1000],
            ),
        )
    log.info("data subject erased", extra={"erasure_id": str(erasure.id), "interactions": len(ids)})
    return schemas.ErasureRead.model_validate(erasure)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
