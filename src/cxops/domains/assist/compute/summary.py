"""CRM-ready documentation of one ended interaction, computed from its (PII-redacted) transcript. Pure numpy.

* **Extractive summary**: the transcript's customer and agent sentences are the candidates; each gets a prior
  (content words, references and amounts, the customer's first substantive sentence = the reason for contact,
  the agent's resolution) and a centrality (TextRank: PageRank over the cosine-similarity graph, Mihalcea &
  Tarau 2004) over MiniLM sentence vectors when an encoder is given, else over TF-IDF vectors. Sentences are then
  picked by Maximal Marginal Relevance (Carbonell & Goldstein 1998, lambda 0.7) so the summary is not five
  versions of the same line, and returned in transcript order with their speaker and turn number.
* **Disposition**: the intent model's predictions over the customer's sentences (the same vectors, computed once),
  aggregated with more weight on the opening; without a model, the interaction's own intent/disposition/tags.
  The outcome is the interaction's own, else read from the transcript (escalated, transferred, resolved).
* **Action items** and **entities**: see `entities.py`.

The JSON is versioned (`schema: cxops.documentation/1`); `generative` is filled later, by an optional LLM.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from cxops.domains.assist.compute.entities import (
    TurnText,
    extract_action_items,
    extract_entities,
    find_amounts,
    mask_pii,
    split_sentences,
)

SCHEMA = "cxops.documentation/1"
SUMMARY_SPEAKERS = frozenset({"customer", "agent", "ai"})
MAX_UNITS = 300  # sentences considered for the summary (a huge transcript is pre-filtered by prior)
MAX_SENTENCE_CHARS = 400
MMR_LAMBDA = 0.7
MAX_PROMPT_CHARS = 12_000

Encode = Callable[[Sequence[str]], np.ndarray]

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP_WORDS = """a an the and or but if so of to in on at by for with from as is are was were be been being it its it's
this that these those i i'm i've i'll i'd me my we we're we've our you you're you've your yours he she they them their
what which who whom do does did done have has had having can could would should will shall may might must not no yes
yeah ok okay sure right just please thank thanks thankyou hi hello hey bye goodbye there here then than too very
really also any all some one get got go going let let's me oh um uh hmm well now today again still moment sorry great
lovely brilliant perfect alright fine cheers day"""
_STOP = frozenset(_STOP_WORDS.split())
_PHATIC = re.compile(
    r"\b(?:anything else|have a (?:lovely|nice|good|great) day|thanks? (?:you )?for (?:calling|getting in touch|"
    r"contacting)|how can i help|you're through to|speaking\.|chatting with|bear with me|are you still there|"
    r"still there|repeat that|line is a bit|double-check i've got|name and postcode|you're verified|"
    r"transferring the contact|postcode|for security|verify|i can help with that|(?:kind )?regards|dear \w+|"
    r"you're welcome|we're here if you need)\b",
    re.IGNORECASE,
)
_RESOLUTION = re.compile(
    r"\b(?:I've|I have|we've|we have)\s+(?:\w+\s+){0,2}?(?:cancelled|refunded|issued|sent|emailed|updated|credited|"
    r"removed|reversed|unlocked|reset|closed|changed|moved|booked|upgraded|paused|logged|arranged|added|set up|"
    r"redirected|resent|cleared|escalated|raised|reserved|opened)\b|\bescalated\b|\btransfer\b",
    re.IGNORECASE,
)
_OUTCOME_PATTERNS = (
    ("escalated", re.compile(r"\b(?:escalat\w*|complaints team|passing this to|raised a (?:case|ticket))\b", re.I)),
    ("transferred", re.compile(r"\b(?:transfer(?:ring)? (?:you|the contact)|put you through|colleague who)\b", re.I)),
    ("resolved", _RESOLUTION),
)


class IntentPredictionLike(Protocol):
    """One prediction of the intent model (see compute/intents.IntentPrediction)."""

    @property
    def top(self) -> list[tuple[str, float]]: ...

    @property
    def out_of_scope(self) -> bool: ...

    @property
    def confidence(self) -> float: ...


class IntentModelLike(Protocol):
    """The intent model as documentation uses it (see compute/intents.IntentModel)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    def predict(self, texts: Sequence[str], embeddings: np.ndarray) -> Sequence[IntentPredictionLike]: ...


