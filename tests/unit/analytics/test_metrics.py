"""The metrics engine on hand-made contacts: every formula checked against values worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from cxops.domains.analytics.compute.definitions import METRICS
from cxops.domains.analytics.compute.metrics import (
    RAW_COLUMNS,
    Params,
    aggregate,
    bucket_of,
    derive,
    rollup,
    select,
)
from cxops.domains.analytics.compute.metrics import build_frame as build_raw
from cxops.domains.analytics.compute.repeats import next_same_gap

DAY = 86_400
T0 = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())  # a Monday


def row(i: int, **kw):  # type: ignore[no-untyped-def]
    base = {
        "id": f"id{i}",
        "ts": T0 + i * 60,
        "channel": "voice",
        "queue": "q1",
        "sl_threshold_s": 20.0,
        "team": "t1",
        "location": "l1",
        "region": "r1",
        "agent": "a1",
        "agent_kind": "human",
        "customer": f"c{i}",
        "intent": "billing",
        "outcome": "resolved",
        "talk_s": 100.0,
        "hold_s": 10.0,
        "wrap_s": 30.0,
        "csat": None,
        "survey_answered": False,
        "ai_involved": False,
        "handed_off": False,
        "sentiment_start": None,
        "sentiment_end": None,
        "wait_s": None,
    }
    base.update(kw)
    return base


def build_frame(rows):  # type: ignore[no-untyped-def]
    """Raw rows and the directory the engine reads, with directory ids named after their codes."""
    directory: dict = {"queue": {}, "team": {}, "agent": {}}
    raw = []
    for r in rows:
        r = {**r, "queue_id": r["queue"], "team_id": r["team"], "agent_id": r["agent"]}
        if r["queue"]:
            directory["queue"][r["queue"]] = (r["queue"], r["sl_threshold_s"])
        if r["team"]:
            directory["team"][r["team"]] = (r["team"], r["location"], r["region"])
        if r["agent"]:
            directory["agent"][r["agent"]] = (r["agent"], r["agent_kind"])
        raw.append(tuple(r[c] for c in RAW_COLUMNS))
    return build_raw(raw, directory)


def compute(rows, metrics, by=(), grain="none", as_of=T0 + 60 * DAY, **params):  # type: ignore[no-untyped-def]
    frame = build_frame(rows)
    part = select(frame, since=T0 - DAY, until=T0 + 40 * DAY)
    sums = aggregate(part, by=by, grain=grain, metrics=metrics, params=Params(as_of=as_of, **params))
    return derive(sums, metrics)


def test_gap_to_next_same_customer_and_intent() -> None:
    gap = next_same_gap([0, 0, 1, 0, -1, -1], [5, 5, 5, 6, 5, 5], [0, 100, 50, 10, 0, 1])
    assert gap.tolist() == [100, np.inf, np.inf, np.inf, np.inf, np.inf]


def test_volume_handle_time_and_abandonment() -> None:
    rows = [row(0), row(1, talk_s=200.0, hold_s=0.0, wrap_s=20.0), row(2, outcome="abandoned", talk_s=0.0)]
    out = compute(rows, ["volume", "handled", "abandon_rate", "aht_s", "talk_s", "wrap_s"])[0]
    assert out["volume"] == 3 and out["handled"] == 2
    assert out["abandon_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert out["aht_s"] == pytest.approx((140 + 220) / 2)
    assert out["talk_s"] == 150 and out["wrap_s"] == 25


def test_service_level_uses_wait_and_queue_threshold() -> None:
    rows = [
        row(0, wait_s=5),
        row(1, wait_s=30),
        row(2, wait_s=12, queue="fast", sl_threshold_s=10.0),
        row(3, wait_s=3, outcome="abandoned"),
        row(4),
    ]
    out = compute(rows, ["service_level", "asa_s"])[0]
    # offered with known wait: 4; answered within threshold: only row 0 (row 2 misses its 10 s threshold)
    assert out["service_level"] == 0.25
    assert out["asa_s"] == pytest.approx((5 + 30 + 12) / 3, abs=0.01)


def test_service_level_not_available_without_waits() -> None:
    out = compute([row(0), row(1)], ["service_level"])[0]
    assert out["service_level"] is None


def test_repeat_contacts_break_first_contact_resolution() -> None:
    rows = [
        row(0, customer="alice"),
        row(1, customer="alice", ts=T0 + 3 * DAY),  # repeat of row 0 within 7 days
        row(2, customer="bob"),
        row(3, customer="bob", intent="delivery", ts=T0 + DAY),  # other intent: not a repeat
        row(4, customer=None),  # unknown customer: excluded from FCR
    ]
    out = compute(rows, ["fcr_rate", "repeat_rate"])[0]
    assert out["repeat_rate"] == 0.25
    assert out["fcr_rate"] == 0.75
    out3 = compute(rows, ["repeat_rate"], repeat_days=2)[0]
    assert out3["repeat_rate"] == 0.0


def test_verified_automation_waits_for_the_window_and_ignores_silence() -> None:
    ai = {"ai_involved": True, "agent_kind": "ai", "agent": "bot"}
    rows = [
        row(0, customer="a", **ai),  # contained, resolved, no repeat -> verified once matured
        row(1, customer="b", **ai),  # contained but customer came back on the same intent
        row(2, customer="b", ts=T0 + 2 * DAY),
        row(3, customer="c", handed_off=True, **ai),  # handed to a human: not contained
        row(4, customer=None, **ai),  # unknown customer: cannot be verified
    ]
    metrics = ["verified_automation_rate", "containment_rate", "pending_verification", "handoff_rate"]
    matured = compute(rows, metrics)[0]
    assert matured["containment_rate"] == 0.75
    assert matured["verified_automation_rate"] == 0.25
    assert matured["pending_verification"] == 0
    assert matured["handoff_rate"] == 0.25
    # one day after: only the contact that already repeated is decided; the quiet ones are pending
    early = compute(rows, metrics, as_of=T0 + 3 * DAY)[0]
    assert early["pending_verification"] == 3
    assert early["verified_automation_rate"] == 0.0


def test_csat_survey_sentiment_and_cost() -> None:
    rows = [
        row(0, csat=5, survey_answered=True, sentiment_start=-2.0, sentiment_end=1.0),
        row(1, csat=3, survey_answered=True, sentiment_start=0.0, sentiment_end=0.0),
        row(2, ai_involved=True, agent="bot", agent_kind="ai", talk_s=60.0, hold_s=0.0, wrap_s=0.0),
        row(3),
    ]
    out = compute(rows, ["csat", "survey_response_rate", "sentiment_shift", "cost_per_contact", "total_cost"])[0]
    assert out["csat"] == 4 and out["survey_response_rate"] == 0.5
    assert out["sentiment_shift"] == 1.5
    # humans: 3 x 140 s = 7 min at 1.0; one AI contact at 0.5
    costed = compute(rows, ["total_cost"], cost_human_minute=1.0, cost_ai_interaction=0.5)[0]
    assert costed["total_cost"] == pytest.approx(7.5)


def test_grouping_by_dimension_and_day_then_rollup() -> None:
    rows = [row(0, team="t1"), row(1, team="t2"), row(2, team="t2", ts=T0 + DAY + 5), row(3, team="t1", ts=T0 + DAY)]
    frame = build_frame(rows)
    sums = aggregate(frame, by=["team"], grain="day", metrics=["volume"], params=Params(as_of=T0))
    out = derive(sums, ["volume"])
    assert [(r["bucket"][:10], r["team"], r["volume"]) for r in out] == [
        ("2026-03-02", "t1", 1),
        ("2026-03-02", "t2", 1),
        ("2026-03-03", "t1", 1),
        ("2026-03-03", "t2", 1),
    ]
    assert derive(rollup(sums, ["team"]), ["volume"]) == [{"team": "t1", "volume": 2}, {"team": "t2", "volume": 2}]
    assert derive(rollup(sums, []), ["volume"]) == [{"volume": 4}]


def test_filters_and_missing_dimensions() -> None:
    rows = [row(0, team=None), row(1, channel="chat"), row(2, channel="chat", intent=None)]
    frame = build_frame(rows)
    part = select(frame, since=T0, until=T0 + DAY, filters={"channel": "chat"})
    assert len(part) == 2
    sums = aggregate(frame, by=["team"], grain="none", metrics=["volume"], params=Params(as_of=T0))
    assert {r["team"]: r["volume"] for r in derive(sums, ["volume"])} == {"(none)": 1, "t1": 2}


def test_port_scores_join_by_interaction_id() -> None:
    frame = build_frame([row(0), row(1), row(2)])
    sums = aggregate(
        frame,
        by=[],
        grain="none",
        metrics=["qa_score"],
        params=Params(as_of=T0),
        extra={"qa": {"id0": 80.0, "id2": 90.0}},
    )
    assert derive(sums, ["qa_score"])[0]["qa_score"] == 85.0


def test_week_and_interval_buckets() -> None:
    wednesday = T0 + 2 * DAY + 3600 * 10 + 17 * 60
    assert bucket_of(np.array([wednesday]), "week")[0] == T0
    assert bucket_of(np.array([wednesday]), "15min")[0] == T0 + 2 * DAY + 3600 * 10 + 15 * 60
    assert bucket_of(np.array([wednesday]), "30min")[0] == T0 + 2 * DAY + 3600 * 10


def test_every_metric_has_its_columns() -> None:
    rows = [row(0)]
    names = list(METRICS)
    out = compute(rows, names)
    assert set(names) <= set(out[0])
