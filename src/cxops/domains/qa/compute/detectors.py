"""Detectors: each decides one criterion on an InteractionView and returns its evidence (turn numbers).

Every detector validates its parameters when the scorecard loads (ValueError with the reason), so a bad
scorecard is refused before it scores anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cxops.domains.qa.compute.model import SERVING, Encoder, InteractionView, TurnView
from cxops.domains.qa.compute.regex_safety import UnsafePattern, check_pattern

SPEAKERS = {"agent": SERVING, "customer": frozenset({"customer"}), "any": frozenset({"agent", "ai", "customer"})}
MAX_SEMANTIC_WINDOW = 6
_VADER = SentimentIntensityAnalyzer()
_FACT = re.compile(
    r"(?:[$€£]\s?\d[\d,.]*|\b\d+(?:[.,]\d+)?\s?(?:%|percent|days?|hours?|weeks?|months?|years?|"
    r"minutes?|business days?)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Outcome:
    status: str  # pass | fail | na
    evidence: tuple[int, ...] = ()
    detail: str = ""


class Context:
    """Per-interaction cache shared by the detectors (turn vectors are computed once per interaction)."""

    def __init__(self, view: InteractionView, encoder: Encoder | None) -> None:
        self.view = view
        self.encoder = encoder
        self._vectors: dict[int, np.ndarray] = {}

    def vectors(self, turns: list[TurnView]) -> np.ndarray:
        missing = [t for t in turns if t.seq not in self._vectors]
        if missing:
            if self.encoder is None:
                raise ValueError("a semantic criterion needs the embedding model, which is not available")
            for t, v in zip(missing, self.encoder([t.text for t in missing]), strict=True):
                self._vectors[t.seq] = v
        return np.stack([self._vectors[t.seq] for t in turns]) if turns else np.zeros((0, 1))


def _require(params: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in params:
        raise ValueError(f"needs '{key}'")
    if not isinstance(params[key], kind):
        raise ValueError(f"'{key}' has the wrong type")
    return params[key]


def _window(turns: list[TurnView], params: dict[str, Any]) -> list[TurnView]:
    if params.get("within_first"):
        return turns[: int(params["within_first"])]
    if params.get("within_last"):
        return turns[-int(params["within_last"]) :]
    return turns


def _speaker_turns(view: InteractionView, params: dict[str, Any]) -> list[TurnView]:
    allowed = SPEAKERS[params.get("speaker", "agent")]
    return _window([t for t in view.turns if t.speaker in allowed], params)


class PhraseDetector:
    """A required or prohibited phrase, matched exactly, fuzzily (rapidfuzz) or by meaning (embeddings)."""

    def __init__(self, params: dict[str, Any]) -> None:
        phrases = _require(params, "phrases", list)
        if not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise ValueError("'phrases' must be a non-empty list of text")
        self.mode = params.get("mode", "exact")
        if self.mode not in ("exact", "fuzzy", "semantic"):
            raise ValueError(f"unknown mode '{self.mode}'; expected exact, fuzzy or semantic")
        if params.get("speaker", "agent") not in SPEAKERS:
            raise ValueError(f"unknown speaker '{params.get('speaker')}'; expected agent, customer or any")
        self.required = bool(params.get("required", True))
        self.params = params
        self.phrases = [p.strip() for p in phrases]
        default = {"exact": 1.0, "fuzzy": 85.0, "semantic": 0.6}[self.mode]
        self.threshold = float(params.get("threshold", default))
        if self.mode == "semantic":
            width = int(params.get("within_first") or params.get("within_last") or 0)
            if not 1 <= width <= MAX_SEMANTIC_WINDOW:
                raise ValueError(
                    f"a semantic phrase needs within_first or within_last of 1-{MAX_SEMANTIC_WINDOW} turns"
                )
            if not 0 < self.threshold < 1:
                raise ValueError("a semantic threshold lies between 0 and 1")
        self._patterns = [re.compile(r"\b" + re.escape(p.lower()) + r"\b") for p in self.phrases]
        self._phrase_vectors: np.ndarray | None = None

    def hits(self, ctx: Context, turns: list[TurnView]) -> list[int]:
        """Turn numbers where a phrase is found."""
        if self.mode == "exact":
            return [t.seq for t in turns if any(p.search(t.text.lower()) for p in self._patterns)]
        if self.mode == "fuzzy":
            return [
                t.seq
                for t in turns
                if max(fuzz.partial_ratio(p.lower(), t.text.lower()) for p in self.phrases) >= self.threshold
            ]
        if not turns:
            return []
        if self._phrase_vectors is None:
            if ctx.encoder is None:
                raise ValueError("a semantic criterion needs the embedding model, which is not available")
            self._phrase_vectors = ctx.encoder(self.phrases)
        sims = ctx.vectors(turns) @ self._phrase_vectors.T
        return [t.seq for t, row in zip(turns, sims, strict=True) if float(row.max()) >= self.threshold]

    def __call__(self, ctx: Context) -> Outcome:
        turns = _speaker_turns(ctx.view, self.params)
        if not turns:
            return Outcome("na", detail="no turns of that speaker")
        found = self.hits(ctx, turns)
        what = f"{self.mode} match of {self.phrases[:3]}"
        if self.required:
            return (
                Outcome("pass", tuple(found[:1]), f"said ({what})")
                if found
                else Outcome("fail", (), f"never said ({what})")
            )
        return (
            Outcome("fail", tuple(found), f"prohibited phrase said ({what})")
            if found
            else Outcome("pass", (), "not said")
        )


class RegexDetector:
    """A required or prohibited regular expression (refused at load if unsafe)."""

    def __init__(self, params: dict[str, Any]) -> None:
        try:
            self.pattern = check_pattern(_require(params, "pattern", str))
        except UnsafePattern as exc:
            raise ValueError(f"pattern {params.get('pattern')!r} {exc}") from None
        self.required = bool(params.get("required", True))
        self.params = params

    def __call__(self, ctx: Context) -> Outcome:
        turns = _speaker_turns(ctx.view, self.params)
        found = [t.seq for t in turns if self.pattern.search(t.text)]
        if self.required:
            return (
                Outcome("pass", tuple(found[:1]), "pattern found")
                if found
                else Outcome("fail", (), "pattern never found")
            )
        return Outcome("fail", tuple(found), "prohibited pattern found") if found else Outcome("pass", (), "not found")


class OrderDetector:
    """`first` must happen before `then` (e.g. identity verified before any account change)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.first = PhraseDetector({**_require(params, "first", dict), "required": True})
        self.then = PhraseDetector({**_require(params, "then", dict), "required": True})

    def __call__(self, ctx: Context) -> Outcome:
        then_hits = self.then.hits(ctx, _speaker_turns(ctx.view, self.then.params))
        if not then_hits:
            return Outcome("na", detail="the later step never happened")
        first_hits = self.first.hits(ctx, _speaker_turns(ctx.view, self.first.params))
        if first_hits and first_hits[0] < then_hits[0]:
            return Outcome("pass", (first_hits[0], then_hits[0]), "in the right order")
        detail = "the required earlier step came after" if first_hits else "the required earlier step never happened"
        return Outcome("fail", (then_hits[0], *first_hits[:1]), detail)


