"""One contact: outcome, handle times, transcript timing, survey; assembled into an `InteractionIn`-shaped dict.

Handle times are log-normal: talk ~ LogNormal(ln(m_talk * c), 0.45) with m_talk the channel's median, c an
intent complexity factor (1 + difficulty); hold (on about a third of voice calls) ~ LogNormal(ln 50, 0.6);
wrap ~ LogNormal(ln 45, 0.5). An agent's quality q scales all three by f = 1.2 - 0.4 q.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

from cxops.integrations.demo.catalogue import Intent
from cxops.integrations.demo.dialogue import Script

TALK_MEDIAN = {"voice": 240.0, "chat": 420.0, "messaging": 600.0, "email": 300.0}
WAIT_MEDIAN = {"voice": 12.0, "chat": 25.0, "messaging": 90.0, "email": 3 * 3600.0}
# Caps on the log-normal tail; an email thread (two waits and a reply gap) then stays well within 7 days.
WAIT_CAP = {"voice": 1800.0, "chat": 3600.0, "messaging": 6 * 3600.0, "email": 48 * 3600.0}
ABANDON_BASE = {"voice": 0.05, "chat": 0.04, "messaging": 0.03, "email": 0.0}
REPEAT_P = {"abandoned": 0.55, "escalated": 0.45, "transferred": 0.2, "resolved": 0.05}
MAX_FACTOR = 1.2


@dataclass(slots=True)
class Times:
    """Seconds: queue wait, talk, hold and wrap (before the agent's quality factor)."""

    wait: float
    talk: float
    hold: float
    wrap: float

    def scaled(self, quality: float) -> Times:
        f = MAX_FACTOR - 0.4 * quality
        return Times(self.wait, self.talk * f, self.hold * f, self.wrap * f)

    @property
    def handle(self) -> float:
        return self.talk + self.hold + self.wrap


def draw_times(r: random.Random, channel: str, intent: Intent, load: float) -> Times:
    """Log-normal wait and handle times for a contact (the wait grows with the hour's load)."""
    wait = min(WAIT_CAP[channel], r.lognormvariate(math.log(WAIT_MEDIAN[channel] * (0.3 + load)), 0.8))
    talk = r.lognormvariate(math.log(TALK_MEDIAN[channel] * (1 + intent.difficulty)), 0.45)
    hold = r.lognormvariate(math.log(50), 0.6) if channel == "voice" and r.random() < 0.35 else 0.0
    wrap = r.lognormvariate(math.log(45), 0.5) if channel != "email" else r.lognormvariate(math.log(20), 0.4)
    return Times(wait, talk, hold, wrap)


def abandons(r: random.Random, channel: str, wait: float, ai_first: bool) -> bool:
    """Whether the customer leaves before an agent answers; more likely after a long wait."""
    base = 0.02 if ai_first else ABANDON_BASE[channel]
    return r.random() < base * (1 + wait / 60)


def choose_outcome(r: random.Random, channel: str, intent: Intent, quality: float, handoff: bool) -> str:
    """resolved / escalated / transferred; harder intents and weaker agents resolve less."""
    p = 0.92 - 0.45 * intent.difficulty + 0.3 * (quality - 0.7) - (0.05 if handoff else 0.0)
    if r.random() < min(0.97, max(0.3, p)):
        return "resolved"
    if channel == "email" or r.random() < 0.55:
        return "escalated"
    return "transferred"


def moods(r: random.Random, intent: Intent, outcome: str, quality: float, attempt: int) -> tuple[float, float]:
    """The customer's sentiment at the start and at the end of the contact (-5..5)."""
    start = intent.sentiment + r.gauss(0, 0.7) - 0.8 * (attempt - 1)
    if outcome == "resolved":
        end = start + 2.0 + 2.0 * quality
    elif outcome == "transferred":
        end = start + 0.8
    elif outcome == "escalated":
        end = min(start, 0.0) - 1.2
    else:
        end = start - 1.0
    return max(-5.0, min(5.0, start)), max(-5.0, min(4.5, end))


def survey(r: random.Random, outcome: str, end_mood: float) -> int | None:
    """A CSAT score from the minority who answer (more of those who feel strongly), else None."""
    p = 0.03 if outcome == "abandoned" else 0.12 + (0.1 if abs(end_mood) > 2.5 else 0.0)
    if r.random() >= p:
        return None
    bonus = {"resolved": 0.6, "escalated": -0.5, "transferred": 0.0, "abandoned": -1.0}[outcome]
    return max(1, min(5, round(3 + 0.55 * end_mood + bonus + r.gauss(0, 0.6))))


def timed_turns(r: random.Random, script: Script, channel: str, times: Times) -> tuple[list[dict], dict[str, int]]:
    """Offsets for the script's turns, stretched to fill talk + hold; returns turns and join offsets (ms)."""
    durations: list[float] = []
    gaps: list[float] = []
    for speaker, text, _agent, _mood in script.turns:
        if channel == "voice":
            durations.append(len(text) / 15.0 + 0.5)
            gaps.append(r.uniform(0.2, 1.5))
        elif channel == "email":
            durations.append(0.0)
            gaps.append(r.uniform(2, 30) * 3600 if speaker == "customer" else times.wait)
        else:
            durations.append(len(text) / (4.0 if speaker == "customer" else 12.0))
            gaps.append(r.uniform(3, 25))
    # Speech keeps a natural pace (x0.7..1.3); the rest of talk + hold goes into the pauses between turns.
    target = times.talk + times.hold
    spoken = sum(durations)
    dscale = 1.0 if channel == "email" else min(1.3, max(0.7, target / max(spoken + sum(gaps[1:]), 1.0)))
    gscale = 1.0 if channel == "email" else max(0.1, (target - spoken * dscale) / max(sum(gaps[1:]), 1.0))
    out: list[dict] = []
    joins: dict[str, int] = {}
    now = 0.0
    for i, (speaker, text, agent, mood) in enumerate(script.turns):
        if i:
            now += durations[i - 1] * dscale + gaps[i] * gscale
        start_ms = int(now * 1000)
        turn: dict = {"speaker": speaker, "offset_ms": start_ms, "text": text}
        if channel != "email":
            turn["end_offset_ms"] = start_ms + int(durations[i] * dscale * 1000)
        if agent:
            turn["agent"] = agent
            joins.setdefault(agent, start_ms)
        if mood is not None:
            turn["sentiment"] = mood
        out.append(turn)
    return out, joins


def iso(epoch: float) -> str:
    """An epoch time as an ISO-8601 UTC timestamp with millisecond precision."""
    return datetime.fromtimestamp(round(epoch, 3), UTC).isoformat(timespec="milliseconds")


def day_of(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, UTC).date()
