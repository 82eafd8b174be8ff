"""Deferred work (e-mail at 90% within 24 h): staffed to its workload, not an agent in every interval."""

from __future__ import annotations

import numpy as np
import pytest

from cxops.core.errors import ValidationFailed
from cxops.domains.wfm.compute.staffing import (
    Targets,
    carry_round,
    is_deferred,
    staff_deferred,
    staff_erlang_c,
    with_shrinkage,
)

HALF_HOUR = 1800.0
EMAIL = Targets(service_level=0.9, threshold_s=86_400, max_occupancy=0.85, shrinkage=0.3)


def _email_fortnight() -> np.ndarray:
    """About 140 e-mails a day over 14 days, more by day than by night."""
    day = 0.4 + np.sin(np.linspace(0, np.pi, 48)) ** 2
    return np.tile(day / day.sum() * 140, 14)


def test_a_threshold_spanning_intervals_is_deferred() -> None:
    assert is_deferred(86_400, HALF_HOUR) and is_deferred(1800, HALF_HOUR)
    assert not is_deferred(20, HALF_HOUR) and not is_deferred(300, HALF_HOUR)


def test_carry_round_keeps_the_total_of_fractional_agents() -> None:
    values = np.full(48, 0.3)
    out = carry_round(values)
    assert set(out.tolist()) <= {0, 1} and out.sum() == 15  # ceil(14.4), not 48
    assert carry_round(np.array([1.2, 1.2, 1.2])).tolist() == [2, 1, 1]


def test_email_needs_its_workload_in_hours_not_an_agent_per_interval() -> None:
    calls = _email_fortnight()
    aht = 420.0
    work_h = calls.sum() * aht / 3600  # about 229 h over the fortnight
    res = staff_deferred(calls, aht, HALF_HOUR, EMAIL)
    agent_h = res.scheduled.sum() / 2
    assert work_h / (0.85 * 0.7) <= agent_h <= 1.02 * work_h / (0.85 * 0.7)
    assert res.scheduled.max() <= 2 and res.answered_within >= 0.9 and res.scale == 1.0
    assert (res.scheduled >= res.raw).all()
    # Per-interval Erlang C with the same 24 h threshold: N > A in every interval, two agents after shrinkage.
    erlang = with_shrinkage(staff_erlang_c(calls, aht, HALF_HOUR, EMAIL), EMAIL.shrinkage)
    assert erlang.min() == 2 and erlang.sum() / 2 > 2 * agent_h


def test_a_burst_is_spread_over_the_threshold_and_the_target_is_checked() -> None:
    calls = np.zeros(96)
    calls[10] = 200.0  # 200 e-mails at once, answer 99% within 4 h (8 intervals)
    strict = Targets(service_level=0.99, threshold_s=4 * 3600, max_occupancy=1.0, shrinkage=0.0)
    res = staff_deferred(calls, 360.0, HALF_HOUR, strict)
    assert res.answered_within >= 0.99
    assert res.raw[:6].sum() == 0 and res.raw[6:15].sum() > 0 and res.raw[20:].sum() == 0
    assert res.raw.sum() * HALF_HOUR >= 200 * 360.0 * 0.99


def test_closed_hours_carry_no_capacity() -> None:
    """A queue open 08:00-18:00 (20 intervals a day): the window and deadline follow the clock, not the index."""
    days = 5
    starts = np.concatenate([d * 86_400 + 8 * 3600 + np.arange(20) * HALF_HOUR for d in range(days)])
    calls = np.full(starts.size, 10.0)
    res = staff_deferred(calls, 300.0, HALF_HOUR, EMAIL, starts)
    work_h = calls.sum() * 300 / 3600
    assert res.answered_within >= 0.9
    assert abs(res.scheduled.sum() / 2 - work_h / (0.85 * 0.7)) <= 2
    with pytest.raises(ValidationFailed, match="increasing"):
        staff_deferred(calls, 300.0, HALF_HOUR, EMAIL, starts[::-1])
