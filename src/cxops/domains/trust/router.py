"""HTTP routes of the trust domain: ledger and routing advice, policy, index, consent, memory, privacy."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from cxops.core.auth import ADMINS, ALL_ROLES, MANAGERS, READERS, Principal, Role
from cxops.core.clock import utcnow
from cxops.core.web import DbSession, require
from cxops.domains.trust import access, memory, privacy, repository, schemas, service

router = APIRouter(prefix="/v1", tags=["trust"])
Reader = Annotated[Principal, Depends(require(READERS))]
#: A customer's trust data: every role; an agent only for the customers of their own contacts (`access`).
Anyone = Annotated[Principal, Depends(require(ALL_ROLES))]
Manager = Annotated[Principal, Depends(require(MANAGERS))]
Admin = Annotated[Principal, Depends(require(ADMINS))]
#: Who records consent and memory: people talking to the customer and the assistant's service key.
Recorder = Annotated[Principal, Depends(require(frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.SERVICE})))]
Purpose = Annotated[str, Query(min_length=1, max_length=50)]


@router.get("/customers/{customer_id}/routing-advice", response_model=schemas.RoutingAdvice)
def get_routing_advice(customer_id: uuid.UUID, session: DbSession, who: Anyone) -> Any:
    """Human first or automation, with the poor automated experiences that led to it."""
    access.visible_customer(session, who, customer_id)
    return service.routing_advice(session, org_id=who.org_id, customer_id=customer_id)


@router.get("/customers/{customer_id}/trust", response_model=schemas.LedgerRead)
def get_trust(customer_id: uuid.UUID, session: DbSession, who: Anyone) -> Any:
    """The customer's trust ledger and decaying trust score."""
    access.visible_customer(session, who, customer_id)
    return service.ledger(session, org_id=who.org_id, customer_id=customer_id)


@router.get("/trust/policy", response_model=schemas.PolicyRead)
def get_policy(session: DbSession, who: Reader) -> Any:
    """The routing policy in force."""
    return repository.load_policy(session, who.org_id)


@router.put("/trust/policy", response_model=schemas.PolicyRead)
def put_policy(data: schemas.PolicyUpdate, session: DbSession, who: Manager) -> Any:
    """Replace the routing policy."""
    return service.set_policy(session, org_id=who.org_id, data=data)


@router.get("/trust/index", response_model=list[schemas.IndexPoint])
def get_index(
    session: DbSession,
    who: Reader,
    group_by: Literal["queue", "team", "region"] = "queue",
    bucket: Literal["day", "week"] = "week",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    """Trust index over time per queue, team or region (default: the last 12 weeks)."""
    until = until or utcnow()
    since = since or until - timedelta(weeks=12)
    return service.index(session, org_id=who.org_id, group_by=group_by, since=since, until=until, bucket=bucket)


@router.get("/customers/{customer_id}/consents", response_model=schemas.ConsentView)
def get_consents(customer_id: uuid.UUID, session: DbSession, who: Anyone) -> Any:
    """Current consents per purpose and their history, each change with who recorded it."""
    access.visible_customer(session, who, customer_id)
    return memory.consent_view(session, org_id=who.org_id, customer_id=customer_id)


@router.post("/customers/{customer_id}/consents", response_model=schemas.ConsentRead)
def post_consent(customer_id: uuid.UUID, data: schemas.ConsentChange, session: DbSession, who: Recorder) -> Any:
    """Record consent given or withdrawn for a purpose (withdrawal erases that purpose's memory). An agent records
    it from one of their own interactions with the customer (`source_interaction_id` required)."""
    access.check_source(session, who, customer_id, data.source_interaction_id)
    state, _ = memory.change_consent(
        session, org_id=who.org_id, customer_id=customer_id, data=data, recorded_by=who.key_id
    )
    return state


@router.post("/customers/{customer_id}/memory", response_model=schemas.MemoryRead, status_code=201)
def post_memory(customer_id: uuid.UUID, data: schemas.MemoryCreate, session: DbSession, who: Recorder) -> Any:
    """Remember something, with its purpose, source interaction, reason and retention (for an agent, a source
    interaction they took part in)."""
    access.check_source(session, who, customer_id, data.source_interaction_id)
    return memory.remember(session, org_id=who.org_id, customer_id=customer_id, data=data, created_by=who.key_id)


@router.get("/customers/{customer_id}/memory", response_model=list[schemas.MemoryRead])
def get_memory(customer_id: uuid.UUID, purpose: Purpose, session: DbSession, who: Anyone) -> Any:
    """Memory items for one purpose; refused unless the customer consented to it."""
    access.visible_customer(session, who, customer_id)
    return memory.recall(session, org_id=who.org_id, customer_id=customer_id, purpose=purpose)


@router.get("/customers/{customer_id}/memory/{item_id}/why", response_model=schemas.MemoryWhy)
def get_memory_why(customer_id: uuid.UUID, item_id: uuid.UUID, session: DbSession, who: Anyone) -> Any:
    """Why do we know this."""
    access.visible_customer(session, who, customer_id)
    return memory.explain(session, org_id=who.org_id, customer_id=customer_id, item_id=item_id)


@router.get("/customers/{customer_id}/export")
def get_export(customer_id: uuid.UUID, session: DbSession, who: Admin) -> dict[str, Any]:
    """Data subject access export: everything held about the customer."""
    return privacy.export_subject(session, org_id=who.org_id, customer_id=customer_id)


@router.post("/customers/{customer_id}/erasure", response_model=schemas.ErasureRead)
def post_erasure(customer_id: uuid.UUID, session: DbSession, who: Admin) -> Any:
    """Erase the customer's personal data; repeating it returns the first erasure (idempotent)."""
    return privacy.erase_subject(session, org_id=who.org_id, customer_id=customer_id, requested_by=who.key_id)


@router.get("/interactions/{interaction_id}/originals", response_model=list[schemas.OriginalRead])
def get_originals(interaction_id: uuid.UUID, session: DbSession, who: Admin) -> Any:
    """Unredacted turn text from the restricted store (admins only)."""
    return privacy.originals(session, org_id=who.org_id, interaction_id=interaction_id)
