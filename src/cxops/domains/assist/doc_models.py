"""ORM table of auto-documentation: one CRM-ready JSON document per ended interaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class AssistDocumentation(Base):
    """The documentation of one interaction (`document` follows schema cxops.documentation/1)."""

    __tablename__ = "assist_documentation"
    __table_args__ = (Index("ix_assist_documentation_org_started", "org_id", "interaction_started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"), unique=True)
    interaction_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    schema_version: Mapped[str] = mapped_column(String(40))
    intent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    generative_status: Mapped[str] = mapped_column(String(20))
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
