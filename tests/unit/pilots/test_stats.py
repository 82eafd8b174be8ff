"""Pilot statistics against published values and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cxops.domains.pilots.compute import sequential
from cxops.domains.pilots.compute.gate import Guardrail, decide
from cxops.domains.pilots.compute.sequential import boundaries, inflation_factor, nominal_alpha
from cxops.domains.pilots.compute.stats import (
    bootstrap_diff_ci,
    obrien_fleming_spent,
    power_two_proportions,
    sample_size_two_proportions,
    two_proportions,
    welch,
    wilson_interval,
)


def test_newcombe_interval_matches_the_published_example() -> None:
    # Newcombe (1998), table II, example (a): 56/70 vs 48/80, method 10 gives 0.0524 to 0.3339.
    cmp = two_proportions(56, 70, 48, 80)
    assert cmp.diff == pytest.approx(0.2)
    assert cmp.ci_low == pytest.approx(0.0524, abs=1e-4) and cmp.ci_high == pytest.approx(0.3339, abs=1e-4)


def test_wilson_interval_published_value() -> None:
    # Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662.
    lo, hi = wilson_interval(81, 263)
    assert lo == pytest.approx(0.2553, abs=1e-4) and hi == pytest.approx(0.3662, abs=1e-4)


def test_z_test_p_value_matches_chi_square_without_correction() -> None:
    cmp = two_proportions(120, 400, 90, 410)
    table = np.array([[120, 280], [90, 320]])
    _chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    assert cmp.p_value == pytest.approx(p, rel=1e-9)


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(300, 60, 80), rng.normal(280, 20, 50)
    cmp = welch(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert cmp.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    ci = ref.confidence_interval()
    assert cmp.ci_low == pytest.approx(ci.low) and cmp.ci_high == pytest.approx(ci.high)


def test_bootstrap_interval_covers_the_difference() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(10, 2, 400), rng.normal(9, 2, 400)
    lo, hi = bootstrap_diff_ci(a, b, seed=1)
    assert lo < a.mean() - b.mean() < hi and lo > 0


def test_sample_size_gives_the_requested_power() -> None:
    n = sample_size_two_proportions(0.60, 0.05, power=0.8)
    assert power_two_proportions(0.60, 0.05, n) >= 0.8 > power_two_proportions(0.60, 0.05, n - 30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.99, 0.05), "between 0 and 1"),
        ((0.5, 0.0), "must not be zero"),
    ],
)
def test_impossible_designs_are_refused(args: tuple[float, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample_size_two_proportions(*args)


def test_empty_arm_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        two_proportions(0, 0, 5, 10)


def test_spending_function_and_single_look_boundary() -> None:
    assert obrien_fleming_spent(1.0) == pytest.approx(0.05)
    assert obrien_fleming_spent(0.25) < 0.001
    assert boundaries((1.0,))[0] == pytest.approx(1.959964, abs=1e-5)


def test_sequential_boundaries_keep_the_overall_false_positive_rate() -> None:
    looks = (0.25, 0.5, 0.75, 1.0)
    bounds = boundaries(looks)
    assert list(bounds) == sorted(bounds, reverse=True) and bounds[-1] > 1.96
    # Monte Carlo check of the exact boundaries: cumulative z of independent increments under H0.
    rng = np.random.default_rng(11)
    inc = rng.normal(size=(200_000, 4)) * np.sqrt(np.diff((0.0, *looks)))
    z = np.cumsum(inc, axis=1) / np.sqrt(looks)
    crossed = (np.abs(z) >= np.asarray(bounds)).any(axis=1).mean()
    assert crossed == pytest.approx(0.05, abs=0.002)
    assert nominal_alpha(bounds[-1]) < 0.05
    assert 1.0 < inflation_factor(looks) < 1.06


@pytest.mark.parametrize("key", sorted(sequential._KNOWN_BOUNDARIES))
def test_the_stored_default_boundaries_are_what_the_integration_computes(key: tuple[tuple[float, ...], float]) -> None:
    fractions, alpha = key
    assert sequential._boundaries(fractions, alpha) == sequential._KNOWN_BOUNDARIES[key]
    assert boundaries(fractions, alpha) == sequential._KNOWN_BOUNDARIES[key]


@pytest.mark.parametrize("key", sorted(sequential._KNOWN_INFLATION))
def test_the_stored_default_inflation_is_what_the_integration_computes(
    key: tuple[tuple[float, ...], float, float],
) -> None:
    fractions, alpha, power = key
    assert sequential._inflation_factor(fractions, alpha, power) == sequential._KNOWN_INFLATION[key]
    assert inflation_factor(fractions, alpha, power) == sequential._KNOWN_INFLATION[key]


def test_gate_reasons_and_guardrails() -> None:
    win = two_proportions(700, 1000, 600, 1000, metric="verified_resolution")
    assert decide(win, look_alpha=0.01, information_fraction=0.5).decision == "scale"
    csat_drop = two_proportions(300, 1000, 400, 1000, metric="csat_satisfied")
    stopped = decide(win, look_alpha=0.01, information_fraction=0.5, guardrails=[Guardrail(csat_drop, True)])
    assert stopped.decision == "stop" and any("csat_satisfied" in r for r in stopped.reasons)
    flat = two_proportions(605, 1000, 600, 1000, metric="verified_resolution")
    assert decide(flat, look_alpha=0.01, information_fraction=0.5).decision == "extend"
    final = decide(flat, look_alpha=0.04, information_fraction=1.0)
    assert final.decision == "stop" and "without a significant improvement" in final.reasons[-1]
    assert math.isfinite(win.ci_low)


def test_a_very_early_first_look_gets_a_finite_boundary() -> None:
    """At 0.6% of the sample O'Brien-Fleming spends ~1e-20 of alpha: the boundary was inf, which a JSON report
    (PostgreSQL's jsonb) refuses; it is now a finite value that no z reaches."""
    import math

    from cxops.domains.pilots.compute.sequential import MAX_Z, boundaries

    first = boundaries((0.0058,), 0.05)[0]
    assert math.isfinite(first) and 9.0 < first <= MAX_Z
    assert boundaries((0.0058, 0.5, 1.0), 0.05)[0] == first
    assert boundaries((0.5, 1.0), 0.05)[0] == pytest.approx(2.771808, abs=1e-5)  # ordinary looks unchanged
