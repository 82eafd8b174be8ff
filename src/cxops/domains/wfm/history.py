"""Shape interaction rows into forecasting history and automation history (pandas only, no database)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from cxops.core.errors import ValidationFailed

COLUMNS = ["queue", "started_at", "handle_s", "intent", "customer_id", "ai_involved", "handed_off", "outcome"]


def frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Repository rows as a DataFrame with naive-UTC timestamps."""
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["started_at"] = pd.to_datetime(df["started_at"], utc=True).dt.tz_localize(None)
    return df


def series_history(df: pd.DataFrame, *, metric: str, freq_min: int) -> pd.DataFrame:
    """Long table (series_id = queue code, ts, y) of contact counts or mean handle time per interval.

    Counts are zero-filled between the first and last interval seen on any day (an interval without contacts had
    none, it is not missing) up to the last interval of the history: the rest of a day still under way is missing,
    not zero. Handle time is left missing there and interpolated (reported) by the forecaster.
    """
    if df.empty:
        raise ValidationFailed("no interactions with a queue in the history window", field="history_days")
    work = df.assign(ts=df["started_at"].dt.floor(f"{freq_min}min"))
    if metric == "aht":
        human = work[~(work["ai_involved"] & ~work["handed_off"])]
        out = human.groupby(["queue", "ts"], as_index=False)["handle_s"].mean()
        return out.rename(columns={"queue": "series_id", "handle_s": "y"})
    counts = work.groupby(["queue", "ts"]).size().rename("y").reset_index()
    minute = counts["ts"].dt.hour * 60 + counts["ts"].dt.minute
    slots = np.arange(int(minute.min()), int(minute.max()) + freq_min, freq_min)
    last = counts["ts"].max()
    parts = []
    for queue, part in counts.groupby("queue"):
        days = part["ts"].dt.normalize().unique()
        grid = (days.to_numpy()[:, None] + pd.to_timedelta(slots, unit="min").to_numpy()[None, :]).ravel()
        full = pd.DataFrame({"ts": grid[grid <= last]}).merge(part[["ts", "y"]], on="ts", how="left").fillna({"y": 0.0})
        parts.append(full.assign(series_id=str(queue)))
    return pd.concat(parts, ignore_index=True)[["series_id", "ts", "y"]]


def csv_history(text: str) -> pd.DataFrame:
    """Parse an uploaded 'series_id,ts,y' CSV, naming the line of the first problem."""
    try:
        df = pd.read_csv(io.StringIO(text), dtype={"series_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"csv could not be read: {str(exc).splitlines()[0][:200]}", field="csv") from None
    missing = {"series_id", "ts", "y"} - set(df.columns)
    if missing:
        raise ValidationFailed(f"csv header must name series_id, ts, y; missing {sorted(missing)}", field="csv")
    return df[["series_id", "ts", "y"]]


def automation_history(df: pd.DataFrame, *, now: datetime, verify_days: int) -> pd.DataFrame:
    """Weekly counts per intent for `demand.automation_shares`.

    Verified AI resolution: AI involved, no hand-off, outcome 'resolved', and no contact from the same customer on the
    same intent within `verify_days` after (a customer with no id cannot be verified, so is not counted).
    """
    if df.empty:
        return pd.DataFrame(columns=["intent", "week_age", "contacts", "verified_ai", "escalated",
                                     "human_handle_s", "escalated_handle_s"])  # fmt: skip
    d = df.assign(intent=df["intent"].fillna("unknown")).sort_values("started_at")
    # group order does not matter to a shift (sort=False): sorting customer UUIDs as Python objects is slow
    nxt = d.groupby(["customer_id", "intent"], dropna=False, sort=False)["started_at"].shift(-1)
    quiet = nxt.isna() | ((nxt - d["started_at"]) > pd.Timedelta(days=verify_days))
    resolved_by_ai = d["ai_involved"] & ~d["handed_off"] & (d["outcome"] == "resolved")
    d["verified_ai"] = (resolved_by_ai & quiet & d["customer_id"].notna()).astype(float)
    d["escalated"] = (d["ai_involved"] & d["handed_off"]).astype(float)
    human = (~d["ai_involved"]).astype(float)
    d["human_handle_s"] = d["handle_s"] * human
    d["escalated_handle_s"] = d["handle_s"] * d["escalated"]
    ref = pd.Timestamp(now).tz_localize(None) if pd.Timestamp(now).tzinfo else pd.Timestamp(now)
    d["week_age"] = ((ref - d["started_at"]).dt.days // 7).clip(lower=0)
    d["contacts"] = 1.0
    cols = ["contacts", "verified_ai", "escalated", "human_handle_s", "escalated_handle_s"]
    return d.groupby(["intent", "week_age"], as_index=False)[cols].sum()
