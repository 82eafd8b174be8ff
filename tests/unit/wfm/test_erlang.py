"""Erlang B/C/A against every row of the shared reference folder, and the impossible-target errors."""

from __future__ import annotations

import numpy as np
import pytest

from cxops.domains.wfm.compute.erlang import erlang_a, erlang_c
from cxops.domains.wfm.compute.erlang_reference import reference_checks
from cxops.domains.wfm.compute.staffing import (
    StaffingTargetError,
    Targets,
    erlang_c_measures,
    staff_erlang_a,
    staff_erlang_c,
    with_shrinkage,
)
from tests.conftest import SHARED_DATA

REFERENCE = SHARED_DATA / "erlang_reference"
FILES = sorted(p.name for p in REFERENCE.glob("*.csv"))


@pytest.fixture(scope="module")
def checks():  # type: ignore[no-untyped-def]
    return reference_checks(REFERENCE)


@pytest.mark.parametrize("name", FILES)
def test_every_row_of_each_reference_file_matches(checks, name: str) -> None:  # type: ignore[no-untyped-def]
    mine = [c for c in checks if c.where.startswith(name)]
    rows = {c.where.split(" ")[0] for c in mine}
    with open(REFERENCE / name, encoding="utf-8") as fh:
        n_rows = sum(1 for _ in fh) - 1
    assert len(rows) == n_rows, "every data row is checked"
    bad = [c for c in mine if not c.ok]
    assert bad == []


def test_agent_counts_are_compared_exactly(checks) -> None:  # type: ignore[no-untyped-def]
    agents = [c for c in checks if "raw_agents" in c.where or "scheduled" in c.where or "positions" in c.where]
    assert len(agents) >= 16 and all(c.tol == 0.0 for c in agents)


def test_shrinkage_rounding_is_exact() -> None:
    assert with_shrinkage([14], 0.3)[0] == 20  # 14 / 0.7 = 20.000000000000004 in floating point
    assert with_shrinkage([157], 0.35)[0] == 242


def test_service_level_100_percent_in_0_seconds_is_refused() -> None:
    with pytest.raises(StaffingTargetError, match=r"service level 100% within 0 s is impossible") as err:
        staff_erlang_c([100], 180, 1800, Targets(service_level=1.0, threshold_s=0))
    assert err.value.field == "service_level"
    with pytest.raises(StaffingTargetError, match="average speed of answer of 0 s is impossible"):
        staff_erlang_c([100], 180, 1800, Targets(asa_s=0))
    with pytest.raises(StaffingTargetError, match="shrinkage"):
        staff_erlang_c([100], 180, 1800, Targets(shrinkage=1.0))
    with pytest.raises(StaffingTargetError, match=r"calls\[1\] = -3.0"):
        staff_erlang_c([100, -3], 180, 1800, Targets())
    with pytest.raises(StaffingTargetError, match=r"aht_s\[0\] = 0.0"):
        staff_erlang_c([100], 0, 1800, Targets())
    with pytest.raises(StaffingTargetError, match="patience_s"):
        staff_erlang_a([100], 180, 1800, 0, Targets())


def test_staffing_meets_every_target_with_the_fewest_agents() -> None:
    rng = np.random.default_rng(1)
    calls, aht = rng.uniform(0, 300, 500), rng.uniform(100, 500, 500)
    tg = Targets(0.8, 20, 0.9, asa_s=15)
    n = staff_erlang_c(calls, aht, 1800, tg)
    sl, _, asa, occ = erlang_c_measures(calls, aht, 1800, n, 20)
    busy = calls > 0
    assert (sl[busy] >= 0.8).all() and (asa[busy] <= 15).all() and (occ[busy] <= 0.9 + 1e-12).all()
    sl1, _, asa1, occ1 = erlang_c_measures(calls, aht, 1800, np.maximum(n - 1, 0), 20)
    fails = (sl1 < 0.8) | (asa1 > 15) | (occ1 > 0.9 + 1e-12) | (n - 1 <= calls * aht / 1800)
    assert fails[busy].all()
    assert (n[~busy] == 0).all()


def test_erlang_a_tends_to_erlang_c_with_patient_callers_and_needs_fewer_agents() -> None:
    res = erlang_a(100 / 30, 3, 1e6, 14, 1 / 3)
    assert res.p_wait == pytest.approx(float(erlang_c(14, 10.0)), abs=1e-5)
    tg = Targets(0.8, 20)
    with_abandon = staff_erlang_a([100, 400], 180, 1800, 60, tg)
    without = staff_erlang_c([100, 400], 180, 1800, tg)
    assert (with_abandon <= without).all() and (with_abandon > 0).all()
