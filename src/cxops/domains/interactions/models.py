"""ORM tables of the interactions domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class Interaction(Base):
    """One contact on one channel, from arrival to end, possibly across AI and human agents."""

    __tablename__ = "interaction"
    __table_args__ = (
        UniqueConstraint("org_id", "source", "external_id"),
        Index("ix_interaction_org_started", "org_id", "started_at"),
        Index("ix_interaction_customer_started", "customer_id", "started_at"),
        # A customer's contacts on one intent (the trust ledger's repeat contacts): with two equality columns SQLite
        # picks it without statistics, where it otherwise took the org index and scanned every contact.
        Index("ix_interaction_customer_intent_started", "customer_id", "intent", "started_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(20))
    queue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("directory_queue.id"), nullable=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("directory_customer.id"), nullable=True)
    primary_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("directory_agent.id"), nullable=True, index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("directory_team.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    talk_s: Mapped[float] = mapped_column(Float, default=0)
    hold_s: Mapped[float] = mapped_column(Float, default=0)
    wrap_s: Mapped[float] = mapped_column(Float, default=0)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(200), nullable=True)
    intent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    csat: Mapped[int | None] = mapped_column(Integer, nullable=True)
    survey_answered: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(16), default="en")
    ai_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    handed_off: Mapped[bool] = mapped_column(Boolean, default=False)
    turn_count: Mapped[int] = mapped_column(Integer, default=0)
    sentiment_start: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment_end: Mapped[float | None] = mapped_column(Float, nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    documentation: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    tags: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InteractionParticipant(Base):
    """An agent (human or AI) in an interaction, in joining order; hand-offs are explicit."""

    __tablename__ = "interaction_participant"

    interaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interaction.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directory_agent.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(20))
    joined_offset_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Turn(Base):
    """One utterance or message, in order."""

    __tablename__ = "interaction_turn"

    interaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interaction.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    speaker: Mapped[str] = mapped_column(String(10))
    offset_ms: Mapped[int] = mapped_column(Integer)
    end_offset_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)


class AgentStateEvent(Base):
    """An agent entered a state at a time; the next event for the agent ends it."""

    __tablename__ = "interaction_agent_state_event"
    __table_args__ = (
        UniqueConstraint("org_id", "agent_id", "started_at", "state"),
        Index("ix_interaction_agent_state_event_org_time", "org_id", "started_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directory_agent.id"))
    state: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(100))
