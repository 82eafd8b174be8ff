"""Series builders for the WFM unit tests (synthetic shapes with Poisson noise, and the real bank data)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxops.domains.wfm.compute.datasets import bank_calls
from tests.conftest import SHARED_DATA


def synthetic(
    days: int = 35, *, series: tuple[str, ...] = ("q1",), seed: int = 0, start: str = "2026-01-05"
) -> pd.DataFrame:
    """Weekday-only 30-minute series 08:00-17:30 with a weekday effect and an intraday hump."""
    rng = np.random.default_rng(seed)
    rows = []
    dates = pd.bdate_range(start, periods=days)
    slots = pd.timedelta_range("08:00:00", "17:30:00", freq="30min")
    for s_i, sid in enumerate(series):
        for d in dates:
            level = 40 * (1 + 0.2 * (d.weekday() == 0)) * (1 + 0.5 * s_i)
            for k, off in enumerate(slots):
                mean = level * (0.5 + np.sin(np.pi * (k + 0.5) / len(slots)))
                rows.append((sid, d + off, float(rng.poisson(mean))))
    return pd.DataFrame(rows, columns=["series_id", "ts", "y"])


def bank_calls_30min() -> pd.DataFrame:
    """The fpp3 bank calls, 5-minute counts summed to complete 30-minute intervals (07:00-21:00)."""
    return bank_calls(SHARED_DATA / "bank_calls_fpp3" / "bank_calls_5min.csv")
