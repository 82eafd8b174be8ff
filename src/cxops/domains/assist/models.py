"""ORM tables of real-time assist (streaming part): the alerts raised on live interactions and the knowledge articles
a live call's desk was shown and used."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class AssistAlert(Base):
    """A supervisor alert raised on a live interaction (sentiment drop, escalation risk, silence, compliance)."""

    __tablename__ = "assist_alert"
    __table_args__ = (
        Index("ix_assist_alert_org_raised", "org_id", "raised_at"),
        Index("ix_assist_alert_interaction", "interaction_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(String(500))
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssistLiveArticle(Base):
    """A knowledge article suggested to (`kind` shown) or used by (`kind` used) the desk of a live interaction.

    The state of open calls only, so a call resumed by another process (or after a restart) keeps what it was shown
    and may still mark those articles used: written by the batched writer with insert-ignore on the primary key (a
    resend or two processes never add a row twice), loaded when a call is opened or attached, and deleted in the
    transaction that ends the interaction and publishes them as `assist.articles_shown`. `position` is the order
    within its kind (the first MAX_ARTICLES distinct articles of the call).
    """

    __tablename__ = "assist_live_article"
    __table_args__ = (PrimaryKeyConstraint("interaction_id", "kind", "article_id"),)

    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # shown | used
    article_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
