"""Planning from the pre-period: the intra-customer correlation, the design effect and the plan they size."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from cxops.core.errors import ValidationFailed
from cxops.domains.pilots import service
from cxops.domains.pilots.compute.stats import MAX_ICC, anova_icc, estimate_clustering
from cxops.domains.pilots.schemas import PlanIn, Scope

SEED = 20261125


def _sample(sizes: np.ndarray, rates: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Binary outcomes, customer i having sizes[i] contacts each resolved with probability rates[i]."""
    clusters = np.repeat(np.arange(sizes.size), sizes)
    return (rng.random(clusters.size) < rates[clusters]).astype(float), clusters


def test_the_anova_icc_and_design_effect_match_a_hand_computed_example() -> None:
    # Customers A: 1 1 1, B: 0 0, C: 1 0 (N = 7, G = 3, grand mean 4/7).
    # SSB = 3 (3/7)^2 + 2 (4/7)^2 + 2 (1/14)^2 = 17/14, MSB = 17/28; SSW = 1/2 (only C varies), MSW = 1/8;
    # n0 = (7 - 17/7) / 2 = 16/7; ICC = (17/28 - 1/8) / (17/28 + (9/7) / 8) = (27/56) / (43/56) = 27/43.
    # m_w = (9 + 4 + 4) / 7 = 17/7, design effect = 1 + (10/7)(27/43) = 571/301.
    values = np.array([1, 1, 1, 0, 0, 1, 0], dtype=float)
    clusters = np.array(["a", "a", "a", "b", "b", "c", "c"], dtype=object)
    assert anova_icc(values, clusters) == pytest.approx(27 / 43, rel=1e-12)
    est = estimate_clustering(values, clusters)
    assert (est.contacts, est.customers) == (7, 3)
    assert est.contacts_per_customer == pytest.approx(7 / 3) and est.weighted_contacts_per_customer == pytest.approx(
        17 / 7
    )
    assert est.design_effect == pytest.approx(571 / 301, rel=1e-12)


def test_the_icc_is_clamped_and_undefined_cases_are_explicit() -> None:
    # Customers less alike than chance (each has one success and one failure): raw ICC -1, clamped to 0.
    alternating = np.array([1, 0, 1, 0, 1, 0], dtype=float)
    assert anova_icc(alternating, np.array([1, 1, 2, 2, 3, 3])) == 0.0
    # Perfectly alike within customers: raw ICC 1, clamped below it.
    assert anova_icc(np.array([1, 1, 0, 0], dtype=float), np.array([1, 1, 2, 2])) == MAX_ICC < 1
    assert anova_icc(np.ones(6), np.array([1, 1, 2, 2, 3, 3])) == 0.0  # no variance at all
    with pytest.raises(ValueError, match="at least two customers"):
        anova_icc(np.array([1.0, 0.0]), np.array([1, 1]))
    with pytest.raises(ValueError, match="at least two contacts"):
        anova_icc(np.array([1.0, 0.0]), np.array([1, 2]))
    single = estimate_clustering(np.array([1.0, 0.0, 1.0]), np.array([1, 2, 3]))
    assert single.icc is None and single.design_effect == 1.0 and single.weighted_contacts_per_customer == 1.0


def test_independent_outcomes_have_no_intra_customer_correlation() -> None:
    rng = np.random.default_rng(SEED)
    sizes = rng.integers(1, 7, size=4000)
    values, clusters = _sample(sizes, np.full(sizes.size, 0.6), rng)
    est = estimate_clustering(values, clusters)
    assert 0.0 <= est.icc <= 0.02  # type: ignore[operator]
    assert est.design_effect == pytest.approx(1.0, abs=0.06)


def test_strongly_clustered_outcomes_give_the_theoretical_design_effect() -> None:
    """Beta-binomial customers (mean 0.6, ICC 0.3): the estimate matches 1 + (m_w - 1) ICC and the real variance."""
    rng = np.random.default_rng(SEED)
    icc, mean = 0.3, 0.6
    a = mean * (1 / icc - 1)
    b = (1 - mean) * (1 / icc - 1)
    sizes = rng.integers(1, 9, size=3000)
    theory = 1 + (float((sizes**2).sum() / sizes.sum()) - 1) * icc
    values, clusters = _sample(sizes, rng.beta(a, b, size=sizes.size), rng)
    est = estimate_clustering(values, clusters)
    assert est.icc == pytest.approx(icc, abs=0.03)
    assert est.design_effect == pytest.approx(theory, rel=0.08)
    # The design effect is what it claims to be: the variance of the contact-level rate over independent samples
    # relative to the binomial variance of as many independent contacts.
    rates = [_sample(sizes, rng.beta(a, b, size=sizes.size), rng)[0].mean() for _ in range(300)]
    observed = float(np.var(rates, ddof=1)) / (mean * (1 - mean) / sizes.sum())
    assert observed == pytest.approx(theory, rel=0.2)


