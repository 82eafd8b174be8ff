"""Rules of the knowledge domain: sources, sync, health and attribution (services never commit)."""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxops.contracts.events import KnowledgeConflictFound
from cxops.core.auth import Role
from cxops.core.clock import utcnow
from cxops.core.db import savepoint
from cxops.core.errors import Conflict, NotFound, ValidationFailed
from cxops.core.events import emit
from cxops.core.repository import get_scoped
from cxops.domains.directory.public import Customer
from cxops.domains.interactions.public import Interaction
from cxops.domains.knowledge import coverage, repository, retrieval, schemas
from cxops.domains.knowledge.compute import freshness, health
from cxops.domains.knowledge.compute.search import Access
from cxops.domains.knowledge.models import (
    KnowledgeArticle,
    KnowledgeArticleVersion,
    KnowledgeAttribution,
    KnowledgeChunk,
    KnowledgeSource,
    KnowledgeSyncRun,
)
from cxops.domains.knowledge.ports import Embedder
from cxops.domains.knowledge.sync import sync_source

GAP_THRESHOLD = 0.5
#: Customer questions searched per intent for the health report's coverage gaps, and the share of them that must
#: be answered for the intent to count as covered.
GAP_SAMPLE = 5
GAP_SHARE = 0.5
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GAPS_TTL_S = 300.0
_GAPS: dict[uuid.UUID, tuple[Any, float, list[dict[str, Any]], int]] = {}
_CACHE_LOCK = threading.Lock()  # guards the coverage-gap and analysis caches
# freshness of cited articles, per organisation, for one content state (content + reviews)
_ANALYSIS: dict[uuid.UUID, tuple[str, _Analysis]] = {}


def access_for(role: Role, *, region: str | None, tier: str | None) -> Access:
    """The access tuple of a caller; admins see every article, others only their audience's."""
    return Access(role=role.value, region=region, tier=tier, see_all=role == Role.ADMIN)


def _check_path(path: str, roots: Sequence[Path] | None) -> None:
    """The path must be usable on this server, exist and (when `roots` is given) lie inside one of the roots
    once symlinks are resolved; else ValidationFailed naming the problem.

    The API passes the deployment's knowledge roots (CXOPS_KNOWLEDGE_ROOTS, per organisation), so a supervisor
    cannot index arbitrary server files or another organisation's folder; the CLI, run by an operator on the
    server, passes None.
    """
    try:
        exists = Path(path).exists()
        real = Path(path).resolve() if exists else None
    except (OSError, ValueError, RuntimeError) as exc:  # a name too long, a NUL byte, a symlink loop
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValidationFailed(f"source path is not usable on this server: {reason}", field="path") from None
    if roots is not None:
        allowed = [r.resolve() for r in roots]
        if real is None or not any(real == r or real.is_relative_to(r) for r in allowed):
            shown = ", ".join(str(r) for r in roots)
            raise ValidationFailed(
                f"source path {path!r} is outside the knowledge folders of this organisation ({shown}); an "
                "operator can add folders with CXOPS_KNOWLEDGE_ROOTS",
                field="path",
            )
    if not exists:
        raise ValidationFailed(f"source path {path!r} does not exist on the server", field="path")


def create_source(
    session: Session,
    *,
    org_id: uuid.UUID,
    data: schemas.SourceCreate,
    roots: Sequence[Path] | None = None,
) -> KnowledgeSource:
    """Register a source; its path must exist (inside `roots` when given) and its name be unique."""
    if repository.source_by_name(session, org_id, data.name) is not None:
        raise Conflict(f"a knowledge source named {data.name!r} already exists", field="name")
    _check_path(data.path, roots)
    source = KnowledgeSource(org_id=org_id, **data.model_dump(mode="json", exclude={"last_reviewed_at"}))
    source.last_reviewed_at = data.last_reviewed_at
    session.add(source)
    session.flush()
    retrieval.forget(org_id)
    return source