def turn_sentiment(turn: TurnView) -> float:
    """Sentiment on -5..+5: the source's value when present, else VADER's compound score x 5."""
    if turn.sentiment is not None:
        return turn.sentiment
    return float(_VADER.polarity_scores(turn.text)["compound"]) * 5


class SentimentEndDetector:
    """The customer's sentiment over the last turns is at least `min` (-5..+5)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.min = float(params.get("min", 0.0))
        if not -5 <= self.min <= 5:
            raise ValueError("min must lie in -5..+5")
        self.last = int(params.get("last_turns", 2))

    def __call__(self, ctx: Context) -> Outcome:
        turns = [t for t in ctx.view.turns if t.speaker == "customer"][-self.last :]
        if not turns:
            return Outcome("na", detail="the customer never spoke")
        value = sum(turn_sentiment(t) for t in turns) / len(turns)
        status = "pass" if value >= self.min else "fail"
        return Outcome(status, tuple(t.seq for t in turns), f"end sentiment {value:+.2f} (minimum {self.min:+.2f})")


class SilenceHoldDetector:
    """Hold time and the longest silence between turns stay under their limits."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.max_hold = float(params.get("max_hold_s", 120))
        self.max_gap = float(params.get("max_gap_s", 30))

    def __call__(self, ctx: Context) -> Outcome:
        gap, after = 0.0, None
        for prev, nxt in zip(ctx.view.turns, ctx.view.turns[1:], strict=False):
            end = prev.end_offset_ms if prev.end_offset_ms is not None else prev.offset_ms
            g = (nxt.offset_ms - end) / 1000
            if g > gap:
                gap, after = g, nxt.seq
        problems = []
        if ctx.view.hold_s > self.max_hold:
            problems.append(f"hold {ctx.view.hold_s:.0f} s over {self.max_hold:.0f} s")
        if gap > self.max_gap:
            problems.append(f"silence of {gap:.0f} s before turn {after} over {self.max_gap:.0f} s")
        if problems:
            return Outcome("fail", (after,) if after is not None and gap > self.max_gap else (), "; ".join(problems))
        return Outcome("pass", (), f"longest silence {gap:.0f} s, hold {ctx.view.hold_s:.0f} s")


