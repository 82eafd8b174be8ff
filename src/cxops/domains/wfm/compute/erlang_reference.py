"""Check the Erlang implementation against every row of the shared reference folder (erlang_reference/).

Agents must agree exactly, probabilities to 1e-6. Values printed with few digits (the staffing scenarios use six
decimals, the Erlang A grid eight significant digits) are compared at their printed precision instead. The
Erlang A grid's `t_sl_min` column is 20 s printed as 0.333333 minutes, so it is read back as whole seconds.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cxops.domains.wfm.compute.erlang import erlang_a, erlang_b, erlang_c
from cxops.domains.wfm.compute.staffing import (
    Targets,
    erlang_c_measures,
    staff_erlang_b,
    staff_erlang_c,
    with_shrinkage,
)

PROB_TOL = 1e-6


@dataclass(frozen=True, slots=True)
class Check:
    """One compared value: where it comes from, expected, computed and the tolerance used."""

    where: str
    expected: float
    actual: float
    tol: float

    @property
    def ok(self) -> bool:
        return abs(self.expected - self.actual) <= self.tol


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _printed_tol(text: str) -> float:
    """Half a unit of the last printed digit, at least PROB_TOL (and 0 for integers)."""
    if "." not in text and "e" not in text.lower():
        return 0.0
    mantissa = text.lower().split("e")[0]
    exp = int(text.lower().split("e")[1]) if "e" in text.lower() else 0
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return max(PROB_TOL, 0.5 * 10.0 ** (exp - decimals) + 1e-15)


def _bc_grid(folder: Path) -> Iterator[Check]:
    for i, r in enumerate(_rows(folder / "computed_erlang_b_c_grid.csv"), start=2):
        a, n = float(r["A_erlangs"]), int(r["N_agents"])
        b, c = float(erlang_b(n, a)), float(erlang_c(n, a))
        sl = {k: 1 - c * np.exp(-(n - a) / d) if n > a else 0.0 for k, d in (("9", 9.0), ("6", 6.0))}
        where = f"computed_erlang_b_c_grid.csv:{i}"
        yield Check(f"{where} erlang_b_blocking", float(r["erlang_b_blocking"]), b, PROB_TOL)
        yield Check(f"{where} erlang_c_p_wait", float(r["erlang_c_p_wait"]), c, PROB_TOL)
        yield Check(f"{where} occupancy", float(r["occupancy"]), a / n, PROB_TOL)
        if r["asa_over_aht"] not in ("", "inf"):
            yield Check(f"{where} asa_over_aht", float(r["asa_over_aht"]), c / (n - a), PROB_TOL)
        yield Check(f"{where} sl_t_eq_aht_over_9", float(r["sl_t_eq_aht_over_9"]), float(sl["9"]), PROB_TOL)
        yield Check(f"{where} sl_t_eq_aht_over_6", float(r["sl_t_eq_aht_over_6"]), float(sl["6"]), PROB_TOL)


def _a_grid(folder: Path) -> Iterator[Check]:
    fields = {
        "P_wait": "p_wait",
        "P_abandon": "p_abandon",
        "occupancy": "occupancy",
        "mean_wait_all_arrivals": "mean_wait",
        "mean_queue_length": "mean_queue_length",
        "P_served_within_t_all_arrivals": "service_level",
    }
    for i, r in enumerate(_rows(folder / "computed_erlang_a_grid.csv"), start=2):
        t_min = round(float(r["t_sl_min"]) * 60) / 60
        res = erlang_a(float(r["calls_per_30min"]) / 30, float(r["aht_min"]), float(r["mean_patience_min"]),
                       int(r["N_agents"]), t_min)  # fmt: skip
        for col, attr in fields.items():
            yield Check(
                f"computed_erlang_a_grid.csv:{i} {col}", float(r[col]), getattr(res, attr), _printed_tol(r[col])
            )


def _scenarios(folder: Path) -> Iterator[Check]:
    for i, r in enumerate(_rows(folder / "computed_staffing_scenarios.csv"), start=2):
        calls, interval, aht = float(r["calls"]), float(r["interval_s"]), float(r["aht_s"])
        tg = Targets(
            float(r["target_sl"]), float(r["target_t_s"]), float(r["max_occupancy"]), None, float(r["shrinkage"])
        )
        raw = int(staff_erlang_c([calls], aht, interval, tg)[0])
        where = f"computed_staffing_scenarios.csv:{i}"
        yield Check(f"{where} raw_agents", float(r["raw_agents"]), raw, 0.0)
        sched = float(with_shrinkage([raw], tg.shrinkage)[0])
        yield Check(f"{where} scheduled", float(r["scheduled_agents_ceil_raw_over_1_minus_shrinkage"]), sched, 0.0)
        sl, pw, asa, occ = erlang_c_measures([calls, calls], aht, interval, [raw, raw - 1], tg.threshold_s)
        for col, value in (("sl_at_raw", sl[0]), ("sl_at_raw_minus_1", sl[1]), ("p_wait_at_raw", pw[0]),
                           ("asa_s_at_raw", asa[0]), ("occupancy_at_raw", occ[0])):  # fmt: skip
            yield Check(f"{where} {col}", float(r[col]), float(value), _printed_tol(r[col]))


def _checkpoints(folder: Path) -> Iterator[Check]:
    for i, r in enumerate(_rows(folder / "erlang_b_table_checkpoints.csv"), start=2):
        b = float(erlang_b(int(r["N_agents"]), float(r["A_erlangs_from_table"])))
        where = f"erlang_b_table_checkpoints.csv:{i}"
        yield Check(where, float(r["exact_blocking_recomputed"]), b, _printed_tol(r["exact_blocking_recomputed"]))


def _staff_c(inp: dict[str, Any]) -> tuple[int, Targets]:
    interval_s = 60.0 * inp.get("interval_min", 30)
    aht_s = 60.0 * inp["aht_min"] if "aht_min" in inp else float(inp["aht_s"])
    if "asa_target_s" in inp:  # PRODYNA: staff to an average speed of answer only
        tg = Targets(service_level=0.0, threshold_s=0.0, asa_s=float(inp["asa_target_s"]))
    else:  # pyworkforce: 'asa' is the service-level threshold
        tg = Targets(inp["service_level"], 60.0 * inp["asa_target_min"], inp["max_occupancy"], None, inp["shrinkage"])
    calls = float(inp.get("transactions", inp.get("calls", 0)))
    return int(staff_erlang_c([calls], aht_s, interval_s, tg)[0]), tg


def _external_value(model: str, quantity: str, inp: dict[str, Any]) -> float:
    if model == "ErlangB":
        return float(erlang_b(inp["N"], inp["A"]))
    if model == "ErlangB staffing":
        raw = staff_erlang_b([inp["A"]], inp["max_blocking"])
        return float(with_shrinkage(raw, inp.get("shrinkage", 0.0))[0])
    if model == "ErlangC" and "N" in inp:
        return float(erlang_c(inp["N"], inp["A"]))
    if model == "ErlangC staffing":
        raw_c, tg = _staff_c(inp)
        return float(with_shrinkage([raw_c], tg.shrinkage)[0]) if quantity.startswith("positions") else float(raw_c)
    if model == "ErlangC":
        n = int(quantity.split("@")[1])
        sl, pw, _, occ = erlang_c_measures([inp["transactions"]], 60.0 * inp["aht_min"], 60.0 * inp["interval_min"],
                                           [n], 60.0 * inp["asa_target_min"])  # fmt: skip
        return float({"service_level": sl, "occupancy": occ, "waiting_probability": pw}[quantity.split("@")[0]][0])
    return _external_erlang_a(quantity, inp)


def _external_erlang_a(quantity: str, inp: dict[str, Any]) -> float:
    res = erlang_a(
        inp["transactions"] / inp["interval_min"], inp["aht_min"], inp["patience_min"], inp["N"], inp["t_min"]
    )
    getters: dict[str, Callable[[], float]] = {
        "waiting_probability": lambda: res.p_wait,
        "abandonment_probability": lambda: res.p_abandon,
        "occupancy": lambda: res.occupancy,
        "average_speed_of_answer_min": lambda: res.mean_wait,
        "service_level": lambda: res.service_level,
    }
    return getters[quantity.split(" ")[0]]()


def _external(folder: Path) -> Iterator[Check]:
    for i, r in enumerate(_rows(folder / "external_test_vectors_checked.csv"), start=2):
        value = _external_value(r["model"], r["quantity"], json.loads(r["inputs"]))
        tol = 0.0 if r["asserted_rounding_decimals"] == "exact" else PROB_TOL
        yield Check(f"external_test_vectors_checked.csv:{i} {r['quantity']}", float(r["exact_recomputed"]), value, tol)


def reference_checks(folder: Path) -> list[Check]:
    """Every comparison over every row of every reference file in `folder`."""
    checks: list[Check] = []
    for part in (_bc_grid, _a_grid, _scenarios, _checkpoints, _external):
        checks.extend(part(folder))
    return checks
