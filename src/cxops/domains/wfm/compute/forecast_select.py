"""Choose a model per series by rolling-origin backtest, and fall back (saying so) when history is too short.

Origins are the first open day of each of the last `origins` calendar weeks; each forecasts its whole week from
the history before it. The score is MASE: mean absolute error over the week divided by the in-sample mean absolute
error of the seasonal naive forecast (same interval, previous same weekday) on the training part (Hyndman &
Koehler 2006). Prediction intervals of the chosen model come from its out-of-sample backtest residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxops.core.errors import ValidationFailed
from cxops.domains.wfm.compute.forecast_base import ForecastModel, PanelFit, Specials, future_days, standardise
from cxops.domains.wfm.compute.forecast_models import MODELS
from cxops.domains.wfm.compute.series import Panel, build_panels, special_day_map

MIN_ORIGINS = 2


@dataclass
class SeriesChoice:
    """What was chosen for one series and why."""

    model: str
    scores: dict[str, float]
    origins: int
    notes: list[str] = field(default_factory=list)
    fallback: bool = False


def weekly_origins(panel: Panel, n_origins: int, min_train: int) -> list[tuple[int, int]]:
    """(first test day, end) index pairs of the last `n_origins` calendar weeks with >= min_train days before."""
    week = (panel.days.astype(np.int64) + 3) // 7
    starts = np.flatnonzero(np.r_[True, week[1:] != week[:-1]])
    ends = np.r_[starts[1:], panel.days.size]
    pairs = [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if s >= min_train]
    return pairs[-n_origins:] if n_origins > 0 else []


def naive_scale(panel: Panel, end: int) -> float:
    """In-sample MAE of the seasonal naive forecast on days [0, end); 1.0 when it is 0 or undefined."""
    wd = ((panel.days[:end].astype(np.int64) + 3) % 7).astype(np.int64)
    errs = []
    for i in range(1, end):
        prev = np.flatnonzero(wd[:i] == wd[i])
        if prev.size:
            errs.append(np.abs(panel.y[i] - panel.y[prev[-1]]).mean())
    scale = float(np.mean(errs)) if errs else 0.0
    return scale if scale > 0 else 1.0


def backtest(
    model: ForecastModel, panel: Panel, specials: Specials, pairs: list[tuple[int, int]]
) -> tuple[float, np.ndarray]:
    """Mean MASE over the origins, and the standardised out-of-sample residuals."""
    scores, resid = [], []
    for start, end in pairs:
        train = panel.tail(start)
        fit = model.fit_panel(train, specials)
        pred = model.predict_panel(fit, train, panel.days[start:end], specials)
        actual = panel.y[start:end]
        scores.append(float(np.abs(actual - pred).mean()) / naive_scale(panel, start))
        resid.append(standardise(actual, pred))
    return float(np.mean(scores)), np.concatenate(resid)


class AutoForecaster(ForecastModel):
    """Backtests every candidate model per series and keeps the best (lowest mean MASE)."""

    name = "auto"

    def __init__(self, *, models: tuple[str, ...] = tuple(MODELS), origins: int = 8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.models = models
        self.origins = origins

    def _candidates(self) -> list[ForecastModel]:
        unknown = [m for m in self.models if m not in MODELS]
        if unknown:
            raise ValidationFailed(f"unknown model(s) {unknown}; known: {sorted(MODELS)}", field="models")
        return [MODELS[m](freq_min=self.freq_min, duplicates=self.duplicates, levels=self.levels) for m in self.models]

    def fit(self, df: pd.DataFrame, special_days: pd.DataFrame | None = None) -> AutoForecaster:
        """Choose and fit a model per series; returns self (see `choices_`)."""
        self.specials_ = special_day_map(special_days)
        panels = build_panels(df, freq_min=self.freq_min, duplicates=self.duplicates, special_days=special_days)
        self.panels_ = {p.series_id: p for p in panels}
        self.fits_: dict[str, PanelFit] = {}
        self.chosen_: dict[str, ForecastModel] = {}
        self.choices_: dict[str, SeriesChoice] = {}
        candidates = self._candidates()
        for panel in panels:
            if panel.days.size == 0:
                raise ValidationFailed(f"series {panel.series_id!r} has no day with enough data", field="history")
            model, choice, fit = self._choose(panel, candidates)
            choice.notes = panel.notes + choice.notes
            self.chosen_[panel.series_id], self.choices_[panel.series_id], self.fits_[panel.series_id] = (
                model,
                choice,
                fit,
            )
        return self

    def _choose(self, panel: Panel, candidates: list[ForecastModel]) -> tuple[ForecastModel, SeriesChoice, PanelFit]:
        wanted = min(self.origins, max(MIN_ORIGINS, self.origins))
        eligible = [m for m in candidates if len(weekly_origins(panel, wanted, m.min_days + 7)) >= MIN_ORIGINS]
        if not eligible:
            return self._fallback(panel, candidates)
        need = max(m.min_days for m in eligible) + 7
        pairs = weekly_origins(panel, wanted, need)
        scores, resid = {}, {}
        for m in eligible:
            scores[m.name], resid[m.name] = backtest(m, panel, self.specials_, pairs)
        best = min(eligible, key=lambda m: scores[m.name])
        fit = best.fit_panel(panel, self.specials_)
        fit.residuals = resid[best.name]
        notes = [] if len(pairs) >= self.origins else [f"only {len(pairs)} weekly origin(s) available for the backtest"]
        skipped = [m.name for m in candidates if m not in eligible]
        if skipped:
            notes.append(f"not enough history to backtest {', '.join(skipped)}")
        return best, SeriesChoice(best.name, scores, len(pairs), notes), fit

    def _fallback(self, panel: Panel, candidates: list[ForecastModel]) -> tuple[ForecastModel, SeriesChoice, PanelFit]:
        usable = [m for m in candidates if panel.days.size >= m.min_days] or [
            MODELS["seasonal_naive"](levels=self.levels)
        ]
        model = max(usable, key=lambda m: m.min_days)
        note = (
            f"only {panel.days.size} day(s) of history: too short for a rolling-origin backtest (needs "
            f"{MIN_ORIGINS} weekly origins after at least {min(m.min_days for m in candidates) + 7} days); fell back "
            f"to {model.name} without validation; intervals from in-sample residuals (Poisson noise when too few)"
        )
        fit = model.fit_panel(panel, self.specials_)
        return model, SeriesChoice(model.name, {}, 0, [note], fallback=True), fit

    def predict(self, h: int) -> pd.DataFrame:
        """The next h open intervals per series from each series' chosen model."""
        if h < 1:
            raise ValidationFailed(f"horizon {h} must be at least 1 interval", field="horizon")
        frames = []
        for sid, panel in self.panels_.items():
            model, fit = self.chosen_[sid], self.fits_[sid]
            days = future_days(panel, math.ceil(h / panel.slot_min.size), self.specials_)
            yhat = model.predict_panel(fit, panel, days, self.specials_).ravel()[:h]
            frame = self._frame(sid, panel.timestamps(days)[:h], yhat, fit.residuals)
            frame["model"] = model.name
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
