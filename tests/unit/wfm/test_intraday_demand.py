"""AI-aware demand, adherence, reforecast and what-if."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from cxops.core.errors import ValidationFailed
from cxops.domains.wfm.compute.demand import apply_automation_delta, automation_shares, human_workload
from cxops.domains.wfm.compute.intraday import PlannedActivity, StateEvent, WhatIf, adherence, reforecast, what_if
from cxops.domains.wfm.compute.staffing import Targets

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def history() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # intent, week_age, contacts, verified_ai, escalated, human_handle_s, escalated_handle_s
            ("billing", 0, 1000, 400, 100, 500 * 300, 100 * 600),
            ("billing", 1, 1000, 300, 100, 600 * 300, 100 * 600),
            ("cancel", 0, 10, 10, 0, 0, 0),
        ],
        columns=["intent", "week_age", "contacts", "verified_ai", "escalated", "human_handle_s", "escalated_handle_s"],
    )


def test_automation_shares_weight_recent_weeks_and_shrink_small_intents() -> None:
    shares = {i.intent: i for i in automation_shares(history(), halflife_weeks=1.0, prior_strength=20)}
    b = shares["billing"]
    assert 0.3 < b.automation_share < 0.4  # week 0 (40%) counts twice week 1 (30%)
    assert b.human_aht_s == pytest.approx(300) and b.escalated_aht_s == pytest.approx(600)
    assert shares["cancel"].automation_share < 0.6  # 10/10 resolved, pulled towards the overall rate
    assert sum(i.mix for i in shares.values()) == pytest.approx(1.0)


def test_contacts_without_handle_time_are_no_evidence_of_it() -> None:
    """An intent whose human contacts were all abandoned before an agent answered (0 s handled) takes the default
    handle time, not 0 s, which Erlang staffing refuses (a one-day demo before 9 am had such a queue)."""
    abandoned = pd.DataFrame(
        [("refund", 0, 3, 0, 1, 0, 0)],
        columns=["intent", "week_age", "contacts", "verified_ai", "escalated", "human_handle_s", "escalated_handle_s"],
    )
    [refund] = automation_shares(abandoned, prior_strength=0, default_aht_s=420.0)
    assert refund.human_aht_s == 420.0 and refund.escalated_aht_s == 420.0
    _, aht = human_workload(np.array([5.0]), [refund])
    assert aht[0] == pytest.approx(420.0)


def test_human_workload_removes_verified_automation_and_prices_escalations() -> None:
    intents = automation_shares(history(), prior_strength=0)
    calls, aht = human_workload(np.array([100.0, 0.0]), intents)
    share = sum(i.mix * (1 - i.automation_share) for i in intents)
    assert calls[0] == pytest.approx(100 * share) and calls[1] == 0
    assert 300 < aht[0] < 600
    more = apply_automation_delta(intents, {"billing": 0.10})
    assert human_workload(np.array([100.0]), more)[0][0] < calls[0]
    with pytest.raises(ValidationFailed, match="unknown intent"):
        apply_automation_delta(intents, {"nope": 0.1})
    with pytest.raises(ValidationFailed, match="is impossible"):
        apply_automation_delta(intents, {"billing": 0.9})
    with pytest.raises(ValidationFailed, match="no interactions"):
        automation_shares(history().iloc[:0])


def test_adherence_counts_scheduled_minutes_in_the_expected_state() -> None:
    plan = [
        PlannedActivity("a1", T0, T0 + timedelta(hours=2), "work"),
        PlannedActivity("a1", T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=15), "break"),
    ]
    events = [
        StateEvent("a1", "offline", T0 - timedelta(hours=1)),
        StateEvent("a1", "available", T0 + timedelta(minutes=10)),  # 10 min late
        StateEvent("a1", "break", T0 + timedelta(hours=1)),
        StateEvent("a1", "on_contact", T0 + timedelta(hours=1, minutes=25)),  # 10 min long break
    ]
    out = adherence(plan, events, start=T0, end=T0 + timedelta(hours=3))["a1"]
    assert out["scheduled_min"] == 120
    assert out["in_adherence_min"] == 100
    assert out["adherence"] == pytest.approx(100 / 120)
    assert out["out_of_adherence_work_min"] == 20 and out["out_of_adherence_break_min"] == 0
    with pytest.raises(ValidationFailed, match="end must be after"):
        adherence(plan, events, start=T0, end=T0)


def test_reforecast_moves_the_rest_of_the_day_with_the_morning() -> None:
    forecast = np.full(20, 100.0)
    rest, ratio, why = reforecast(forecast, np.full(8, 130.0), prior_contacts=200)
    assert ratio == pytest.approx((1040 + 200) / (800 + 200))
    assert rest.shape == (12,) and rest[0] == pytest.approx(100 * ratio)
    assert "8 elapsed interval(s)" in why
    with pytest.raises(ValidationFailed):
        reforecast(forecast, np.full(25, 1.0))


def test_what_if_answers_the_three_scenarios() -> None:
    intents = automation_shares(history(), prior_strength=0)
    total = np.linspace(50, 400, 48)
    tg = Targets(0.8, 20, 0.9, shrinkage=0.3)
    busier = what_if(total, intents, tg, 1800, WhatIf(volume_factor=1.2))
    assert (busier["scenario_agents"] >= busier["base_agents"]).all() and busier["agent_hours_delta"] > 0
    automated = what_if(total, intents, tg, 1800, WhatIf(automation_delta={"billing": 0.10}))
    assert automated["agent_hours_delta"] < 0
    shrink = what_if(total, intents, tg, 1800, WhatIf(shrinkage=0.35))
    assert shrink["agent_hours_delta"] > 0
