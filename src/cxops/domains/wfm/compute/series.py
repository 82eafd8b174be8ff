"""Turn a long table (series_id, ts, y) into a regular day x interval grid per series, saying what was repaired.

Contact centres open on some weekdays and hours only, so a series is held as open days x intervals of the day.
Rules, each reported in `Panel.notes`:
    * duplicate (series_id, ts) rows: an error naming the first one, unless `duplicates` is "sum", "mean" or "last";
    * timestamps off the interval grid (e.g. 09:07 for 30-minute intervals): an error;
    * a missing interval inside an observed day (a gap): filled by linear interpolation within the day;
    * a day missing more than half of its intervals: dropped as partial;
    * a whole missing weekday: treated as closed (pass it as a special day of kind "closed" to be explicit).
Timestamps are read as wall-clock times of the contact centre (time-zone-aware ones are converted to UTC first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxops.core.errors import ValidationFailed

DUPLICATE_POLICIES = ("error", "sum", "mean", "last")
CLOSED = "closed"


@dataclass
class Panel:
    """One series on its grid: Y[day, slot], with the calendar of each day and what was repaired."""

    series_id: str
    freq_min: int
    days: np.ndarray  # datetime64[D], ascending
    slot_min: np.ndarray  # minutes after midnight of each interval of the day
    y: np.ndarray  # float64 (n_days, n_slots)
    filled: np.ndarray  # bool (n_days, n_slots): interpolated gaps
    notes: list[str] = field(default_factory=list)

    @property
    def weekday(self) -> np.ndarray:
        """Monday = 0 .. Sunday = 6 for each day."""
        return ((self.days.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int64)

    def timestamps(self, days: np.ndarray) -> np.ndarray:
        """Interval start times (datetime64[m]) of `days`, row-major (day, slot)."""
        base = days.astype("datetime64[m]")[:, None] + self.slot_min[None, :].astype("timedelta64[m]")
        return base.ravel()

    def tail(self, n_days: int) -> Panel:
        """The panel cut to its first `n_days` days (for backtests)."""
        return Panel(self.series_id, self.freq_min, self.days[:n_days], self.slot_min, self.y[:n_days],
                     self.filled[:n_days], list(self.notes))  # fmt: skip


def special_day_map(special_days: pd.DataFrame | None) -> dict[np.datetime64, str]:
    """{date: kind} from a table with columns `date` and `kind` (e.g. closed, holiday, campaign)."""
    if special_days is None or len(special_days) == 0:
        return {}
    missing = {"date", "kind"} - set(special_days.columns)
    if missing:
        raise ValidationFailed(
            f"special_days needs columns date and kind; missing {sorted(missing)}", field="special_days"
        )
    dates = pd.to_datetime(special_days["date"], errors="coerce")
    if dates.isna().any():
        bad = special_days["date"][dates.isna()].iloc[0]
        raise ValidationFailed(f"special_days: {bad!r} is not a date", field="special_days")
    return {np.datetime64(d.date(), "D"): str(k) for d, k in zip(dates, special_days["kind"], strict=True)}


def _clean_frame(df: pd.DataFrame) -> pd.DataFrame:
    missing = {"series_id", "ts", "y"} - set(df.columns)
    if missing:
        raise ValidationFailed(f"history needs columns series_id, ts, y; missing {sorted(missing)}", field="history")
    out = pd.DataFrame({"series_id": df["series_id"].astype(str)})
    ts = pd.to_datetime(df["ts"], errors="coerce", utc=True, format="mixed")
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise ValidationFailed(f"history row {row}: ts {df['ts'].iloc[row]!r} is not a timestamp", field="ts")
    out["ts"] = ts.dt.tz_localize(None).astype("datetime64[ns]")
    y = pd.to_numeric(df["y"], errors="coerce")
    bad = y.isna() | ~np.isfinite(y.fillna(0)) | (y < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValidationFailed(f"history row {row}: y {df['y'].iloc[row]!r} must be a number >= 0", field="y")
    out["y"] = y.astype(float)
    return out


def _dedupe(df: pd.DataFrame, duplicates: str) -> tuple[pd.DataFrame, int]:
    if duplicates not in DUPLICATE_POLICIES:
        raise ValidationFailed(f"duplicates must be one of {DUPLICATE_POLICIES}", field="duplicates")
    dup = df.duplicated(["series_id", "ts"], keep=False)
    n_dup = int(df.duplicated(["series_id", "ts"]).sum())
    if not n_dup:
        return df, 0
    if duplicates == "error":
        first = df[dup].iloc[0]
        raise ValidationFailed(
            f"series {first['series_id']!r} has {n_dup} duplicate timestamp(s), first at {first['ts']}; "
            "remove them or choose duplicates='sum', 'mean' or 'last'",
            field="history",
        )
    how = {"sum": "sum", "mean": "mean", "last": "last"}[duplicates]
    return df.groupby(["series_id", "ts"], as_index=False, sort=True)["y"].agg(how), n_dup


def infer_freq(ts: pd.Series) -> int:
    """The interval length in minutes: the most common positive step between consecutive timestamps."""
    steps = np.diff(np.sort(ts.unique()).astype("datetime64[m]").astype(np.int64))
    steps = steps[(steps > 0) & (steps < 24 * 60)]
    if steps.size == 0:
        raise ValidationFailed("cannot infer the interval length: fewer than two timestamps in a day", field="ts")
    values, counts = np.unique(steps, return_counts=True)
    return int(values[np.argmax(counts)])


def build_panels(
    df: pd.DataFrame,
    *,
    freq_min: int | None = None,
    duplicates: str = "error",
    special_days: pd.DataFrame | None = None,
) -> list[Panel]:
    """Validate the long table and build one Panel per series (sorted by series_id)."""
    frame, n_dup = _dedupe(_clean_frame(df), duplicates)
    if frame.empty:
        raise ValidationFailed("history is empty", field="history")
    freq = freq_min or infer_freq(frame["ts"])
    if freq <= 0 or (24 * 60) % freq:
        raise ValidationFailed(f"interval length {freq} min must divide a day (e.g. 15, 30, 60)", field="freq_min")
    minute = frame["ts"].dt.hour * 60 + frame["ts"].dt.minute
    off = (minute % freq != 0) | (frame["ts"].dt.second != 0)
    if off.any():
        row = frame[off].iloc[0]
        raise ValidationFailed(f"series {row['series_id']!r}: {row['ts']} is not on the {freq}-minute grid", field="ts")
    closed = {d for d, k in special_day_map(special_days).items() if k == CLOSED}
    panels = []
    for sid, part in frame.groupby("series_id", sort=True):
        panel = _panel(str(sid), part, freq, closed)
        if n_dup:
            panel.notes.insert(0, f"{n_dup} duplicate row(s) merged with '{duplicates}'")
        panels.append(panel)
    return panels


def _panel(sid: str, part: pd.DataFrame, freq: int, closed: set[np.datetime64]) -> Panel:
    ts = part["ts"].to_numpy().astype("datetime64[m]")
    day = ts.astype("datetime64[D]")
    minute = (ts - day.astype("datetime64[m]")).astype(np.int64)
    slots = np.arange(minute.min(), minute.max() + freq, freq)
    days = np.unique(day)
    notes: list[str] = []
    if closed:
        keep = ~np.isin(days, np.array(sorted(closed), dtype="datetime64[D]"))
        if not keep.all():
            notes.append(f"{int((~keep).sum())} day(s) marked closed ignored")
        days = days[keep]
    y = np.full((days.size, slots.size), np.nan)
    di = np.searchsorted(days, day)
    valid = (di < days.size) & (days[np.minimum(di, days.size - 1)] == day)
    y[di[valid], np.searchsorted(slots, minute[valid])] = part["y"].to_numpy()[valid]
    return _repair(Panel(sid, freq, days, slots, y, np.zeros_like(y, dtype=bool), notes))


def _repair(panel: Panel) -> Panel:
    missing = np.isnan(panel.y)
    partial = missing.mean(axis=1) > 0.5
    if partial.any():
        panel.notes.append(f"{int(partial.sum())} day(s) with more than half the intervals missing dropped as partial")
        panel.days, panel.y, missing = panel.days[~partial], panel.y[~partial], missing[~partial]
    gaps = int(missing.sum())
    if gaps:
        x = np.arange(panel.y.shape[1])
        for r in np.flatnonzero(missing.any(axis=1)):
            row = panel.y[r]
            row[missing[r]] = np.interp(x[missing[r]], x[~missing[r]], row[~missing[r]])
        panel.notes.append(f"{gaps} missing interval(s) filled by linear interpolation within their day")
    panel.filled = missing
    span = (panel.days[-1] - panel.days[0]).astype(int) + 1 if panel.days.size else 0
    open_wd = set(Panel.weekday.fget(panel).tolist()) if panel.days.size else set()  # type: ignore[attr-defined]
    expected = sum(1 for k in range(span) if (int(panel.days[0].astype(np.int64)) + k + 3) % 7 in open_wd)
    if expected > panel.days.size:
        panel.notes.append(f"{expected - panel.days.size} open weekday(s) without data treated as closed")
    return panel
