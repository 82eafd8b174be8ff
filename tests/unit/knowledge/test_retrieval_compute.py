"""Chunking, fusion, access filtering before ranking, metrics, calibration and health checks (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from cxops.domains.knowledge.compute import calibration, health, search
from cxops.domains.knowledge.compute.chunking import chunk_body
from cxops.domains.knowledge.compute.metrics import ndcg_at_k, recall_at_k
from cxops.domains.knowledge.compute.search import Access, Entry, HybridIndex, fuse


def test_chunks_follow_headings_and_word_budget() -> None:
    body = "Intro line.\n\n# Cards\n\n## Lost card\n\n" + "freeze " * 50 + "\n\n" + "call " * 50 + "\n\n# Fees\n\nNone."
    chunks = chunk_body(body, max_words=60)
    assert [c.section for c in chunks] == ["", "Cards > Lost card", "Cards > Lost card", "Fees"]
    assert all(len(c.text.split()) <= 60 for c in chunks)
    assert chunks[1].indexed_text("Help").startswith("Help — Cards > Lost card\n")


def test_rrf_rewards_agreement() -> None:
    hits = fuse([(1, 9.0), (2, 8.0)], [(2, 0.9), (3, 0.8)])
    assert [h.index for h in hits] == [2, 1, 3]
    assert hits[0].bm25_rank == 2 and hits[0].dense_rank == 1 and hits[0].cosine == 0.9


def _entries() -> list[Entry]:
    return [
        Entry("c0", "public", "refund policy within thirty days"),
        Entry("c1", "secret", "refund policy internal override codes", roles=("supervisor",)),
        Entry("c2", "eu-gold", "refund policy for gold customers in europe", regions=("eu",), tiers=("gold",)),
    ]


def _vectors() -> np.ndarray:
    v = np.eye(3, 8, dtype=np.float32)
    return v


@pytest.mark.parametrize("ann", [False, True])
def test_restricted_chunks_never_reach_the_ranking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ann: bool) -> None:
    monkeypatch.setattr(search, "ANN_MIN", 1 if ann else 10**9)
    index = HybridIndex.build(tmp_path / "idx", _entries(), _vectors())
    query_at_secret = np.eye(3, 8, dtype=np.float32)[1]
    agent = Access(role="agent")
    assert {i for i, _ in index.bm25("refund override codes", agent, 10)} == {0}
    assert {i for i, _ in index.dense(query_at_secret, agent, 10)} == {0}
    assert {h.index for h in index.search("override codes", query_at_secret, agent)} == {0}
    assert {i for i, _ in index.bm25("refund", Access(role="agent", region="EU", tier="gold"), 10)} == {0, 2}
    assert {i for i, _ in index.bm25("refund", Access(role="agent", region="eu", tier="silver"), 10)} == {0}
    assert {i for i, _ in index.dense(query_at_secret, Access(role="supervisor"), 10)} == {0, 1}
    assert {i for i, _ in index.bm25("refund", Access(role="agent", see_all=True), 10)} == {0, 1, 2}


def test_index_reopens_from_disk_without_vectors(tmp_path: Path) -> None:
    HybridIndex.build(tmp_path / "idx", _entries(), None)
    index = HybridIndex.open(tmp_path / "idx")
    assert index.vectors is None and index.dense(np.ones(8), Access(role="admin"), 5) == []
    assert index.bm25("gold europe", Access(role="admin", see_all=True), 5)[0][0] == 2
    assert index.bm25("the of and", Access(role="admin"), 5) == []


def test_metrics() -> None:
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 2) == 0.25
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], {"a"}, 10) == pytest.approx(1 / np.log2(3))
    assert recall_at_k(["a"], set(), 5) == 0.0


def test_logistic_fit_recovers_a_known_model_and_ece() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 1))
    y = (rng.random(4000) < 1 / (1 + np.exp(-(3 * x[:, 0] - 1)))).astype(float)
    w = calibration.fit_logistic(x, y)
    assert w[0] == pytest.approx(3, abs=0.3) and w[1] == pytest.approx(-1, abs=0.2)
    p = 1 / (1 + np.exp(-(w[0] * x[:, 0] + w[1])))
    assert calibration.expected_calibration_error(p, y) < 0.03
    assert calibration.expected_calibration_error(np.full(4000, 0.99), y) > 0.5


def test_confidence_grows_with_cosine() -> None:
    lo = calibration.confidence(calibration.features(0.2, False, 5.0), calibration.HYBRID_WEIGHTS)
    hi = calibration.confidence(calibration.features(0.8, True, 20.0), calibration.HYBRID_WEIGHTS)
    assert 0 <= lo < hi <= 1


NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _article(
    i: str, source: str, title: str, body: str, *, due_days: int = 30, age_days: int = 0
) -> health.ArticleInfo:
    return health.ArticleInfo(i, source, title, body, NOW + timedelta(days=due_days), NOW - timedelta(days=age_days))


def test_conflicting_refund_windows_are_found_and_the_older_is_stale() -> None:
    items = [
        _article("a", "wiki", "Refund policy", "You can request a refund within 30 days of purchase.", age_days=300),
        _article(
            "b", "zendesk", "Refund policy update", "Refunds are possible within 14 days of purchase.", age_days=5
        ),
        _article("c", "wiki", "Card fees", "The card fee is $25 per year.", due_days=-10),
    ]
    conflicts = health.conflicts(items)
    assert len(conflicts) == 1 and conflicts[0]["unit"] == "days"
    assert conflicts[0]["older"] == "a" and "30 days" in conflicts[0]["a_says"]
    # Whole sentences, not a window cut mid-word.
    assert (conflicts[0]["a_says"], conflicts[0]["b_says"]) == (
        "You can request a refund within 30 days of purchase.",
        "Refunds are possible within 14 days of purchase.",
    )
    stale = {s["article_id"]: s["reasons"] for s in health.stale(items, NOW, conflicts)}
    assert stale["a"] == ["older than conflicting article 'Refund policy update' (zendesk)"]
    assert stale["c"][0].startswith("review overdue by 10 days")


def test_same_value_is_not_a_conflict_and_duplicates_need_other_sources() -> None:
    body = "Reset your password from the settings page. The link expires after 24 hours. " * 3
    items = [
        _article("a", "wiki", "Reset password", body),
        _article("b", "zendesk", "Reset password", body),
        _article("c", "zendesk", "Reset password", body),
    ]
    assert health.conflicts(items) == []
    pairs = {(d["a"], d["b"]) for d in health.near_duplicates(items)}
    assert pairs == {("a", "b"), ("a", "c")}


def test_readiness_deducts_worst_first() -> None:
    gaps = [{"intent": "x", "interactions": 50}]
    result = health.readiness(10, dups=1, conflict_n=1, stale_n=5, gaps=gaps, intents=100)
    assert result.score == (100 - 15 - 10 - 6 - 15)
    assert next(r["reason"] for r in result.reasons) == "articles past review or superseded"
    assert health.readiness(0, 0, 0, 0, [], 0).score == 0
    assert health.readiness(5, 0, 0, 0, [], 0).score == 100
