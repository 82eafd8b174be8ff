"""The estimator contract every forecasting model follows (scikit-learn / statsforecast style).

* the constructor stores parameters only;
* `fit(df, special_days=None)` takes the long table (series_id, ts, y) and returns self; fitted state ends in `_`;
* `predict(h)` returns a long table (series_id, ts, yhat, lo_<L>, hi_<L> for each level L) of the next h open
  intervals per series.

A model implements three panel-level hooks (`_fit_panel`, `_predict_panel`, `_residuals`); the base class does
parsing, the calendar of future open days and the prediction intervals, so an orchestrator knows no concrete model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.stats import norm

from cxops.core.errors import ValidationFailed
from cxops.domains.wfm.compute.series import CLOSED, Panel, build_panels, special_day_map

Specials = dict[np.datetime64, str]
#: Fewest residuals for empirical prediction intervals.
MIN_RESIDUALS = 20


@dataclass
class PanelFit:
    """A fitted model for one series: its model state and standardised residuals for intervals."""

    state: Any
    residuals: np.ndarray


def future_days(panel: Panel, n_days: int, specials: Specials) -> np.ndarray:
    """The next `n_days` open days after the panel: weekdays seen in the last 4 weeks, minus closed days."""
    recent = panel.days[panel.days > panel.days[-1] - np.timedelta64(28, "D")]
    open_wd = set((((recent.astype(np.int64)) + 3) % 7).tolist())
    out: list[np.datetime64] = []
    day = panel.days[-1]
    while len(out) < n_days:
        day = day + np.timedelta64(1, "D")
        if (int(day.astype(np.int64)) + 3) % 7 in open_wd and specials.get(day) != CLOSED:
            out.append(day)
    return np.array(out, dtype="datetime64[D]")


def weekday_of(days: np.ndarray) -> np.ndarray:
    """Monday = 0 .. Sunday = 6."""
    return ((days.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int64)


def standardise(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Residuals scaled by sqrt(max(prediction, 1)): counts vary roughly like a Poisson variable."""
    return ((actual - predicted) / np.sqrt(np.maximum(predicted, 1.0))).ravel()


def interval_bounds(yhat: np.ndarray, residuals: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Empirical interval: yhat +/- q_level(|r|) sqrt(max(yhat, 1)), floored at 0 (conformal-style).

    With fewer than MIN_RESIDUALS residuals the noise is taken as Poisson (standardised residuals ~ N(0, 1)).
    """
    r = residuals[np.isfinite(residuals)]
    if r.size >= MIN_RESIDUALS:
        q = float(np.quantile(np.abs(r), level / 100.0))
    else:
        q = float(norm.ppf(0.5 + level / 200.0))
    half = q * np.sqrt(np.maximum(yhat, 1.0))
    return np.maximum(yhat - half, 0.0), yhat + half


class ForecastModel:
    """Base of every forecasting model; subclasses set `name`, `min_days` and the three hooks."""

    name: ClassVar[str] = "base"
    #: fewest observed days the model needs; with less it refuses to fit (the orchestrator falls back).
    min_days: ClassVar[int] = 1

    def __init__(self, *, freq_min: int | None = None, duplicates: str = "error", levels: tuple[int, ...] = (80, 95)):
        self.freq_min = freq_min
        self.duplicates = duplicates
        self.levels = levels

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (for storing with a forecast run)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def fit(self, df: pd.DataFrame, special_days: pd.DataFrame | None = None) -> ForecastModel:
        """Fit every series of the long table; returns self."""
        self.specials_ = special_day_map(special_days)
        panels = build_panels(df, freq_min=self.freq_min, duplicates=self.duplicates, special_days=special_days)
        self.panels_ = {p.series_id: p for p in panels}
        self.fits_: dict[str, PanelFit] = {}
        for panel in panels:
            self.check_history(panel)
            self.fits_[panel.series_id] = self.fit_panel(panel, self.specials_)
        return self

    def check_history(self, panel: Panel) -> None:
        """Raise ValidationFailed when the series is too short for this model."""
        if panel.days.size < self.min_days:
            raise ValidationFailed(
                f"series {panel.series_id!r} has {panel.days.size} day(s) of history; {self.name} needs "
                f"{self.min_days}",
                field="history",
            )

    def fit_panel(self, panel: Panel, specials: Specials) -> PanelFit:
        """Fit one series (hook)."""
        state = self._fit_panel(panel, specials)
        return PanelFit(state, self._residuals(state, panel, specials))

    def predict_panel(self, fit: PanelFit, panel: Panel, days: np.ndarray, specials: Specials) -> np.ndarray:
        """Point forecasts (len(days), n_slots), never negative."""
        return np.maximum(self._predict_panel(fit.state, panel, days, specials), 0.0)

    def predict(self, h: int) -> pd.DataFrame:
        """The next h open intervals of every series with point forecasts and intervals."""
        if h < 1:
            raise ValidationFailed(f"horizon {h} must be at least 1 interval", field="horizon")
        frames = []
        for sid, panel in self.panels_.items():
            fit = self.fits_[sid]
            days = future_days(panel, math.ceil(h / panel.slot_min.size), self.specials_)
            yhat = self.predict_panel(fit, panel, days, self.specials_).ravel()[:h]
            frames.append(self._frame(sid, panel.timestamps(days)[:h], yhat, fit.residuals))
        return pd.concat(frames, ignore_index=True)

    def _frame(self, sid: str, ts: np.ndarray, yhat: np.ndarray, residuals: np.ndarray) -> pd.DataFrame:
        out = {"series_id": sid, "ts": ts.astype("datetime64[ns]"), "yhat": yhat}
        for level in self.levels:
            out[f"lo_{level}"], out[f"hi_{level}"] = interval_bounds(yhat, residuals, level)
        return pd.DataFrame(out)

    # hooks ---------------------------------------------------------------------------------------------------
    def _fit_panel(self, panel: Panel, specials: Specials) -> Any:
        raise NotImplementedError

    def _predict_panel(self, state: Any, panel: Panel, days: np.ndarray, specials: Specials) -> np.ndarray:
        raise NotImplementedError

    def _residuals(self, state: Any, panel: Panel, specials: Specials) -> np.ndarray:
        raise NotImplementedError
