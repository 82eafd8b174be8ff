"""Retrieval: per-organisation hybrid indexes persisted in the data dir, searches with citations, answers."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from cxops.domains.knowledge import repository
from cxops.domains.knowledge.compute.calibration import BM25_WEIGHTS, HYBRID_WEIGHTS, confidence, features
from cxops.domains.knowledge.compute.search import Access, Entry, Hit, HybridIndex, query_terms, split_query
from cxops.domains.knowledge.ports import Embedder

_LOCK = threading.Lock()
_OPEN: dict[Path, tuple[str, HybridIndex]] = {}
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


def index_for(session: Session, *, org_id: uuid.UUID, data_dir: Path, embedder: Embedder | None) -> HybridIndex:
    """The organisation's index: in memory, else from disk, else rebuilt from the database when stale."""
    folder = data_dir / "knowledge" / str(org_id)
    gen = repository.generation(session, org_id) + ("|dense" if embedder is not None else "|bm25")
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
    index = index_for(session, org_id=org_id, data_dir=data_dir, embedder=embedder)
    dense = mode == "hybrid" and embedder is not None and index.vectors is not None
    qvec = embed_query(embedder, query) if dense and embedder is not None else None
    hits = index.search(query, qvec, access, k=k * 4, depth=max(50, k * 4))
    best: dict[str, Scored] = {}
    for scored in _score(hits, dense, len(query_terms(query))):
        best.setdefault(index.entries[scored.hit.index].article_id, scored)
    chosen = list(best.values())[:k]
    ids = [uuid.UUID(index.entries[s.hit.index].chunk_id) for s in chosen]
    rows = repository.citation_rows(session, ids)
    results = [_result(rows[cid], s) for cid, s in zip(ids, chosen, strict=True) if cid in rows]
    note = NO_ENCODER_NOTE if mode == "hybrid" and not dense else None
    return results, note


def _result(row: Any, scored: Scored) -> dict[str, Any]:
    chunk, article, source = row
    return {
        "chunk_id": chunk.id,
        "text": chunk.text,
        "score": round(scored.hit.score, 6),
        "confidence": round(scored.confidence, 4),
        "citation": {
            "article_id": article.id,
            "title": article.title,
            "section": chunk.section,
            "source": source.name,
            "last_reviewed_at": article.last_reviewed_at,
        },
    }


def answer(results: list[dict[str, Any]], *, threshold: float) -> dict[str, Any]:
    """Grounded passages at or above `threshold`, or an abstention saying why."""
    top = results[0]["confidence"] if results else 0.0
    grounded = [r for r in results if r["confidence"] >= threshold][:3]
    if not grounded:
        reason = (
            "no passage matched" if not results else f"best confidence {top:.2f} is below the threshold {threshold:.2f}"
        )
        return {"answered": False, "confidence": top, "passages": [], "reason": reason}
    return {"answered": True, "confidence": top, "passages": grounded, "reason": f"{len(grounded)} grounded passage(s)"}
