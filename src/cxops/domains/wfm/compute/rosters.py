"""Solve the weekly schedule and turn shift counts into individual rosters (see schedule.py for the model)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from cxops.domains.wfm.compute.schedule import (
    DAYS,
    AgentGroup,
    Pattern,
    ScheduleInfeasible,
    ScheduleResult,
    _build,
    _coverage,
    _Model,
    _solve,
    make_patterns,
)


def _check_required(required: dict[str, np.ndarray], n_intervals: int) -> None:
    for skill, req in required.items():
        if req.shape != (n_intervals,):
            raise ScheduleInfeasible(
                f"requirement of skill {skill!r} has {req.size} intervals; a week needs {n_intervals}", field="required"
            )
        if not np.all(np.isfinite(req)) or (req < 0).any():
            raise ScheduleInfeasible(f"requirement of skill {skill!r} must be finite numbers >= 0", field="required")


def diagnose(groups: list[AgentGroup], patterns: list[Pattern], cover, required: dict[str, np.ndarray],
             freq_min: int) -> str:  # fmt: skip
    """A specific reason the rules cannot cover the requirement (first interval or skill that cannot be met)."""
    per_day = 1440 // freq_min
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    cover_csr = cover.tocsr()
    for skill, req in sorted(required.items()):
        able = [g for g, grp in enumerate(groups) if skill in grp.skills]
        if not able and req.sum() > 0:
            return f"no agent group has skill {skill!r}, which is required"
        for i in np.flatnonzero(req > 0):
            on = {patterns[j].group for j in cover_csr.indices[cover_csr.indptr[i] : cover_csr.indptr[i + 1]]}
            most = sum(len(groups[g].agent_ids) for g in able if g in on)
            if most < req[i]:
                hhmm = f"{(i % per_day) * freq_min // 60:02d}:{(i % per_day) * freq_min % 60:02d}"
                return (f"{names[i // per_day]} {hhmm} needs {req[i]:g} agents with skill {skill!r} but at most "
                        f"{most} can be on duty there under availability, shift and skill rules")  # fmt: skip
        hours = sum(len(groups[g].agent_ids) * groups[g].rules.max_weekly_hours for g in able)
        need = req.sum() * freq_min / 60
        if need > hours:
            return f"skill {skill!r} needs {need:g} agent-hours a week but max_weekly_hours allows {hours:g}"
    return "the combination of weekly hours, days off and requirement cannot be met together"


def assign_rosters(
    groups: list[AgentGroup], patterns: list[Pattern], counts: np.ndarray
) -> tuple[list[dict[str, Any]], list[str]]:
    """Give each chosen shift to the agent of its group with fewest hours who is free that day and rested."""
    notes: list[str] = []
    shifts: list[dict[str, Any]] = []
    for g, grp in enumerate(groups):
        hours = {a: 0.0 for a in grp.agent_ids}
        days: dict[str, dict[int, Pattern]] = {a: {} for a in grp.agent_ids}
        chosen = [(patterns[j], round(counts[j])) for j in np.flatnonzero(counts > 0.5) if patterns[j].group == g]
        for p, n in sorted(chosen, key=lambda pc: (pc[0].day, pc[0].start_min)):
            for _ in range(n):
                agent = _pick(grp, hours, days, p)
                if agent is None:
                    notes.append(f"group {grp.name!r}: a {p.length_min} min shift on day {p.day} could not be given "
                                 "to any agent without breaking rest or weekly hours")  # fmt: skip
                    continue
                hours[agent] += p.paid_hours
                days[agent][p.day] = p
                shifts.append({"agent_id": agent, "group": grp.name, "day": p.day, "start_min": p.start_min,
                               "length_min": p.length_min, "break_start_min": p.break_start_min,
                               "break_min": p.break_len_min, "paid_hours": p.paid_hours})  # fmt: skip
    return shifts, notes


def _pick(grp: AgentGroup, hours: dict[str, float], days: dict[str, dict[int, Pattern]], p: Pattern) -> str | None:
    r = grp.rules
    for agent in sorted(grp.agent_ids, key=lambda a: (hours[a], a)):
        mine = days[agent]
        if (
            p.day in mine
            or len(mine) >= DAYS - r.min_days_off
            or hours[agent] + p.paid_hours > r.max_weekly_hours + 1e-9
        ):
            continue
        prev = mine.get(p.day - 1)
        if (
            prev is not None
            and (p.day * 1440 + p.start_min) - (prev.day * 1440 + prev.start_min + prev.length_min)
            < r.min_rest_hours * 60
        ):
            continue
        nxt = mine.get(p.day + 1)
        if (
            nxt is not None
            and (nxt.day * 1440 + nxt.start_min) - (p.day * 1440 + p.start_min + p.length_min) < r.min_rest_hours * 60
        ):
            continue
        return agent
    return None


def _neighbours(patterns: list[Pattern], chosen: np.ndarray, step: int) -> np.ndarray:
    """Patterns one step (start or break) away from a chosen one, same group, day and length."""
    near = set()
    for j in np.flatnonzero(chosen):
        p = patterns[j]
        for ds, db in ((0, 0), (-step, 0), (step, 0), (0, -step), (0, step)):
            near.add((p.group, p.day, p.length_min, p.start_min + ds, p.break_start_min - p.start_min + db))
    keys = ((q.group, q.day, q.length_min, q.start_min, q.break_start_min - q.start_min) for q in patterns)
    return np.fromiter((k in near for k in keys), dtype=bool, count=len(patterns))


def _integer_solution(
    model: _Model, patterns: list[Pattern], lp_values: np.ndarray, lp_bound: float, time_limit_s: float,
    rel_gap: float, freq_min: int,
) -> tuple[str, float, np.ndarray]:  # fmt: skip
    """Integer schedule by growing dives: the LP's support, then its neighbourhood, then the full model.

    HiGHS spends most of its time in root cuts on the full model (a minute for 300 agents), while the MIP restricted
    to the LP support (RENS-like) solves in a second and its neighbourhood in seconds. A dive stops the search when
    it is within `rel_gap` of the full model's LP bound, so the reported gap is always against that bound.
    """
    best: tuple[str, float, np.ndarray] = ("Infeasible", float("inf"), np.zeros(model.cost.size))
    support = lp_values[: model.n_int] > 1e-9
    steps = (("LP-support dive", support), ("neighbourhood dive", _neighbours(patterns, support, freq_min)))
    for label, allowed in (*steps, ("full model", None)):
        status, cost, values = _solve(model, True, time_limit_s, rel_gap, allowed=allowed)
        if np.isfinite(cost) and cost < best[1]:
            best = (f"{status} ({label})", cost, values)
        if best[1] - lp_bound <= rel_gap * max(lp_bound, 1e-9):
            break
    if not np.isfinite(best[1]):
        raise ScheduleInfeasible(f"no integer schedule found within {time_limit_s:g} s", field="rules")
    return best


def schedule_week(groups: list[AgentGroup], required: dict[str, np.ndarray], *, freq_min: int = 30,
                  time_limit_s: float = 60.0, rel_gap: float = 0.01) -> ScheduleResult:  # fmt: skip
    """Cheapest weekly schedule covering `required[skill][interval]` (Monday 00:00 first), or ScheduleInfeasible."""
    if freq_min <= 0 or 1440 % freq_min:
        raise ScheduleInfeasible(f"interval length {freq_min} min must divide a day", field="freq_min")
    n_int = DAYS * 1440 // freq_min
    required = {k: np.asarray(v, dtype=float) for k, v in required.items()}
    _check_required(required, n_int)
    if not groups:
        raise ScheduleInfeasible("no agents to schedule", field="agents")
    required = {k: np.ceil(v - 1e-9) for k, v in required.items()}
    started = time.perf_counter()
    patterns = make_patterns(groups, freq_min)
    cover = _coverage(patterns, freq_min)
    model = _build(groups, patterns, cover, required)
    status, lp_bound, lp_values = _solve(model, False, time_limit_s, rel_gap)
    if not np.isfinite(lp_bound):
        if status in ("Infeasible", "Primal infeasible or unbounded"):
            raise ScheduleInfeasible(diagnose(groups, patterns, cover, required, freq_min), field="rules")
        raise ScheduleInfeasible(
            f"no schedule found within {time_limit_s:g} s (solver status: {status})", field="rules"
        )
    status, cost, values = _integer_solution(model, patterns, lp_values, lp_bound, time_limit_s, rel_gap, freq_min)
    solve_s = time.perf_counter() - started
    counts = values[: model.n_int]
    shifts, notes = assign_rosters(groups, patterns, counts)
    on_duty = cover @ np.round(counts)
    scheduled = {}
    for k in required:
        share = np.zeros(n_int)
        for (_g, kk, i), v in zip(model.alloc_index, values[model.n_int :], strict=True):
            if kk == k:
                share[i] += v
        scheduled[k] = share
    scheduled["_on_duty"] = on_duty
    gap = (cost - lp_bound) / lp_bound if lp_bound > 0 else 0.0
    return ScheduleResult(shifts, scheduled, required, cost, lp_bound, gap, solve_s, status, notes)
