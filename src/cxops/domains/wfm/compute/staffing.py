"""Agents required per interval: Erlang C (vectorised), Erlang A (with patience) and Erlang B, plus shrinkage;
and deferred work (e-mail, back office) staffed to its workload.

Raw agents are the fewest N meeting every target at once: service level SL(N) >= target, ASA(N) <= target ASA,
occupancy A / N <= maximum occupancy, and a stable queue (N > A) for Erlang C. Scheduled agents add shrinkage:
ceil(raw / (1 - shrinkage)). Impossible targets raise `StaffingTargetError` with the reason.

Erlang C treats each interval as its own steady-state queue whose arrivals are answered in that interval. That
holds while the threshold is short against the interval (20 s in 30 minutes); once the threshold spans whole
intervals (e-mail: 90% within 24 h) contacts may wait for later intervals, the service-level term
1 - C exp(-(N - A) t / AHT) is 1 for any stable N, and the requirement collapses to "N > A" in every interval:
at least one agent, two after shrinkage, in every interval with any forecast, whatever the deadline.
`staff_deferred` staffs such work to its workload instead (see there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cxops.core.errors import ValidationFailed
from cxops.domains.wfm.compute.erlang import EPS, asa_over_aht_c, erlang_a, erlang_b, erlang_c_from_b, service_level_c

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
#: Above this many agents in one interval the search stops with an error instead of running away.
MAX_AGENTS = 100_000


class StaffingTargetError(ValidationFailed):
    """The targets cannot be met by any number of agents, or an input is out of range; `field` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True, slots=True)
class Targets:
    """Service targets; times in seconds, shares in [0, 1]."""

    service_level: float = 0.8
    threshold_s: float = 20.0
    max_occupancy: float = 1.0
    asa_s: float | None = None
    shrinkage: float = 0.0

    def check(self) -> None:
        """Raise StaffingTargetError for targets no staffing can meet."""
        if not 0.0 <= self.service_level <= 1.0:
            raise StaffingTargetError(f"service_level {self.service_level} must be between 0 and 1", "service_level")
        if self.service_level >= 1.0:
            raise StaffingTargetError(
                f"service level {self.service_level:.0%} within {self.threshold_s:g} s is impossible: with random "
                "arrivals some callers always find every agent busy; use a target below 100%",
                "service_level",
            )
        if self.threshold_s < 0:
            raise StaffingTargetError(f"threshold_s {self.threshold_s} must be >= 0 seconds", "threshold_s")
        if not 0.0 < self.max_occupancy <= 1.0:
            raise StaffingTargetError(f"max_occupancy {self.max_occupancy} must be in (0, 1]", "max_occupancy")
        if self.asa_s is not None and self.asa_s <= 0:
            raise StaffingTargetError(
                f"an average speed of answer of {self.asa_s:g} s is impossible: some callers always wait, so the "
                "ASA is above 0; use a positive target",
                "asa_s",
            )
        if not 0.0 <= self.shrinkage < 1.0:
            raise StaffingTargetError(f"shrinkage {self.shrinkage} must be in [0, 1)", "shrinkage")


def offered_load(calls: ArrayLike, aht_s: ArrayLike, interval_s: float) -> FloatArray:
    """Offered load in Erlangs: A = calls x AHT / interval length."""
    return np.asarray(calls, dtype=np.float64) * np.asarray(aht_s, dtype=np.float64) / float(interval_s)


def with_shrinkage(raw: ArrayLike, shrinkage: float) -> IntArray:
    """Scheduled agents ceil(raw / (1 - shrinkage)); the slack keeps 14 / 0.7 at 20, not 21."""
    scaled = np.asarray(raw, dtype=np.float64) / (1.0 - shrinkage)
    return np.ceil(scaled - 1e-9).astype(np.int64)


def _validate_load(calls: FloatArray, aht: FloatArray) -> None:
    bad = np.flatnonzero(~np.isfinite(calls) | (calls < 0))
    if bad.size:
        raise StaffingTargetError(f"calls[{bad[0]}] = {calls[bad[0]]} must be a finite number >= 0", "calls")
    bad = np.flatnonzero(~np.isfinite(aht) | (aht <= 0))
    if bad.size:
        raise StaffingTargetError(f"aht_s[{bad[0]}] = {aht[bad[0]]} must be a finite number > 0", "aht_s")


