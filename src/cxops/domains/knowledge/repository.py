"""Queries of the knowledge domain."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cxops.domains.interactions.public import Interaction, Turn
from cxops.domains.knowledge.models import (
    KnowledgeArticle,
    KnowledgeArticleVersion,
    KnowledgeAttribution,
    KnowledgeChunk,
    KnowledgeSource,
    KnowledgeSyncRun,
)


def sources(session: Session, org_id: uuid.UUID) -> list[KnowledgeSource]:
    return list(
        session.scalars(select(KnowledgeSource).where(KnowledgeSource.org_id == org_id).order_by(KnowledgeSource.name))
    )


def source_by_name(session: Session, org_id: uuid.UUID, name: str) -> KnowledgeSource | None:
    stmt = select(KnowledgeSource).where(KnowledgeSource.org_id == org_id, KnowledgeSource.name == name)
    return session.scalars(stmt).first()


def articles_of_source(session: Session, source_id: uuid.UUID) -> dict[str, KnowledgeArticle]:
    """Articles of a source (any status) by external id."""
    rows = session.scalars(select(KnowledgeArticle).where(KnowledgeArticle.source_id == source_id))
    return {a.external_id: a for a in rows}


def active_articles(session: Session, org_id: uuid.UUID) -> list[KnowledgeArticle]:
    stmt = select(KnowledgeArticle).where(KnowledgeArticle.org_id == org_id, KnowledgeArticle.status == "active")
    return list(session.scalars(stmt.order_by(KnowledgeArticle.id)))


def vectors_by_hash(session: Session, org_id: uuid.UUID, hashes: Sequence[str], model_id: str) -> dict[str, bytes]:
    """Stored embeddings of chunk texts already seen in the organisation, by content hash."""
    out: dict[str, bytes] = {}
    wanted = list(set(hashes))
    for start in range(0, len(wanted), 500):
        stmt = select(KnowledgeChunk.content_hash, KnowledgeChunk.embedding).where(
            KnowledgeChunk.org_id == org_id,
            KnowledgeChunk.content_hash.in_(wanted[start : start + 500]),
            KnowledgeChunk.model_id == model_id,
            KnowledgeChunk.embedding.is_not(None),
        )
        out.update({h: e for h, e in session.execute(stmt) if e is not None})
    return out


def delete_chunks(session: Session, article_ids: Sequence[uuid.UUID]) -> None:
    for start in range(0, len(article_ids), 500):
        batch = list(article_ids[start : start + 500])
        for chunk in session.scalars(select(KnowledgeChunk).where(KnowledgeChunk.article_id.in_(batch))):
            session.delete(chunk)


def index_rows(session: Session, org_id: uuid.UUID) -> list[Any]:
    """Every chunk of active articles with what the index and citations need, in a stable order."""
    stmt = (
        select(
            KnowledgeChunk.id,
            KnowledgeChunk.article_id,
            KnowledgeChunk.text,
            KnowledgeChunk.section,
            KnowledgeChunk.embedding,
            KnowledgeChunk.model_id,
            KnowledgeArticle.title,
            KnowledgeSource.audience_roles,
            KnowledgeSource.regions,
            KnowledgeSource.tiers,
        )
        .join(KnowledgeArticle, KnowledgeArticle.id == KnowledgeChunk.article_id)
        .join(KnowledgeSource, KnowledgeSource.id == KnowledgeArticle.source_id)
        .where(KnowledgeChunk.org_id == org_id, KnowledgeArticle.status == "active")
        .order_by(KnowledgeChunk.article_id, KnowledgeChunk.seq)
    )
    return list(session.execute(stmt))


def generation(session: Session, org_id: uuid.UUID) -> str:
    """Identity of the organisation's indexed content: the newest sync run and the source settings."""
    last = session.scalar(
        select(KnowledgeSyncRun.id)
        .where(KnowledgeSyncRun.org_id == org_id)
        .order_by(KnowledgeSyncRun.started_at.desc())
        .limit(1)
    )
    acl = session.execute(
        select(KnowledgeSource.id, KnowledgeSource.audience_roles, KnowledgeSource.regions, KnowledgeSource.tiers)
        .where(KnowledgeSource.org_id == org_id)
        .order_by(KnowledgeSource.id)
    ).all()
    digest = hashlib.sha256(repr([tuple(map(str, r)) for r in acl]).encode()).hexdigest()[:12]
    return f"{last}|{digest}"


def article_audiences(session: Session, org_id: uuid.UUID) -> list[Any]:
    """(article id, roles, regions, tiers) of every active article: its source's audience."""
    return list(
        session.execute(
            select(KnowledgeArticle.id, KnowledgeSource.audience_roles, KnowledgeSource.regions, KnowledgeSource.tiers)
            .join(KnowledgeSource, KnowledgeSource.id == KnowledgeArticle.source_id)
            .where(KnowledgeArticle.org_id == org_id, KnowledgeArticle.status == "active")
        ).all()
    )


