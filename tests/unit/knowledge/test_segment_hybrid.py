"""Segment hybrid retrieval: query segmentation, salient BM25 query, segment max-sim, z-score fusion, access."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from cxops.domains.knowledge.compute import search
from cxops.domains.knowledge.compute.search import (
    Access,
    Entry,
    HybridIndex,
    fuse_scores,
    query_terms,
    query_weight,
    salient_text,
    segment_scores,
    split_query,
    weighted_query,
    zscores,
)
from cxops.domains.knowledge.retrieval import embed_query

BOILERPLATE = (
    "You are playing the role of a customer talking to a representative agent today. "
    "Never respond as the representative yourself and stay in character the whole time. "
)


def _long_query(request: str) -> str:
    return BOILERPLATE * 4 + request + "\n1.\nOk."


def test_short_query_is_one_segment() -> None:
    assert split_query("how do I freeze my card") == ["how do I freeze my card"]


def test_long_query_splits_into_sentences_of_three_words_or_more() -> None:
    parts = split_query(_long_query("I want to freeze my lost debit card now."))
    assert len(parts) == 9
    assert parts[-1] == "I want to freeze my lost debit card now."
    assert "1." not in parts and "Ok." not in parts  # fragments under three words are dropped
    assert all(len(p.split()) >= 3 for p in parts)


def test_long_query_without_sentences_stays_whole() -> None:
    text = " ".join(["ab"] * 70)
    assert split_query(text) == [text]


def test_salient_text_keeps_the_segments_closest_to_the_knowledge_base_in_query_order() -> None:
    segments = ["persona a", "card freeze", "persona b", "fee refund", "persona c"]
    best = np.array([0.1, 0.7, 0.2, 0.6, 0.15])
    assert salient_text(segments, best) == "card freeze fee refund"  # ceil(0.4 * 5) = 2 segments
    assert salient_text(segments, best, share=0.01) == "card freeze"  # at least one
    assert salient_text(["only"], np.array([0.0])) == "only"
    with pytest.raises(ValueError, match="3 segments but 2 cosines"):
        salient_text(["a", "b", "c"], np.array([0.1, 0.2]))


def test_segment_scores_average_each_chunks_closest_segments() -> None:
    cosines = np.array([[0.9, 0.1, 0.8, 0.0], [0.5, 0.5, 0.5, 0.5]])
    assert segment_scores(cosines, top=2) == pytest.approx([0.85, 0.5])
    assert segment_scores(cosines[:, :1], top=3) == pytest.approx([0.9, 0.5])  # fewer segments than top
    with pytest.raises(ValueError, match="chunks, segments"):
        segment_scores(np.ones(3))


def test_zscores_of_constant_values_are_zero() -> None:
    assert zscores(np.array([2.0, 2.0])) == pytest.approx([0.0, 0.0])
    assert zscores(np.array([1.0, 3.0])) == pytest.approx([-1.0, 1.0])


def test_fusion_rescores_every_candidate_and_rewards_agreement() -> None:
    vectors = np.eye(4, 8, dtype=np.float32)
    query = np.eye(1, 8, dtype=np.float32)  # points at chunk 0
    hits = fuse_scores([(1, 6.0), (0, 5.0)], np.array([0, 2]), vectors, query)
    by_index = {h.index: h for h in hits}
    assert hits[0].index == 0  # second in BM25 but the only dense match
    assert by_index[1].cosine == pytest.approx(0.0)  # found by BM25 only: real dense score, not missing
    assert by_index[2].bm25 is None and by_index[2].bm25_rank is None
    assert by_index[0].bm25_rank == 2 and by_index[0].dense_rank == 1
    assert fuse_scores([(1, 6.0), (0, 5.0)], np.array([0, 2]), vectors, query, dense_weight=0.0)[0].index == 1
    assert fuse_scores([], np.zeros(0, dtype=np.int64), vectors, query) == []
    assert [h.index for h in fuse_scores([(1, 6.0), (0, 5.0)], np.array([0, 2]), vectors, query, limit=2)] == [
        h.index for h in hits[:2]
    ]


def test_fusion_of_a_segmented_query_adds_the_whole_query_bm25_list_after_the_two_list_lead() -> None:
    vectors = np.eye(4, 8, dtype=np.float32)
    queries = np.vstack([np.eye(1, 8, k=3), np.eye(1, 8, k=3)]).astype(np.float32)  # two segments, both at chunk 3
    salient = [(0, 5.0), (1, 4.0)]
    without = fuse_scores(salient, np.array([3]), vectors, queries)
    assert [h.index for h in without] == [0, 1, 3]  # z(BM25) + 0.5 z(dense) over chunks 0, 1, 3
    hits = fuse_scores(salient, np.array([3]), vectors, queries, whole=[(2, 9.0), (1, 8.0)])
    by_index = {h.index: h for h in hits}
    assert set(by_index) == {0, 1, 2, 3}  # chunk 2 enters through the whole-query list alone
    assert by_index[2].bm25 is None and by_index[2].bm25_rank is None  # bm25 / bm25_rank stay the salient list's
    assert by_index[2].extra["bm25_whole"] == 9.0 and by_index[3].extra["bm25_whole"] == 0.0
    # after the lead: 0.25 z(salient) + 1.0 z(whole) + 1.0 z(dense) over the union of the three lists
    w_salient, w_whole, w_dense = search.THREE_LIST_WEIGHTS
    three = (
        w_salient * zscores(np.array([5.0, 4.0, 0, 0]))
        + w_whole * zscores(np.array([0, 8.0, 9.0, 0]))
        + w_dense * zscores(np.array([0, 0, 0, 1.0]))
    )
    assert int(np.argmax(three)) == 1 and three[2] > three[0]  # on its own, the three-list score would drop 0
    assert [h.index for h in hits] == [0, *[i for i in np.argsort(-three) if i != 0]]  # the two-list best leads
    assert hits[0].score == pytest.approx(three.max())  # with the top score: scores never rise down the list
    assert [h.score for h in hits[1:]] == pytest.approx(sorted(three[[1, 2, 3]], reverse=True))


def _kb() -> tuple[list[Entry], np.ndarray]:
    entries = [
        Entry("c0", "freeze", "freeze a lost debit card in the app"),
        Entry("c1", "roleplay", "role of a customer representative agent character"),
        Entry("c2", "fees", "monthly maintenance fee schedule"),
    ]
    return entries, np.eye(3, 8, dtype=np.float32)


@pytest.mark.parametrize("ann", [False, True])
def test_boilerplate_segments_do_not_reach_the_bm25_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ann: bool
) -> None:
    monkeypatch.setattr(search, "ANN_MIN", 1 if ann else 10**9)
    entries, vectors = _kb()
    index = HybridIndex.build(tmp_path / "idx", entries, vectors)
    text = BOILERPLATE + (
        "I lost my debit card somewhere in town yesterday evening after dinner with friends. "
        "I want to freeze the lost debit card in the app before anybody uses it for purchases. "
        "Please tell me exactly how the freeze works and whether I can undo it later myself."
    )
    segments = split_query(text)
    assert len(segments) == 5 and len(text.split()) > 60
    far = np.zeros((5, 8), dtype=np.float32)
    far[:2, 7] = 1.0  # the two boilerplate sentences: unlike anything in the knowledge base
    for row, weight in ((2, 0.6), (3, 0.9), (4, 0.7)):  # ceil(0.4 * 5) = 2 kept: rows 3 and 4
        far[row, 0], far[row, 7] = weight, np.sqrt(1 - weight**2)
    admin = Access(role="admin", see_all=True)
    hits = index.search(text, far, admin, k=3)
    assert hits[0].index == 0 and hits[0].bm25_rank == 1
    roleplay = [h for h in hits if h.index == 1]
    assert all(h.bm25_rank is None for h in roleplay)  # its words were only in the boilerplate
    # ... which the whole-query BM25 list (the third fused list) still sees, with a lower fused score
    assert roleplay and roleplay[0].extra["bm25_whole"] > 0 and roleplay[0].score < hits[0].score
    assert hits[0].extra["bm25_whole"] > 0
    assert hits[0].extra["query_weight"] == query_weight(" ".join(segments[3:]), power=0.0)  # salient, distinct terms
    # the whole text as BM25 query (one vector: no segments) does match the role-play chunk
    assert 1 in {i for i, _ in index.bm25(text, admin, 3)}


@pytest.mark.parametrize("ann", [False, True])
def test_hidden_chunks_never_reach_segment_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ann: bool) -> None:
    monkeypatch.setattr(search, "ANN_MIN", 1 if ann else 10**9)
    rng = np.random.default_rng(3)
    entries = [Entry(f"r{i}", f"secret{i}", f"refund override code {i}", roles=("supervisor",)) for i in range(30)]
    entries += [Entry("p0", "public0", "refund policy within thirty days"), Entry("p1", "public1", "refund by card")]
    vectors = rng.normal(size=(32, 16)).astype(np.float32)
    vectors[:30] = vectors[0] + rng.normal(scale=0.01, size=(30, 16))  # hidden chunks crowd one region
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = HybridIndex.build(tmp_path / "idx", entries, vectors)
    agent = Access(role="agent")
    # BM25: the unfiltered top list holds only hidden chunks beyond the first two, so the filtered query runs
    assert {i for i, _ in index.bm25("refund", agent, 5)} == {30, 31}
    assert len(index.bm25("refund", Access(role="supervisor"), 40)) == 32
    queries = np.vstack([vectors[0], vectors[5]])  # both segments sit among the hidden chunks
    hits = index.search("refund override code please. " * 30, queries, agent, k=10)
    assert {h.index for h in hits} <= {30, 31}
    assert {i for i, _ in index.dense(vectors[0], agent, 2)} == {30, 31}


class _HashEmbedder:
    """Deterministic fake encoder: a unit vector from the text's hash."""

    model_id = "fake"
    dimension = 8

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.array([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_embed_query_gives_one_row_per_segment() -> None:
    text = _long_query("I want to freeze my lost debit card now.")
    vectors = embed_query(_HashEmbedder(), text)
    assert vectors.shape == (len(split_query(text)), 8) and vectors.dtype == np.float32
    assert embed_query(_HashEmbedder(), "freeze my card").shape == (1, 8)


def test_bm25_query_weighs_terms_by_how_often_the_query_uses_them(tmp_path: Path) -> None:
    text = "Card fees: the card's annual fee, card limits and the fee for a lost card"
    assert weighted_query(text) == "card^3.000 fees cards annual fee^2.000 limits lost"  # card's -> cards
    assert weighted_query(text, power=0.0) == " ".join(query_terms(text))
    assert weighted_query(text, max_terms=2, power=0.5) == "card^1.732 fees"
    index = HybridIndex.build(
        tmp_path / "idx", [Entry("a", "a", "card replacement"), Entry("b", "b", "annual fee schedule")], None
    )
    admin = Access(role="admin", see_all=True)
    assert index.bm25("card card card card annual fee", admin, 2)[0][0] == 0  # the repeated term wins
    assert index.bm25("card annual fee", admin, 2)[0][0] == 1  # distinct terms: two matches beat one
    assert query_weight("card card card card annual fee") == 6.0
    hits = index.search("card card card card annual fee", None, admin)
    assert [h.extra["query_weight"] for h in hits] == [6.0, 6.0]  # what the confidence divides BM25 by
