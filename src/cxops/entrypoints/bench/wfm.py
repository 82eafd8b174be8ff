"""`cxops bench wfm`: forecast accuracy on real bank calls, Erlang agreement and speed, weekly scheduling.

* Forecast: the fpp3 bank calls summed to 30 minutes. The model is chosen by AutoForecaster on the history that
  ends 8 weeks before the data does (so the choice never sees the test weeks); then the chosen model and seasonal
  naive are scored by MASE over the last 8 weekly origins, each forecasting one week.
* Erlang: every row of erlang_reference/ (mismatches counted), and 10,000 intervals staffed (median of 5 runs).
* Scheduling: 300 agents in three skill groups over one week of 30-minute intervals, covering a requirement
  staffed by Erlang C from the bank-call profile; time to solve and cost gap to the LP bound.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from cxops.domains.wfm.compute.datasets import bank_calls
from cxops.domains.wfm.compute.erlang_reference import reference_checks
from cxops.domains.wfm.compute.forecast_models import MODELS
from cxops.domains.wfm.compute.forecast_select import AutoForecaster, backtest, weekly_origins
from cxops.domains.wfm.compute.rosters import schedule_week
from cxops.domains.wfm.compute.schedule import AgentGroup, ShiftRules
from cxops.domains.wfm.compute.staffing import Targets, staff_erlang_c, with_shrinkage

DATA = Path(os.environ.get("CXOPS_SHARED_DATA", Path(__file__).resolve().parents[5] / "shared" / "data"))
ORIGINS = 8


def _forecast() -> dict[str, Any]:
    data = bank_calls(DATA / "bank_calls_fpp3" / "bank_calls_5min.csv")
    probe = AutoForecaster(origins=ORIGINS).fit(data)
    panel = probe.panels_["bank"]
    test_pairs = weekly_origins(panel, ORIGINS, 22)
    cutoff = panel.days[test_pairs[0][0]]
    selector = AutoForecaster(origins=ORIGINS).fit(data[data["ts"] < cutoff.astype("datetime64[ns]")])
    chosen = selector.choices_["bank"]
    scores = {name: backtest(cls(), panel, {}, test_pairs)[0] for name, cls in MODELS.items()}
    return {
        "mase_best": round(scores[chosen.model], 4),
        "mase_seasonal_naive": round(scores["seasonal_naive"], 4),
        "forecast_chosen_model": chosen.model,
        "forecast_selection_scores": {k: round(v, 4) for k, v in chosen.scores.items()},
        "forecast_test_scores": {k: round(v, 4) for k, v in scores.items()},
        "forecast_origins": len(test_pairs),
        "forecast_first_test_day": str(cutoff),
    }


def _erlang(quick: bool) -> dict[str, Any]:
    checks = reference_checks(DATA / "erlang_reference")
    rng = np.random.default_rng(7)
    calls, aht = rng.uniform(0, 400, 10_000), rng.uniform(120, 600, 10_000)
    targets = Targets(0.8, 20, 0.85, None, 0.3)
    times = []
    for _ in range(2 if quick else 5):
        started = time.perf_counter()
        with_shrinkage(staff_erlang_c(calls, aht, 1800, targets), targets.shrinkage)
        times.append(time.perf_counter() - started)
    return {
        "erlang_reference_mismatches": sum(1 for c in checks if not c.ok),
        "erlang_reference_checks": len(checks),
        "staffing_10k_s": round(statistics.median(times), 4),
    }


def _requirement(n_agents: int) -> dict[str, np.ndarray]:
    """Agents needed per 30-minute interval of a Mon-Fri week: bank-call shape, scaled to ~70% of capacity."""
    data = bank_calls(DATA / "bank_calls_fpp3" / "bank_calls_5min.csv")
    profile = AutoForecaster(models=("calendar_regression",), origins=2).fit(data).predict(140)["yhat"].to_numpy()
    capacity_h = n_agents * 37.5
    week = np.zeros(7 * 48)
    lo, hi = 0.0, 1.0
    for _ in range(30):  # bisection on the volume scale: requirement hours = 70% of the agents' weekly hours
        scale = (lo + hi) / 2
        need = staff_erlang_c(profile * scale, 300, 1800, Targets(0.8, 20, 0.9))
        lo, hi = (scale, hi) if need.sum() / 2 <= 0.7 * capacity_h else (lo, scale)
    need = staff_erlang_c(profile * lo, 300, 1800, Targets(0.8, 20, 0.9))
    for day in range(5):
        week[day * 48 + 14 : day * 48 + 42] = need[day * 28 : (day + 1) * 28]
    return {"billing": np.ceil(week * 0.6), "tech": np.ceil(week * 0.4)}


def _schedule(quick: bool) -> dict[str, Any]:
    n = 120 if quick else 300
    rules = ShiftRules(shift_lengths_min=(480, 360))
    split = (int(n * 0.45), int(n * 0.3))
    groups = [
        AgentGroup("billing", tuple(f"b{i}" for i in range(split[0])), frozenset({"billing"}), rules),
        AgentGroup("tech", tuple(f"t{i}" for i in range(split[1])), frozenset({"tech"}), rules),
        AgentGroup("both", tuple(f"x{i}" for i in range(n - sum(split))), frozenset({"billing", "tech"}), rules),
    ]
    required = _requirement(n)
    result = schedule_week(groups, required)
    covered = all((result.scheduled[k] >= v - 1e-6).all() for k, v in required.items())
    return {
        "schedule_s": round(result.solve_s, 2),
        "schedule_gap_ratio": round(result.gap_ratio, 5),
        "schedule_agents": n,
        "schedule_shifts": len(result.shifts),
        "schedule_cost_hours": round(result.cost, 1),
        "schedule_lp_bound_hours": round(result.lp_bound, 1),
        "schedule_all_intervals_covered": covered,
        "schedule_roster_notes": len(result.notes),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """All WFM figures as one JSON object."""
    return {**_forecast(), **_erlang(quick), **_schedule(quick)}
