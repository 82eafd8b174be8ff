"""Consent and consented memory: stored and read only for a purpose the customer consented to."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from cxops.core.models import ApiKey
from cxops.domains.interactions.public import Interaction
from cxops.domains.trust import schemas
from cxops.domains.trust.models import ConsentEvent, ConsentState, MemoryItem
from cxops.domains.trust.service import require_customer


def check_purpose(purpose: str) -> None:
    """ValidationFailed unless `purpose` is in the catalogue (the message lists the valid ones)."""
    if purpose not in schemas.PURPOSES:
        raise ValidationFailed(
            f"unknown purpose {purpose!r}; expected one of {', '.join(sorted(schemas.PURPOSES))}", field="purpose"
        )


def _source(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, interaction_id: uuid.UUID) -> Interaction:
    row = session.get(Interaction, interaction_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"source interaction {interaction_id} not found", field="source_interaction_id")
    if row.customer_id != customer_id:
        raise ValidationFailed(
            f"source interaction {interaction_id} is not a contact of customer {customer_id}",
            field="source_interaction_id",
        )
    return row


def change_consent(
    session: Session,
    *,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    data: schemas.ConsentChange,
    recorded_by: uuid.UUID | None,
) -> tuple[ConsentState, int]:
    """Give or withdraw consent for a purpose, recording history; withdrawal erases that purpose's memory.

    Returns the new state and how many memory items were erased.
    """
    require_customer(session, org_id, customer_id)
    check_purpose(data.purpose)
    if data.source_interaction_id is not None:
        _source(session, org_id, customer_id, data.source_interaction_id)
    scope: list[str] = list(dict.fromkeys(data.scope)) if data.scope else list(schemas.MEMORY_KINDS)
    state = session.scalars(
        select(ConsentState).where(
            ConsentState.org_id == org_id, ConsentState.customer_id == customer_id, ConsentState.purpose == data.purpose
        )
    ).first()
    now = utcnow()
    if state is None:
        state = ConsentState(org_id=org_id, customer_id=customer_id, purpose=data.purpose)
        session.add(state)
    state.granted, state.scope, state.updated_at = data.granted, scope if data.granted else [], now
    session.add(
        ConsentEvent(
            org_id=org_id,
            customer_id=customer_id,
            purpose=data.purpose,
            action="granted" if data.granted else "withdrawn",
            scope=state.scope,
            source_interaction_id=data.source_interaction_id,
            recorded_by=recorded_by,
            recorded_at=now,
        )
    )
    # Withdrawal erases the purpose's memory; a narrower scope erases the kinds it no longer covers.
    erased = _erase_memory(session, org_id, customer_id, purpose=data.purpose, outside=scope if data.granted else None)
    session.flush()
    return state, erased


def _erase_memory(
    session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, *, purpose: str, outside: list[str] | None = None
) -> int:
    stmt = delete(MemoryItem).where(
        MemoryItem.org_id == org_id, MemoryItem.customer_id == customer_id, MemoryItem.purpose == purpose
    )
    if outside is not None:
        stmt = stmt.where(MemoryItem.kind.not_in(outside))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def consent_view(session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> schemas.ConsentView:
    """Current consents, their full history and the purpose catalogue."""
    require_customer(session, org_id, customer_id)
    states = session.scalars(
        select(ConsentState)
        .where(ConsentState.org_id == org_id, ConsentState.customer_id == customer_id)
        .order_by(ConsentState.purpose)
    ).all()
    history = session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.org_id == org_id, ConsentEvent.customer_id == customer_id)
        .order_by(ConsentEvent.recorded_at.desc())
        .limit(500)
    ).all()
    recorders = _recorders(session, org_id, {h.recorded_by for h in history if h.recorded_by is not None})
    return schemas.ConsentView(
        customer_id=customer_id,
        consents=[schemas.ConsentRead.model_validate(s) for s in states],
        history=[_event_read(h, recorders) for h in history],
        purposes=schemas.PURPOSES,
    )


def _recorders(session: Session, org_id: uuid.UUID, key_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Role and subject of the organisation's keys among `key_ids` (revoked ones too: they recorded history)."""
    if not key_ids:
        return {}
    rows = session.execute(
        select(ApiKey.id, ApiKey.role, ApiKey.subject).where(ApiKey.org_id == org_id, ApiKey.id.in_(key_ids))
    )
    return {key_id: (role, subject) for key_id, role, subject in rows}


