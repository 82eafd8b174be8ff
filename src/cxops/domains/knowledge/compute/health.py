"""Knowledge health ("the integration tax"): near-duplicates, conflicts, stale articles, coverage gaps, readiness.

Conflicts are found by comparing quantified facts (an amount, a time window, a percentage, an age) with the
words just before them ("refund within 30 days" -> unit days, value 30, context {refund, within}) across
articles on the same topic (cosine of article vectors, or title word overlap without vectors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

DUPLICATE_COSINE = 0.95
DUPLICATE_JACCARD = 0.8
TOPIC_COSINE = 0.8
TOPIC_TITLE_JACCARD = 0.6
_UNITS = {
    "day": "days", "days": "days", "business": "days", "hour": "hours", "hours": "hours", "week": "weeks",
    "weeks": "weeks", "month": "months", "months": "months", "year": "years", "years": "years",
    "%": "percent", "percent": "percent",
}  # fmt: skip
_FACT = re.compile(
    r"(?P<cur>[$€£])?\s?(?P<num>\d+(?:[.,]\d+)?)\s?"
    r"(?P<unit>%|percent\b|business days?\b|days?\b|hours?\b|weeks?\b|months?\b|years?\b)?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z]+")
_GENERIC_TEXT = (
    "the a an of to for and or in on at by is are be must within up than more less least most after before "
    "per each any all your you our we can may will"
)
_GENERIC = frozenset(_GENERIC_TEXT.split())


@dataclass(slots=True)
class ArticleInfo:
    """What health needs of an article."""

    id: str
    source: str
    title: str
    body: str
    review_due_at: datetime
    #: How current the content is (its source's review date, or when a sync saw it change): of two conflicting
    #: articles the earlier one is the superseded one.
    updated_at: datetime
    vector: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """A quantity stated in a text, with its unit and the content words just before it."""

    unit: str
    value: float
    context: frozenset[str]
    snippet: str


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def extract_facts(text: str) -> list[Fact]:
    """Quantities with a unit (currency, days/hours/weeks/months/years, percent) and their context words."""
    facts = []
    lower = text.lower()
    for m in _FACT.finditer(lower):
        unit = "amount" if m.group("cur") else _UNITS.get((m.group("unit") or "").split(" ")[0].rstrip("s") + "s")
        unit = unit or _UNITS.get((m.group("unit") or "").split(" ")[0])
        if unit is None:
            continue
        window = re.split(r"[.!?;:\n]\s", lower[max(0, m.start() - 60) : m.start()])[-1]  # same sentence only
        before = _WORD.findall(window)[-5:]
        context = frozenset(_stem(w) for w in before if w not in _GENERIC and len(w) > 2)
        if context:
            value = float(m.group("num").replace(",", ""))
            facts.append(Fact(unit, value, context, _sentence(text, m.start(), m.end())))
    return facts


def _sentence(text: str, start: int, end: int, limit: int = 160) -> str:
    """The sentence (or line) of `text` around [start, end), at most `limit` characters, centred on the match."""
    left = max(text.rfind(sep, 0, start) for sep in (". ", "! ", "? ", "\n"))
    stops = [i for i in (text.find(sep, end) for sep in (". ", "! ", "? ", "\n")) if i >= 0]
    lo, hi = left + 1, (min(stops) + 1 if stops else len(text))
    if hi - lo > limit:  # a long sentence: a window around the match, cut at spaces
        lo = max(lo, text.rfind(" ", lo, max(lo, start - limit // 2)) + 1)
        cut = text.find(" ", min(hi, end + limit // 2))
        hi = min(hi, cut if cut >= 0 else hi)
    return " ".join(text[lo:hi].split()).lstrip("#* ")


def conflicting_facts(a: list[Fact], b: list[Fact]) -> list[tuple[Fact, Fact]]:
    """Pairs stating a different value for the same unit and context, where b never states a's value."""
    out = []
    for fa in a:
        same_key = [fb for fb in b if fb.unit == fa.unit and fa.context & fb.context]
        if same_key and all(fb.value != fa.value for fb in same_key):
            out.append((fa, same_key[0]))
    return out


def _shingles(text: str, n: int = 5) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _vector_pairs(items: list[ArticleInfo], threshold: float) -> list[tuple[int, int, float]]:
    if not items or any(a.vector is None for a in items):
        return []
    m = np.vstack([a.vector for a in items])  # type: ignore[misc]
    sims = m @ m.T
    ii, jj = np.nonzero(np.triu(sims, k=1) >= threshold)
    return [(int(i), int(j), float(sims[i, j])) for i, j in zip(ii, jj, strict=True)]


