"""One contract every forecasting model passes (estimator rules, output shape, calendar, intervals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxops.core.errors import ValidationFailed
from cxops.domains.wfm.compute.forecast_models import MODELS
from cxops.domains.wfm.compute.forecast_select import AutoForecaster
from tests.unit.wfm.helpers import synthetic

ESTIMATORS = [*MODELS.values(), AutoForecaster]


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return synthetic(45, series=("billing", "tech"))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.name)
def test_model_contract(cls, history: pd.DataFrame) -> None:
    model = cls(levels=(80, 95))
    assert not [k for k in vars(model) if k.endswith("_")], "constructor must store parameters only"
    params = model.get_params()
    assert params["levels"] == (80, 95)
    assert model.fit(history) is model
    assert [k for k in vars(model) if k.endswith("_")], "fitted state ends in _"
    out = model.predict(25)
    assert list(out.columns[:7]) == ["series_id", "ts", "yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    for sid, part in out.groupby("series_id"):
        assert len(part) == 25
        last = history.loc[history.series_id == sid, "ts"].max()
        assert (part["ts"] > last).all()
        assert part["ts"].is_monotonic_increasing
    assert (out["yhat"] >= 0).all()
    assert (out["lo_95"] <= out["lo_80"] + 1e-9).all() and (out["lo_80"] <= out["yhat"] + 1e-9).all()
    assert (out["yhat"] <= out["hi_80"] + 1e-9).all() and (out["hi_80"] <= out["hi_95"] + 1e-9).all()
    # weekday-only history: no forecast on weekends, and only inside the observed opening hours
    assert (out["ts"].dt.day_of_week < 5).all()
    minutes = out["ts"].dt.hour * 60 + out["ts"].dt.minute
    assert minutes.min() >= 8 * 60 and minutes.max() <= 17 * 60 + 30
    # the forecast follows the level of each series (tech runs 1.5x billing)
    means = out.groupby("series_id")["yhat"].mean()
    assert means["tech"] > 1.2 * means["billing"]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.name)
def test_model_skips_closed_special_days(cls, history: pd.DataFrame) -> None:
    last = history["ts"].max().normalize()
    next_day = last + pd.offsets.BDay(1)
    specials = pd.DataFrame({"date": [next_day.date()], "kind": ["closed"]})
    out = cls().fit(history, special_days=specials).predict(20)
    assert (out["ts"].dt.normalize() != next_day).all()


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.name)
def test_model_rejects_bad_horizon(cls, history: pd.DataFrame) -> None:
    with pytest.raises(ValidationFailed, match="horizon"):
        cls().fit(history).predict(0)


def test_intervals_cover_most_of_a_held_out_week() -> None:
    data = synthetic(50, seed=3)
    cut = data["ts"].max().normalize() - pd.Timedelta(days=6)
    train, test = data[data.ts < cut], data[data.ts >= cut]
    out = AutoForecaster().fit(train).predict(len(test))
    merged = out.merge(test, on=["series_id", "ts"])
    inside = ((merged.y >= merged.lo_80) & (merged.y <= merged.hi_80)).mean()
    assert 0.6 <= inside <= 0.98
    assert np.abs(merged.y - merged.yhat).mean() < 0.25 * merged.y.mean()
