"""Retrieval: per-organisation hybrid indexes persisted in the data dir, searches with citations, answers."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from cxops.domains.knowledge import repository
from cxops.domains.knowledge.compute import freshness
from cxops.domains.knowledge.compute.calibration import BM25_WEIGHTS, HYBRID_WEIGHTS, confidence, features
from cxops.domains.knowledge.compute.search import Access, Entry, Hit, HybridIndex, query_terms, split_query
from cxops.domains.knowledge.ports import Embedder

_LOCK = threading.Lock()
_OPEN: dict[Path, tuple[str, HybridIndex]] = {}
# A search used to read the index generation (two queries) and the citations (one join) from the database every
# time: a third of the GIL time of live assist at 200 calls (py-spy). The generation is now re-read at most every
# GENERATION_TTL_S seconds (changes made through this process are seen at once: the service calls `forget`;
# another process's sync is seen within the TTL), and citations are cached per generation and latest review (a
# review changes a citation's review date, not the index).
GENERATION_TTL_S = 2.0
CITATION_CACHE_SIZE = 20_000
_GENERATIONS: dict[uuid.UUID, tuple[float, str, str]] = {}
_CITATIONS: dict[uuid.UUID, tuple[str, OrderedDict[uuid.UUID, dict[str, Any]]]] = {}
NO_ENCODER_NOTE = "dense retrieval unavailable (embedding model not installed): BM25 only"


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    """The query's unit vectors, one row per segment of `split_query` (one row for a short query)."""
    return np.asarray(embedder.encode(split_query(text)), dtype=np.float32)


def _vectors(rows: list[Any], embedder: Embedder | None) -> np.ndarray | None:
    if embedder is None or not rows:
        return None
    out = np.zeros((len(rows), embedder.dimension), dtype=np.float32)
    missing = []
    for i, row in enumerate(rows):
        if row.embedding is not None and row.model_id == embedder.model_id:
            out[i] = np.frombuffer(row.embedding, dtype=np.float32)
        else:
            missing.append(i)
    if missing:  # chunks synced while the encoder was unavailable: embed them now (not persisted)
        out[missing] = embedder.encode([rows[i].text for i in missing])
    return out


def build_index(session: Session, *, org_id: uuid.UUID, folder: Path, embedder: Embedder | None) -> HybridIndex:
    """Rebuild the organisation's index from the database into `folder`."""
    rows = repository.index_rows(session, org_id)
    entries = [
        Entry(str(r.id), str(r.article_id), r.text, tuple(r.audience_roles), tuple(r.regions), tuple(r.tiers))
        for r in rows
    ]
    return HybridIndex.build(folder, entries, _vectors(rows, embedder))


def forget(org_id: uuid.UUID) -> None:
    """Drop the cached generation of an organisation's content (its sources or articles just changed)."""
    with _LOCK:
        _GENERATIONS.pop(org_id, None)


def _generations(session: Session, org_id: uuid.UUID) -> tuple[str, str]:
    """(identity of the indexed content, that and the latest review), re-read at most every GENERATION_TTL_S."""
    now = time.monotonic()
    with _LOCK:
        hit = _GENERATIONS.get(org_id)
    if hit is not None and hit[0] > now:
        return hit[1], hit[2]
    gen = repository.generation(session, org_id)
    reviewed = f"{gen}|{repository.last_review(session, org_id)}"
    with _LOCK:
        _GENERATIONS[org_id] = (now + GENERATION_TTL_S, gen, reviewed)
    return gen, reviewed


def _generation(session: Session, org_id: uuid.UUID) -> str:
    return _generations(session, org_id)[0]


def content_state(session: Session, org_id: uuid.UUID) -> str:
    """Identity of the organisation's content as cited: what it says and when it was last reviewed (changes at
    every sync, source setting change and review); caches of what is derived from it key on this."""
    return _generations(session, org_id)[1]


def index_for(session: Session, *, org_id: uuid.UUID, data_dir: Path, embedder: Embedder | None) -> HybridIndex:
    """The organisation's index: in memory, else from disk, else rebuilt from the database when stale."""
    return _index(session, org_id, data_dir, embedder, _generation(session, org_id))


def _index(session: Session, org_id: uuid.UUID, data_dir: Path, embedder: Embedder | None, content: str) -> HybridIndex:
    folder = data_dir / "knowledge" / str(org_id)
    gen = content + ("|dense" if embedder is not None else "|bm25")
    with _LOCK:
        cached = _OPEN.get(folder)
        if cached and cached[0] == gen:
            return cached[1]
        marker = folder / "generation.txt"
        index = None
        if marker.is_file() and marker.read_text() == gen:
            try:
                index = HybridIndex.open(folder)
            except (OSError, ValueError):
                index = None
        if index is None:
            index = build_index(session, org_id=org_id, folder=folder, embedder=embedder)
            marker.write_text(gen)
        _OPEN[folder] = (gen, index)
        return index


