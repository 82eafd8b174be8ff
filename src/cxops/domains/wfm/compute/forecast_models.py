"""Forecasting models: seasonal naive, a calendar regression and an ETS-on-daily-totals x intraday-profile model.

Why not statsforecast's MSTL/AutoETS: measured (2.1.1) it costs 3.2 s to import and 1.4-3.8 s per MSTL fit on the
bank-call series (~30 s per 8-origin backtest) and scored worse than seasonal naive there, probably because it
needs a regular clock while contact-centre series are "open days x intervals" whose weekly season skips nights,
weekends and holidays. These models work on that day x interval grid directly and fit in milliseconds
(docs/benchmarks.md).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from cxops.domains.wfm.compute.forecast_base import ForecastModel, Specials, standardise, weekday_of
from cxops.domains.wfm.compute.series import Panel


def _kinds(days: np.ndarray, specials: Specials) -> list[str | None]:
    return [specials.get(d) for d in days]


class SeasonalNaive(ForecastModel):
    """Each interval of a day repeats the same interval of the latest day with the same weekday.

    A special day (holiday, campaign) repeats the latest day of the same kind when there is one. A weekday never
    seen repeats the latest day.
    """

    name = "seasonal_naive"
    min_days = 1

    def _fit_panel(self, panel: Panel, specials: Specials) -> None:
        return None

    def _source(self, panel: Panel, day: np.datetime64, specials: Specials, before: int) -> int:
        kinds = _kinds(panel.days[:before], specials)
        kind = specials.get(day)
        if kind is not None:
            same_kind = [i for i, k in enumerate(kinds) if k == kind]
            if same_kind:
                return same_kind[-1]
        same = np.flatnonzero(weekday_of(panel.days[:before]) == weekday_of(np.array([day]))[0])
        return int(same[-1]) if same.size else before - 1

    def _predict_panel(self, state: Any, panel: Panel, days: np.ndarray, specials: Specials) -> np.ndarray:
        n = panel.days.size
        return np.array([panel.y[self._source(panel, d, specials, n)] for d in days])

    def _residuals(self, state: Any, panel: Panel, specials: Specials) -> np.ndarray:
        wd = weekday_of(panel.days)
        rows = []
        for i in range(1, panel.days.size):
            prev = np.flatnonzero(wd[:i] == wd[i])
            if prev.size:
                rows.append(standardise(panel.y[i], panel.y[prev[-1]]))
        return np.concatenate(rows) if rows else np.array([])


@dataclass
class _RegressionState:
    coef: np.ndarray  # (n_features, n_slots)
    weekdays: list[int]
    kinds: list[str]


class CalendarRegression(ForecastModel):
    """Weighted least squares of each interval on calendar features: weekday and special-day kind.

    y[d, s] = sum_w beta[w, s] 1{weekday(d) = w} + sum_k gamma[k, s] 1{kind(d) = k} + e, with weights
    0.5 ** (age of day d in weeks / halflife_weeks) so recent weeks count more (a decayed seasonal profile).
    A special-day kind never seen in history gets no effect (its days are forecast as ordinary weekdays).
    """

    name = "calendar_regression"
    min_days = 5

    def __init__(self, *, halflife_weeks: float = 4.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.halflife_weeks = halflife_weeks

    def _design(self, days: np.ndarray, specials: Specials, weekdays: list[int], kinds: list[str]) -> np.ndarray:
        wd = weekday_of(days)
        cols = [(wd == w).astype(float) for w in weekdays]
        cols += [np.array([specials.get(d) == k for d in days], dtype=float) for k in kinds]
        return np.column_stack(cols)

    def _fit_panel(self, panel: Panel, specials: Specials) -> _RegressionState:
        weekdays = sorted(set(weekday_of(panel.days).tolist()))
        kinds = sorted({k for k in _kinds(panel.days, specials) if k is not None})
        x = self._design(panel.days, specials, weekdays, kinds)
        age_weeks = (panel.days[-1] - panel.days).astype(np.int64) / 7.0
        w = np.sqrt(0.5 ** (age_weeks / self.halflife_weeks))[:, None]
        coef, *_ = np.linalg.lstsq(x * w, panel.y * w, rcond=None)
        return _RegressionState(coef, weekdays, kinds)

    def _predict_panel(self, state: _RegressionState, panel: Panel, days: np.ndarray, specials: Specials) -> np.ndarray:
        x = self._design(days, specials, state.weekdays, state.kinds)
        unseen = x[:, : len(state.weekdays)].sum(axis=1) == 0
        out = x @ state.coef
        if unseen.any():  # a weekday absent from history: the mean weekday profile
            out[unseen] += state.coef[: len(state.weekdays)].mean(axis=0)
        return out

    def _residuals(self, state: _RegressionState, panel: Panel, specials: Specials) -> np.ndarray:
        return standardise(panel.y, self._predict_panel(state, panel, panel.days, specials))


@dataclass
class _EtsState:
    fitted: Any
    weekday_factor: dict[int, float]
    kind_factor: dict[str, float]
    shares: dict[int, np.ndarray]
    mean_share: np.ndarray


class EtsProfile(ForecastModel):
    """Daily totals by exponential smoothing (Holt, damped trend; statsmodels) x weekday factor x intraday profile.

    total(d) = level path from ETS on weekday-adjusted daily totals x f[weekday(d)] x g[kind(d)];
    y[d, s] = total(d) x share[weekday(d), s], shares being the mean of the last `profile_weeks` same-weekday days.
    """

    name = "ets_profile"
    min_days = 15

    def __init__(self, *, profile_weeks: int = 8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile_weeks = profile_weeks

    def _fit_panel(self, panel: Panel, specials: Specials) -> _EtsState:
        totals = panel.y.sum(axis=1)
        wd = weekday_of(panel.days)
        kinds = _kinds(panel.days, specials)
        plain = np.array([k is None for k in kinds])
        recent = np.arange(panel.days.size) >= panel.days.size - 7 * self.profile_weeks
        base = float(totals[plain & recent].mean()) if (plain & recent).any() else float(totals.mean())
        wf = {int(w): float(totals[(wd == w) & plain & recent].mean()) / base
              for w in np.unique(wd[plain & recent])}  # fmt: skip
        adjusted = totals / np.array([wf.get(int(w), 1.0) for w in wd])
        kf = {k: float(np.mean([adjusted[i] for i, kk in enumerate(kinds) if kk == k])) / base
              for k in {k for k in kinds if k is not None}}  # fmt: skip
        series = np.where(plain, adjusted, base)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = ExponentialSmoothing(series, trend="add", damped_trend=True,
                                          initialization_method="estimated").fit()  # fmt: skip
        share = panel.y / np.maximum(totals, 1e-9)[:, None]
        shares = {int(w): share[np.flatnonzero((wd == w) & plain)[-self.profile_weeks :]].mean(axis=0)
                  for w in np.unique(wd[plain])}  # fmt: skip
        return _EtsState(fitted, wf, kf, shares, share[plain].mean(axis=0))

    def _compose(self, state: _EtsState, days: np.ndarray, level: np.ndarray, specials: Specials) -> np.ndarray:
        out = []
        for d, lv, w in zip(days, level, weekday_of(days).tolist(), strict=True):
            kind = specials.get(d)
            total = lv * state.weekday_factor.get(w, 1.0) * (state.kind_factor.get(kind, 1.0) if kind else 1.0)
            out.append(total * state.shares.get(w, state.mean_share))
        return np.array(out)

    def _predict_panel(self, state: _EtsState, panel: Panel, days: np.ndarray, specials: Specials) -> np.ndarray:
        return self._compose(state, days, np.asarray(state.fitted.forecast(days.size)), specials)

    def _residuals(self, state: _EtsState, panel: Panel, specials: Specials) -> np.ndarray:
        fitted = self._compose(state, panel.days, np.asarray(state.fitted.fittedvalues), specials)
        return standardise(panel.y, fitted)


MODELS: dict[str, type[ForecastModel]] = {m.name: m for m in (SeasonalNaive, CalendarRegression, EtsProfile)}
