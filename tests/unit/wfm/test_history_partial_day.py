"""Volume history from interactions: the part of the last day after the history ends is missing, not zero contacts
(counted as zeros, a forecast run mid-day learnt a day that stops at the time of the run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from cxops.domains.wfm.history import frame, series_history


def _row(queue: str, at: datetime) -> tuple[object, ...]:
    return (queue, at, 300.0, "order_status", None, False, False, "resolved")


def test_the_day_under_way_is_not_zero_filled_after_the_last_interval() -> None:
    day1 = datetime(2026, 11, 24, tzinfo=UTC)
    day2 = day1 + timedelta(days=1)
    rows = [_row("voice-orders", day1 + timedelta(hours=h)) for h in (0, 6, 12, 23.5)]
    rows += [_row("voice-orders", day2 + timedelta(hours=1)), _row("voice-care", day2 + timedelta(hours=10))]
    out = series_history(frame(rows), metric="volume", freq_min=30)
    orders = out[out["series_id"] == "voice-orders"].set_index("ts")["y"]
    first, second = orders[orders.index < pd.Timestamp(day2.date())], orders[orders.index >= pd.Timestamp(day2.date())]
    assert len(first) == 48 and first.sum() == 4  # a whole past day: intervals without contacts had none
    # The second day stops at the last interval of the history (10:00, a contact of another queue).
    assert second.index.max() == pd.Timestamp(day2.replace(tzinfo=None) + timedelta(hours=10))
    assert len(second) == 21 and second.sum() == 1
    care = out[out["series_id"] == "voice-care"]
    assert care["ts"].max() == pd.Timestamp(day2.replace(tzinfo=None) + timedelta(hours=10))
