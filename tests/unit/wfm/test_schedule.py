"""Weekly scheduling with HiGHS: coverage, rules per agent, LP gap, and infeasible rules."""

from __future__ import annotations

import numpy as np
import pytest

from cxops.domains.wfm.compute.rosters import schedule_week
from cxops.domains.wfm.compute.schedule import AgentGroup, ScheduleInfeasible, ShiftRules

PER_DAY = 48


def requirement(peak: float, days: int = 5) -> np.ndarray:
    req = np.zeros(7 * PER_DAY)
    for d in range(days):
        x = np.arange(16, 36)  # 08:00-18:00
        req[d * PER_DAY + 16 : d * PER_DAY + 36] = np.ceil(peak * (0.4 + 0.6 * np.sin(np.pi * (x - 16) / 20)))
    return req


def group(name: str, n: int, skills: set[str], **rules) -> AgentGroup:  # type: ignore[no-untyped-def]
    return AgentGroup(name, tuple(f"{name}-{i}" for i in range(n)), frozenset(skills), ShiftRules(**rules))


def test_small_week_is_covered_within_every_rule() -> None:
    req = {"billing": requirement(6), "tech": requirement(4)}
    groups = [group("b", 8, {"billing"}, shift_lengths_min=(480, 360)), group("t", 5, {"tech"}),
              group("x", 3, {"billing", "tech"})]  # fmt: skip
    res = schedule_week(groups, req)
    for skill, need in req.items():
        assert (res.scheduled[skill] >= need - 1e-6).all(), skill
    assert res.notes == []
    assert res.lp_bound <= res.cost + 1e-6 and 0 <= res.gap_ratio < 0.05
    by_agent: dict[str, list[dict]] = {}
    for s in res.shifts:
        by_agent.setdefault(str(s["agent_id"]), []).append(s)
    for shifts in by_agent.values():
        assert sum(float(s["paid_hours"]) for s in shifts) <= 40 + 1e-9
        days = sorted(int(s["day"]) for s in shifts)
        assert len(days) == len(set(days)) <= 5
        ends = {int(s["day"]): int(s["day"]) * 1440 + int(s["start_min"]) + int(s["length_min"]) for s in shifts}
        for s in shifts:
            prev_end = ends.get(int(s["day"]) - 1)
            if prev_end is not None:
                assert int(s["day"]) * 1440 + int(s["start_min"]) - prev_end >= 11 * 60
        for s in shifts:
            assert 120 <= int(s["break_start_min"]) - int(s["start_min"]) <= 330
    assert sum(float(s["paid_hours"]) for s in res.shifts) == pytest.approx(res.cost)


def test_requirement_above_the_agents_who_can_work_names_the_interval() -> None:
    with pytest.raises(
        ScheduleInfeasible, match=r"Mon 08:30 needs 5 agents with skill 'billing' but at most 4 can be on duty"
    ):
        schedule_week([group("b", 4, {"billing"})], {"billing": requirement(10)})


def test_missing_skill_and_impossible_rules_are_specific_errors() -> None:
    with pytest.raises(ScheduleInfeasible, match="no agent group has skill 'tech'"):
        schedule_week([group("b", 4, {"billing"})], {"billing": requirement(1), "tech": requirement(1)})
    with pytest.raises(ScheduleInfeasible, match="max_weekly_hours 4 is shorter than the shortest shift"):
        schedule_week([group("b", 4, {"billing"}, max_weekly_hours=4)], {"billing": requirement(1)})
    with pytest.raises(ScheduleInfeasible, match="minimum rest plus a 8 h shift exceed 24 h"):
        schedule_week([group("b", 4, {"billing"}, min_rest_hours=17)], {"billing": requirement(1)})
    with pytest.raises(ScheduleInfeasible, match="break window"):
        schedule_week([group("b", 4, {"billing"}, break_after_min=470)], {"billing": requirement(1)})
    late = AgentGroup("n", ("n-1",), frozenset({"billing"}), ShiftRules(), availability={0: (600, 700)})
    with pytest.raises(ScheduleInfeasible, match="no shift of \\[480\\] min fits its availability"):
        schedule_week([late], {"billing": requirement(1)})
    with pytest.raises(ScheduleInfeasible, match="a week needs 336"):
        schedule_week([group("b", 4, {"billing"})], {"billing": np.ones(10)})


def test_weekly_hours_too_few_for_the_requirement_is_explained() -> None:
    groups = [group("b", 6, {"billing"}, max_weekly_hours=16, min_days_off=2)]
    with pytest.raises(ScheduleInfeasible, match="agent-hours a week but max_weekly_hours allows 96"):
        schedule_week(groups, {"billing": requirement(5)})