@dataclass(frozen=True, slots=True)
class InteractionFacts:
    """What documentation needs to know about the interaction besides its turns."""

    id: str
    started_at: datetime
    ended_at: datetime | None
    channel: str
    source: str = ""
    external_id: str = ""
    outcome: str | None = None
    disposition: str | None = None
    intent: str | None = None
    tags: list[str] = field(default_factory=list)
    queue_id: str | None = None
    agent_id: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """A candidate sentence: its turn, speaker and text, and its prior (how informative it looks on its own)."""

    turn: int
    speaker: str
    text: str
    prior: float
    reason: bool = False  # the customer's first substantive sentence: the reason for contact


def candidate_units(turns: Sequence[TurnText]) -> list[Unit]:
    """Customer and agent sentences with their priors, in transcript order (at most MAX_UNITS, best priors)."""
    units: list[Unit] = []
    reason_seen = False
    for turn in turns:
        if turn.speaker not in SUMMARY_SPEAKERS:
            continue
        for sentence in split_sentences(turn.text):
            text = mask_pii(sentence[:MAX_SENTENCE_CHARS])
            words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
            if not words:
                continue
            prior, reason = min(len(words), 12) / 12, False
            if any(c.isdigit() for c in text) or find_amounts(text):
                prior += 0.3
            if _PHATIC.search(text):
                prior -= 0.8
            if turn.speaker == "customer" and not reason_seen and len(words) >= 3 and not _PHATIC.search(text):
                prior += 0.6
                reason_seen = reason = True
            if turn.speaker != "customer" and _RESOLUTION.search(text):
                prior += 0.5
            elif turn.speaker != "customer" and text.endswith("?"):
                prior -= 0.3  # the agent's questions restate what the customer then says
            units.append(Unit(turn.seq, turn.speaker, text, prior, reason))
    if len(units) > MAX_UNITS:
        keep = sorted(sorted(range(len(units)), key=lambda i: -units[i].prior)[:MAX_UNITS])
        units = [units[i] for i in keep]
    return units


