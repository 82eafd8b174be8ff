"""Calibrated confidence of a retrieved passage: logistic (Platt) scaling of retrieval features.

P(relevant | x) = sigmoid(w · x + b), with x = (cosine to the query, 1 if BM25 and dense both ranked the
passage in their top 10, b / (b + 1) with b the BM25 score per query term). The weights are fitted by `fit_logistic` on
StackFAQ queries by the retrieval benchmark (Platt 1999) and checked there with the expected calibration
error (Naeini et al. 2015) on held-out queries and on banking_knowledge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Fitted by `cxops bench retrieval` on StackFAQ (hybrid features), see docs/benchmarks.md.
HYBRID_WEIGHTS = (14.863, -1.611, 2.161, -6.583)
#: Fitted the same way with the BM25 feature alone (no encoder installed).
BM25_WEIGHTS = (0.0, 0.0, 8.449, -3.475)


def features(cosine: float | None, both_top: bool, bm25: float | None, query_terms: float = 1) -> np.ndarray:
    """Feature vector (cosine, agreement, squashed BM25 per query term) of one passage; missing parts count as 0.

    BM25 grows with the number of query terms (and their qtf boosts), so it is divided by the BM25 query's total
    term weight (`Hit.extra["query_weight"]`) before squashing with b / (b + 1); otherwise long queries would
    look confident whatever they match.
    """
    per_term = bm25 / max(1, query_terms) if bm25 and bm25 > 0 else 0.0
    squashed = per_term / (per_term + 1.0)
    return np.array([cosine or 0.0, 1.0 if both_top else 0.0, squashed], dtype=np.float64)


def confidence(x: np.ndarray, weights: Sequence[float]) -> float:
    """sigmoid(w · x + b) with weights = (w1, w2, w3, b)."""
    z = float(np.dot(np.asarray(weights[:-1]), x) + weights[-1])
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-3, iterations: int = 50) -> tuple[float, ...]:
    """Weights (w..., b) maximising the L2-penalised log-likelihood, by Newton-Raphson (IRLS).

    Args:
        x: (n, d) features.
        y: (n,) labels in {0, 1}.
        l2: ridge penalty on the weights (not the bias).
        iterations: Newton steps (stops early when the step is tiny).
    """
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.eye(xb.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -50, 50)))
        grad = xb.T @ (p - y) + penalty @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + penalty + np.eye(len(w)) * 1e-9
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return tuple(float(v) for v in w)


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """ECE = sum_b (n_b / n) |mean(y_b) - mean(p_b)| over equal-width probability bins."""
    if len(p) == 0:
        return 0.0
    edges = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = edges == b
        if sel.any():
            total += sel.sum() / len(p) * abs(float(y[sel].mean()) - float(p[sel].mean()))
    return total