def _title_pairs(items: list[ArticleInfo], threshold: float) -> list[tuple[int, int, float]]:
    titles = [{_stem(w) for w in _WORD.findall(a.title.lower())} - _GENERIC for a in items]
    pairs = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            union = titles[i] | titles[j]
            score = len(titles[i] & titles[j]) / len(union) if union else 0.0
            if score >= threshold:
                pairs.append((i, j, score))
    return pairs


def _similar_pairs(items: list[ArticleInfo], cosine: float, title_jaccard: float) -> list[tuple[int, int, float]]:
    """Pairs close by article vectors or by title words (the union; vectors win on the reported score)."""
    found: dict[tuple[int, int], float] = {(i, j): s for i, j, s in _title_pairs(items, title_jaccard)}
    found.update({(i, j): s for i, j, s in _vector_pairs(items, cosine)})
    return [(i, j, s) for (i, j), s in sorted(found.items())]


def near_duplicates(items: list[ArticleInfo]) -> list[dict[str, Any]]:
    """Pairs of articles in different sources saying nearly the same thing (vectors, else 5-gram Jaccard)."""
    out = []
    shingles = [_shingles(a.body) for a in items]
    for i, j, sim in _similar_pairs(items, DUPLICATE_COSINE, 0.5):
        if items[i].source == items[j].source:
            continue
        jac = len(shingles[i] & shingles[j]) / max(1, len(shingles[i] | shingles[j]))
        if (items[i].vector is not None and sim >= DUPLICATE_COSINE) or jac >= DUPLICATE_JACCARD:
            out.append({"a": items[i].id, "b": items[j].id, "similarity": round(max(sim, jac), 3)})
    return out


def conflicts(items: list[ArticleInfo]) -> list[dict[str, Any]]:
    """Same-topic article pairs that state different amounts, time windows, percentages or ages."""
    facts = [extract_facts(a.title + "\n" + a.body) for a in items]
    out = []
    for i, j, sim in _similar_pairs(items, TOPIC_COSINE, TOPIC_TITLE_JACCARD):
        pairs = conflicting_facts(facts[i], facts[j])
        if pairs:
            fa, fb = pairs[0]
            older, newer = (i, j) if items[i].updated_at <= items[j].updated_at else (j, i)
            out.append({
                "a": items[i].id, "b": items[j].id, "similarity": round(sim, 3), "unit": fa.unit,
                "a_says": fa.snippet, "b_says": fb.snippet, "older": items[older].id, "newer": items[newer].id,
            })  # fmt: skip
    return out


def stale(items: list[ArticleInfo], now: datetime, conflict_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Articles past their review date, or older than a newer article they conflict with."""
    superseded = {c["older"]: c["newer"] for c in conflict_rows}
    by_id = {a.id: a for a in items}
    out = []
    for a in items:
        reasons = []
        if a.review_due_at < now:
            reasons.append(f"review overdue by {(now - a.review_due_at).days} days")
        if a.id in superseded:
            newer = by_id.get(superseded[a.id])
            named = f"'{newer.title}' ({newer.source})" if newer else superseded[a.id]
            reasons.append(f"older than conflicting article {named}")
        if reasons:
            out.append({"article_id": a.id, "title": a.title, "reasons": reasons})
    return out


@dataclass(slots=True)
class Readiness:
    """A 0-100 score and the deductions behind it, worst first."""

    score: int
    reasons: list[dict[str, Any]] = field(default_factory=list)


def readiness(
    n_articles: int, dups: int, conflict_n: int, stale_n: int, gaps: list[dict[str, Any]], intents: int
) -> Readiness:
    """100 minus capped deductions: stale share x30, conflicts x25, duplicates x15, uncovered demand x30.

    Each deduction is proportional to the affected share (articles for content issues, interaction volume
    for coverage), so the score compares knowledge bases of different sizes.
    """
    if n_articles == 0:
        return Readiness(0, [{"reason": "no active articles", "points": 100}])
    gap_volume = sum(g["interactions"] for g in gaps)
    items = [
        ("articles past review or superseded", stale_n, 30 * stale_n / n_articles),
        ("article pairs with conflicting facts", conflict_n, min(25.0, 25 * 4 * conflict_n / n_articles)),
        ("near-duplicate pairs across sources", dups, min(15.0, 15 * 4 * dups / n_articles)),
        ("intents with no article above threshold", len(gaps), 30 * gap_volume / intents if intents else 0.0),
    ]
    kept = sorted(((r, c, round(p, 1)) for r, c, p in items if p > 0), key=lambda item: -item[2])
    reasons: list[dict[str, Any]] = [{"reason": r, "count": c, "points": p} for r, c, p in kept]
    return Readiness(max(0, round(100 - sum(p for _, _, p in kept))), reasons)