def staff_erlang_c(calls: ArrayLike, aht_s: ArrayLike, interval_s: float, targets: Targets) -> IntArray:
    """Raw agents per interval under Erlang C, for all intervals at once.

    Walks N = 1, 2, ... once for every interval together, carrying the Erlang B recursion
    B(N) = A B(N-1) / (N + A B(N-1)) and C = N B / (N - A (1 - B)), and records the first N meeting every target.
    Intervals without calls need 0 agents.

    Args:
        calls: contacts offered per interval.
        aht_s: mean handle time in seconds (scalar or per interval).
        interval_s: interval length in seconds.
        targets: service targets (shrinkage is not applied here; see `with_shrinkage`).

    Returns:
        Raw agents per interval (int64).
    """
    targets.check()
    calls_arr, aht = np.broadcast_arrays(np.atleast_1d(np.asarray(calls, float)), np.asarray(aht_s, float))
    _validate_load(calls_arr, aht)
    a = calls_arr * aht / float(interval_s)
    t_over_aht = targets.threshold_s / aht
    asa_cap = np.inf if targets.asa_s is None else targets.asa_s / aht
    result = np.where(a > 0, -1, 0).astype(np.int64)
    b = np.ones_like(a)
    n = 0
    while (result < 0).any():
        n += 1
        if n > MAX_AGENTS:
            raise StaffingTargetError(f"more than {MAX_AGENTS} agents needed in one interval", "calls")
        b = a * b / (n + a * b)
        open_ = result < 0
        c = erlang_c_from_b(n, a, b)
        ok = (
            open_
            & (n > a)
            & (service_level_c(c, n, a, t_over_aht) >= targets.service_level - EPS)
            & (asa_over_aht_c(c, n, a) <= asa_cap + EPS)
            & (a / n <= targets.max_occupancy + EPS)
        )
        result[ok] = n
    return result


#: Largest factor `staff_deferred` raises the workload capacity by while looking for the service level.
MAX_DEFERRED_SCALE = 8.0


@dataclass(frozen=True, slots=True)
class DeferredStaffing:
    """Agents per interval for deferred work and the share of its contacts answered within the threshold."""

    raw: IntArray
    scheduled: IntArray
    #: fluid FIFO estimate of the share of contacts answered within the threshold with `raw` agents
    answered_within: float
    #: the capacity over the workload / max occupancy the target needed (1.0: the workload alone met it)
    scale: float


def is_deferred(threshold_s: float, interval_s: float) -> bool:
    """A target whose threshold spans at least one whole interval: contacts may wait for later intervals."""
    return threshold_s >= interval_s


def carry_round(values: ArrayLike) -> IntArray:
    """Whole agents per interval whose running total follows the running total of `values` (each is floor or ceil).

    Rounding each interval up would turn 0.3 agents in every interval into 1 (and 2 after shrinkage); carrying
    the remainder keeps the agent-hours of fractional requirements within one interval of the exact total.
    """
    cum = np.ceil(np.cumsum(np.asarray(values, dtype=np.float64)) - 1e-9)
    return np.diff(np.concatenate(([0.0], np.maximum(cum, 0.0)))).astype(np.int64)


def _answered_within(
    work: FloatArray, calls: FloatArray, capacity: FloatArray, deadline: IntArray, beyond: FloatArray
) -> float:
    """Share of contacts answered within the threshold under FIFO (fluid model).

    Work arriving in interval i (agent-seconds, all of it taken to arrive at the interval's start, which is
    conservative) is answered in time as far as the capacity up to the last interval ending by its deadline,
    `deadline[i]`, covers the work up to it; `beyond[i]` intervals of the deadline lie past the horizon, where the
    capacity continues at the mean of the horizon's last day.
    """
    if calls.sum() <= 0:
        return 1.0
    cum_cap = np.cumsum(capacity)
    tail = float(capacity[-min(capacity.size, 48) :].mean()) if capacity.size else 0.0
    done_by = np.where(deadline >= 0, cum_cap[np.maximum(deadline, 0)], 0.0) + beyond * tail
    cum = np.cumsum(work)
    before = cum - work
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(work > 0, np.clip((done_by - before) / work, 0.0, 1.0), 1.0)
    return float((part * calls).sum() / calls.sum())


def staff_deferred(
    calls: ArrayLike, aht_s: ArrayLike, interval_s: float, targets: Targets, starts_s: ArrayLike | None = None
) -> DeferredStaffing:
    """Agents per interval for deferred work: the workload, spread over the threshold, at most at max occupancy.

    With a threshold T of at least one interval (`is_deferred`) a contact may be answered in any interval up to T
    after it arrives, so the backlog absorbs the randomness Erlang C staffs for and what matters is capacity: the
    work (contacts x AHT) of the intervals within T/2 either side, over as many intervals, divided by the interval
    and the maximum occupancy, gives fractional agents; whole agents follow their running total (`carry_round`),
    and scheduled agents apply shrinkage before rounding. A fluid FIFO backlog then measures the share answered
    within T; while it is below the service level the capacity is raised by 5% steps. The agent-hours come out
    near workload / (max occupancy x (1 - shrinkage)), which is what a deadline of hours needs, instead of a
    whole agent in every interval.

    Args:
        calls, aht_s, interval_s, targets: as for `staff_erlang_c`.
        starts_s: start of each interval in seconds, increasing (default: back to back); a series with closed
            hours has gaps, and only its open intervals carry capacity.
    """
    targets.check()
    calls_arr, aht = np.broadcast_arrays(np.atleast_1d(np.asarray(calls, float)), np.asarray(aht_s, float))
    _validate_load(calls_arr, aht)
    if not interval_s > 0:
        raise StaffingTargetError(f"interval_s {interval_s} must be > 0 seconds", "interval_s")
    n = calls_arr.size
    ts = np.arange(n) * float(interval_s) if starts_s is None else np.asarray(starts_s, dtype=np.float64)
    if ts.shape != (n,) or (np.diff(ts) <= 0).any():
        raise StaffingTargetError("starts_s must give one increasing start per interval", "starts_s")
    work = calls_arr * aht
    t = targets.threshold_s
    cum = np.concatenate(([0.0], np.cumsum(work)))
    lo = np.searchsorted(ts, ts - t / 2, "left")
    hi = np.searchsorted(ts, ts + t / 2, "left")
    need = (cum[hi] - cum[lo]) / np.maximum(hi - lo, 1) / (interval_s * targets.max_occupancy)
    deadline = np.searchsorted(ts, ts + t - interval_s, "right") - 1
    beyond = np.maximum(np.floor((ts + t - interval_s - ts[-1]) / interval_s), 0.0) if n else np.zeros(0)
    scale = 1.0
    while True:
        raw = carry_round(need * scale)
        capacity = (raw * (interval_s * targets.max_occupancy)).astype(np.float64)
        share = _answered_within(work, calls_arr, capacity, deadline, beyond)
        if share >= targets.service_level - EPS or scale >= MAX_DEFERRED_SCALE:
            break
        scale = min(scale * 1.05, MAX_DEFERRED_SCALE)
    scheduled = carry_round(need * scale / (1.0 - targets.shrinkage))
    return DeferredStaffing(raw, np.maximum(scheduled, raw), share, scale)


