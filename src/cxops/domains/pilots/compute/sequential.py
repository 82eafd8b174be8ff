"""Group-sequential monitoring: exact Lan-DeMets O'Brien-Fleming boundaries and the sample-size inflation they need.

The cumulative z-statistics at information fractions t_1 < ... < t_K are jointly normal with
Corr(Z_i, Z_j) = sqrt(t_i / t_j) (i < j) and mean theta * sqrt(t_i) under drift theta. The boundary c_k solves
P(|Z_i| < c_i for i < k, |Z_k| >= c_k) = alpha(t_k) - alpha(t_{k-1}), alpha(t) the spending function, so the
overall two-sided false-positive rate is exactly alpha however the looks are spaced (Jennison & Turnbull,
Group Sequential Methods, 2000, ch. 7 and 19). Rectangle probabilities use scipy's Genz integration with a
fixed seed, so boundaries are reproducible.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
from scipy import optimize, stats

from cxops.domains.pilots.compute.stats import obrien_fleming_spent

_EPS = 1e-6


def _cov(fractions: tuple[float, ...]) -> np.ndarray:
    t = np.asarray(fractions)
    return np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))


def _box(
    fractions: tuple[float, ...], bounds: tuple[float, ...], mean: np.ndarray | None = None, eps: float = _EPS
) -> float:
    """P(|Z_i| < c_i for every look)."""
    k = len(bounds)
    if k == 0:
        return 1.0
    if k == 1:
        mu = 0.0 if mean is None else float(mean[0])
        return float(stats.norm.cdf(bounds[0] - mu) - stats.norm.cdf(-bounds[0] - mu))
    c = np.asarray(bounds)
    return float(
        stats.multivariate_normal.cdf(
            c,
            mean=np.zeros(k) if mean is None else mean,
            cov=_cov(fractions[:k]),
            lower_limit=-c,
            abseps=eps,
            releps=1e-6,
            rng=np.random.default_rng(7),
        )
    )


MAX_Z = 10.0  # a critical value no look can reach in practice (nominal alpha ~1.5e-23)

#: The default monitoring plan (looks at 25/50/75/100% of the sample, alpha 0.05, power 0.85; `PlanIn`'s defaults)
#: as `_boundaries` and `_inflation_factor` compute it: the Genz integrations take seconds, which every process
#: paid on its first plan (tests/unit/pilots/test_stats.py recomputes these values).
DEFAULT_LOOKS = (0.25, 0.5, 0.75, 1.0)
_KNOWN_BOUNDARIES: dict[tuple[tuple[float, ...], float], tuple[float, ...]] = {
    (DEFAULT_LOOKS, 0.05): (3.919927969080382, 2.773952545240425, 2.298244473484985, 2.04263946592547),
}
_KNOWN_INFLATION: dict[tuple[tuple[float, ...], float, float], float] = {
    (DEFAULT_LOOKS, 0.05, 0.85): 1.0302554880666974,
}


@lru_cache(maxsize=256)
def boundaries(fractions: tuple[float, ...], alpha: float = 0.05) -> tuple[float, ...]:
    """Two-sided critical values |z| >= c_k for each look (O'Brien-Fleming-type spending)."""
    _check(fractions, alpha)
    known = _KNOWN_BOUNDARIES.get((tuple(fractions), alpha))
    return known if known is not None else _boundaries(fractions, alpha)


def _boundaries(fractions: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    out: list[float] = []
    spent_before = 0.0
    inside_before = 1.0
    for k, t in enumerate(fractions):
        target = obrien_fleming_spent(t, alpha) - spent_before
        spent_before += target
        if k == 0:
            # isf keeps precision where 1 - target/2 rounds to 1 (an early look spends ~1e-20: ppf gave inf, which
            # JSON cannot carry); |z| >= MAX_Z is as good as never, as for the later looks below.
            c = min(float(stats.norm.isf(target / 2)), MAX_Z) if target > 1e-12 else MAX_Z
        else:
            prefix = tuple(out)

            def gap(
                c_k: float,
                prefix: tuple[float, ...] = prefix,
                k: int = k,
                inside: float = inside_before,
                goal: float = target,
            ) -> float:
                return inside - _box(fractions[: k + 1], (*prefix, c_k)) - goal

            c = float(optimize.brentq(gap, 0.5, MAX_Z, xtol=1e-6)) if target > 1e-12 else MAX_Z
        out.append(c)
        inside_before = _box(fractions[: k + 1], tuple(out))
    return tuple(out)


def nominal_alpha(boundary: float) -> float:
    """The two-sided p-value threshold equivalent to |z| >= boundary."""
    return float(2 * stats.norm.sf(boundary))


def upper_crossing_probability(fractions: tuple[float, ...], bounds: tuple[float, ...], drift: float) -> float:
    """P(the z-statistic first leaves the continuation region through the upper boundary) under `drift`."""
    mean = drift * np.sqrt(np.asarray(fractions))
    total = 0.0
    for k in range(len(bounds)):
        inside = _box(fractions[:k], bounds[:k], mean[:k], 1e-5) if k else 1.0
        both = _box(fractions[: k + 1], (*bounds[:k], bounds[k]), mean[: k + 1], 1e-5)
        below = _below(fractions[: k + 1], bounds[: k + 1], mean[: k + 1])
        total += max(inside - both - below, 0.0)
    return total


def _below(fractions: tuple[float, ...], bounds: tuple[float, ...], mean: np.ndarray) -> float:
    """P(inside at every earlier look and Z_k <= -c_k at the last)."""
    k = len(bounds)
    if k == 1:
        return float(stats.norm.cdf(-bounds[0] - mean[0]))
    lower = np.array([-b for b in bounds[:-1]] + [-np.inf])
    upper = np.array([*bounds[:-1], -bounds[-1]])
    return float(
        stats.multivariate_normal.cdf(
            upper,
            mean=mean,
            cov=_cov(fractions),
            lower_limit=lower,
            abseps=1e-5,
            releps=1e-5,
            rng=np.random.default_rng(7),
        )
    )


@lru_cache(maxsize=64)
def inflation_factor(fractions: tuple[float, ...], alpha: float = 0.05, power: float = 0.8) -> float:
    """Ratio of the sequential design's maximum sample size to the fixed design's for the same power."""
    if not math.isclose(fractions[-1], 1.0):
        raise ValueError("the last planned look must be at the full planned sample (fraction 1.0)")
    if len(fractions) == 1:
        return 1.0  # a single look is the fixed design
    known = _KNOWN_INFLATION.get((tuple(fractions), alpha, power))
    return known if known is not None else _inflation_factor(fractions, alpha, power)


def _inflation_factor(fractions: tuple[float, ...], alpha: float, power: float) -> float:
    bounds = boundaries(fractions, alpha)
    fixed_drift = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    drift = optimize.brentq(
        lambda d: upper_crossing_probability(fractions, bounds, d) - power,
        fixed_drift * 0.9,
        fixed_drift * 1.3,
        xtol=1e-3,
    )
    return float((drift / fixed_drift) ** 2)


def _check(fractions: tuple[float, ...], alpha: float) -> None:
    if not fractions:
        raise ValueError("a monitoring plan needs at least one look")
    if any(not (0 < f <= 1) for f in fractions) or any(b <= a for a, b in itertools.pairwise(fractions)):
        raise ValueError("looks must be increasing information fractions in (0, 1]")
    if not (0 < alpha < 1):
        raise ValueError("alpha must lie strictly between 0 and 1")