def last_review(session: Session, org_id: uuid.UUID) -> str:
    """The latest review recorded in the organisation and the sources' review intervals (reviews change citations
    and which of two conflicting articles is the newer; an interval moves the articles' due dates, so which are
    overdue; neither changes the index)."""
    reviewed = session.scalar(
        select(func.max(KnowledgeArticle.last_reviewed_at)).where(KnowledgeArticle.org_id == org_id)
    )
    intervals = session.execute(
        select(KnowledgeSource.id, KnowledgeSource.review_interval_days)
        .where(KnowledgeSource.org_id == org_id)
        .order_by(KnowledgeSource.id)
    ).all()
    digest = hashlib.sha256(repr([tuple(map(str, r)) for r in intervals]).encode()).hexdigest()[:12]
    return f"{reviewed.isoformat() if reviewed else ''}|{digest}"


def citation_rows(session: Session, chunk_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Chunk id -> (chunk, article, source) for building citations."""
    if not chunk_ids:
        return {}
    stmt = (
        select(KnowledgeChunk, KnowledgeArticle, KnowledgeSource)
        .join(KnowledgeArticle, KnowledgeArticle.id == KnowledgeChunk.article_id)
        .join(KnowledgeSource, KnowledgeSource.id == KnowledgeArticle.source_id)
        .where(KnowledgeChunk.id.in_(list(chunk_ids)))
    )
    return {row[0].id: row for row in session.execute(stmt)}


def sync_runs(session: Session, org_id: uuid.UUID, source_id: uuid.UUID, limit: int = 20) -> list[KnowledgeSyncRun]:
    stmt = (
        select(KnowledgeSyncRun)
        .where(KnowledgeSyncRun.org_id == org_id, KnowledgeSyncRun.source_id == source_id)
        .order_by(KnowledgeSyncRun.started_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def article_resolution(session: Session, org_id: uuid.UUID) -> list[dict[str, Any]]:
    """Per article: interactions it was shown/used in, how many resolved, and the resolution rate."""
    resolved = func.count(func.distinct(case((Interaction.outcome == "resolved", Interaction.id))))
    stmt = (
        select(
            KnowledgeAttribution.article_id,
            KnowledgeArticle.title,
            func.count(func.distinct(KnowledgeAttribution.interaction_id)),
            resolved,
        )
        .join(Interaction, Interaction.id == KnowledgeAttribution.interaction_id)
        .join(KnowledgeArticle, KnowledgeArticle.id == KnowledgeAttribution.article_id)
        .where(KnowledgeAttribution.org_id == org_id)
        .group_by(KnowledgeAttribution.article_id, KnowledgeArticle.title)
    )
    out: list[dict[str, Any]] = []
    for article_id, title, n, res in session.execute(stmt):
        rate = round(int(res or 0) / int(n), 3) if n else None
        out.append({"article_id": article_id, "title": title, "interactions": int(n), "resolved": int(res or 0)})
        out[-1]["resolution_rate"] = rate
    return sorted(
        out, key=lambda r: (r["resolution_rate"] if r["resolution_rate"] is not None else 1.0, -r["interactions"])
    )


def recent_intents(session: Session, org_id: uuid.UUID, limit: int = 200) -> list[tuple[str, int]]:
    """Intents seen in the organisation's interactions with their counts, most frequent first."""
    stmt = (
        select(Interaction.intent, func.count())
        .where(Interaction.org_id == org_id, Interaction.intent.is_not(None))
        .group_by(Interaction.intent)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(str(i), int(n)) for i, n in session.execute(stmt)]


def interactions_watermark(session: Session, org_id: uuid.UUID) -> tuple[int, str]:
    """Changes whenever the organisation's interactions do (one more, or a newer one): count and newest start."""
    count, newest = session.execute(
        select(func.count(), func.max(Interaction.started_at)).where(Interaction.org_id == org_id)
    ).one()
    return int(count or 0), str(newest)


def intent_questions(
    session: Session, org_id: uuid.UUID, *, intents: Sequence[str], since: datetime, per_intent: int
) -> dict[str, list[str]]:
    """Per intent, the first customer turn of its newest `per_intent` contacts started since `since`."""
    picked: dict[uuid.UUID, str] = {}
    for intent in intents:
        stmt = (
            select(Interaction.id)
            .where(Interaction.org_id == org_id, Interaction.intent == intent, Interaction.started_at >= since)
            .order_by(Interaction.started_at.desc())
            .limit(per_intent)
        )
        picked.update({i: intent for i in session.scalars(stmt)})
    out: dict[str, list[str]] = {}
    for interaction_id, text in first_customer_turns(session, list(picked)).items():
        out.setdefault(picked[interaction_id], []).append(text)
    return out


def first_customer_turns(session: Session, interaction_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The first customer turn of each interaction that has a non-blank one: what the customer asked."""
    first: dict[uuid.UUID, str] = {}
    ids = list(interaction_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Turn.interaction_id, Turn.text)
            .where(Turn.interaction_id.in_(ids[start : start + 500]), Turn.speaker == "customer")
            .order_by(Turn.interaction_id, Turn.seq.desc())
        )
        first.update({i: text for i, text in rows})  # descending seq: the first turn is written last
    return {i: text for i, text in first.items() if text and text.strip()}


def article_history(session: Session, article_id: uuid.UUID) -> list[KnowledgeArticleVersion]:
    """Every recorded version of an article, oldest first."""
    stmt = select(KnowledgeArticleVersion).where(KnowledgeArticleVersion.article_id == article_id)
    return list(session.scalars(stmt.order_by(KnowledgeArticleVersion.version)))
