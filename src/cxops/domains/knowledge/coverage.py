"""Knowledge coverage per intent: how much of what customers ask about an intent the knowledge hub can answer.

Per intent, the first customer turn of its newest contacts (up to `sample`, started since a date) is put to
knowledge search exactly as the answer endpoint does (hybrid when an encoder is installed, else BM25; every
article, as the knowledge health report sees them); a question counts as answered when `answer` would answer
it rather than abstain, i.e. a passage reaches the confidence threshold (0.5, the endpoint's default).
coverage = answered / sampled. Intents without a customer turn in range are absent: there is no evidence.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cxops.core.auth import Role
from cxops.domains.knowledge import repository, retrieval
from cxops.domains.knowledge.compute.search import Access
from cxops.domains.knowledge.ports import Embedder

SAMPLE = 20  # customer questions sampled per intent
THRESHOLD = 0.5  # the answer endpoint's default confidence threshold
_ACCESS = Access(role=Role.ADMIN.value, see_all=True)


def coverage_by_intent(
    session: Session,
    *,
    org_id: uuid.UUID,
    data_dir: Path,
    embedder: Embedder | None,
    intents: Sequence[str],
    since: datetime,
    sample: int = SAMPLE,
    threshold: float = THRESHOLD,
) -> dict[str, dict[str, Any]]:
    """{intent: {coverage (0-1), sampled, answered, median_confidence, top_article}} for the intents with customer
    questions since `since`; `top_article` is the title most often retrieved first for them (None if none was)."""
    questions = repository.intent_questions(session, org_id, intents=intents, since=since, per_intent=sample)
    # each distinct question is searched once: customers (and the demo's 780 sampled questions, 417 distinct) often
    # open with the same words, and a search (an encoder pass and a hybrid query) is the whole cost here
    verdicts: dict[str, tuple[bool, float, str | None]] = {}
    out: dict[str, dict[str, Any]] = {}
    for intent, asked in questions.items():
        answered, confidences, tops = 0, [], Counter[str]()
        for text in asked:
            if text not in verdicts:
                verdicts[text] = _verdict(session, org_id, data_dir, embedder, text, threshold)
            ok, confidence, top = verdicts[text]
            answered += ok
            confidences.append(confidence)
            if top is not None:
                tops[top] += 1
        out[intent] = {
            "coverage": round(answered / len(asked), 4),
            "sampled": len(asked),
            "answered": answered,
            "median_confidence": round(float(statistics.median(confidences)), 4),
            "top_article": tops.most_common(1)[0][0] if tops else None,
        }
    return out


def _verdict(
    session: Session, org_id: uuid.UUID, data_dir: Path, embedder: Embedder | None, text: str, threshold: float
) -> tuple[bool, float, str | None]:
    """Whether the answer endpoint would answer `text`, the best passage's confidence, its article's title."""
    results, _ = retrieval.search(
        session, org_id=org_id, data_dir=data_dir, embedder=embedder, query=text, access=_ACCESS, k=3
    )
    answered = bool(retrieval.answer(results, threshold=threshold)["answered"])
    if not results:
        return answered, 0.0, None
    return answered, results[0]["confidence"], str(results[0]["citation"]["title"])


def content_generation(session: Session, *, org_id: uuid.UUID) -> str:
    """Identity of the organisation's indexed content (changes with every sync or audience change)."""
    return repository.generation(session, org_id)