@dataclass(slots=True)
class Scored:
    """A hit with its calibrated confidence."""

    hit: Hit
    confidence: float


def _score(hits: list[Hit], dense: bool, n_terms: int) -> list[Scored]:
    out = []
    for h in hits:
        both = h.bm25_rank is not None and h.dense_rank is not None and h.bm25_rank <= 10 and h.dense_rank <= 10
        x = features(h.cosine if dense else None, both, h.bm25, h.extra.get("query_weight", n_terms))
        out.append(Scored(h, confidence(x, HYBRID_WEIGHTS if dense else BM25_WEIGHTS)))
    return out


def search(
    session: Session,
    *,
    org_id: uuid.UUID,
    data_dir: Path,
    embedder: Embedder | None,
    query: str,
    access: Access,
    k: int = 5,
    mode: str = "hybrid",
) -> tuple[list[dict[str, Any]], str | None]:
    """Best passage per article, best first, with citations and confidence; and a note when degraded."""
    content, cited = _generations(session, org_id)
    index = _index(session, org_id, data_dir, embedder, content)
    dense = mode == "hybrid" and embedder is not None and index.vectors is not None
    qvec = embed_query(embedder, query) if dense and embedder is not None else None
    hits = index.search(query, qvec, access, k=k * 4, depth=max(50, k * 4))
    best: dict[str, Scored] = {}
    for scored in _score(hits, dense, len(query_terms(query))):
        best.setdefault(index.entries[scored.hit.index].article_id, scored)
    chosen = list(best.values())[:k]
    ids = [uuid.UUID(index.entries[s.hit.index].chunk_id) for s in chosen]
    passages = _passages(session, org_id, cited, ids)
    results = [_result(passages[cid], s) for cid, s in zip(ids, chosen, strict=True) if cid in passages]
    note = NO_ENCODER_NOTE if mode == "hybrid" and not dense else None
    return results, note


def _passages(session: Session, org_id: uuid.UUID, gen: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Chunk id -> its text and citation, from the cache of this content generation or the database."""
    with _LOCK:
        cached = _CITATIONS.get(org_id)
        if cached is None or cached[0] != gen:
            cached = (gen, OrderedDict())
            _CITATIONS[org_id] = cached
        cache = cached[1]
        out = {cid: cache[cid] for cid in ids if cid in cache}
    missing = [cid for cid in ids if cid not in out]
    if not missing:
        return out
    for cid, (chunk, article, source) in repository.citation_rows(session, missing).items():
        out[cid] = {
            "chunk_id": chunk.id,
            "text": chunk.text,
            "citation": {
                "article_id": article.id,
                "title": article.title,
                "section": chunk.section,
                "source": source.name,
                "last_reviewed_at": article.reviewed_at,  # None: never reviewed (not the sync time)
                "first_synced_at": article.created_at,
            },
        }
    with _LOCK:
        for cid in missing:
            if cid in out:
                cache[cid] = out[cid]
        while len(cache) > CITATION_CACHE_SIZE:
            cache.popitem(last=False)
    return out


def _result(passage: dict[str, Any], scored: Scored) -> dict[str, Any]:
    return {
        "chunk_id": passage["chunk_id"],
        "text": passage["text"],
        "score": round(scored.hit.score, 6),
        "confidence": round(scored.confidence, 4),
        "citation": dict(passage["citation"]),
    }


def answer(results: list[dict[str, Any]], *, threshold: float) -> dict[str, Any]:
    """Grounded passages at or above `threshold`, or an abstention saying why. When the results carry their
    `freshness`, passages of current articles come before overdue and superseded ones, and `warnings` names each
    conflict the cited articles are part of."""
    top = results[0]["confidence"] if results else 0.0
    grounded = freshness.order_for_answer([r for r in results if r["confidence"] >= threshold][:3])
    if not grounded:
        reason = (
            "no passage matched" if not results else f"best confidence {top:.2f} is below the threshold {threshold:.2f}"
        )
        return {"answered": False, "confidence": top, "passages": [], "reason": reason, "warnings": []}
    reason = f"{len(grounded)} grounded passage(s)"
    stale = sum(1 for p in grounded if (p.get("freshness") or {}).get("status", "current") != "current")
    if stale:
        reason += f", {stale} from an article that is superseded or past its review date (listed last)"
    return {
        "answered": True, "confidence": top, "passages": grounded, "reason": reason,
        "warnings": freshness.warnings(grounded),
    }  # fmt: skip
