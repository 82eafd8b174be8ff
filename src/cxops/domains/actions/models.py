"""ORM tables of the actions domain: proposals (with idempotency and approval), breakers, the audit chain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class ActionProposal(Base):
    """One proposed action (one or more steps), its decision, approval and execution outcome."""

    __tablename__ = "actions_proposal"
    __table_args__ = (
        UniqueConstraint("org_id", "idempotency_key"),
        Index("ix_actions_proposal_org_created", "org_id", "created_at"),
        Index("ix_actions_proposal_org_status", "org_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_digest: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    context: Mapped[dict[str, Any]] = mapped_column(JSONType)
    customer_ref: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    actor_key_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_ref: Mapped[str] = mapped_column(String(200), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    pack_version: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    review_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the recovery sweep's failed attempts to resume an interrupted execution, and when it may try again
    recovery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    recovery_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ActionBreaker(Base):
    """A kill switch for one action type or one AI agent; open = blocked."""

    __tablename__ = "actions_breaker"
    __table_args__ = (UniqueConstraint("org_id", "scope", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class AuditEntry(Base):
    """An append-only, hash-chained audit record.

    hash = SHA-256(prev_hash | seq | kind | proposal_id | created_at | payload_digest); the payload itself is
    covered through its digest, so a data-subject erasure can replace it by a tombstone without breaking the
    chain (verify then checks the digest only for rows not tombstoned).
    """

    __tablename__ = "actions_audit"
    __table_args__ = (UniqueConstraint("org_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    payload_digest: Mapped[str] = mapped_column(String(64))
    tombstoned: Mapped[bool] = mapped_column(Boolean, default=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