def _event_read(event: ConsentEvent, recorders: dict[uuid.UUID, tuple[str, str | None]]) -> schemas.ConsentEventRead:
    role, subject = recorders.get(event.recorded_by, (None, None)) if event.recorded_by else (None, None)
    read = schemas.ConsentEventRead.model_validate(event)
    return read.model_copy(update={"recorded_by_role": role, "recorded_by_subject": subject})


def _granted(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, purpose: str) -> ConsentState | None:
    state = session.scalars(
        select(ConsentState).where(
            ConsentState.org_id == org_id, ConsentState.customer_id == customer_id, ConsentState.purpose == purpose
        )
    ).first()
    return state if state is not None and state.granted else None


def remember(
    session: Session,
    *,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    data: schemas.MemoryCreate,
    created_by: uuid.UUID | None,
) -> MemoryItem:
    """Store a memory item; needs a source interaction of the customer and consent covering purpose and kind."""
    require_customer(session, org_id, customer_id)
    check_purpose(data.purpose)
    if data.source_interaction_id is None:
        raise ValidationFailed(
            "source_interaction_id is required: every memory item must say which interaction it came from",
            field="source_interaction_id",
        )
    _source(session, org_id, customer_id, data.source_interaction_id)
    state = _granted(session, org_id, customer_id, data.purpose)
    if state is None:
        raise Conflict(f"customer {customer_id} has not consented to purpose {data.purpose!r}", field="purpose")
    if data.kind not in state.scope:
        raise Conflict(f"consent for {data.purpose!r} does not cover {data.kind!r} items", field="kind")
    last = session.scalars(
        select(ConsentEvent.id)
        .where(
            ConsentEvent.org_id == org_id,
            ConsentEvent.customer_id == customer_id,
            ConsentEvent.purpose == data.purpose,
            ConsentEvent.action == "granted",
        )
        .order_by(ConsentEvent.recorded_at.desc())
    ).first()
    now = utcnow()
    item = MemoryItem(
        org_id=org_id,
        customer_id=customer_id,
        kind=data.kind,
        content=data.content,
        purpose=data.purpose,
        source_interaction_id=data.source_interaction_id,
        reason=data.reason,
        consent_event_id=last,
        created_by=created_by,
        created_at=now,
        retain_until=now + timedelta(days=data.retain_days),
    )
    session.add(item)
    session.flush()
    return item


def recall(session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID, purpose: str) -> list[MemoryItem]:
    """Unexpired items for `purpose`, only if the customer consented to it (Forbidden otherwise)."""
    require_customer(session, org_id, customer_id)
    check_purpose(purpose)
    state = _granted(session, org_id, customer_id, purpose)
    if state is None:
        raise Forbidden(f"customer {customer_id} has not consented to purpose {purpose!r}; memory not readable")
    stmt = (
        select(MemoryItem)
        .where(
            MemoryItem.org_id == org_id,
            MemoryItem.customer_id == customer_id,
            MemoryItem.purpose == purpose,
            MemoryItem.kind.in_(state.scope),
            MemoryItem.retain_until > utcnow(),
        )
        .order_by(MemoryItem.created_at.desc())
        .limit(500)
    )
    return list(session.scalars(stmt))


def explain(session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID, item_id: uuid.UUID) -> schemas.MemoryWhy:
    """Why do we know this: purpose, reason, source interaction, the consent that allowed it, retention."""
    item = session.get(MemoryItem, item_id)
    if item is None or item.org_id != org_id or item.customer_id != customer_id:
        raise NotFound(f"memory item {item_id} not found", field="item_id")
    source = session.get(Interaction, item.source_interaction_id)
    consent = session.get(ConsentEvent, item.consent_event_id) if item.consent_event_id else None
    return schemas.MemoryWhy(
        id=item.id,
        purpose=item.purpose,
        purpose_description=schemas.PURPOSES.get(item.purpose, ""),
        reason=item.reason,
        source_interaction={
            "id": str(item.source_interaction_id),
            "channel": source.channel if source else None,
            "started_at": source.started_at.isoformat() if source else None,
        },
        consent=None
        if consent is None
        else {"action": consent.action, "recorded_at": consent.recorded_at.isoformat(), "scope": consent.scope},
        retain_until=item.retain_until,
    )


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete memory items past their retention date, in every organisation; returns how many."""
    result = session.execute(delete(MemoryItem).where(MemoryItem.retain_until <= (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