def staff_erlang_a(
    calls: ArrayLike, aht_s: ArrayLike, interval_s: float, patience_s: float, targets: Targets
) -> IntArray:
    """Raw agents per interval under Erlang A (callers abandon after exponential patience of mean patience_s).

    Service level is P(served within threshold) over all arrivals, ASA the mean wait over all arrivals; abandonment
    keeps the queue stable, so N may be below A.
    """
    targets.check()
    if not patience_s > 0:
        raise StaffingTargetError(f"patience_s {patience_s} must be > 0 seconds", "patience_s")
    calls_arr, aht = np.broadcast_arrays(np.atleast_1d(np.asarray(calls, float)), np.asarray(aht_s, float))
    _validate_load(calls_arr, aht)
    out = np.zeros(calls_arr.shape, dtype=np.int64)
    for i, (vol, h) in enumerate(zip(calls_arr.tolist(), aht.tolist(), strict=True)):
        if vol > 0:
            out[i] = _staff_one_erlang_a(vol / interval_s, h, patience_s, targets)
    return out


def _meets(lam: float, aht: float, patience: float, n: int, targets: Targets) -> bool:
    res = erlang_a(lam, aht, patience, n, targets.threshold_s)
    asa_ok = targets.asa_s is None or res.mean_wait <= targets.asa_s + EPS
    occ_ok = res.occupancy <= targets.max_occupancy + EPS
    return res.service_level >= targets.service_level - EPS and asa_ok and occ_ok


def _staff_one_erlang_a(lam: float, aht: float, patience: float, targets: Targets) -> int:
    """Smallest N meeting the targets: doubling then bisection (every measure is monotone in N)."""
    hi = max(1, math.ceil(lam * aht))
    while not _meets(lam, aht, patience, hi, targets):
        hi *= 2
        if hi > MAX_AGENTS:
            raise StaffingTargetError(f"more than {MAX_AGENTS} agents needed in one interval", "calls")
    lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _meets(lam, aht, patience, mid, targets):
            hi = mid
        else:
            lo = mid
    return hi


def staff_erlang_b(load: ArrayLike, max_blocking: float) -> IntArray:
    """Fewest trunks/agents N with Erlang B blocking B(N, A) <= max_blocking (loss systems, e.g. callbacks)."""
    if not 0.0 < max_blocking < 1.0:
        raise StaffingTargetError(f"max_blocking {max_blocking} must be in (0, 1)", "max_blocking")
    a = np.atleast_1d(np.asarray(load, dtype=np.float64))
    result = np.where(a > 0, -1, 0).astype(np.int64)
    b = np.ones_like(a)
    n = 0
    while (result < 0).any():
        n += 1
        b = a * b / (n + a * b)
        result[(result < 0) & (b <= max_blocking + EPS)] = n
    return result


def erlang_c_measures(calls: ArrayLike, aht_s: ArrayLike, interval_s: float, agents: ArrayLike, threshold_s: float):
    """(service level, P(wait), ASA seconds, occupancy) per interval for the given agents under Erlang C."""
    aht = np.asarray(aht_s, dtype=np.float64)
    a = offered_load(calls, aht, interval_s)
    n = np.asarray(agents, dtype=np.int64)
    c = erlang_c_from_b(n, a, erlang_b(n, a))
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, a / np.maximum(n, 1), 0.0)
    sl = np.where(a > 0, service_level_c(c, n, a, threshold_s / aht), 1.0)
    asa = np.where(a > 0, asa_over_aht_c(c, n, a) * aht, 0.0)
    return sl, np.where(a > 0, c, 0.0), asa, np.minimum(occ, 1.0)
