"""The metrics engine: a columnar frame of contacts -> additive sums per group -> metric values.

A *frame* is a pandas DataFrame with one row per contact, sorted by start time, built once per organisation
(`build_frame`) and sliced per query (`select`). Ratios are computed from group sums (`aggregate`, `derive`),
so every grouping is exact and a fine grouping can be rolled up (`rollup`) without re-reading rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from cxops.domains.analytics.compute.definitions import DIMENSIONS, GRAINS, METRICS
from cxops.domains.analytics.compute.grouping import Selection, bucket_codes, group_sums, select_rows
from cxops.domains.analytics.compute.repeats import next_same_gap

NONE_LABEL = "(none)"
DAY_S = 86_400
_WEEK_OFFSET_S = 4 * DAY_S  # 1970-01-05 was a Monday: weeks start on Monday (ISO 8601)
RAW_COLUMNS: tuple[str, ...] = (
    "id",
    "ts",
    "channel",
    "queue_id",
    "team_id",
    "agent_id",
    "customer",
    "intent",
    "outcome",
    "talk_s",
    "hold_s",
    "wrap_s",
    "csat",
    "survey_answered",
    "ai_involved",
    "handed_off",
    "sentiment_start",
    "sentiment_end",
    "wait_s",
)
#: Directory lookups: queue id -> (code, SL threshold s); team id -> (team, location, region); agent id -> (code, kind)
Directory = Mapping[str, Mapping[str, tuple[Any, ...]]]


@dataclass(frozen=True, slots=True)
class Params:
    """Per-query parameters of the derived metrics.

    Attributes:
        as_of: the evaluation time (epoch seconds), at most the data horizon (the newest contact's start):
            contacts started less than `repeat_days` before it are pending (see `window_closed`).
        repeat_days: N, the repeat-contact window in days.
        cost_human_minute: cost of one minute of human handle time.
        cost_ai_interaction: cost of one contact an AI agent took part in.
    """

    as_of: float
    repeat_days: int = 7
    cost_human_minute: float = 0.75
    cost_ai_interaction: float = 0.10


def _flag(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.int8)


def _lookup(ids: pd.Series, mapping: Mapping[str, tuple[Any, ...]], position: int, missing: Any) -> np.ndarray:
    """Map each id through `mapping[id][position]`, via the few distinct ids (fast on a million rows)."""
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    table = np.array([mapping.get(u, (missing,) * (position + 1))[position] for u in uniques] + [missing], dtype=object)
    return table[codes]


def build_frame(rows: Sequence[Sequence[Any]], directory: Directory) -> pd.DataFrame:
    """A frame from raw rows in RAW_COLUMNS order: directory ids mapped to codes, typed, sorted by time, with
    the static per-contact sums."""
    df = pd.DataFrame.from_records(list(rows), columns=list(RAW_COLUMNS))
    df["ts"] = pd.to_numeric(df["ts"], errors="coerce").fillna(0).astype(np.int64)
    df = df.sort_values("ts", kind="stable").reset_index(drop=True)
    queues, teams, agents = directory.get("queue", {}), directory.get("team", {}), directory.get("agent", {})
    df["queue"] = _lookup(df["queue_id"], queues, 0, None)
    df["sl_threshold_s"] = _lookup(df["queue_id"], queues, 1, 20.0)
    for position, dim in enumerate(("team", "location", "region")):
        df[dim] = _lookup(df["team_id"], teams, position, None)
    df["agent"] = _lookup(df["agent_id"], agents, 0, None)
    df["agent_kind"] = _lookup(df["agent_id"], agents, 1, None)
    for dim in DIMENSIONS:
        df[dim] = df[dim].fillna(NONE_LABEL).astype("category")
    numeric = ("sl_threshold_s", "talk_s", "hold_s", "wrap_s", "csat", "sentiment_start", "sentiment_end", "wait_s")
    for col in numeric:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(np.float64)
    customer_codes = pd.factorize(df["customer"], use_na_sentinel=True)[0]
    intent_codes = np.where(df["intent"].to_numpy() == NONE_LABEL, -1, df["intent"].cat.codes.to_numpy())
    df["gap_s"] = next_same_gap(customer_codes, intent_codes, df["ts"].to_numpy())
    df["has_customer"] = _flag(customer_codes >= 0)
    _static_sums(df)
    return df.drop(columns=["customer", "queue_id", "team_id", "agent_id"])


def _static_sums(df: pd.DataFrame) -> None:
    outcome = df["outcome"].fillna("").to_numpy()
    handled = outcome != "abandoned"
    ai = df["ai_involved"].fillna(False).to_numpy(dtype=bool)
    handed = df["handed_off"].fillna(False).to_numpy(dtype=bool)
    talk, hold, wrap = (df[c].fillna(0).to_numpy() * handled for c in ("talk_s", "hold_s", "wrap_s"))
    wait = df["wait_s"].to_numpy()
    wait_known = ~np.isnan(wait)
    answered_known = wait_known & handled
    csat = df["csat"].to_numpy()
    s0, s1 = df["sentiment_start"].to_numpy(), df["sentiment_end"].to_numpy()
    sent_known = ~np.isnan(s0) & ~np.isnan(s1)
    human = (df["agent_kind"].to_numpy() == "human") | handed
    df["n"] = _flag(np.ones(len(df)))
    df["handled"] = _flag(handled)
    df["abandoned"] = _flag(~handled)
    df["handle_s"], df["talk_sum"], df["hold_sum"], df["wrap_sum"] = talk + hold + wrap, talk, hold, wrap
    df["wait_known"], df["answered_known"] = _flag(wait_known), _flag(answered_known)
    df["wait_sum"] = np.where(answered_known, wait, 0.0)
    df["sl_met"] = _flag(answered_known & (np.nan_to_num(wait, nan=np.inf) <= df["sl_threshold_s"].to_numpy()))
    df["resolved"] = _flag(outcome == "resolved")
    df["transferred"], df["escalated"] = _flag(outcome == "transferred"), _flag(outcome == "escalated")
    df["ai"], df["handed_off"] = _flag(ai), _flag(ai & handed)
    df["contained"] = _flag(ai & ~handed & np.isin(outcome, ["resolved", ""]))
    df["csat_n"] = _flag(~np.isnan(csat))
    df["csat_sum"] = np.nan_to_num(csat, nan=0.0)
    df["survey"] = _flag(df["survey_answered"].fillna(False).to_numpy(dtype=bool) & handled)
    df["sent_n"] = _flag(sent_known)
    df["sent_sum"] = np.where(sent_known, np.nan_to_num(s1) - np.nan_to_num(s0), 0.0)
    df["human_min"] = np.where(human, (talk + hold + wrap) / 60.0, 0.0)


def select(frame: pd.DataFrame, *, since: float, until: float, filters: Mapping[str, str] | None = None) -> Selection:
    """Contacts started in [since, until) matching every `dimension == value` filter (columns read lazily)."""
    return select_rows(frame, since=since, until=until, filters=filters)


#: Scores from another domain: by contact id (32 hex digits), or an array aligned with the whole frame.
Scores = Mapping[str, float] | np.ndarray


def window_closed(ts: np.ndarray, params: Params) -> np.ndarray:
    """Whether each contact's N-day repeat window has fully passed by `params.as_of` (start + N days <= as_of).

    Whether a contact repeats is known only once its window has closed, so FCR, repeat rate and verified
    automation count such contacts only; the others are pending whether or not they have repeated yet.
    """
    return (params.as_of - np.asarray(ts, dtype=np.float64)) >= params.repeat_days * DAY_S


def _dynamic_sums(
    part: Selection, params: Params, extra: Mapping[str, Scores], needed: Sequence[str]
) -> dict[str, Any]:
    wanted = set(needed)
    out: dict[str, Any] = {}
    if wanted & {"fcr_den", "fcr_num", "rep_den", "rep_num", "var_den", "var_num", "ai_pending", "contained_closed"}:
        window = params.repeat_days * DAY_S
        repeat = part.values("gap_s") <= window
        # Only contacts whose whole window has closed are measured, repeated or not: counting a young contact
        # once it has repeated (and leaving it out while it has not) fills the recent days with repeats only.
        matured = window_closed(part.values("ts"), params)
        cust = part.values("has_customer") == 1
        ai = part.values("ai") == 1
        resolved = part.values("resolved") == 1
        handled = part.values("handled") == 1
        base = cust & matured
        out["fcr_den"] = _flag(base & handled)
        out["fcr_num"] = _flag(base & handled & resolved & ~repeat)
        out["rep_den"] = _flag(base)
        out["rep_num"] = _flag(base & repeat)
        out["var_den"] = _flag(ai & matured)
        out["var_num"] = _flag(ai & matured & (part.values("contained") == 1) & resolved & cust & ~repeat)
        out["ai_pending"] = _flag(ai & ~matured)
        out["contained_closed"] = _flag(ai & matured & (part.values("contained") == 1))
    if "cost" in wanted:
        ai_n = part.values("ai")
        out["cost"] = part.values("human_min") * params.cost_human_minute + ai_n * params.cost_ai_interaction
    for prefix in ("qa", "trust"):
        if f"{prefix}_n" not in wanted:
            continue
        scores = extra.get(prefix)
        if scores is None or len(scores) == 0:  # nothing to sum (None sums to 0); ids cost ~50 ms per million
            out[f"{prefix}_n"] = out[f"{prefix}_sum"] = None
            continue
        if isinstance(scores, np.ndarray):
            values = part.take(scores)
        else:
            values = pd.Series(part.values("id")).map(scores).to_numpy(dtype=np.float64)
        out[f"{prefix}_n"] = _flag(~np.isnan(values))
        out[f"{prefix}_sum"] = np.nan_to_num(values, nan=0.0)
    return out


def sum_columns(metrics: Sequence[str]) -> list[str]:
    """The additive columns `metrics` need."""
    cols: list[str] = ["n"]
    for name in metrics:
        m = METRICS[name]
        for col in (m.numerator, m.denominator):
            if col is not None and col not in cols:
                cols.append(col)
    return cols


def bucket_of(ts: np.ndarray, grain: str) -> np.ndarray:
    """The start (epoch s, UTC) of each timestamp's bucket; weeks start on Monday."""
    width = GRAINS[grain]
    offset = _WEEK_OFFSET_S if grain == "week" else 0
    return (ts - offset) // width * width + offset


def aggregate(
    part: Selection | pd.DataFrame,
    *,
    by: Sequence[str],
    grain: str,
    metrics: Sequence[str],
    params: Params,
    extra: Mapping[str, Scores] | None = None,
) -> pd.DataFrame:
    """Group sums of the columns `metrics` need, by `by` (+ 'bucket' unless grain is 'none')."""
    if isinstance(part, pd.DataFrame):
        part = Selection(part, 0, len(part))
    cols = sum_columns(metrics)
    dynamic = _dynamic_sums(part, params, extra or {}, cols)
    arrays = {c: (dynamic[c] if c in dynamic else part.values(c)) for c in cols}
    keys: list[tuple[str, np.ndarray, np.ndarray]] = []
    if grain != "none":
        codes, starts = bucket_codes(bucket_of(part.values("ts"), grain))
        keys.append(("bucket", codes, starts))
    for key in by:
        keys.append((key, *part.codes(key)))
    return group_sums(arrays, keys, len(part))


def rollup(sums: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Re-aggregate group sums to coarser `keys` (all rows when empty)."""
    value_cols = [c for c in sums.columns if c not in (*DIMENSIONS, "bucket")]
    if not keys:
        return sums[value_cols].sum().to_frame().T
    return sums.groupby(list(keys), observed=True, sort=True)[value_cols].sum().reset_index()


def derive(sums: pd.DataFrame, metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Metric values per group row: ratio of sums (None when the denominator is 0), rounded for display."""
    keys = [c for c in sums.columns if c in (*DIMENSIONS, "bucket")]
    out: dict[str, Any] = {}
    for key in keys:
        col = sums[key]
        out[key] = [_iso(v) for v in col.to_numpy()] if key == "bucket" else col.astype(str).tolist()
    for name in metrics:
        m = METRICS[name]
        num = sums[m.numerator].to_numpy(dtype=np.float64)
        if m.denominator is None:
            out[name] = [_round(v, m.unit) for v in num]
            continue
        den = sums[m.denominator].to_numpy(dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        out[name] = [None if np.isnan(v) else _round(v, m.unit) for v in ratio]
    count = len(sums)
    return [{k: v[i] for k, v in out.items()} for i in range(count)]


def _round(value: float, unit: str) -> float | int:
    if unit == "contacts":
        return int(value)
    return round(float(value), 4 if unit == "ratio" else 2)


def _iso(epoch: Any) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).isoformat().replace("+00:00", "Z")
