"""Readers of public data sets used to check forecasting (no network: files from the shared data folder)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxops.core.errors import ValidationFailed


def bank_calls(csv_path: Path, *, freq_min: int = 30, series_id: str = "bank") -> pd.DataFrame:
    """fpp3 bank_calls (5-minute counts, weekdays 07:00-21:05) summed to complete `freq_min` intervals.

    The timestamps carry a 'Z' but are local clock times (see the data set's PROVENANCE.md), so the suffix is
    dropped. A bucket is kept only when all its 5-minute counts exist (the lone 21:00-21:05 count is dropped).
    """
    if freq_min % 5:
        raise ValidationFailed(f"freq_min {freq_min} must be a multiple of 5 minutes", field="freq_min")
    raw = pd.read_csv(csv_path)
    ts = pd.to_datetime(raw["DateTime"].str.rstrip("Z"))
    grouped = pd.DataFrame({"b": ts.dt.floor(f"{freq_min}min"), "y": raw["Calls"]}).groupby("b")["y"]
    agg = grouped.agg(["sum", "size"])
    agg = agg[agg["size"] == freq_min // 5]
    return pd.DataFrame({"series_id": series_id, "ts": agg.index, "y": agg["sum"].to_numpy(float)})
