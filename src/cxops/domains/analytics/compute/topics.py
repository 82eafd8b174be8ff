"""Topic discovery in customer turns (TF-IDF + mini-batch k-means) and emerging-topic alerts.

Labels are each cluster's top terms (highest centroid weights), so they read as what customers said.
References: scikit-learn TfidfVectorizer and MiniBatchKMeans (Sculley 2010, "Web-scale k-means clustering").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfVectorizer

DAY_S = 86_400
MIN_DOCS = 20


@dataclass(frozen=True, slots=True)
class Topics:
    """Discovered topics and the topic of each document."""

    assignments: np.ndarray
    topics: list[dict[str, Any]]


def discover(docs: Sequence[str], *, k: int = 8, seed: int = 0, top_terms: int = 5) -> Topics:
    """Cluster documents into at most `k` topics labelled by their top terms.

    Args:
        docs: one text per contact (its customer turns joined).
        k: the number of topics wanted; reduced to len(docs) // 5 for small samples (at least 2).
        seed: random seed, for reproducible clusters.
        top_terms: terms listed per topic.

    Returns:
        Topics: `assignments[i]` is the topic id of docs[i]; each topic has id, label, terms and size.
    """
    if len(docs) < MIN_DOCS:
        raise ValueError(f"need at least {MIN_DOCS} documents with customer text, got {len(docs)}")
    vectorizer = TfidfVectorizer(
        stop_words="english", max_features=5000, min_df=2, max_df=0.5, ngram_range=(1, 2), sublinear_tf=True
    )
    matrix = vectorizer.fit_transform(docs)
    k = max(2, min(k, len(docs) // 5))
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=1024)
    labels = model.fit_predict(matrix)
    vocab = vectorizer.get_feature_names_out()
    topics = []
    for topic_id, centre in enumerate(model.cluster_centers_):
        terms = [str(vocab[i]) for i in np.argsort(centre)[::-1][:top_terms] if centre[i] > 0]
        size = int((labels == topic_id).sum())
        topics.append({"topic": topic_id, "label": " / ".join(terms[:3]) or "(empty)", "terms": terms, "size": size})
    return Topics(assignments=labels, topics=topics)


def emerging(
    times: Sequence[float],
    assignments: np.ndarray,
    *,
    as_of: float,
    recent_days: int = 7,
    baseline_days: int = 28,
    min_recent: int = 5,
    min_growth: float = 2.0,
    observed_from: float | None = None,
    min_baseline_days: float = 7.0,
) -> dict[int, dict[str, Any]]:
    """Per topic: contacts in the recent window vs the rate of the baseline window before it.

    growth = (recent + 1) / (baseline_count x recent_days / observed baseline days + 1)   (add-one smoothing)
    A topic is *emerging* when recent >= min_recent and growth >= min_growth.

    `observed_from`: the sample holds every contact from this time on and none before (a sample cut at its
    newest N contacts, or a range starting inside the baseline window). Only that part of the baseline is
    compared: counting the unobserved part as zero made every topic of a short sample look new. With less than
    `min_baseline_days` observed (or a recent window not wholly observed) growth is None and nothing emerges.
    """
    t = np.asarray(times, dtype=np.float64)
    recent_from = as_of - recent_days * DAY_S
    base_from = recent_from - baseline_days * DAY_S
    seen_from = base_from if observed_from is None else max(base_from, float(observed_from))
    observed_days = max(0.0, (recent_from - seen_from) / DAY_S)
    judged = observed_days >= min_baseline_days
    out: dict[int, dict[str, Any]] = {}
    for topic_id in np.unique(assignments):
        mine = t[assignments == topic_id]
        recent = int(((mine >= recent_from) & (mine < as_of)).sum())
        baseline = int(((mine >= seen_from) & (mine < recent_from)).sum())
        expected = baseline * recent_days / observed_days if judged else None
        growth = (recent + 1) / (expected + 1) if expected is not None else None
        out[int(topic_id)] = {
            "recent": recent,
            "baseline": baseline,
            "baseline_days": round(observed_days, 1),
            "expected_recent": None if expected is None else round(expected, 2),
            "growth": None if growth is None else round(growth, 2),
            "emerging": growth is not None and recent >= min_recent and growth >= min_growth,
        }
    return out
