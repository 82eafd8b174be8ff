"""ORM tables of the knowledge domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class KnowledgeSource(Base):
    """A repository of articles (folder, export file) with its owner, audience and review policy."""

    __tablename__ = "knowledge_source"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(1000))
    owner: Mapped[str] = mapped_column(String(200))
    audience_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    regions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tiers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    review_interval_days: Mapped[int] = mapped_column(Integer, default=180)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnowledgeArticle(Base):
    """The current version of an article; removed articles stay (status 'removed') for history."""

    __tablename__ = "knowledge_article"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_knowledge_article_org_status", "org_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_source.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(500))
    file: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="active")
    last_reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the source system says the content last changed (e.g. Zendesk's updated_at); None when it does not say
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def reviewed_at(self) -> datetime | None:
        """The latest real review (stated for its source or recorded since); None when nobody has reviewed it:
        `last_reviewed_at` then holds the first sync's time, from which its first review falls due."""
        return self.last_reviewed_at if self.last_reviewed_at != self.created_at else None


class KnowledgeArticleVersion(Base):
    """History: every added, changed or removed version of an article, in order."""

    __tablename__ = "knowledge_article_version"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_article.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    sync_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnowledgeChunk(Base):
    """A heading-aware passage of an article's current version, with its embedding (float32 bytes)."""

    __tablename__ = "knowledge_chunk"
    __table_args__ = (
        UniqueConstraint("article_id", "seq"),
        Index("ix_knowledge_chunk_org_hash", "org_id", "content_hash"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_article.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(32))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(100), nullable=True)


class KnowledgeSyncRun(Base):
    """One synchronisation of a source: counts of changes and the per-file errors."""

    __tablename__ = "knowledge_sync_run"
    __table_args__ = (Index("ix_knowledge_sync_run_org_started", "org_id", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_source.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class KnowledgeAttribution(Base):
    """An article shown to or used by an agent in an interaction (its outcome tells whether it resolved)."""

    __tablename__ = "knowledge_attribution"
    __table_args__ = (
        UniqueConstraint("interaction_id", "article_id", "usage"),
        Index("ix_knowledge_attribution_org_article", "org_id", "article_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_article.id", ondelete="CASCADE"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"))
    usage: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
