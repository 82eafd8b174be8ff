"""ORM tables of the QA domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class QaScorecard(Base):
    """One version of a scorecard; exactly one version per name is active."""

    __tablename__ = "qa_scorecard"
    __table_args__ = (UniqueConstraint("org_id", "name", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QaEvaluation(Base):
    """An automatic evaluation of one interaction by one scorecard version, with its evidence."""

    __tablename__ = "qa_evaluation"
    __table_args__ = (
        UniqueConstraint("interaction_id", "scorecard_id"),
        Index("ix_qa_evaluation_org_agent", "org_id", "agent_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    scorecard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("qa_scorecard.id", ondelete="CASCADE"))
    scorecard_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    agent_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    total: Mapped[float] = mapped_column(Float)
    auto_failed: Mapped[bool] = mapped_column(Boolean)
    sections: Mapped[dict[str, Any]] = mapped_column(JSONType)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QaHumanEvaluation(Base):
    """A human evaluator's verdict on one criterion of one interaction (for calibration)."""

    __tablename__ = "qa_human_evaluation"
    __table_args__ = (UniqueConstraint("org_id", "interaction_id", "evaluator", "criterion"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    evaluator: Mapped[str] = mapped_column(String(200))
    criterion: Mapped[str] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QaDispute(Base):
    """An agent's dispute of one criterion of an evaluation, decided by a supervisor; history kept."""

    __tablename__ = "qa_dispute"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), index=True)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("qa_evaluation.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | upheld | rejected
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
