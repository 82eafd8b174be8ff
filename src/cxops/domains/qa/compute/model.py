"""The facts a scorecard is evaluated on, and what a score looks like."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Encodes texts to L2-normalised vectors (bound to the packaged MiniLM by entrypoints).
Encoder = Callable[[Sequence[str]], np.ndarray]
#: The speakers who serve the customer: a human agent ("agent") or an AI agent ("ai").
SERVING = frozenset({"agent", "ai"})


@dataclass(frozen=True, slots=True)
class TurnView:
    seq: int
    speaker: str  # customer | agent | ai | system
    offset_ms: int
    end_offset_ms: int | None
    text: str
    sentiment: float | None = None


@dataclass(frozen=True)
class InteractionView:
    """One interaction as QA sees it; optional facts come from other domains through ports."""

    turns: tuple[TurnView, ...]
    hold_s: float = 0.0
    outcome: str | None = None
    repeat_contact: bool | None = None
    citations: tuple[str, ...] = ()
    actions: tuple[dict[str, Any], ...] = ()


def has_agent_turn(view: InteractionView) -> bool:
    """Whether an agent (human or AI) took part: an evaluation judges their handling, so a contact with only
    system and customer turns (abandoned in the queue or the IVR before anyone answered) has nothing to evaluate."""
    return any(t.speaker in SERVING for t in view.turns)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: str
    section: str
    status: str  # pass | fail | na
    points: float
    max_points: float
    rule: str
    evidence: tuple[int, ...] = ()
    detail: str = ""


@dataclass
class Score:
    scorecard: str
    version: int
    total: float
    auto_failed: bool
    sections: dict[str, float] = field(default_factory=dict)
    criteria: list[CriterionResult] = field(default_factory=list)