def _pre(resolved: list[bool], customers: list[str]) -> service.PrePeriod:
    return service.PrePeriod(None, None, 28, tuple(resolved), tuple(customers))


def _clustered_pre(n_customers: int, per_customer: int, resolved_customers: int) -> service.PrePeriod:
    """Every customer's contacts share one outcome (the most clustered history there is)."""
    rows = [(c < resolved_customers, f"c{c}") for c in range(n_customers) for _ in range(per_customer)]
    return _pre([r for r, _ in rows], [c for _, c in rows])


def test_the_plan_multiplies_the_size_by_the_pre_period_design_effect() -> None:
    data = PlanIn(mde=0.1, looks=[0.5, 1.0], scope=Scope(intents=["refund"]))
    independent = service.plan(data.model_copy(update={"baseline_rate": 0.4}))
    # 60 customers with 4 contacts each, 24 of them always resolved: baseline 0.4, ICC ~ 1, design effect ~ 4.
    out = service.plan(data, _clustered_pre(60, 4, 24))
    assert out.baseline_source == "measured" and out.baseline_rate == out.baseline_measured == 0.4
    assert out.icc == pytest.approx(MAX_ICC) and out.design_effect == pytest.approx(1 + 3 * MAX_ICC)
    assert out.contacts_per_customer == out.contacts_per_customer_weighted == 4.0
    assert (out.history_contacts, out.history_customers) == (240, 60) and out.notes == []
    assert out.fixed_n_per_arm == independent.fixed_n_per_arm
    assert abs(out.planned_n_per_arm - independent.planned_n_per_arm * out.design_effect) <= out.design_effect + 1
    assert out.power_at_planned_n >= data.power
    # The stored plan gives the design effect back to the looks; a pilot planned before plans read history has none.
    pilot = SimpleNamespace(plan=out.model_dump(mode="json"))
    assert service.planned_design_effect(pilot) == out.design_effect  # type: ignore[arg-type]
    assert service.planned_design_effect(SimpleNamespace(plan=None)) == 1.0  # type: ignore[arg-type]


def test_too_little_history_and_too_much_clustering_are_noted_not_fatal() -> None:
    data = PlanIn(baseline_rate=0.5, mde=0.1, scope=Scope())
    small = service.plan(data, _clustered_pre(40, 4, 20))  # 160 contacts of 40 customers
    assert small.design_effect == 1.0 and small.icc is None and small.baseline_source == "given"
    assert small.baseline_measured == 0.5 and small.contacts_per_customer == 4.0
    assert any(n.startswith("too little history") for n in small.notes)
    heavy = service.plan(data, _clustered_pre(60, 50, 30))  # design effect ~ 50
    assert heavy.design_effect == service.MAX_DESIGN_EFFECT
    assert any("capped at 20" in n for n in heavy.notes)
    empty = service.plan(data, _pre([], []))
    assert empty.design_effect == 1.0 and empty.baseline_measured is None and empty.notes


def test_a_baseline_that_cannot_be_measured_names_baseline_rate() -> None:
    for data, pre, needle in [
        (PlanIn(mde=0.1), None, "required without a scope"),
        (PlanIn(mde=0.1, scope=Scope()), _pre([], []), "no baseline to measure"),
        (PlanIn(mde=0.1, scope=Scope()), _pre([True] * 5, list("abcde")), "rate of 0 or 1"),
    ]:
        with pytest.raises(ValidationFailed, match=needle) as err:
            service.plan(data, pre)
        assert err.value.field == "baseline_rate"
    with pytest.raises(ValidationFailed) as err:
        service.plan(PlanIn(mde=0.3, scope=Scope()), _pre([True, True, True, False], list("abcd")))
    assert err.value.field == "mde" and "measured baseline 0.7500" in err.value.message
    assert math.isclose(service.plan(PlanIn(baseline_rate=0.5, mde=0.1)).design_effect, 1.0)
