"""Bad input to forecasting: short history, gaps, duplicates, off-grid times; and the real bank data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxops.core.errors import ValidationFailed
from cxops.domains.wfm.compute.forecast_models import CalendarRegression, EtsProfile, SeasonalNaive
from cxops.domains.wfm.compute.forecast_select import AutoForecaster, backtest, weekly_origins
from cxops.domains.wfm.compute.series import build_panels
from tests.unit.wfm.helpers import bank_calls_30min, synthetic


def test_too_little_history_falls_back_and_says_so() -> None:
    short = synthetic(3)
    auto = AutoForecaster().fit(short)
    choice = auto.choices_["q1"]
    assert choice.fallback is True
    assert choice.model == "seasonal_naive"
    assert "too short for a rolling-origin backtest" in " ".join(choice.notes)
    assert len(auto.predict(10)) == 10


def test_a_model_refuses_history_shorter_than_it_needs() -> None:
    with pytest.raises(ValidationFailed, match=r"has 3 day\(s\) of history; ets_profile needs 15"):
        EtsProfile().fit(synthetic(3))


def test_duplicates_are_an_error_naming_the_first_unless_a_policy_is_chosen() -> None:
    data = synthetic(10)
    dup = pd.concat([data, data.iloc[[5]]], ignore_index=True)
    with pytest.raises(ValidationFailed, match=r"1 duplicate timestamp\(s\), first at 2026-01-05 10:30"):
        SeasonalNaive().fit(dup)
    summed = SeasonalNaive(duplicates="sum").fit(dup)
    panel = summed.panels_["q1"]
    assert panel.y[0, 5] == 2 * data.y.iloc[5]
    assert "1 duplicate row(s) merged with 'sum'" in panel.notes
    with pytest.raises(ValidationFailed, match="duplicates must be one of"):
        SeasonalNaive(duplicates="keep").fit(dup)


def test_gaps_are_filled_within_the_day_and_reported() -> None:
    data = synthetic(10)
    holed = data.drop(index=[12, 13]).reset_index(drop=True)
    panel = build_panels(holed)[0]
    assert panel.filled.sum() == 2
    assert "2 missing interval(s) filled by linear interpolation within their day" in panel.notes
    left, right = data.y.iloc[11], data.y.iloc[14]
    assert panel.y[0, 12] == pytest.approx(left + (right - left) / 3)


def test_a_mostly_empty_day_is_dropped_and_a_missing_weekday_reported() -> None:
    data = synthetic(10)
    day2 = data.ts.dt.normalize() == data.ts.dt.normalize().unique()[1]
    sparse_day = data[~day2 | (data.ts.dt.hour < 9)]
    panel = build_panels(sparse_day)[0]
    assert panel.days.size == 9
    assert any("dropped as partial" in n for n in panel.notes)
    assert any("without data treated as closed" in n for n in panel.notes)


def test_off_grid_and_malformed_values_are_specific_errors() -> None:
    data = synthetic(5)
    moved = data.copy()
    moved.loc[3, "ts"] = moved.loc[3, "ts"] + pd.Timedelta(minutes=7)
    with pytest.raises(ValidationFailed, match="is not on the 30-minute grid"):
        SeasonalNaive().fit(moved)
    bad = data.astype({"y": object})
    bad.loc[2, "y"] = "many"
    with pytest.raises(ValidationFailed, match=r"history row 2: y 'many' must be a number >= 0"):
        SeasonalNaive().fit(bad)
    with pytest.raises(ValidationFailed, match="missing"):
        SeasonalNaive().fit(data.drop(columns=["y"]))
    with pytest.raises(ValidationFailed, match="history is empty"):
        SeasonalNaive().fit(data.iloc[:0])


def test_special_days_of_a_seen_kind_move_the_forecast() -> None:
    data = synthetic(40)
    days = sorted(data.ts.dt.normalize().unique())
    promo = [days[9], days[19], days[29]]
    boosted = data.copy()
    boosted.loc[boosted.ts.dt.normalize().isin(promo), "y"] *= 2
    future = pd.Timestamp(days[-1]) + pd.offsets.BDay(1)
    specials = pd.DataFrame({"date": [*promo, future], "kind": "campaign"})
    for cls in (SeasonalNaive, CalendarRegression, EtsProfile):
        with_sp = cls().fit(boosted, special_days=specials).predict(20)["yhat"].sum()
        without = cls().fit(boosted).predict(20)["yhat"].sum()
        assert with_sp > 1.4 * without, cls.name


def test_on_real_bank_calls_the_chosen_model_beats_seasonal_naive() -> None:
    data = bank_calls_30min()
    auto = AutoForecaster(origins=8).fit(data)
    choice = auto.choices_["bank"]
    assert choice.origins == 8 and not choice.fallback
    best = choice.scores[choice.model]
    assert best < 0.9 * choice.scores["seasonal_naive"]
    panel = auto.panels_["bank"]
    assert panel.slot_min.size == 28 and panel.days.size == 164
    pairs = weekly_origins(panel, 8, 30)
    score, resid = backtest(SeasonalNaive(), panel, {}, pairs)
    assert score == pytest.approx(choice.scores["seasonal_naive"])
    assert np.isfinite(resid).all()