def tfidf_vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF vectors of `texts` over their own vocabulary (stop words removed)."""
    docs = [[w for w in _WORD.findall(t.lower()) if w not in _STOP] for t in texts]
    vocab = {w: i for i, w in enumerate(sorted({w for d in docs for w in d}))}
    out = np.zeros((len(docs), max(len(vocab), 1)), dtype=np.float32)
    for row, doc in enumerate(docs):
        for w in doc:
            out[row, vocab[w]] += 1.0
    df = (out > 0).sum(axis=0)
    out *= (np.log((1 + len(docs)) / (1 + df)) + 1.0).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


def textrank(vectors: np.ndarray, damping: float = 0.85, iterations: int = 40) -> np.ndarray:
    """PageRank scores over the non-negative cosine-similarity graph of `vectors` (rows L2-normalised)."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0)
    sim = np.clip(vectors @ vectors.T, 0.0, None)
    np.fill_diagonal(sim, 0.0)
    sums = sim.sum(axis=1, keepdims=True)
    transition = np.where(sums > 0, sim / np.where(sums == 0, 1.0, sums), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        rank = (1 - damping) / n + damping * (transition.T @ rank)
    return np.asarray(rank)


def mmr_select(
    scores: np.ndarray, vectors: np.ndarray, k: int, lam: float = MMR_LAMBDA, first: int | None = None
) -> list[int]:
    """Indices of k items by Maximal Marginal Relevance: lam * score - (1 - lam) * max similarity to those picked
    (`first`, when given, is picked before the others)."""
    chosen: list[int] = []
    if len(scores) == 0:
        return chosen
    sim = vectors @ vectors.T
    best_sim = np.full(len(scores), -np.inf)
    if first is not None:
        chosen.append(first)
        best_sim = np.maximum(best_sim, sim[first])
    for _ in range(min(k, len(scores)) - len(chosen)):
        redundancy = np.where(np.isinf(best_sim), 0.0, best_sim)
        value = lam * scores - (1 - lam) * redundancy
        value[chosen] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        best_sim = np.maximum(best_sim, sim[pick])
    return chosen


def _minmax(values: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return values
    low, high = float(values.min()), float(values.max())
    return np.zeros_like(values) if high - low < 1e-12 else (values - low) / (high - low)


def summary_length(n_units: int) -> int:
    """How many sentences to keep: about one in four, between 2 (the reason and the resolution) and 6."""
    return min(n_units, max(2, min(6, math.ceil(n_units / 4))))


def summarise(units: Sequence[Unit], vectors: np.ndarray, method: str) -> dict[str, Any]:
    """The extractive summary of `units` given their L2-normalised vectors (one row per unit)."""
    if not units:
        return {"method": method, "sentences": [], "text": ""}
    centrality = _minmax(textrank(vectors))
    prior = _minmax(np.array([u.prior for u in units], dtype=np.float64))
    scores = 0.35 * centrality + 0.65 * prior
    reason = next((i for i, u in enumerate(units) if u.reason), None)  # CRM notes start with why they called
    picked = sorted(mmr_select(scores, vectors.astype(np.float64), summary_length(len(units)), first=reason))
    sentences: list[dict[str, Any]] = [
        {"turn": units[i].turn, "speaker": units[i].speaker, "text": units[i].text, "score": round(float(scores[i]), 4)}
        for i in picked
    ]
    text = " ".join(f"{_label(s['speaker'])}: {s['text']}" for s in sentences)
    return {"method": method, "sentences": sentences, "text": text}


def _label(speaker: str) -> str:
    return {"customer": "Customer", "agent": "Agent", "ai": "AI agent"}.get(speaker, speaker.title())


def aggregate_intent(
    predictions: Sequence[IntentPredictionLike], decay: float = 0.15
) -> tuple[str | None, float, list[tuple[str, float]], bool]:
    """(intent, confidence, alternatives, out_of_scope) over the customer's sentences, the opening weighing most.

    Each in-scope prediction adds weight * probability to its top labels (weight 1 / (1 + decay * position));
    the confidence is the winner's share of the in-scope weight. Out of scope when no sentence is in scope.
    """
    totals: dict[str, float] = {}
    weight_sum = 0.0
    for position, pred in enumerate(predictions):
        if pred.out_of_scope:
            continue
        weight = 1.0 / (1.0 + decay * position)
        weight_sum += weight
        for label, probability in pred.top:
            totals[label] = totals.get(label, 0.0) + weight * float(probability)
    if not totals or weight_sum == 0:
        return None, 0.0, [], bool(predictions)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    shares = [(label, round(score / weight_sum, 4)) for label, score in ranked[:3]]
    return shares[0][0], shares[0][1], shares[1:], False


def infer_outcome(turns: Sequence[TurnText]) -> str:
    """The outcome as the transcript tells it (agents' turns; the last signal wins), or 'unknown'."""
    found = "unknown"
    for turn in turns:
        if turn.speaker not in ("agent", "ai", "system"):
            continue
        for outcome, pattern in _OUTCOME_PATTERNS:
            if pattern.search(turn.text):
                found = outcome
                break
    return found


def _disposition(
    facts: InteractionFacts, units: Sequence[Unit], vectors: np.ndarray | None, model: IntentModelLike | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "intent": None,
        "confidence": None,
        "alternatives": [],
        "out_of_scope": False,
        "intent_source": "none",
        "model": None,
    }
    customer = [i for i, u in enumerate(units) if u.speaker == "customer"]
    if model is not None and vectors is not None and customer:
        preds = model.predict([units[i].text for i in customer], vectors[customer])
        intent, confidence, alternatives, oos = aggregate_intent(preds)
        out.update(
            intent=intent,
            confidence=confidence,
            alternatives=[{"intent": label, "probability": p} for label, p in alternatives],
            out_of_scope=oos,
            intent_source="model",
            model=f"{model.name}@{model.version}",
        )
    elif facts.intent or facts.disposition or facts.tags:
        out.update(intent=facts.intent or facts.disposition or facts.tags[0], intent_source="interaction")
    return out


def document(
    facts: InteractionFacts,
    turns: Sequence[TurnText],
    *,
    encode: Encode | None = None,
    intents: IntentModelLike | None = None,
    generated_at: datetime,
) -> dict[str, Any]:
    """The CRM-ready documentation of one interaction (schema cxops.documentation/1), without the generative part.

    `encode` gives L2-normalised sentence vectors (MiniLM); without it the summary uses TF-IDF and the
    disposition falls back to the interaction's own fields (the intent model needs the sentence vectors).
    """
    units = candidate_units(turns)
    vectors: np.ndarray | None = None
    if encode is not None and units:
        vectors = np.asarray(encode([u.text for u in units]), dtype=np.float32)
    summary = (
        summarise(units, vectors, "textrank-mmr/minilm")
        if vectors is not None
        else summarise(units, tfidf_vectors([u.text for u in units]), "textrank-mmr/tfidf")
    )
    reference = facts.started_at.date()
    disposition = _disposition(facts, units, vectors, intents)
    disposition["outcome"] = facts.outcome or infer_outcome(turns)
    disposition["outcome_source"] = "interaction" if facts.outcome else "transcript"
    disposition["interaction_disposition"] = facts.disposition
    disposition["tags"] = list(facts.tags)
    duration = (facts.ended_at - facts.started_at).total_seconds() if facts.ended_at else None
    return {
        "schema": SCHEMA,
        "interaction": {
            "id": facts.id,
            "source": facts.source,
            "external_id": facts.external_id,
            "channel": facts.channel,
            "started_at": facts.started_at.isoformat(),
            "ended_at": facts.ended_at.isoformat() if facts.ended_at else None,
            "duration_s": duration,
            "turns": len(turns),
            "queue_id": facts.queue_id,
            "agent_id": facts.agent_id,
            "customer_id": facts.customer_id,
        },
        "summary": summary,
        "disposition": disposition,
        "action_items": extract_action_items(turns, reference),
        "entities": extract_entities(turns, reference),
        "generative": None,
        "generative_status": "disabled",
        "generative_reason": None,
        "generated_at": generated_at.isoformat(),
    }


def generative_messages(turns: Sequence[TurnText], doc: dict[str, Any]) -> list[dict[str, str]]:
    """Chat messages asking an LLM for a short after-call summary of the (redacted) transcript.

    The transcript is cut to MAX_PROMPT_CHARS from both ends (the opening and the resolution matter most), and
    the extractive disposition and action items are given as context so the model does not contradict them.
    """
    lines = [f"{_label(t.speaker)}: {mask_pii(t.text)}" for t in turns if t.speaker in SUMMARY_SPEAKERS]
    transcript = "\n".join(lines)
    if len(transcript) > MAX_PROMPT_CHARS:
        half = MAX_PROMPT_CHARS // 2
        transcript = transcript[:half] + "\n[... middle of the transcript omitted ...]\n" + transcript[-half:]
    disposition = doc.get("disposition", {})
    context = (
        f"Intent: {disposition.get('intent') or 'unknown'}; outcome: {disposition.get('outcome') or 'unknown'}.\n"
        "Action items: " + ("; ".join(a["text"] for a in doc.get("action_items", [])) or "none")
    )
    return [
        {
            "role": "system",
            "content": "You write after-call notes for a contact-centre CRM. Summarise the conversation in at most "
            "three sentences: why the customer contacted us, what was done, and what happens next. Use only facts "
            "from the transcript. Keep placeholders such as [EMAIL] as they are; never invent personal data.",
        },
        {"role": "user", "content": f"{context}\n\nTranscript:\n{transcript}"},
    ]


def turns_from(rows: Sequence[tuple[int, str, str]]) -> list[TurnText]:
    """TurnText from (seq, speaker, text) rows."""
    return [TurnText(seq, speaker, text or "") for seq, speaker, text in rows]
