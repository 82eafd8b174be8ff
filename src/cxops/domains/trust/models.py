"""ORM tables of the trust domain: ledger, routing policy, consent, memory, restricted originals, erasures."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class TrustPolicy(Base):
    """An organisation's routing policy and ledger parameters (defaults apply when absent)."""

    __tablename__ = "trust_policy"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), primary_key=True)
    max_poor: Mapped[int] = mapped_column(Integer, default=2)
    window_days: Mapped[int] = mapped_column(Integer, default=30)
    repeat_window_hours: Mapped[int] = mapped_column(Integer, default=72)
    negative_sentiment: Mapped[float] = mapped_column(Float, default=-0.3)
    half_life_days: Mapped[float] = mapped_column(Float, default=30.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrustExperience(Base):
    """One automated experience of a customer (poor or good), derived from an interaction or an action."""

    __tablename__ = "trust_experience"
    __table_args__ = (
        UniqueConstraint("org_id", "ref", "kind"),
        Index("ix_trust_experience_customer_time", "org_id", "customer_id", "occurred_at"),
        Index("ix_trust_experience_org_time", "org_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directory_customer.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    poor: Mapped[bool] = mapped_column(Boolean)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    intent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    queue_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    origin: Mapped[str] = mapped_column(String(20), default="interaction")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ConsentState(Base):
    """The current consent of a customer for one purpose, with the memory kinds it covers."""

    __tablename__ = "trust_consent"
    __table_args__ = (UniqueConstraint("org_id", "customer_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directory_customer.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(50))
    granted: Mapped[bool] = mapped_column(Boolean)
    scope: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentEvent(Base):
    """History: consent given or withdrawn, when, by whom and on which interaction."""

    __tablename__ = "trust_consent_event"
    __table_args__ = (Index("ix_trust_consent_event_customer", "org_id", "customer_id", "recorded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directory_customer.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(10))
    scope: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source_interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemoryItem(Base):
    """Something remembered about a customer, for one purpose, learnt in one interaction, kept until a date."""

    __tablename__ = "trust_memory_item"
    __table_args__ = (
        Index("ix_trust_memory_item_customer", "org_id", "customer_id", "purpose"),
        Index("ix_trust_memory_item_retain", "retain_until"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directory_customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    content: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(50))
    source_interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    consent_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime)


class OriginalText(Base):
    """Restricted store: a turn's text before redaction (only with CXOPS_PII_MODE=redact_keep_original)."""

    __tablename__ = "trust_original_text"

    interaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interaction.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Erasure(Base):
    """Tombstone of a data subject erasure: who asked, when, and how much was erased (no personal data)."""

    __tablename__ = "trust_erasure"
    __table_args__ = (UniqueConstraint("org_id", "customer_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
