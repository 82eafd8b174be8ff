"""Intraday management: real-time adherence, reforecast of the rest of the day, and what-if staffing.

Adherence compares, minute by minute, the state an agent should be in (from the schedule) with the state they
were in (from agent state events: each event lasts until the agent's next one):
    scheduled work  -> in adherence when available, on_contact or after_contact_work;
    scheduled break -> in adherence when on break;
    not scheduled   -> not counted (adherence is over scheduled minutes only).
Adherence = minutes in adherence / scheduled minutes (Koole 2013, ch. 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from cxops.core.errors import ValidationFailed
from cxops.domains.wfm.compute.demand import IntentDemand, apply_automation_delta, human_workload
from cxops.domains.wfm.compute.staffing import Targets, staff_deferred, staff_erlang_c, with_shrinkage

WORK_STATES = frozenset({"available", "on_contact", "after_contact_work"})
BREAK_STATES = frozenset({"break"})


@dataclass(frozen=True, slots=True)
class PlannedActivity:
    """A scheduled span of an agent: activity is 'work' or 'break'."""

    agent: str
    start: datetime
    end: datetime
    activity: str


@dataclass(frozen=True, slots=True)
class StateEvent:
    agent: str
    state: str
    started_at: datetime


def _minutes(start: datetime, end: datetime, t0: datetime) -> tuple[int, int]:
    return int((start - t0).total_seconds() // 60), int((end - t0).total_seconds() // 60)


def adherence(
    plan: list[PlannedActivity], events: list[StateEvent], *, start: datetime, end: datetime
) -> dict[str, dict]:
    """Per agent: scheduled minutes, minutes in adherence, adherence share and the minutes out by expected activity."""
    if end <= start:
        raise ValidationFailed("adherence window end must be after its start", field="until")
    n = int((end - start).total_seconds() // 60)
    agents = sorted({p.agent for p in plan})
    out: dict[str, dict] = {}
    by_agent: dict[str, list[StateEvent]] = {}
    for e in sorted(events, key=lambda e: e.started_at):
        by_agent.setdefault(e.agent, []).append(e)
    for agent in agents:
        expected = np.zeros(n, dtype=np.int8)  # 0 none, 1 work, 2 break
        for p in (p for p in plan if p.agent == agent):
            a, b = _minutes(p.start, p.end, start)
            expected[max(a, 0) : max(min(b, n), 0)] = 1 if p.activity == "work" else 2
        actual = np.zeros(n, dtype=np.int8)  # 0 offline/unknown, 1 work, 2 break
        evs = by_agent.get(agent, [])
        for i, e in enumerate(evs):
            stop = evs[i + 1].started_at if i + 1 < len(evs) else end
            a, b = _minutes(e.started_at, stop, start)
            code = 1 if e.state in WORK_STATES else 2 if e.state in BREAK_STATES else 0
            actual[max(a, 0) : max(min(b, n), 0)] = code
        scheduled = int((expected > 0).sum())
        inside = int(((expected > 0) & (expected == actual)).sum())
        out[agent] = {
            "scheduled_min": scheduled,
            "in_adherence_min": inside,
            "adherence": inside / scheduled if scheduled else None,
            "out_of_adherence_work_min": int(((expected == 1) & (actual != 1)).sum()),
            "out_of_adherence_break_min": int(((expected == 2) & (actual != 2)).sum()),
        }
    return out


def reforecast(
    forecast: np.ndarray, actual: np.ndarray, *, prior_contacts: float = 200.0
) -> tuple[np.ndarray, float, str]:
    """Scale the rest of the day by how the morning ran.

    ratio = (sum actual + k) / (sum forecast + k) over the elapsed intervals, k = prior_contacts, so a quiet early
    morning moves the day less than a busy one (a Gamma-Poisson update of a multiplicative level).

    Args:
        forecast: forecast of every interval of the day.
        actual: actual volumes of the elapsed intervals (a prefix of the day).
        prior_contacts: strength of belief in the original forecast, in contacts.

    Returns:
        (reforecast of the remaining intervals, ratio applied, explanation).
    """
    forecast = np.asarray(forecast, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if actual.size > forecast.size:
        raise ValidationFailed(f"{actual.size} actual intervals but the day has {forecast.size}", field="actual")
    if (actual < 0).any() or not np.all(np.isfinite(actual)):
        raise ValidationFailed("actual volumes must be finite numbers >= 0", field="actual")
    done_f, done_a = float(forecast[: actual.size].sum()), float(actual.sum())
    ratio = (done_a + prior_contacts) / (done_f + prior_contacts)
    why = (
        f"{actual.size} elapsed interval(s): {done_a:g} contacts against {done_f:.1f} forecast; the remaining "
        f"{forecast.size - actual.size} interval(s) scaled by {ratio:.3f}"
    )
    return forecast[actual.size :] * ratio, ratio, why


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A scenario: volume x factor, automation deltas per intent (0.10 = +10 points), shrinkage override."""

    volume_factor: float = 1.0
    automation_delta: dict[str, float] | None = None
    shrinkage: float | None = None
    aht_factor: float = 1.0


def what_if(
    total_contacts: np.ndarray,
    intents: list[IntentDemand],
    targets: Targets,
    interval_s: float,
    scenario: WhatIf,
    *,
    deferred: bool = False,
    starts_s: np.ndarray | None = None,
) -> dict[str, Any]:
    """Base and scenario human contacts and scheduled agents per interval (Erlang C, vectorised; `staff_deferred`
    for deferred work, as the plan staffed it)."""
    if scenario.volume_factor < 0 or scenario.aht_factor <= 0:
        raise ValidationFailed("volume_factor must be >= 0 and aht_factor > 0", field="scenario")
    base_calls, base_aht = human_workload(total_contacts, intents)
    moved = apply_automation_delta(intents, scenario.automation_delta or {})
    calls, aht = human_workload(np.asarray(total_contacts) * scenario.volume_factor, moved)
    aht = aht * scenario.aht_factor
    shrink = targets.shrinkage if scenario.shrinkage is None else scenario.shrinkage
    scen_targets = Targets(targets.service_level, targets.threshold_s, targets.max_occupancy, targets.asa_s, shrink)
    base = _scheduled(base_calls, base_aht, interval_s, targets, deferred, starts_s)
    scen = _scheduled(calls, aht, interval_s, scen_targets, deferred, starts_s)
    return {
        "base_human_contacts": base_calls,
        "scenario_human_contacts": calls,
        "base_agents": base,
        "scenario_agents": scen,
        "agent_hours_delta": float((scen - base).sum() * interval_s / 3600.0),
    }


def _scheduled(
    calls: np.ndarray, aht: np.ndarray, interval_s: float, targets: Targets, deferred: bool, starts_s: Any
) -> np.ndarray:
    if deferred:
        return staff_deferred(calls, aht, interval_s, targets, starts_s).scheduled
    return with_shrinkage(staff_erlang_c(calls, aht, interval_s, targets), targets.shrinkage)


def day_window(day: datetime) -> tuple[datetime, datetime]:
    """Midnight to midnight of `day` in its own time zone."""
    start = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