def update_source(
    session: Session,
    *,
    org_id: uuid.UUID,
    source_id: uuid.UUID,
    data: schemas.SourceUpdate,
    roots: Sequence[Path] | None = None,
) -> KnowledgeSource:
    """Change a source's owner, path, audience or review interval (takes effect at the next search/sync)."""
    source = get_scoped(session, KnowledgeSource, org_id, source_id, "knowledge source")
    changes = data.model_dump(mode="json", exclude_unset=True)
    if changes.get("path") is not None:
        _check_path(changes["path"], roots)
    for name, value in changes.items():
        if value is not None:
            setattr(source, name, value)
    if changes.get("review_interval_days") is not None:  # the articles' due dates follow the new interval
        for article in _source_articles(session, source):
            article.review_due_at = article.last_reviewed_at + timedelta(days=source.review_interval_days)
    session.flush()
    retrieval.forget(org_id)
    return source


def _source_articles(session: Session, source: KnowledgeSource) -> list[KnowledgeArticle]:
    return list(
        session.scalars(
            select(KnowledgeArticle).where(KnowledgeArticle.source_id == source.id, KnowledgeArticle.status == "active")
        )
    )


def _reviewed_at(value: datetime | None) -> datetime:
    now = utcnow()
    if value is None:
        return now
    if value.tzinfo is None:
        raise ValidationFailed("reviewed_at needs a timezone offset, e.g. 2026-01-31T00:00:00Z", field="reviewed_at")
    if value > now:
        raise ValidationFailed(f"reviewed_at {value.isoformat()} is in the future", field="reviewed_at")
    return value


def mark_source_reviewed(
    session: Session, *, org_id: uuid.UUID, source_id: uuid.UUID, reviewed_at: datetime | None = None
) -> tuple[KnowledgeSource, int]:
    """The owner reviewed the whole source: it and its active articles are reviewed as of `reviewed_at` (now by
    default), so their next review falls one interval later. Returns the source and how many articles."""
    source = get_scoped(session, KnowledgeSource, org_id, source_id, "knowledge source")
    when = _reviewed_at(reviewed_at)
    articles = _source_articles(session, source)
    source.last_reviewed_at = when
    for article in articles:
        _review(article, when, source.review_interval_days)
    session.flush()
    retrieval.forget(org_id)  # citations show the new review date at once
    return source, len(articles)


def mark_article_reviewed(
    session: Session, *, org_id: uuid.UUID, article_id: uuid.UUID, reviewed_at: datetime | None = None
) -> KnowledgeArticle:
    """One article was reviewed as of `reviewed_at` (now by default): its next review falls one interval later."""
    article = get_scoped(session, KnowledgeArticle, org_id, article_id, "article")
    if article.status != "active":
        raise Conflict(f"article {article_id} was removed from its source; only active articles are reviewed")
    source = session.get(KnowledgeSource, article.source_id)
    _review(article, _reviewed_at(reviewed_at), source.review_interval_days if source else 180)
    session.flush()
    retrieval.forget(org_id)
    return article


def _review(article: KnowledgeArticle, when: datetime, interval_days: int) -> None:
    article.last_reviewed_at = when
    article.review_due_at = when + timedelta(days=interval_days)


def delete_source(session: Session, *, org_id: uuid.UUID, source_id: uuid.UUID) -> None:
    """Remove a source with its articles, history and chunks."""
    source = get_scoped(session, KnowledgeSource, org_id, source_id, "knowledge source")
    session.delete(source)
    session.flush()
    retrieval.forget(org_id)


def sync(session: Session, *, org_id: uuid.UUID, source_id: uuid.UUID, embedder: Embedder | None) -> KnowledgeSyncRun:
    """Synchronise one source of the organisation."""
    source = get_scoped(session, KnowledgeSource, org_id, source_id, "knowledge source")
    run = sync_source(session, source=source, embedder=embedder)
    retrieval.forget(org_id)
    if run.added or run.changed:
        _announce_conflicts(session, org_id=org_id, run=run)
    return run


