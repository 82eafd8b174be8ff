"""Pilot comparisons clustered by customer, the unit of randomisation: false-positive rate and reduction."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from cxops.domains.pilots import service
from cxops.domains.pilots.compute.outcomes import Contact, outcomes
from cxops.domains.pilots.compute.stats import (
    bootstrap_diff_ci,
    clustered_means,
    clustered_proportions,
    design_effect_from_icc,
    power_two_proportions,
    ratio_variance,
    sample_size_two_proportions,
    two_proportions,
    welch,
)

SEED = 20261125
SIMULATIONS = 400
CUSTOMERS = 300  # per pilot, randomised half and half


def _aa_pilot(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """One A/A pilot: customers with 1-10 contacts each and a customer-level random effect on both outcomes."""
    contacts = rng.integers(1, 11, size=CUSTOMERS)
    customer = np.repeat(np.arange(CUSTOMERS), contacts)
    arm = rng.random(CUSTOMERS) < 0.5  # randomised by customer, as assign_arm does
    effect = rng.normal(0.0, 1.0, size=CUSTOMERS)
    p = 1 / (1 + np.exp(-(0.4 + 1.2 * effect)))  # resolution propensity of each customer
    resolved = (rng.random(customer.size) < p[customer]).astype(float)
    handle = 300 + 80 * effect[customer] + rng.normal(0, 60, size=customer.size)
    return customer, arm[customer], resolved, handle


def test_clustered_tests_keep_the_false_positive_rate_where_contact_level_tests_do_not() -> None:
    rng = np.random.default_rng(SEED)
    rejected = {"naive_rate": 0, "clustered_rate": 0, "naive_mean": 0, "clustered_mean": 0}
    for _ in range(SIMULATIONS):
        customer, treated, resolved, handle = _aa_pilot(rng)
        t, c = treated, ~treated
        naive = two_proportions(int(resolved[t].sum()), int(t.sum()), int(resolved[c].sum()), int(c.sum()))
        clustered = clustered_proportions(resolved[t], customer[t], resolved[c], customer[c])
        rejected["naive_rate"] += naive.p_value < 0.05
        rejected["clustered_rate"] += clustered.p_value < 0.05
        rejected["naive_mean"] += welch(handle[t], handle[c]).p_value < 0.05
        rejected["clustered_mean"] += clustered_means(handle[t], customer[t], handle[c], customer[c]).p_value < 0.05
    rate = {k: v / SIMULATIONS for k, v in rejected.items()}
    # Treating each contact as independent rejects a true null far more often than alpha ...
    assert rate["naive_rate"] > 0.12 and rate["naive_mean"] > 0.12, rate
    # ... while the clustered tests stay at the nominal 5% (binomial sd over 400 runs: 0.011).
    assert 0.02 < rate["clustered_rate"] < 0.08 and 0.02 < rate["clustered_mean"] < 0.08, rate


def test_one_contact_per_customer_reduces_to_the_independent_tests() -> None:
    rng = np.random.default_rng(7)
    a, b = (rng.random(500) < 0.62).astype(float), (rng.random(480) < 0.58).astype(float)
    ids_a, ids_b = rng.permutation(500).astype(str), (1000 + rng.permutation(480)).astype(str)
    old = two_proportions(int(a.sum()), 500, int(b.sum()), 480)
    new = clustered_proportions(a, ids_a, b, ids_b)
    assert new.design_effect == pytest.approx(1.0, rel=1e-12)
    assert (new.clusters_treatment, new.clusters_control) == (500, 480)
    # Same z (so the same SE), p-value and interval as before, well within 1%.
    assert new.p_value == pytest.approx(old.p_value, rel=1e-9)
    assert (new.ci_low, new.ci_high) == (pytest.approx(old.ci_low, rel=1e-9), pytest.approx(old.ci_high, rel=1e-9))
    z_old, z_new = stats.norm.isf(old.p_value / 2), stats.norm.isf(new.p_value / 2)
    assert abs(old.diff) / z_old == pytest.approx(abs(new.diff) / z_new, rel=0.01)

    x, y = rng.normal(300, 60, 80), rng.normal(280, 20, 50)
    old_m, new_m = welch(x, y), clustered_means(x, np.arange(80), y, np.arange(100, 150))
    assert new_m.p_value == pytest.approx(old_m.p_value, rel=1e-9)
    assert new_m.ci_high - new_m.ci_low == pytest.approx(old_m.ci_high - old_m.ci_low, rel=1e-9)
    # The ratio estimator's variance of one-contact clusters is s^2 / n.
    assert ratio_variance(x, np.ones(80))[1] == pytest.approx(x.var(ddof=1) / 80, rel=1e-12)


def test_duplicated_contacts_add_no_information() -> None:
    rng = np.random.default_rng(3)
    a, b = (rng.random(300) < 0.7).astype(float), (rng.random(300) < 0.6).astype(float)
    once = clustered_proportions(a, np.arange(300), b, np.arange(300, 600))
    thrice = clustered_proportions(
        np.repeat(a, 3), np.repeat(np.arange(300), 3), np.repeat(b, 3), np.repeat(np.arange(300, 600), 3)
    )
    naive = two_proportions(int(3 * a.sum()), 900, int(3 * b.sum()), 900)
    assert thrice.design_effect == pytest.approx(3.0, rel=0.01)
    assert thrice.p_value == pytest.approx(once.p_value, rel=0.05) and naive.p_value < once.p_value / 100
    assert thrice.ci_high - thrice.ci_low == pytest.approx(once.ci_high - once.ci_low, rel=0.01)


def test_a_single_customer_in_an_arm_is_refused() -> None:
    with pytest.raises(ValueError, match="two customers"):
        clustered_proportions(np.ones(5), np.zeros(5), np.array([0.0, 1.0]), np.array([1, 2]))


def test_cluster_bootstrap_is_wider_than_the_contact_bootstrap_for_clustered_data() -> None:
    rng = np.random.default_rng(5)
    customer = np.repeat(np.arange(200), 6)
    values = rng.normal(0, 1, 200)[customer] + rng.normal(0, 0.3, customer.size)
    t, c = customer < 100, customer >= 100
    lo, hi = bootstrap_diff_ci(values[t], values[c], seed=1)
    clo, chi = bootstrap_diff_ci(values[t], values[c], seed=1, clusters_t=customer[t], clusters_c=customer[c])
    assert chi - clo > 1.8 * (hi - lo)


def test_planning_with_a_design_effect() -> None:
    deff = design_effect_from_icc(4.0, 0.1)
    assert deff == pytest.approx(1.3)
    fixed = sample_size_two_proportions(0.6, 0.05, power=0.8)
    clustered = sample_size_two_proportions(0.6, 0.05, power=0.8, design_effect=deff)
    assert clustered == pytest.approx(fixed * 1.3, abs=1)
    assert power_two_proportions(0.6, 0.05, clustered, design_effect=deff) >= 0.8
    assert power_two_proportions(0.6, 0.05, fixed, design_effect=deff) < 0.75
    assert design_effect_from_icc(1.0, 0.5) == 1.0


def test_a_look_clusters_the_outcomes_by_customer() -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    rng = np.random.default_rng(11)
    contacts = [
        Contact(f"{c}-{k}", f"cust-{c}", f"intent-{k}", t0 + timedelta(hours=k), outcome, False, 300.0, None, False)
        for c in range(120)
        for outcome in ["resolved" if rng.random() < 0.7 else "escalated"]  # one customer, one tendency
        for k in range(4)
    ]
    rows = outcomes(
        contacts,
        [c.visit for c in contacts],
        salt="s",
        holdout_share=0.5,
        repeat_window=timedelta(days=7),
        data_until=t0 + timedelta(days=30),
    )
    arms = {a: [o for o in rows if o.arm == a] for a in ("treatment", "control")}
    primary = service._rate(arms, "verified_resolution", lambda o: bool(o.verified_resolved), 0.05)
    assert primary.clusters_treatment + primary.clusters_control == 120
    assert primary.n_treatment + primary.n_control == 480
    assert primary.design_effect == pytest.approx(4.0, rel=0.03)  # four identical contacts per customer
    design = {"baseline_rate": 0.6, "mde": 0.05, "alpha": 0.05, "power": 0.8, "looks": [1.0], "holdout_share": 0.5}
    independent = service._sizes(0.6, 0.05, 0.05, 0.8, (1.0,), 0.5)[3]
    pilot = SimpleNamespace(planned_n_per_arm=math.ceil(independent), plan=None, **design)
    clustering = service._clustering(arms, primary, pilot)  # type: ignore[arg-type]
    assert clustering["contacts_per_customer"] == 4.0 and clustering["icc"] == pytest.approx(1.0, abs=0.02)
    assert clustering["assumed_in_plan"] == 1.0 and not clustering["estimated_in_plan"]
    assert clustering["n_per_arm_for_planned_power"] == pytest.approx(4 * pilot.planned_n_per_arm, rel=0.02)
    assert "(the plan assumed 1.00; the planned power needs about" in clustering["reason"]
    # A plan that allowed for a pre-period design effect of 2.5: the look says the estimate was too low ...
    under = SimpleNamespace(planned_n_per_arm=math.ceil(independent * 2.5), plan={"design_effect": 2.5}, **design)
    clustering = service._clustering(arms, primary, under)  # type: ignore[arg-type]
    assert clustering["assumed_in_plan"] == 2.5 and clustering["estimated_in_plan"]
    assert clustering["n_per_arm_for_planned_power"] == pytest.approx(under.planned_n_per_arm * 4 / 2.5, rel=0.03)
    assert "the plan's pre-period estimate was 2.50, an underestimate" in clustering["reason"]
    # ... and one that allowed for 5 keeps its power.
    over = SimpleNamespace(planned_n_per_arm=math.ceil(independent * 5), plan={"design_effect": 5.0}, **design)
    clustering = service._clustering(arms, primary, over)  # type: ignore[arg-type]
    assert clustering["n_per_arm_for_planned_power"] == over.planned_n_per_arm
    assert "the plan's pre-period estimate was 5.00, which held" in clustering["reason"]
