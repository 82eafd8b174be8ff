"""Weekly shift scheduling at least cost with HiGHS: shifts (start, length, break), days off, rules, skills.

Agents with the same skills, availability and contract form a group. The integer programme chooses how many agents
of each group work each shift pattern (day, start, length, break start):

    min  sum_p cost_p x_p
    s.t. sum_{p covers i, p in g} x_p = on_duty[g, i]                              (derived, not a variable)
         sum_g alloc[g, k, i] >= required[k, i]       for every skill k, interval i (coverage)
         sum_k alloc[g, k, i] <= on_duty[g, i],  alloc >= 0, alloc[g, k, i] = 0 if g lacks k
         sum_{p on day d, p in g} x_p <= size_g                                      (one shift a day)
         sum_{p in g} x_p <= size_g (7 - min_days_off);  sum_{p in g} hours_p x_p <= size_g max_weekly_hours
         x_p integer >= 0

Patterns only exist inside each group's availability, with the break inside the break window. The counts are then
turned into individual rosters greedily (fewest hours first, honouring minimum rest), and each roster is checked.
The LP relaxation is solved too: `gap_ratio` = (cost - LP bound) / LP bound.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
from scipy import sparse

from cxops.core.errors import ValidationFailed

DAYS = 7


class ScheduleInfeasible(ValidationFailed):
    """No schedule satisfies the rules; the message names the rule or interval at fault."""


@dataclass(frozen=True)
class ShiftRules:
    """Contract rules shared by a group of agents; times in minutes unless named otherwise."""

    shift_lengths_min: tuple[int, ...] = (480,)
    start_step_min: int = 30
    break_min: int = 30
    break_after_min: int = 120
    break_before_min: int = 330
    max_weekly_hours: float = 40.0
    min_days_off: int = 2
    min_rest_hours: float = 11.0
    cost_per_hour: float = 1.0


@dataclass(frozen=True)
class AgentGroup:
    """Agents sharing skills, availability and rules. availability: per weekday (0=Mon) a (from, to) minute window."""

    name: str
    agent_ids: tuple[str, ...]
    skills: frozenset[str]
    rules: ShiftRules = field(default_factory=ShiftRules)
    availability: dict[int, tuple[int, int]] | None = None


@dataclass
class Pattern:
    group: int
    day: int
    start_min: int
    length_min: int
    break_start_min: int
    break_len_min: int
    paid_hours: float


@dataclass
class ScheduleResult:
    """Shifts per agent, coverage per interval and the optimality evidence."""

    shifts: list[dict[str, Any]]
    scheduled: dict[str, np.ndarray]
    required: dict[str, np.ndarray]
    cost: float
    lp_bound: float
    gap_ratio: float
    solve_s: float
    status: str
    notes: list[str]


def _check_rules(group: AgentGroup) -> None:
    r = group.rules
    where = f"group {group.name!r}"
    if not r.shift_lengths_min or min(r.shift_lengths_min) <= 0:
        raise ScheduleInfeasible(f"{where}: shift_lengths_min must hold positive lengths", field="shift_lengths_min")
    if r.max_weekly_hours < min(r.shift_lengths_min) / 60:
        raise ScheduleInfeasible(
            f"{where}: max_weekly_hours {r.max_weekly_hours:g} is shorter than the shortest shift "
            f"({min(r.shift_lengths_min) / 60:g} h), so no agent can work at all",
            field="max_weekly_hours",
        )
    if not 0 <= r.min_days_off <= DAYS - 1:
        raise ScheduleInfeasible(f"{where}: min_days_off {r.min_days_off} must be 0..6", field="min_days_off")
    if r.min_rest_hours + min(r.shift_lengths_min) / 60 > 24 and r.min_days_off < 4:
        raise ScheduleInfeasible(
            f"{where}: {r.min_rest_hours:g} h minimum rest plus a {min(r.shift_lengths_min) / 60:g} h shift exceed "
            "24 h, so no agent could work on consecutive days",
            field="min_rest_hours",
        )
    if r.break_after_min + r.break_min > min(r.shift_lengths_min) or r.break_before_min < r.break_after_min:
        raise ScheduleInfeasible(
            f"{where}: the break window {r.break_after_min}-{r.break_before_min} min does not fit inside a "
            f"{min(r.shift_lengths_min)} min shift",
            field="break_after_min",
        )


def make_patterns(groups: list[AgentGroup], freq_min: int) -> list[Pattern]:
    """Every allowed shift pattern of every group (starts and breaks on the interval grid)."""
    out: list[Pattern] = []
    for gi, g in enumerate(groups):
        _check_rules(g)
        r, found = g.rules, 0
        for day in range(DAYS):
            if g.availability is not None and day not in g.availability:
                continue  # given availability lists the days the group can work
            lo, hi = g.availability[day] if g.availability is not None else (0, 1440)
            for length in r.shift_lengths_min:
                for start in range(lo, hi - length + 1, max(r.start_step_min, freq_min)):
                    first, last = (
                        start + r.break_after_min,
                        min(start + r.break_before_min, start + length - r.break_min),
                    )
                    for brk in range(first - first % freq_min, last + 1, freq_min):
                        out.append(Pattern(gi, day, start, length, brk, r.break_min, (length - r.break_min) / 60))
                        found += 1
        if not found:
            raise ScheduleInfeasible(
                f"group {g.name!r}: no shift of {list(r.shift_lengths_min)} min fits its availability",
                field="availability",
            )
    return out


def _coverage(patterns: list[Pattern], freq_min: int) -> sparse.csc_matrix:
    """Interval x pattern 0/1 matrix: the agent is on duty (not on break) in interval i."""
    per_day = 1440 // freq_min
    rows, cols = [], []
    for j, p in enumerate(patterns):
        start = p.day * per_day + p.start_min // freq_min
        work = np.arange(start, start + p.length_min // freq_min)
        brk = p.day * per_day + p.break_start_min // freq_min + np.arange(p.break_len_min // freq_min)
        work = work[~np.isin(work, brk)] % (DAYS * per_day)
        rows.append(work)
        cols.append(np.full(work.size, j))
    data = np.ones(sum(r.size for r in rows))
    return sparse.csc_matrix(
        (data, (np.concatenate(rows), np.concatenate(cols))), shape=(DAYS * per_day, len(patterns))
    )


@dataclass
class _Model:
    cost: np.ndarray
    matrix: sparse.csc_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    n_int: int
    alloc_index: list[tuple[int, str, int]]


def _build(groups: list[AgentGroup], patterns: list[Pattern], cover: sparse.csc_matrix,
           required: dict[str, np.ndarray]) -> _Model:  # fmt: skip
    """Assemble the integer programme described in the module docstring."""
    n_p = len(patterns)
    pg = np.array([p.group for p in patterns])
    alloc = [(g, k, int(i)) for g, grp in enumerate(groups) for k in sorted(grp.skills & required.keys())
             for i in np.flatnonzero(required[k] > 0)]  # fmt: skip
    a_col = {key: n_p + j for j, key in enumerate(alloc)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(entries: list[tuple[int, float]], low: float, high: float) -> None:
        r = len(lo)
        for c, v in entries:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        lo.append(low)
        hi.append(high)

    cover_csr = cover.tocsr()
    for g in range(len(groups)):
        for i in sorted({i for (gg, _, i) in alloc if gg == g}):
            on = [j for j in cover_csr.indices[cover_csr.indptr[i] : cover_csr.indptr[i + 1]] if pg[j] == g]
            add([(a_col[(g, k, i)], 1.0) for k in sorted(groups[g].skills & required.keys()) if (g, k, i) in a_col]
                + [(j, -1.0) for j in on], -np.inf, 0.0)  # fmt: skip
    for k, req in sorted(required.items()):
        for slot in np.flatnonzero(req > 0).tolist():
            add(
                [(a_col[(g, k, slot)], 1.0) for g in range(len(groups)) if (g, k, slot) in a_col],
                float(req[slot]),
                np.inf,
            )
    for g, grp in enumerate(groups):
        size, r = len(grp.agent_ids), grp.rules
        mine = np.flatnonzero(pg == g)
        for day in range(DAYS):
            add([(int(j), 1.0) for j in mine if patterns[j].day == day], -np.inf, size)
        add([(int(j), 1.0) for j in mine], -np.inf, size * (DAYS - r.min_days_off))
        add([(int(j), patterns[j].paid_hours) for j in mine], -np.inf, size * r.max_weekly_hours)
    cost = np.concatenate(
        [[groups[p.group].rules.cost_per_hour * p.paid_hours for p in patterns], np.zeros(len(alloc))]
    )
    matrix = sparse.csc_matrix((vals, (rows, cols)), shape=(len(lo), n_p + len(alloc)))
    return _Model(cost, matrix, np.array(lo), np.array(hi), n_p, alloc)


def _new_highs() -> highspy.Highs:
    """A silent solver: HiGHS prints its banner from C++ on construction, which would corrupt JSON output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