def _announce_conflicts(session: Session, *, org_id: uuid.UUID, run: KnowledgeSyncRun) -> None:
    """Publish each conflict that involves an article this sync added or changed (workflows can react)."""
    touched = {
        str(a)
        for a in session.scalars(
            select(KnowledgeArticleVersion.article_id).where(KnowledgeArticleVersion.sync_run_id == run.id)
        )
    }
    infos = _article_infos(session, org_id)
    named = {i.id: (i.title[:300], i.source) for i in infos}
    for row in health.conflicts(infos):
        if str(row["a"]) in touched or str(row["b"]) in touched:
            (a_title, a_source), (b_title, b_source) = named[row["a"]], named[row["b"]]
            emit(
                session,
                org_id=org_id,
                event=KnowledgeConflictFound(
                    article_a=str(row["a"]),
                    article_b=str(row["b"]),
                    a_says=str(row["a_says"])[:500],
                    b_says=str(row["b_says"])[:500],
                    unit=str(row["unit"]),
                    source_id=str(run.source_id),
                    a_title=a_title,
                    b_title=b_title,
                    a_source=a_source,
                    b_source=b_source,
                ),
            )


def erase_attributions(session: Session, *, org_id: uuid.UUID, interaction_ids: list[uuid.UUID]) -> int:
    """Delete the attributions of erased interactions (data subject erasure); returns how many."""
    if not interaction_ids:
        return 0
    result = session.execute(
        delete(KnowledgeAttribution).where(
            KnowledgeAttribution.org_id == org_id, KnowledgeAttribution.interaction_id.in_(interaction_ids)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def record_attribution(session: Session, *, org_id: uuid.UUID, data: schemas.AttributionCreate) -> KnowledgeAttribution:
    """Record that an article was shown or used in an interaction (idempotent per usage)."""
    get_scoped(session, KnowledgeArticle, org_id, data.article_id, "article")
    get_scoped(session, Interaction, org_id, data.interaction_id, "interaction")
    existing = session.scalars(
        select(KnowledgeAttribution).where(
            KnowledgeAttribution.interaction_id == data.interaction_id,
            KnowledgeAttribution.article_id == data.article_id,
            KnowledgeAttribution.usage == data.usage,
        )
    ).first()
    if existing is not None:
        return existing
    row = KnowledgeAttribution(org_id=org_id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def record_assist_attributions(
    session: Session,
    *,
    org_id: uuid.UUID,
    interaction_id: uuid.UUID,
    shown: Sequence[uuid.UUID],
    used: Sequence[uuid.UUID] = (),
) -> int:
    """Record the articles real-time assist showed in a live interaction (and those the agent used) as `shown`
    and `used` attributions; returns how many rows were added.

    Idempotent (a row already recorded, also through the API, is kept). What no longer exists is skipped, never
    an error: articles deleted since (their source was removed), an interaction that is gone, and the
    interactions of an erased customer (trust erasure deleted their attributions; they must not come back).
    """
    interaction = session.get(Interaction, interaction_id)
    if interaction is None or interaction.org_id != org_id:
        return 0
    customer = session.get(Customer, interaction.customer_id) if interaction.customer_id else None
    if customer is not None and (customer.attributes or {}).get("erased"):
        return 0
    wanted = {*shown, *used}
    if not wanted:
        return 0
    articles = set(
        session.scalars(
            select(KnowledgeArticle.id).where(KnowledgeArticle.org_id == org_id, KnowledgeArticle.id.in_(wanted))
        )
    )
    recorded = {
        (a, u)
        for a, u in session.execute(
            select(KnowledgeAttribution.article_id, KnowledgeAttribution.usage).where(
                KnowledgeAttribution.interaction_id == interaction_id
            )
        )
    }
    added = 0
    for usage, ids in (("shown", shown), ("used", used)):
        for article_id in ids:
            if article_id not in articles or (article_id, usage) in recorded:
                continue
            row = KnowledgeAttribution(org_id=org_id, article_id=article_id, interaction_id=interaction_id, usage=usage)
            session.add(row)
            try:
                with savepoint(session):
                    session.flush([row])
            except IntegrityError:  # recorded meanwhile by another transaction (POST /attributions)
                continue
            recorded.add((article_id, usage))
            added += 1
    return added


def content_as_of(a: KnowledgeArticle) -> datetime:
    """How current an article's content is: the latest of a real review (stated for its source or recorded later),
    the source system's own modification date, and a change a sync saw. The first sync only tells when cxops first
    saw the article (a source without a review date is taken as reviewed then), which counts only without any of
    those."""
    dates = [
        *([a.reviewed_at] if a.reviewed_at else []),
        *([a.source_updated_at] if a.source_updated_at else []),
        *([a.updated_at] if a.version > 1 else []),
    ]
    return max(dates) if dates else a.last_reviewed_at


def _info(a: KnowledgeArticle, source: str, vec: np.ndarray | None) -> health.ArticleInfo:
    return health.ArticleInfo(str(a.id), source, a.title, a.body, a.review_due_at, content_as_of(a), vec)


def _article_infos(session: Session, org_id: uuid.UUID) -> list[health.ArticleInfo]:
    names = {s.id: s.name for s in repository.sources(session, org_id)}
    vectors: dict[uuid.UUID, list[np.ndarray]] = {}
    stmt = select(KnowledgeChunk.article_id, KnowledgeChunk.embedding).where(
        KnowledgeChunk.org_id == org_id, KnowledgeChunk.embedding.is_not(None)
    )
    for article_id, blob in session.execute(stmt):
        if blob is not None:
            vectors.setdefault(article_id, []).append(np.frombuffer(blob, dtype=np.float32))
    infos = []
    for a in repository.active_articles(session, org_id):
        vec = None
        if a.id in vectors:
            mean = np.mean(vectors[a.id], axis=0)
            vec = mean / max(float(np.linalg.norm(mean)), 1e-12)
        infos.append(_info(a, names.get(a.source_id, "?"), vec))
    if any(i.vector is None for i in infos):  # mixed state: compare all articles lexically
        for i in infos:
            i.vector = None
    return infos


def coverage_gaps(
    session: Session, *, org_id: uuid.UUID, data_dir: Path, embedder: Embedder | None
) -> tuple[list[dict[str, Any]], int]:
    """Interaction intents the knowledge hub does not answer; and the total volume of the intents checked.

    Evidence per intent, as the answer endpoint sees it: the first customer turn of its newest `GAP_SAMPLE`
    contacts is searched (`coverage.coverage_by_intent`); it is a gap when fewer than half get a passage at the
    answer threshold. An intent without any customer turn (e.g. contacts imported without transcripts) is
    checked by its name instead, a gap when the best passage is below GAP_THRESHOLD.

    The searches are the report's main cost (~1 s on the demo), so the result is kept per organisation until the
    indexed content or the interactions change, or GAPS_TTL_S passes.
    """
    key = (repository.generation(session, org_id), repository.interactions_watermark(session, org_id), embedder is None)
    with _CACHE_LOCK:
        cached = _GAPS.get(org_id)
    if cached is not None and cached[0] == key and time.monotonic() - cached[1] < GAPS_TTL_S:
        return copy.deepcopy(cached[2]), cached[3]
    gaps, total = _coverage_gaps(session, org_id=org_id, data_dir=data_dir, embedder=embedder)
    with _CACHE_LOCK:
        _GAPS[org_id] = (key, time.monotonic(), copy.deepcopy(gaps), total)
    return gaps, total


def _coverage_gaps(
    session: Session, *, org_id: uuid.UUID, data_dir: Path, embedder: Embedder | None
) -> tuple[list[dict[str, Any]], int]:
    intents = repository.recent_intents(session, org_id)
    asked = coverage.coverage_by_intent(
        session, org_id=org_id, data_dir=data_dir, embedder=embedder, intents=[i for i, _ in intents],
        since=EPOCH, sample=GAP_SAMPLE, threshold=GAP_THRESHOLD,
    )  # fmt: skip
    gaps, total = [], 0
    access = Access(role=Role.ADMIN.value, see_all=True)
    for intent, count in intents:
        total += count
        found = asked.get(intent)
        if found is not None:
            if found["coverage"] < GAP_SHARE:
                gaps.append({
                    "intent": intent, "interactions": count, "best_confidence": found["median_confidence"],
                    "best_article": found["top_article"], "evidence": "customer questions",
                    "sampled": found["sampled"], "answered": found["answered"],
                })  # fmt: skip
            continue
        query = intent.replace("_", " ").replace("-", " ")
        results, _ = retrieval.search(
            session, org_id=org_id, data_dir=data_dir, embedder=embedder, query=query, access=access, k=1
        )
        best = results[0]["confidence"] if results else 0.0
        if best < GAP_THRESHOLD:
            top = results[0]["citation"]["title"] if results else None
            gaps.append({
                "intent": intent, "interactions": count, "best_confidence": best, "best_article": top,
                "evidence": "intent name", "sampled": 0, "answered": 0,
            })  # fmt: skip
    return sorted(gaps, key=lambda g: -g["interactions"]), total


@dataclass(frozen=True)
class _Analysis:
    """What the health report and the freshness of results both derive from the content: read-only once cached."""

    infos: list[health.ArticleInfo]
    duplicates: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    #: each active article's review date, audience and conflicts, for the freshness of results
    states: dict[str, freshness.ArticleState]


def _analysis(session: Session, org_id: uuid.UUID) -> _Analysis:
    """The active articles with their near-duplicates, conflicts and freshness states, computed once per content
    state (a sync, a source setting change or a review makes a new one) for the health report and result freshness
    together; each had read every article and chunk vector and compared them again."""
    state = retrieval.content_state(session, org_id)
    with _CACHE_LOCK:
        cached = _ANALYSIS.get(org_id)
    if cached is not None and cached[0] == state:
        return cached[1]
    infos = _article_infos(session, org_id)
    conflicts = health.conflicts(infos)
    audiences = {
        str(article_id): freshness.Audience(tuple(roles or ()), tuple(regions or ()), tuple(tiers or ()))
        for article_id, roles, regions, tiers in repository.article_audiences(session, org_id)
    }
    result = _Analysis(infos, health.near_duplicates(infos), conflicts, freshness.states(infos, conflicts, audiences))
    with _CACHE_LOCK:
        _ANALYSIS[org_id] = (state, result)
    return result


def knowledge_health(
    session: Session, *, org_id: uuid.UUID, data_dir: Path, embedder: Embedder | None
) -> dict[str, Any]:
    """Duplicates, conflicts, stale articles, coverage gaps and the readiness score with its reasons."""
    analysis = _analysis(session, org_id)
    infos = analysis.infos
    dups = copy.deepcopy(analysis.duplicates)  # named below: the cached rows stay as computed
    conflict_rows = copy.deepcopy(analysis.conflicts)
    stale_rows = health.stale(infos, utcnow(), conflict_rows)
    gaps, volume = coverage_gaps(session, org_id=org_id, data_dir=data_dir, embedder=embedder)
    ready = health.readiness(len(infos), len(dups), len(conflict_rows), len(stale_rows), gaps, volume)
    titles = {i.id: i.title for i in infos}
    sources = {i.id: i.source for i in infos}
    for row in [*dups, *conflict_rows]:  # name both articles, not only their ids
        for key in ("a", "b"):
            row[f"{key}_title"], row[f"{key}_source"] = titles.get(row[key], ""), sources.get(row[key], "")
    issues: dict[str, int] = {}
    for row in [*dups, *conflict_rows]:
        for key in ("a", "b"):
            issues[row[key]] = issues.get(row[key], 0) + 1
    for row in stale_rows:
        issues[row["article_id"]] = issues.get(row["article_id"], 0) + len(row["reasons"])
    offenders = sorted(issues.items(), key=lambda kv: -kv[1])[:10]
    return {
        "readiness": ready.score,
        "reasons": ready.reasons,
        "articles": len(infos),
        "worst_articles": [{"article_id": k, "title": titles.get(k, ""), "issues": n} for k, n in offenders],
        "duplicates": dups,
        "conflicts": conflict_rows,
        "stale": stale_rows,
        "coverage_gaps": gaps,
    }


def annotate_freshness(
    session: Session, *, org_id: uuid.UUID, results: list[dict[str, Any]], access: Access
) -> list[dict[str, Any]]:
    """The results, each with its article's `freshness` for this caller (status, notes, visible conflicts)."""
    if not results:
        return results
    states = _analysis(session, org_id).states
    now = utcnow()
    for r in results:
        r["freshness"] = freshness.assess(str(r["citation"]["article_id"]), states, access, now)
    return results


def article_or_404(session: Session, *, org_id: uuid.UUID, article_id: uuid.UUID) -> KnowledgeArticle:
    """An article of the organisation."""
    row = session.get(KnowledgeArticle, article_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"article {article_id} not found")
    return row
