"""Hybrid retrieval over chunks: BM25 (tantivy, en_stem) + dense cosine (exact, or HNSW from 20k chunks).

Access rules are applied before ranking: chunks the caller may not see are dropped from both candidate lists
before anything is ranked or fused (BM25 falls back to a query with the access clauses as MUST filters, HNSW to
a filtered graph walk, when too many of the unfiltered hits were hidden), so a restricted chunk never enters
either ranked list.

Long queries (more than 60 words, e.g. a whole customer scenario) are split into segments (sentences or lines
of at least three words), each embedded on its own (`split_query`). A chunk's dense score is the mean of its
cosines to the three segments closest to it; the segments that look most like something in the knowledge base
(highest best cosine, the top 40%) form the BM25 query, so role-play boilerplate and persona details stop
diluting it. BM25 weighs a query term by how often the query uses it (qtf), except in that salient-segment
query (distinct terms). A short query (one segment) fuses the two scores over the union of both candidate
lists by z-score sum, z(BM25) + 2.0 z(dense); a segmented query adds a third list, BM25 of the whole query
(qtf): the list is ordered by 0.25 z(salient BM25) + 1.0 z(whole-query BM25) + 1.0 z(dense) over the union of
the three, except its first hit (the best passage, which the answer's confidence scores), which stays the best of
z(salient BM25) + 0.5 z(dense) over the first two lists: the whole-query list widens the list (Recall@5) but
picks a worse first passage on its own (banking dev top-1 accuracy 0.653 -> 0.571).
Weights were tuned on the dev half (even queries) of StackFAQ and banking_knowledge respectively (see
docs/benchmarks.md); z-score fusion beat reciprocal rank fusion on both. `fuse` (RRF, Cormack et al. 2009) is
kept for callers that only have ranks.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import hnswlib
import numpy as np
import tantivy

RRF_K = 60
#: A query term used n times weighs n ** this in BM25 (0 = distinct terms only).
QUERY_TF_POWER = 1.0
#: The same for the salient-segment BM25 query of a segmented query in the hybrid: distinct terms (dev: same
#: Recall@5 as qtf, better nDCG@10 and top-1 accuracy).
SEGMENTED_TF_POWER = 0.0
#: Queries longer than this many words are split into segments (see `split_query`).
LONG_QUERY_WORDS = 60
#: Share of a long query's segments (most similar to the knowledge base first) that form the BM25 query.
SALIENT_SHARE = 0.4
#: A chunk's dense score is the mean cosine over this many of the query segments closest to it.
DENSE_TOP_SEGMENTS = 3
#: Weight of the dense z-score against BM25's in the two-list fused score, for a segmented (long) query (there it
#: picks the first hit only) and for a short (one-segment) query; tuned on the even (dev) queries of
#: banking_knowledge and StackFAQ respectively.
DENSE_WEIGHT_LONG = 0.5
DENSE_WEIGHT_SHORT = 2.0
#: Weights of the salient-segment BM25, whole-query BM25 (qtf) and dense z-scores that order a segmented query's
#: hits after the first (banking dev Recall@5 0.2615 -> 0.2914; see docs/benchmarks.md).
THREE_LIST_WEIGHTS = (0.25, 1.0, 1.0)
_SEGMENT = re.compile(r"(?<=[.!?])\s+|\n+")
#: From this many chunks on, dense search uses an HNSW graph (Malkov & Yashunin 2018) instead of exact scan.
ANN_MIN = 20_000
#: HNSW search breadth (at least; raised to the number of results asked for).
ANN_EF = 256
ANY = "*"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOPWORDS_TEXT = (
    "a an and are as at be but by for from has have i if in into is it its me my no not of on or our so "
    "that the their them then there these they this to was we were what when which who will with you your "
    "do does did can could would should am been being he she her him his how about just also any all"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True, slots=True)
class Access:
    """Who is asking: role, and the customer context (region, tier) the answer is for; admins see all."""

    role: str
    region: str | None = None
    tier: str | None = None
    see_all: bool = False


@dataclass(slots=True)
class Entry:
    """One indexed chunk with the audience tags of its source (empty tuple = unrestricted)."""

    chunk_id: str
    article_id: str
    text: str
    roles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()


@dataclass(slots=True)
class Hit:
    """A fused result: the chunk, its fused score, its rank in each list (None = absent) and dense cosine."""

    index: int
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    cosine: float | None = None
    bm25: float | None = None
    extra: dict[str, float] = field(default_factory=dict)


def query_terms(text: str, max_terms: int = 256) -> list[str]:
    """Lower-cased distinct words without stopwords, in order of first appearance (safe for the parser)."""
    return list(term_counts(text))[:max_terms]


def term_counts(text: str) -> dict[str, int]:
    """How often each non-stopword occurs in the text, in order of first appearance."""
    counts: dict[str, int] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOPWORDS and len(word) > 1:
            term = word.replace("'", "")
            counts[term] = counts.get(term, 0) + 1
    return counts


def query_weight(text: str, max_terms: int = 256, power: float | None = None) -> float:
    """Total term weight of `weighted_query(text)`: what a BM25 score of that query grows with."""
    exponent = QUERY_TF_POWER if power is None else power
    return float(sum(n**exponent for n in list(term_counts(text).values())[:max_terms]))


def weighted_query(text: str, max_terms: int = 256, power: float | None = None) -> str:
    """The BM25 query string: distinct terms, a term used n > 1 times boosted by n ** power (query term frequency).

    Classic BM25 weights a query term by its frequency in the query (Robertson et al.'s qtf factor); for a long
    query the words it keeps coming back to are what it is about.
    """
    exponent = QUERY_TF_POWER if power is None else power
    counts = list(term_counts(text).items())[:max_terms]
    return " ".join(f"{t}^{n**exponent:.3f}" if n > 1 and exponent else t for t, n in counts)


def split_query(text: str) -> list[str]:
    """A long query's segments (sentences or lines of at least three words), else the query itself.

    Queries of at most `LONG_QUERY_WORDS` words are one segment; so is a long query without any sentence
    of three words or more.
    """
    if len(text.split()) <= LONG_QUERY_WORDS:
        return [text]
    parts = [p.strip() for p in _SEGMENT.split(text) if len(p.split()) >= 3]
    return parts or [text]


def salient_text(segments: Sequence[str], best_cosine: np.ndarray, share: float = SALIENT_SHARE) -> str:
    """The segments whose best cosine to any chunk is in the top `share` (at least one), in query order."""
    if len(segments) != len(best_cosine):
        raise ValueError(f"{len(segments)} segments but {len(best_cosine)} cosines")
    if len(segments) <= 1:
        return " ".join(segments)
    keep = max(1, math.ceil(share * len(segments)))
    chosen = set(np.argsort(-best_cosine, kind="stable")[:keep].tolist())
    return " ".join(seg for i, seg in enumerate(segments) if i in chosen)


def segment_scores(cosines: np.ndarray, top: int = DENSE_TOP_SEGMENTS) -> np.ndarray:
    """Per chunk (row), the mean of its `top` highest cosines over the query segments (columns)."""
    if cosines.ndim != 2:
        raise ValueError(f"cosines must be (chunks, segments), got shape {cosines.shape}")
    n = min(top, cosines.shape[1])
    if n == cosines.shape[1]:
        return np.asarray(cosines.mean(axis=1))
    return np.asarray(np.partition(cosines, -n, axis=1)[:, -n:].mean(axis=1))


def zscores(values: np.ndarray) -> np.ndarray:
    """(x - mean) / std; all zeros when the values do not vary."""
    std = float(values.std())
    return np.zeros_like(values) if std < 1e-12 else (values - values.mean()) / std


def _tags(values: Sequence[str]) -> list[str]:
    return [v.lower() for v in values] if values else [ANY]


def allowed(entry_tags: Sequence[str], wanted: str | None) -> bool:
    """An audience list admits a caller value: unrestricted, or containing it (case-insensitive)."""
    return not entry_tags or (wanted is not None and wanted.lower() in {t.lower() for t in entry_tags})


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("idx", stored=True, indexed=False, fast=True)
    sb.add_text_field("body", stored=False, tokenizer_name="en_stem")
    for name in ("roles", "regions", "tiers"):
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    return sb.build()


class HybridIndex:
    """A BM25 index, an optional matrix of unit vectors and the entries' access tags, stored in one folder."""

    def __init__(self, folder: Path, entries: list[Entry], vectors: np.ndarray | None) -> None:
        self.folder = folder
        self.entries = entries
        self.vectors = vectors
        self._index = tantivy.Index.open(str(folder / "bm25"))
        self._schema = self._index.schema
        self._searcher = self._index.searcher()
        self._masks: dict[Access, np.ndarray] = {}
        self._ann: hnswlib.Index | None = None
        ann_path = folder / "vectors.hnsw"
        if vectors is not None and ann_path.is_file():
            self._ann = hnswlib.Index(space="ip", dim=vectors.shape[1])
            self._ann.load_index(str(ann_path), max_elements=len(vectors))
            self._ann.set_num_threads(1)

    @classmethod
    def build(cls, folder: Path, entries: list[Entry], vectors: np.ndarray | None) -> HybridIndex:
        """Write the index for `entries` (vectors row-aligned with entries, or None) and open it."""
        tmp = folder.with_name(f"{folder.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}")  # one per builder
        (tmp / "bm25").mkdir(parents=True)
        index = tantivy.Index(_schema(), path=str(tmp / "bm25"))
        writer = index.writer(heap_size=50_000_000, num_threads=1)
        for i, e in enumerate(entries):
            doc = tantivy.Document(idx=i, body=e.text)
            for name, values in (("roles", e.roles), ("regions", e.regions), ("tiers", e.tiers)):
                for tag in _tags(values):
                    doc.add_text(name, tag)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        meta = [asdict(e) | {"text": ""} for e in entries]
        (tmp / "entries.json").write_text(json.dumps(meta))
        if vectors is not None:
            np.save(tmp / "vectors.npy", vectors.astype(np.float32))
            if len(vectors) >= ANN_MIN:
                _build_ann(vectors).save_index(str(tmp / "vectors.hnsw"))
        shutil.rmtree(folder, ignore_errors=True)
        try:
            tmp.rename(folder)
        except OSError:  # another process published the same index first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
        return cls.open(folder)

    @classmethod
    def open(cls, folder: Path) -> HybridIndex:
        """Open a folder written by `build` (FileNotFoundError if absent)."""
        raw = json.loads((folder / "entries.json").read_text())
        entries = [
            Entry(**{**r, "roles": tuple(r["roles"]), "regions": tuple(r["regions"]), "tiers": tuple(r["tiers"])})
            for r in raw
        ]
        vec_path = folder / "vectors.npy"
        vectors = np.load(vec_path) if vec_path.is_file() else None
        return cls(folder, entries, vectors)

    def _access_query(self, access: Access) -> tantivy.Query | None:
        if access.see_all:
            return None
        clauses = []
        for name, value in (("roles", access.role), ("regions", access.region), ("tiers", access.tier)):
            values = [ANY] + ([value.lower()] if value else [])
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_set_query(self._schema, name, values)))
        return tantivy.Query.boolean_query(clauses)

    def mask(self, access: Access) -> np.ndarray:
        """Boolean array: which entries this caller may see (cached per access tuple)."""
        cached = self._masks.get(access)
        if cached is None:
            cached = np.array(
                [
                    access.see_all
                    or (
                        allowed(e.roles, access.role)
                        and allowed(e.regions, access.region)
                        and allowed(e.tiers, access.tier)
                    )
                    for e in self.entries
                ],
                dtype=bool,
            )
            if len(self._masks) > 256:
                self._masks.clear()
            self._masks[access] = cached
        return cached

    def bm25(self, text: str, access: Access, k: int, *, power: float | None = None) -> list[tuple[int, float]]:
        """(entry index, BM25 score) best first, among entries the caller may see (`power`: see `weighted_query`).

        The caller's hidden chunks are dropped from an unfiltered top list (fetched deep enough for the share
        of chunks they may see); only when that leaves fewer than k while more matches exist does the query run
        again with the access clauses as MUST filters. Both give the same list: scores do not depend on the
        filter. (The filtered query costs ~1.7 ms at 100k chunks, the unfiltered one ~0.2 ms.)
        """
        terms = query_terms(text)
        if not terms or not self.entries:
            return []
        query = self._index.parse_query(weighted_query(text, power=power), ["body"])
        if access.see_all:
            return self._bm25_hits(query, k)
        mask = self.mask(access)
        fetch = min(len(mask), int(k / max(float(mask.mean()), 0.05) * 1.25) + 8)
        hits = self._bm25_hits(query, fetch)
        visible = [(i, score) for i, score in hits if mask[i]]
        if len(visible) >= k or len(hits) < fetch:
            return visible[:k]
        acl = self._access_query(access)
        assert acl is not None
        both = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, acl)])
        return [(i, score) for i, score in self._bm25_hits(both, k) if mask[i]]

    def _bm25_hits(self, query: tantivy.Query, k: int) -> list[tuple[int, float]]:
        hits = self._searcher.search(query, limit=k, count=False).hits
        labels = self._searcher.fast_field_values("idx", [addr for _, addr in hits])
        # the "idx" column is written for every chunk, so a value is never absent (None) in our own indexes
        return [(int(i), float(score)) for (score, _), i in zip(hits, labels, strict=True) if isinstance(i, int)]

    def dense(self, qvec: np.ndarray, access: Access, k: int) -> list[tuple[int, float]]:
        """(entry index, cosine) best first, among entries the caller may see (exact search)."""
        if self.vectors is None or not len(self.entries):
            return []
        mask = self.mask(access)
        k = min(k, int(mask.sum()))
        if k <= 0:
            return []
        if self._ann is not None:
            return self._dense_ann(qvec, mask, k, access.see_all)
        scores = np.where(mask, self.vectors @ qvec.astype(np.float32), -np.inf)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top]

    def _dense_ann(self, qvec: np.ndarray, mask: np.ndarray, k: int, see_all: bool) -> list[tuple[int, float]]:
        """HNSW search for one vector (see `_ann_candidates`)."""
        labels, sims = self._ann_candidates(qvec[None, :], mask, k, see_all)
        return [(int(i), float(d)) for i, d in zip(labels[0], sims[0], strict=True) if i >= 0][:k]

    def _ann_candidates(
        self, queries: np.ndarray, mask: np.ndarray, k: int, see_all: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """(labels, cosines) of the k best visible chunks per query row, best first (-1 / -inf pads).

        The graph is searched without a callback (a Python filter per visited node cost more than the search);
        the caller's hidden chunks are dropped afterwards. When too many of the hits were hidden for some
        row, that row is searched again with the access mask as a filter while the graph is walked, so
        restricted chunks never count towards k and never come back.
        """
        assert self._ann is not None
        q = np.ascontiguousarray(queries, dtype=np.float32)
        visible = float(mask.mean()) if not see_all else 1.0
        fetch = k if see_all else min(len(mask), int(k / max(visible, 0.05) * 1.25) + 8)
        self._ann.set_ef(max(ANN_EF, fetch))
        labels, dists = self._ann.knn_query(q, k=fetch)
        out_l = np.full((len(q), k), -1, dtype=np.int64)
        out_s = np.full((len(q), k), -np.inf, dtype=np.float32)
        for row in range(len(q)):
            keep = mask[labels[row]] if not see_all else np.ones(fetch, dtype=bool)
            lab, sim = labels[row][keep][:k], 1.0 - dists[row][keep][:k]
            if len(lab) < k:  # too many hidden chunks near this query: walk the graph with the filter
                flt = lambda label: bool(mask[label])  # noqa: E731
                lab2, d2 = self._ann.knn_query(q[row : row + 1], k=k, filter=flt)
                lab, sim = lab2[0], 1.0 - d2[0]
            out_l[row, : len(lab)], out_s[row, : len(sim)] = lab, sim
        return out_l, out_s

    def _dense_segments(self, queries: np.ndarray, access: Access, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Candidate chunk indices (the `depth` best per segment, merged) and each segment's best cosine."""
        assert self.vectors is not None
        mask = self.mask(access)
        k = min(depth, int(mask.sum()))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(len(queries), dtype=np.float32)
        if self._ann is not None:
            labels, sims = self._ann_candidates(queries, mask, k, access.see_all)
            return np.unique(labels[labels >= 0]), sims[:, 0]
        cosines = self.vectors @ queries.T  # (chunks, segments)
        cosines[~mask] = -np.inf
        best = cosines.max(axis=0)
        scores = segment_scores(cosines)
        top = np.argpartition(-scores, k - 1)[:k]
        if len(queries) > 1:  # also each segment's own best chunks, so one sharp segment is not averaged away
            per_segment = np.argpartition(-cosines, k - 1, axis=0)[:k].ravel()
            top = np.union1d(top, per_segment[mask[per_segment]])
        return top.astype(np.int64), best

    def search(self, text: str, qvec: np.ndarray | None, access: Access, *, k: int = 10, depth: int = 50) -> list[Hit]:
        """Fused hits, best first: BM25 alone without a query vector, else the segment hybrid (module doc).

        `qvec` is one unit vector (d,) or one row per segment of `split_query(text)` (n, d); a matrix whose rows
        do not match the segments is treated as segments without text (BM25 then takes the whole query).
        """
        if qvec is None or self.vectors is None:
            weight = query_weight(text)
            return [
                Hit(index=i, score=score, bm25_rank=rank, bm25=score, extra={"query_weight": weight})
                for rank, (i, score) in enumerate(self.bm25(text, access, depth)[:k], start=1)
            ]
        queries = np.atleast_2d(np.asarray(qvec, dtype=np.float32))
        candidates, best = self._dense_segments(queries, access, depth)
        segments = split_query(text) if len(queries) > 1 else []
        segmented = len(segments) == len(queries)
        lexical_text = salient_text(segments, best) if segmented else text
        power = SEGMENTED_TF_POWER if segmented else None
        lexical = self.bm25(lexical_text, access, depth, power=power)
        whole = self.bm25(text, access, depth) if segmented else None  # the scenario's recurring terms (qtf)
        hits = fuse_scores(lexical, candidates, self.vectors, queries, whole=whole, limit=k)
        weight = query_weight(lexical_text, power=power)  # what BM25 scores grow with (the confidence divides by it)
        for hit in hits:
            hit.extra["query_weight"] = weight
        return hits


def fuse_scores(
    lexical: list[tuple[int, float]],
    dense_candidates: np.ndarray,
    vectors: np.ndarray,
    queries: np.ndarray,
    dense_weight: float | None = None,
    *,
    whole: list[tuple[int, float]] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """z(BM25) + dense_weight * z(dense) over the union of both candidate lists, best first (the first `limit`).

    `dense_weight` defaults to `DENSE_WEIGHT_LONG` for a segmented query (several rows), else `DENSE_WEIGHT_SHORT`.
    With `whole` (the whole query's BM25 list, for a segmented query) the union takes its chunks too, hits are
    ordered by `THREE_LIST_WEIGHTS` . (z(BM25), z(whole), z(dense)), and the best hit of the two-list score above
    (computed over the first two lists' chunks only, as without `whole`) leads the list with the top score; the
    whole-query score is kept in `Hit.extra["bm25_whole"]` (`bm25` / `bm25_rank` stay the first list's).

    The dense score of every candidate is computed exactly (mean of its top segment cosines), so a chunk found
    only by BM25 still gets its real dense score; a chunk a BM25 list did not return scores 0 there.
    """
    bm25_rank = {i: rank for rank, (i, _) in enumerate(lexical, start=1)}
    bm25_score = dict(lexical)
    whole_score = dict(whole or [])
    lexical_ids = np.fromiter(bm25_rank.keys() | whole_score.keys(), dtype=np.int64)
    ids = np.union1d(lexical_ids, dense_candidates)
    if not len(ids):
        return []
    dense = segment_scores(vectors[ids] @ queries.T)
    lex = np.array([bm25_score.get(int(i), 0.0) for i in ids], dtype=np.float64)
    if dense_weight is None:
        dense_weight = DENSE_WEIGHT_LONG if len(queries) > 1 else DENSE_WEIGHT_SHORT
    if whole is None:
        fused = zscores(lex) + dense_weight * zscores(dense.astype(np.float64))
        order = np.argsort(-fused, kind="stable")
    else:
        two = np.flatnonzero(np.isin(ids, np.union1d(np.fromiter(bm25_rank, dtype=np.int64), dense_candidates)))
        pair = zscores(lex[two]) + dense_weight * zscores(dense[two].astype(np.float64))
        lead = int(two[int(np.argmax(pair))]) if len(two) else None
        full = np.array([whole_score.get(int(i), 0.0) for i in ids], dtype=np.float64)
        w_salient, w_whole, w_dense = THREE_LIST_WEIGHTS
        fused = w_salient * zscores(lex) + w_whole * zscores(full) + w_dense * zscores(dense.astype(np.float64))
        order = np.argsort(-fused, kind="stable")
        if lead is not None:
            fused[lead] = fused[order[0]]  # the lead takes the top score, so scores never rise down the list
            order = np.concatenate([[lead], order[order != lead]])
    dense_rank = np.empty(len(ids), dtype=np.int64)
    dense_rank[np.argsort(-dense, kind="stable")] = np.arange(1, len(ids) + 1)
    return [
        Hit(
            index=int(ids[j]), score=float(fused[j]), bm25_rank=bm25_rank.get(int(ids[j])),
            dense_rank=int(dense_rank[j]), cosine=float(dense[j]), bm25=bm25_score.get(int(ids[j])),
            extra={"bm25_whole": whole_score.get(int(ids[j]), 0.0)} if whole is not None else {},
        )
        for j in order[:limit]
    ]  # fmt: skip


def fuse(lexical: list[tuple[int, float]], semantic: list[tuple[int, float]], rrf_k: int = RRF_K) -> list[Hit]:
    """Reciprocal rank fusion of two ranked lists of (index, score)."""
    hits: dict[int, Hit] = {}
    for rank, (i, score) in enumerate(lexical, start=1):
        hit = hits.setdefault(i, Hit(index=i, score=0.0))
        hit.score += 1.0 / (rrf_k + rank)
        hit.bm25_rank, hit.bm25 = rank, score
    for rank, (i, score) in enumerate(semantic, start=1):
        hit = hits.setdefault(i, Hit(index=i, score=0.0))
        hit.score += 1.0 / (rrf_k + rank)
        hit.dense_rank, hit.cosine = rank, score
    return sorted(hits.values(), key=lambda h: -h.score)


def _build_ann(vectors: np.ndarray) -> hnswlib.Index:
    """An inner-product HNSW graph (M 16, ef_construction 100) over unit vectors, labels = row numbers."""
    index = hnswlib.Index(space="ip", dim=vectors.shape[1])
    index.init_index(max_elements=len(vectors), ef_construction=100, M=16, random_seed=7)
    index.set_num_threads(1)
    index.add_items(vectors, np.arange(len(vectors)))
    return index
