"""Trust ledger rules: classification, decaying score, policy window, trust index with recoveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxops.domains.trust.compute.ledger import (
    ContactFacts,
    Experience,
    Policy,
    buckets,
    classify,
    decay,
    is_averse,
    trust_index,
    trust_score,
)

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
P = Policy()


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (ContactFacts(False, False, "abandoned", -3.0), []),
        (ContactFacts(True, True, "resolved", None), ["ai_escalated"]),
        (ContactFacts(True, False, "abandoned", None), ["abandoned_in_automation"]),
        (ContactFacts(True, False, "resolved", -0.8), ["negative_end_sentiment"]),
        (ContactFacts(True, True, "escalated", -0.5), ["ai_escalated", "negative_end_sentiment"]),
        (ContactFacts(True, False, "resolved", 0.4), ["resolved_by_ai"]),
        (ContactFacts(True, False, "transferred", None), []),
    ],
)
def test_classify(facts: ContactFacts, expected: list[str]) -> None:
    assert classify(facts, P) == expected


def test_decay_halves_every_half_life() -> None:
    assert decay(timedelta(0), 30) == 1.0
    assert decay(timedelta(days=30), 30) == pytest.approx(0.5)
    assert decay(timedelta(days=60), 30) == pytest.approx(0.25)


def test_score_falls_with_poor_experiences_and_recovers_with_time() -> None:
    fresh = [Experience("ai_escalated", NOW), Experience("repeat_contact", NOW)]
    old = [Experience("ai_escalated", NOW - timedelta(days=90)), Experience("repeat_contact", NOW - timedelta(days=90))]
    assert trust_score(fresh, NOW, P) == pytest.approx(0.5)
    assert trust_score(old, NOW, P) == pytest.approx(1 - 2 * 0.25 * 0.125)
    assert trust_score([*fresh, Experience("resolved_by_ai", NOW)], NOW, P) == pytest.approx(0.6)
    assert trust_score([Experience("ai_escalated", NOW)] * 10, NOW, P) == 0.0


def test_averse_only_within_the_window() -> None:
    exps = [Experience("ai_escalated", NOW - timedelta(days=29)), Experience("action_denied", NOW - timedelta(days=1))]
    assert is_averse(exps, NOW, P)
    assert not is_averse(exps, NOW + timedelta(days=2), P)
    assert not is_averse(exps[:1], NOW, P)
    assert is_averse(exps[:1], NOW, Policy(max_poor=1))


def test_trust_index_counts_averse_share_and_recoveries_per_group() -> None:
    start = NOW - timedelta(days=3)
    history = {
        "c1": [
            Experience("ai_escalated", start + timedelta(hours=1), "billing"),
            Experience("abandoned_in_automation", start + timedelta(hours=2), "billing"),
            Experience("resolved_by_ai", start + timedelta(days=1, hours=1), "billing"),
        ],
        "c2": [Experience("resolved_by_ai", start + timedelta(hours=3), "billing")],
        "c3": [Experience("ai_escalated", start + timedelta(hours=3), "tech")],
    }
    rows = trust_index(history, start, start + timedelta(days=2), timedelta(days=1), P)
    day1 = {r["group"]: r for r in rows if r["bucket_start"] == start}
    day2 = {r["group"]: r for r in rows if r["bucket_start"] == start + timedelta(days=1)}
    assert day1["billing"]["customers"] == 2 and day1["billing"]["averse"] == 1
    assert day1["billing"]["averse_share"] == 0.5 and day1["billing"]["recoveries"] == 0
    assert day1["tech"]["averse"] == 0
    assert day2["billing"]["recoveries"] == 1 and day2["billing"]["customers"] == 1
    assert "tech" not in day2


def test_buckets_cover_the_range() -> None:
    parts = buckets(NOW, NOW + timedelta(days=7, hours=1), timedelta(days=7))
    assert parts == [(NOW, NOW + timedelta(days=7)), (NOW + timedelta(days=7), NOW + timedelta(days=7, hours=1))]
