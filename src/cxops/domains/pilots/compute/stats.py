"""Statistics for proof-of-value pilots: tests, intervals, sample sizes and an alpha-spending guard.

References:
    Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions.
        Statistics in Medicine 17, 873-890 (method 10: hybrid Wilson score interval).
    Welch, B. L. (1947). The generalization of Student's problem when several different population
        variances are involved. Biometrika 34, 28-35.
    Lan, K. K. G. & DeMets, D. L. (1983). Discrete sequential boundaries for clinical trials.
        Biometrika 70, 659-663 (O'Brien-Fleming-type spending function).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True, slots=True)
class Comparison:
    """Treatment minus control: estimate, confidence interval and two-sided p-value."""

    metric: str
    treatment: float
    control: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treatment: int
    n_control: int
    test: str


def wilson_interval(x: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion x/n."""
    if n <= 0:
        raise ValueError("a proportion needs at least one observation")
    z = stats.norm.ppf(1 - alpha / 2)
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportions(x_t: int, n_t: int, x_c: int, n_c: int, *, alpha: float = 0.05, metric: str = "rate") -> Comparison:
    """Two-proportion z-test (pooled) with Newcombe's hybrid score interval for p_t - p_c.

    z = (p_t - p_c) / sqrt(p (1 - p) (1/n_t + 1/n_c)), p = (x_t + x_c) / (n_t + n_c).
    """
    if n_t <= 0 or n_c <= 0:
        raise ValueError("both arms need at least one observation (an arm is empty)")
    if not (0 <= x_t <= n_t and 0 <= x_c <= n_c):
        raise ValueError("successes must lie between 0 and the arm size")
    p_t, p_c = x_t / n_t, x_c / n_c
    pooled = (x_t + x_c) / (n_t + n_c)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    p_value = 1.0 if se == 0 else float(2 * stats.norm.sf(abs(p_t - p_c) / se))
    l_t, u_t = wilson_interval(x_t, n_t, alpha)
    l_c, u_c = wilson_interval(x_c, n_c, alpha)
    diff = p_t - p_c
    low = diff - math.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2)
    high = diff + math.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2)
    return Comparison(metric, p_t, p_c, diff, low, high, p_value, n_t, n_c, "two-proportion z")


def welch(treatment: np.ndarray, control: np.ndarray, *, alpha: float = 0.05, metric: str = "mean") -> Comparison:
    """Welch's unequal-variance t-test with its Welch-Satterthwaite confidence interval for the mean difference."""
    t, c = np.asarray(treatment, dtype=float), np.asarray(control, dtype=float)
    if t.size < 2 or c.size < 2:
        raise ValueError("Welch's test needs at least two observations in each arm")
    vt, vc = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
    diff = float(t.mean() - c.mean())
    se = math.sqrt(vt + vc)
    if se == 0:
        return Comparison(
            metric,
            float(t.mean()),
            float(c.mean()),
            diff,
            diff,
            diff,
            1.0 if diff == 0 else 0.0,
            int(t.size),
            int(c.size),
            "Welch t",
        )
    df = (vt + vc) ** 2 / (vt**2 / (t.size - 1) + vc**2 / (c.size - 1))
    q = stats.t.ppf(1 - alpha / 2, df)
    p_value = float(2 * stats.t.sf(abs(diff) / se, df))
    return Comparison(
        metric,
        float(t.mean()),
        float(c.mean()),
        diff,
        diff - q * se,
        diff + q * se,
        p_value,
        int(t.size),
        int(c.size),
        "Welch t",
    )


def bootstrap_diff_ci(
    treatment: np.ndarray, control: np.ndarray, *, alpha: float = 0.05, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval for mean(treatment) - mean(control), resampling each arm."""
    t, c = np.asarray(treatment, dtype=float), np.asarray(control, dtype=float)
    if t.size == 0 or c.size == 0:
        raise ValueError("both arms need observations for a bootstrap interval")
    rng = np.random.default_rng(seed)
    bt = t[rng.integers(0, t.size, size=(n_boot, t.size))].mean(axis=1)
    bc = c[rng.integers(0, c.size, size=(n_boot, c.size))].mean(axis=1)
    lo, hi = np.quantile(bt - bc, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def sample_size_two_proportions(p_control: float, mde: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Observations per arm to detect p_control -> p_control + mde with a two-sided test.

    n = (z_{1-a/2} sqrt(2 p q) + z_{1-b} sqrt(p1 q1 + p2 q2))^2 / mde^2, p = (p1 + p2) / 2.
    """
    p1, p2 = p_control, p_control + mde
    if not (0 < p1 < 1 and 0 < p2 < 1):
        raise ValueError("baseline and baseline + effect must both lie strictly between 0 and 1")
    if mde == 0:
        raise ValueError("the minimum detectable effect must not be zero")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / mde**2
    return math.ceil(n)


def power_two_proportions(p_control: float, mde: float, n_per_arm: int, *, alpha: float = 0.05) -> float:
    """Power of the two-sided two-proportion test with n_per_arm observations in each arm."""
    p1, p2 = p_control, p_control + mde
    za = stats.norm.ppf(1 - alpha / 2)
    pbar = (p1 + p2) / 2
    se0 = math.sqrt(2 * pbar * (1 - pbar) / n_per_arm)
    se1 = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n_per_arm)
    return float(stats.norm.cdf((abs(mde) - za * se0) / se1))


def obrien_fleming_spent(fraction: float, alpha: float = 0.05) -> float:
    """Cumulative two-sided alpha spent at information fraction t: 2 - 2 Phi(z_{1-a/2} / sqrt(t))."""
    t = min(max(fraction, 1e-9), 1.0)
    return float(2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 2) / math.sqrt(t)))