class ResolutionDetector:
    """Resolved, and (when known) no repeat contact on the same intent afterwards."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.no_repeat = bool(params.get("require_no_repeat", True))

    def __call__(self, ctx: Context) -> Outcome:
        if ctx.view.outcome is None:
            return Outcome("na", detail="no outcome recorded")
        if ctx.view.outcome != "resolved":
            return Outcome("fail", (), f"outcome {ctx.view.outcome}")
        if self.no_repeat and ctx.view.repeat_contact:
            return Outcome("fail", (), "resolved, but the customer came back on the same intent")
        return Outcome("pass", (), "resolved" + ("" if ctx.view.repeat_contact is None else ", no repeat contact"))


class GroundingDetector:
    """Facts the agent states (amounts, durations, percentages) appear in the articles cited in the contact.

    The articles are the knowledge facts recorded for the contact (cited by an AI agent, or shown to / used by a
    human agent through assist). With none recorded, facts stated by the speakers in `must_cite` (default: the AI
    agent, which answers from the knowledge base) fail; a human agent's facts are not applicable then, as there is
    nothing to check them against (a human agent cites no article unless assist recorded the ones it showed)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.min_ratio = float(params.get("min_ratio", 1.0))
        must_cite = params.get("must_cite", ["ai"])
        if not isinstance(must_cite, list) or not all(isinstance(x, str) and x in SERVING for x in must_cite):
            raise ValueError(f"'must_cite' is a list of {sorted(SERVING)}")
        self.must_cite = frozenset(must_cite)

    def __call__(self, ctx: Context) -> Outcome:
        facts = [
            (t.seq, t.speaker, m.group(0))
            for t in ctx.view.turns
            if t.speaker in SERVING
            for m in _FACT.finditer(t.text)
        ]
        if not facts:
            return Outcome("na", detail="no factual claims to check")
        if not ctx.view.citations:
            owed = [s for s, speaker, _ in facts if speaker in self.must_cite]
            if not owed:
                return Outcome("na", detail="facts stated with no article recorded to check them against")
            return Outcome("fail", tuple(owed), "facts stated with no cited article")
        corpus = " ".join(ctx.view.citations).lower()
        missing = [(s, f) for s, _, f in facts if f.lower() not in corpus]
        ratio = 1 - len(missing) / len(facts)
        status = "pass" if ratio >= self.min_ratio else "fail"
        detail = f"{len(facts) - len(missing)}/{len(facts)} facts backed by the cited articles"
        if missing:
            detail += f"; unbacked: {[f for _, f in missing[:5]]}"
        return Outcome(status, tuple(s for s, _ in missing), detail)


class PolicyAdherenceDetector:
    """Every action the agent attempted was allowed (or approved) by the policy engine."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def __call__(self, ctx: Context) -> Outcome:
        if not ctx.view.actions:
            return Outcome("na", detail="no actions")
        bad = [
            a
            for a in ctx.view.actions
            if a.get("decision") == "deny"
            or (a.get("executed") and a.get("decision") == "require_approval" and not a.get("approved"))
        ]
        if bad:
            ids = ", ".join(str(a.get("action") or a.get("id")) for a in bad[:5])
            return Outcome(
                "fail",
                tuple(int(a["turn_seq"]) for a in bad if a.get("turn_seq") is not None),
                f"{len(bad)} action(s) against policy: {ids}",
            )
        return Outcome("pass", (), f"{len(ctx.view.actions)} action(s), all within policy")


DETECTORS: dict[str, Callable[[dict[str, Any]], Callable[[Context], Outcome]]] = {
    "phrase": PhraseDetector,
    "regex": RegexDetector,
    "order": OrderDetector,
    "sentiment_end": SentimentEndDetector,
    "silence_hold": SilenceHoldDetector,
    "resolution": ResolutionDetector,
    "grounding": GroundingDetector,
    "policy_adherence": PolicyAdherenceDetector,
}
