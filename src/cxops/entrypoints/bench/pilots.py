"""`cxops bench pilots`: how often the gate says "scale" on simulated pilots with and without a true effect.

Each pilot is planned with the sample-size calculator (85% power, the product default, to detect +5
points on a 60% verified resolution rate, two-sided alpha 0.05, inflated for the monitoring plan), then
monitored at 25/50/75/100% of its planned sample against exact Lan-DeMets O'Brien-Fleming boundaries;
it ends at the first scale or stop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cxops.domains.pilots.compute.gate import decide
from cxops.domains.pilots.compute.sequential import boundaries, inflation_factor, nominal_alpha
from cxops.domains.pilots.compute.stats import sample_size_two_proportions, two_proportions

BASELINE, EFFECT, ALPHA, POWER = 0.60, 0.05, 0.05, 0.85
LOOKS = (0.25, 0.5, 0.75, 1.0)


def simulate(effect: float, n_per_arm: int, rng: np.random.Generator) -> str:
    """Run one monitored pilot to its first decisive look; returns the final gate decision."""
    t = rng.random(n_per_arm) < BASELINE + effect
    c = rng.random(n_per_arm) < BASELINE
    bounds = boundaries(LOOKS, ALPHA)
    decision = "extend"
    for fraction, bound in zip(LOOKS, bounds, strict=True):
        k = round(fraction * n_per_arm)
        cmp = two_proportions(int(t[:k].sum()), k, int(c[:k].sum()), k, metric="verified_resolution")
        decision = decide(cmp, look_alpha=nominal_alpha(bound), information_fraction=fraction).decision
        if decision != "extend":
            break
    return decision


def run(quick: bool = False) -> dict[str, Any]:
    """Share of 200 simulated pilots the gate scales, with no effect and with the powered effect."""
    pilots = 50 if quick else 200
    fixed_n = sample_size_two_proportions(BASELINE, EFFECT, alpha=ALPHA, power=POWER)
    n = int(-(-fixed_n * inflation_factor(LOOKS, ALPHA, POWER) // 1))
    rng = np.random.default_rng(20261124)
    null = [simulate(0.0, n, rng) for _ in range(pilots)]
    powered = [simulate(EFFECT, n, rng) for _ in range(pilots)]
    return {
        "false_scale_rate": round(null.count("scale") / pilots, 4),
        "true_scale_rate": round(powered.count("scale") / pilots, 4),
        "pilots_per_scenario": pilots,
        "planned_n_per_arm": n,
        "fixed_design_n_per_arm": fixed_n,
        "boundaries": [round(b, 4) for b in boundaries(LOOKS, ALPHA)],
        "looks": list(LOOKS),
        "design": f"baseline {BASELINE}, effect +{EFFECT}, alpha {ALPHA}, power {POWER}, O'Brien-Fleming spending",
    }
