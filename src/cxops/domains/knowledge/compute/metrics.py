"""Retrieval quality metrics over ranked document ids (binary relevance)."""

from __future__ import annotations

import math
from collections.abc import Sequence, Set


def recall_at_k(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """|relevant ∩ top k| / |relevant| (0 when nothing is relevant).

    Args:
        ranked: document ids, best first.
        relevant: ids judged relevant.
        k: cut-off.
    """
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """nDCG@k = DCG@k / IDCG@k with DCG = sum_{i<=k} rel_i / log2(i + 1) (Järvelin & Kekäläinen 2002)."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal


def dedupe(ids: Sequence[str]) -> list[str]:
    """Ids in order of first appearance (chunk hits -> article ranking)."""
    return list(dict.fromkeys(ids))
