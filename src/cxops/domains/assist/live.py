"""State of one live interaction and what a processed segment does to it (guide, compliance, sentiment, alerts).

Runs on the event loop, in segment order per interaction; the heavy work (encoder, intent model, VADER,
retrieval) happens before, in the inference thread (engine.py).
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from cxops.contracts.assist_events import AssistArticlesShown
from cxops.domains.assist.compute.alerts import AlertState
from cxops.domains.assist.compute.compliance import ComplianceState, Rulebook
from cxops.domains.assist.compute.frames import FrameError, SegmentFrame
from cxops.domains.assist.compute.guides import GuideBook, GuideProgress
from cxops.domains.assist.compute.intents import IntentPrediction
from cxops.domains.assist.compute.phrases import normalise
from cxops.domains.assist.compute.sentiment import SpeakerSentiment
from cxops.domains.interactions.public import LiveInteraction
from cxops.domains.knowledge.public import Access

#: A customer segment's top intent counts towards the call's intent only above this probability.
INTENT_MIN_PROB = 0.3


@dataclass
class Inferred:
    """What the inference thread computed for one segment."""

    prediction: IntentPrediction | None
    score: float
    suggestions: list[dict[str, Any]]
    timings: dict[str, float]
    batch: int
    note: str | None = None


def with_stored(
    articles: AssistArticlesShown | None, interaction_id: uuid.UUID, shown: list[str], used: list[str]
) -> AssistArticlesShown | None:
    """`articles` (a call's end-of-call event, or None) with the articles stored for the interaction added after its
    own, in their order and within the MAX_ARTICLES bound: the union of what every process serving the call
    remembered. None when no article was shown at all."""
    merged = dict.fromkeys(articles.article_ids if articles else [])
    for article_id in [*shown, *used]:
        if len(merged) >= AssistArticlesShown.MAX_ARTICLES:
            break
        merged.setdefault(article_id, None)
    merged_used = dict.fromkeys(articles.used_article_ids if articles else [])
    for article_id in used:
        if article_id in merged:
            merged_used.setdefault(article_id, None)
    if not merged:
        return None
    return AssistArticlesShown(
        interaction_id=str(interaction_id), article_ids=list(merged), used_article_ids=list(merged_used)
    )


@dataclass
class LiveCall:
    """One live interaction in this process."""

    info: LiveInteraction
    external_id: str
    source: str
    agent_code: str | None
    queue_code: str | None
    access: Access
    seqs: set[int] = field(default_factory=set)
    last_seq: int = -1
    cl_keys: set[str] = field(default_factory=set)
    ended: bool = False
    sentiment: dict[str, SpeakerSentiment] = field(
        default_factory=lambda: {"customer": SpeakerSentiment(), "agent": SpeakerSentiment()}
    )
    intent_mass: dict[str, float] = field(default_factory=dict)
    intent: str | None = None
    last_prediction: dict[str, Any] | None = None
    guide: GuideProgress = field(default_factory=GuideProgress)
    compliance: ComplianceState = field(default_factory=lambda: ComplianceState(channel="voice"))
    alerts: AlertState = field(default_factory=AlertState)
    alert_log: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    last_end_ms: int | None = None
    last_activity: float = field(default_factory=time.monotonic)
    trust: dict[str, Any] | None = None
    trust_at: float = 0.0
    segments: int = 0
    next_step: dict[str, Any] | None = None
    dirty: bool = True
    # segments accepted and not yet answered, in seq order: (job, inference future or None, submitted at)
    answers: deque[tuple[Any, Any, float]] = field(default_factory=deque)
    # knowledge articles suggested to the desk (ordered sets, at most MAX_ARTICLES) and those the agent used; also
    # stored (assist_live_article, through the engine's writer) and restored when the call is resumed
    shown: dict[str, None] = field(default_factory=dict)
    used: dict[str, None] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.info.id

    def next_seq(self) -> int:
        """The seq the server gives the next Contact Lens segment (they carry none)."""
        return self.last_seq + 1

    def note_shown(self, suggestions: list[dict[str, Any]]) -> list[str]:
        """Remember the articles of suggestions sent to the desk (the first MAX_ARTICLES distinct ones); returns
        those not remembered before, in order (the engine stores them)."""
        added: list[str] = []
        for suggestion in suggestions:
            article_id = suggestion.get("article_id")
            if len(self.shown) >= AssistArticlesShown.MAX_ARTICLES:
                break
            if isinstance(article_id, str) and article_id and article_id not in self.shown:
                self.shown[article_id] = None
                added.append(article_id)
        return added

    def mark_used(self, article_id: str) -> None:
        """The agent used a suggested article; FrameError `unknown_suggestion` if it was never shown in this call."""
        if article_id not in self.shown:
            raise FrameError(
                "unknown_suggestion", f"article {article_id} was not suggested in interaction {self.id}; not recorded"
            )
        self.used.setdefault(article_id, None)

    def restore(self, shown: list[str], used: list[str]) -> None:
        """Add the articles stored for this interaction (shown and used before a resume, in their order) to those
        remembered here, keeping the MAX_ARTICLES bound; a used article is always a shown one too."""
        self.note_shown([{"article_id": a} for a in [*shown, *used]])
        for article_id in used:
            if article_id in self.shown:
                self.used.setdefault(article_id, None)

    def articles_shown(self) -> AssistArticlesShown | None:
        """The event announcing the articles shown and used in this call, or None when none was shown."""
        if not self.shown:
            return None
        return AssistArticlesShown(
            interaction_id=str(self.id), article_ids=list(self.shown), used_article_ids=list(self.used)
        )

    def _update_intent(self, pred: IntentPrediction | None, speaker: str) -> None:
        if pred is None:
            return
        self.last_prediction = {
            "top": [{"label": label, "p": round(p, 3)} for label, p in pred.top],
            "out_of_scope": pred.out_of_scope,
            "confidence": round(pred.confidence, 3),
        }
        if speaker == "customer" and not pred.out_of_scope and pred.top and pred.top[0][1] >= INTENT_MIN_PROB:
            label, p = pred.top[0]
            self.intent_mass[label] = self.intent_mass.get(label, 0.0) + p
            self.intent = max(self.intent_mass.items(), key=lambda kv: kv[1])[0]

    def apply(
        self, seg: SegmentFrame, inf: Inferred, *, guides: GuideBook, rules: Rulebook, silence_ms: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Update the state with a processed segment; returns (response body without timings, new alerts)."""
        speaker = "customer" if seg.speaker == "customer" else "agent"
        text_norm = normalise(seg.text)
        track = self.sentiment[speaker]
        track.add(inf.score)
        self._update_intent(inf.prediction, seg.speaker)
        guide = guides.for_intent(self.intent)
        misses: list[dict[str, Any]] = []
        if speaker == "agent":
            self.guide.observe(guide, text_norm, seg.seq)
            misses = self.compliance.observe_agent(rules, text_norm, seg.seq)
        oos = self.intent is None and bool(inf.prediction and inf.prediction.out_of_scope)
        self.next_step = self.guide.next_step(guides, guide, oos)
        gap = seg.begin_ms - self.last_end_ms if self.last_end_ms is not None else None
        self.last_end_ms = max(self.last_end_ms or 0, seg.end_ms if seg.end_ms is not None else seg.begin_ms)
        self.alerts.escalation_risk(
            speaker=speaker, text_norm=text_norm, score=inf.score, drop=self.sentiment["customer"].drop(),
            issues=len(seg.issues), negative_label=seg.sentiment_label == "NEGATIVE", intent=self.intent,
        )  # fmt: skip
        new_alerts = self.alerts.on_segment(
            seq=seg.seq, speaker=speaker, text_norm=text_norm, score=inf.score,
            drop=self.sentiment["customer"].drop(), begin_ms=seg.begin_ms, gap_ms=gap, silence_ms=silence_ms,
        ) + self.alerts.on_compliance(misses)  # fmt: skip
        self.segments += 1
        self.dirty = True
        body = {
            "type": "assist",
            "seq": seg.seq,
            "interaction_id": str(self.id),
            "speaker": seg.speaker,
            "intent": self.last_prediction,
            "call_intent": self.intent,
            "sentiment": {"customer": self.sentiment["customer"].view(), "agent": self.sentiment["agent"].view()},
            "suggestions": inf.suggestions,
            "next_step": self.next_step,
            "compliance": self.compliance.reminders(rules),
            "escalation_risk": self.alerts.risk,
            "trust": self.trust,
            "alerts": new_alerts,
        }
        if inf.note:
            body["note"] = inf.note
        return body, new_alerts

    def board_state(self) -> dict[str, Any]:
        """The supervisor board's row for this interaction."""
        return {
            "interaction_id": str(self.id),
            "external_id": self.external_id,
            "channel": self.info.channel,
            "agent": self.agent_code,
            "queue": self.queue_code,
            "team_id": str(self.info.team_id) if self.info.team_id else None,
            "segments": self.segments,
            "intent": self.intent,
            "customer_sentiment": self.sentiment["customer"].view(),
            "agent_sentiment": self.sentiment["agent"].view(),
            "escalation_risk": self.alerts.risk,
            "next_step": (self.next_step or {}).get("title"),
            "alerts": [a["kind"] for a in self.alert_log],
            "categories": self.categories[-5:],
            "idle_s": round(time.monotonic() - self.last_activity, 1),
        }
