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
    window_closed,
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
    # three days after, no window has closed: every AI contact is pending, the one that already repeated too
    early = compute(rows, metrics, as_of=T0 + 3 * DAY)[0]
    assert early["pending_verification"] == 4
    assert early["verified_automation_rate"] is None
    assert early["containment_rate"] == 0.75  # known at once: not a repeat-based metric


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


# --- Censoring: a rate must not depend on how recent the contacts are -------------------------------------------


def cohort(first: int, start: float, *, blocks: int, gap: float, spread: float = 0.0, ai: bool = False, **kw):  # type: ignore[no-untyped-def]
    """`blocks` groups of four customers starting together, `spread` seconds between groups: in each group one
    customer comes back on the same intent `gap` seconds later and three do not. Any set of whole groups thus
    repeats at exactly 25% once the windows have closed (the follow-up contacts, which repeat nothing, aside)."""
    kind = {"ai_involved": True, "agent_kind": "ai", "agent": "bot"} if ai else {}
    out = []
    for b in range(blocks):
        at = int(start + b * spread)
        for k in range(4):
            n = first + 4 * b + k
            out.append(row(n, ts=at, customer=f"cust{n}", **kind, **kw))
            if k == 0:
                out.append(row(100_000 + n, ts=int(at + gap), customer=f"cust{n}", **kw))
    return out


def rates_of(rows, since, until, as_of, metrics=("repeat_rate", "fcr_rate", "verified_automation_rate")):  # type: ignore[no-untyped-def]
    frame = build_frame(rows)
    part = select(frame, since=since, until=until)
    sums = aggregate(part, by=(), grain="none", metrics=list(metrics), params=Params(as_of=as_of))
    return derive(sums, list(metrics))[0]


@pytest.mark.parametrize("age_days", [0.5, 1, 3, 5, 6.9])
def test_recent_contacts_are_pending_whether_they_repeated_or_not(age_days: float) -> None:
    """The audit's case: contacts younger than the window, a quarter of which have already repeated. Before the
    fix the base held only those repeats (repeat rate 100%, FCR and verified resolution 0%)."""
    as_of = T0 + 30 * DAY
    start = as_of - age_days * DAY
    gap = age_days * DAY / 2  # the repeats have already happened by as_of
    rows = cohort(0, start, blocks=5, gap=gap) + cohort(1000, start, blocks=5, gap=gap, ai=True)
    out = rates_of(rows, since=start, until=start + 1, as_of=as_of)
    assert out == {"repeat_rate": None, "fcr_rate": None, "verified_automation_rate": None}
    pending = rates_of(rows, since=start, until=start + 1, as_of=as_of, metrics=("pending_verification",))
    assert pending["pending_verification"] == 20


def test_rates_do_not_depend_on_how_recent_the_contacts_are() -> None:
    """Two like cohorts (25% repeat), one old and one spread over the day that straddles the window's edge at
    `as_of`: the recent one has the old one's rate, however many of its young contacts have repeated by now."""
    as_of = T0 + 30 * DAY
    old_start, recent_start = T0 + 2 * DAY, as_of - 7.5 * DAY
    spread = DAY / 20  # twenty groups over one day: the first ten have a closed window at as_of, the rest not
    rows = cohort(0, old_start, blocks=20, gap=DAY, spread=spread, ai=True)
    rows += cohort(1000, recent_start, blocks=20, gap=DAY, spread=spread, ai=True)
    day = {"old": (old_start, old_start + DAY), "recent": (recent_start, recent_start + DAY)}
    old = rates_of(rows, *day["old"], as_of=as_of)
    assert old == {"repeat_rate": 0.25, "fcr_rate": 0.75, "verified_automation_rate": 0.75}
    # the young half's repeats (one a day after) are all visible by as_of; before the fix they joined the base
    # without their quiet neighbours: 15 repeats of 50 contacts, a 30% repeat rate
    assert rates_of(rows, *day["recent"], as_of=as_of) == old
    # wherever the evaluation time falls, the recent cohort's rate is the old one's or unknown, never biased
    for hours in range(0, 24 * 9, 3):
        got = rates_of(rows, *day["recent"], as_of=recent_start + hours * 3600)
        assert got in (old, {"repeat_rate": None, "fcr_rate": None, "verified_automation_rate": None}), hours


