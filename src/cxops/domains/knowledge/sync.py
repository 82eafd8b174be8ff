"""Synchronising a source: read it, diff by content hash, record history, re-chunk and embed what changed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.domains.knowledge import repository
from cxops.domains.knowledge.compute.chunking import chunk_body, content_hash
from cxops.domains.knowledge.compute.connectors import ParsedDoc, read_source
from cxops.domains.knowledge.models import (
    KnowledgeArticle,
    KnowledgeArticleVersion,
    KnowledgeChunk,
    KnowledgeSource,
    KnowledgeSyncRun,
)
from cxops.domains.knowledge.ports import Embedder


@dataclass(slots=True)
class _Diff:
    added: list[ParsedDoc] = field(default_factory=list)
    changed: list[tuple[KnowledgeArticle, ParsedDoc]] = field(default_factory=list)
    removed: list[KnowledgeArticle] = field(default_factory=list)
    unchanged: int = 0


def _doc_hash(doc: ParsedDoc) -> str:
    return content_hash(doc.title, doc.body)


def _diff(existing: dict[str, KnowledgeArticle], docs: list[ParsedDoc], failed_files: set[str]) -> _Diff:
    diff = _Diff()
    seen: set[str] = set()
    for doc in docs:
        seen.add(doc.external_id)
        row = existing.get(doc.external_id)
        if row is None:
            diff.added.append(doc)
        elif row.content_hash != _doc_hash(doc) or row.status != "active":
            diff.changed.append((row, doc))
        else:
            diff.unchanged += 1
            if doc.updated_at is not None and row.source_updated_at != doc.updated_at:
                row.source_updated_at = doc.updated_at  # the source's stated date, not a content change
    for ext_id, row in existing.items():
        # a file that failed this time keeps its previous articles: an error is not a deletion
        if ext_id not in seen and row.status == "active" and row.file not in failed_files:
            diff.removed.append(row)
    return diff


def _dedupe(docs: list[ParsedDoc], errors: list[dict[str, str]]) -> list[ParsedDoc]:
    by_id: dict[str, ParsedDoc] = {}
    for doc in docs:
        if doc.external_id in by_id:
            errors.append({"file": doc.file, "message": f"duplicate article id {doc.external_id!r}; first one kept"})
            continue
        by_id[doc.external_id] = doc
    return list(by_id.values())


def _version(session: Session, row: KnowledgeArticle, change: str, run_id: uuid.UUID) -> None:
    session.add(
        KnowledgeArticleVersion(
            org_id=row.org_id,
            article_id=row.id,
            version=row.version,
            change=change,
            content_hash=row.content_hash,
            title=row.title,
            body=row.body,
            sync_run_id=run_id,
        )
    )


def _chunk_rows(article: KnowledgeArticle) -> list[KnowledgeChunk]:
    rows = []
    for chunk in chunk_body(article.body):
        text = chunk.indexed_text(article.title)
        rows.append(
            KnowledgeChunk(
                org_id=article.org_id,
                article_id=article.id,
                seq=chunk.seq,
                section=chunk.section[:500],
                text=text,
                content_hash=content_hash(text),
            )
        )
    return rows


def embed_chunks(session: Session, org_id: uuid.UUID, chunks: list[KnowledgeChunk], embedder: Embedder | None) -> int:
    """Fill chunk embeddings, reusing stored vectors by content hash; returns how many were computed."""
    if embedder is None or not chunks:
        return 0
    known = repository.vectors_by_hash(session, org_id, [c.content_hash for c in chunks], embedder.model_id)
    todo = [c for c in chunks if c.content_hash not in known]
    fresh: dict[str, bytes] = {}
    if todo:
        texts = list({c.content_hash: c.text for c in todo}.items())
        vectors = embedder.encode([t for _, t in texts])
        fresh = {h: np.asarray(v, dtype=np.float32).tobytes() for (h, _), v in zip(texts, vectors, strict=True)}
    for c in chunks:
        c.embedding = known.get(c.content_hash) or fresh[c.content_hash]
        c.model_id = embedder.model_id
    return len(fresh)


def _apply(session: Session, source: KnowledgeSource, diff: _Diff, run_id: uuid.UUID) -> list[KnowledgeArticle]:
    """Write added, changed and removed articles with a history row each; returns those to re-chunk."""
    now = utcnow()
    reviewed = source.last_reviewed_at or now
    due = reviewed + timedelta(days=source.review_interval_days)
    touched: list[KnowledgeArticle] = []
    for doc in diff.added:
        row = KnowledgeArticle(
            id=uuid.uuid4(), org_id=source.org_id, source_id=source.id, external_id=doc.external_id[:500],
            file=doc.file[:1000], title=doc.title[:500], body=doc.body, content_hash=_doc_hash(doc),
            version=1, status="active", last_reviewed_at=reviewed, review_due_at=due, created_at=now, updated_at=now,
            source_updated_at=doc.updated_at,
        )  # fmt: skip
        session.add(row)
        _version(session, row, "added", run_id)
        touched.append(row)
    for row, doc in diff.changed:
        row.title, row.body, row.file = doc.title[:500], doc.body, doc.file[:1000]
        row.content_hash, row.version, row.status, row.updated_at = _doc_hash(doc), row.version + 1, "active", now
        row.source_updated_at = doc.updated_at
        _version(session, row, "changed", run_id)
        touched.append(row)
    for row in diff.removed:
        row.status, row.version, row.updated_at = "removed", row.version + 1, now
        _version(session, row, "removed", run_id)
    return touched


def sync_source(session: Session, *, source: KnowledgeSource, embedder: Embedder | None) -> KnowledgeSyncRun:
    """Read `source`, apply added/changed/removed articles with history, and record the run with its errors.

    Files are fully parsed before anything is written, and the whole run is one transaction (owned by the
    caller), so a failure never leaves an article half-indexed.
    """
    run = KnowledgeSyncRun(id=uuid.uuid4(), org_id=source.org_id, source_id=source.id, started_at=utcnow())
    result = read_source(source.kind, source.path)
    errors = [{"file": e.file, "message": e.message} for e in result.errors]
    docs = _dedupe(result.docs, errors)
    diff = _diff(repository.articles_of_source(session, source.id), docs, {e["file"] for e in errors})
    touched = _apply(session, source, diff, run.id)
    chunks = [c for row in touched for c in _chunk_rows(row)]
    session.flush()
    embed_chunks(session, source.org_id, chunks, embedder)  # before deleting: unchanged passages keep vectors
    repository.delete_chunks(session, [r.id for r in touched] + [r.id for r in diff.removed])
    session.flush()
    session.add_all(chunks)
    run.added, run.changed, run.removed = len(diff.added), len(diff.changed), len(diff.removed)
    run.unchanged, run.errors, run.finished_at = diff.unchanged, errors, utcnow()
    source.last_synced_at = run.finished_at
    session.add(run)
    session.flush()
    return run