def _solve(
    model: _Model, integer: bool, time_limit_s: float, rel_gap: float, allowed: np.ndarray | None = None
) -> tuple[str, float, np.ndarray]:
    """Solve the model (or its LP relaxation); `allowed` masks the shift patterns that may be used."""
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    lp = highspy.HighsLp()
    n = model.cost.size
    lp.num_col_, lp.num_row_ = n, model.row_lo.size
    upper = np.full(n, highspy.kHighsInf)
    if allowed is not None:
        upper[: model.n_int][~allowed] = 0.0
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = model.cost, np.zeros(n), upper
    lp.row_lower_ = np.where(np.isinf(model.row_lo), -highspy.kHighsInf, model.row_lo)
    lp.row_upper_ = np.where(np.isinf(model.row_hi), highspy.kHighsInf, model.row_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = model.matrix.indptr
    lp.a_matrix_.index_ = model.matrix.indices
    lp.a_matrix_.value_ = model.matrix.data
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * model.n_int + [highspy.HighsVarType.kContinuous] * (
            n - model.n_int
        )
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if h.getModelStatus() not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
        return status, float("nan"), np.zeros(n)
    solution = h.getSolution()
    values = np.asarray(solution.col_value)
    if values.size != n:
        return status, float("nan"), np.zeros(n)
    return status, float(h.getInfo().objective_function_value), values