def test_each_group_and_day_leaves_its_young_contacts_out() -> None:
    """Region rows and day buckets get the same treatment as the totals: no row is biased by young repeats."""
    as_of = T0 + 30 * DAY
    r1, r2 = {"team": "t-r1", "region": "r1"}, {"team": "t-r2", "region": "r2"}
    rows = [
        *cohort(0, T0 + 5 * DAY, blocks=2, gap=DAY, **r1),
        *cohort(100, T0 + 6 * DAY, blocks=1, gap=DAY, **r2),
        # young contacts in both regions whose repeats are already in
        *cohort(200, as_of - 4 * DAY, blocks=3, gap=DAY, **r1),
        *cohort(300, as_of - 2 * DAY, blocks=2, gap=DAY / 2, **r2),
    ]
    frame = build_frame(rows)
    part = select(frame, since=T0, until=as_of)
    metrics = ["repeat_rate", "fcr_rate", "volume"]
    sums = aggregate(part, by=["region"], grain="day", metrics=metrics, params=Params(as_of=as_of))
    # old cohorts only: per group of four, one repeat among five contacts (the follow-up repeats nothing)
    by_region = {r["region"]: r["repeat_rate"] for r in derive(rollup(sums, ["region"]), metrics)}
    assert by_region == {"r1": 0.2, "r2": 0.2}
    days = {r["bucket"][:10]: r["repeat_rate"] for r in derive(rollup(sums, ["bucket"]), metrics)}
    edge = datetime.fromtimestamp(as_of - 7 * DAY, UTC).date().isoformat()
    young = [d for d in days if d >= edge]
    assert len(young) == 3 and all(days[d] is None for d in young)  # 4 and 3 days before as_of; 2 and 1.5
    # the old days: r1's groups (1 in 4), r2's groups with r1's follow-ups (1 in 6), r2's follow-ups (none)
    assert [days[d] for d in sorted(days) if d < edge] == [0.25, 0.1667, 0.0]
    assert derive(rollup(sums, []), metrics)[0]["repeat_rate"] == 0.2


def test_window_closes_exactly_n_days_after_the_start() -> None:
    ts = np.array([T0, T0 + 1, T0 + 2])
    closed = window_closed(ts, Params(as_of=T0 + 7 * DAY + 1, repeat_days=7))
    assert closed.tolist() == [True, True, False]
    assert window_closed(ts, Params(as_of=T0 + DAY, repeat_days=1)).tolist() == [True, False, False]


def test_containment_over_closed_windows_never_reads_below_verified_resolution() -> None:
    """The audit's seat_upgrade: containment over every AI contact (82.2%) read below the verified rate over the
    closed-window ones (83.8%) because the young AI contacts contained less. Over the same contacts it cannot."""
    ai = {"ai_involved": True, "agent_kind": "ai", "agent": "bot"}
    as_of = T0 + 30 * DAY
    old = [row(i, ts=T0 + i * 60, customer=f"o{i}", **ai) for i in range(4)]  # 4 contained, verified
    young = [row(10 + i, ts=as_of - DAY, customer=f"y{i}", handed_off=True, **ai) for i in range(4)]
    young += [row(20, ts=as_of - DAY, customer="y9", **ai)]  # 1 of 5 young contained; all pending
    metrics = ["containment_rate", "containment_rate_closed", "verified_automation_rate", "pending_verification"]
    out = compute(old + young, metrics, as_of=as_of)[0]
    assert out["containment_rate"] == round(5 / 9, 4)  # every AI contact in range, pending ones included
    assert out["verified_automation_rate"] == 1.0 and out["pending_verification"] == 5
    assert out["containment_rate_closed"] == 1.0  # the verified rate's population: 4 of 4
    assert out["verified_automation_rate"] > out["containment_rate"]  # what the page compared before
    rng = np.random.default_rng(11)
    rows = [
        row(100 + i, ts=T0 + int(rng.integers(0, 30 * DAY)), customer=f"c{rng.integers(0, 40)}", **ai,
            handed_off=bool(rng.random() < 0.3), outcome=str(rng.choice(["resolved", "escalated", "abandoned"])))
        for i in range(300)
    ]  # fmt: skip
    for group in compute(rows, metrics, by=("channel",), grain="day", as_of=as_of):
        if group["verified_automation_rate"] is not None:
            assert group["verified_automation_rate"] <= group["containment_rate_closed"]
        else:
            assert group["containment_rate_closed"] is None  # both wait for the same windows
