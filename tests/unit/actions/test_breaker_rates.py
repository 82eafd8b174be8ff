"""Automatic trip decisions of the circuit breakers (rates over the window, minimum samples)."""

from __future__ import annotations

from cxops.domains.actions.breakers import _trip_reason
from cxops.domains.actions.runtime import BreakerSettings

CFG = BreakerSettings(min_samples=10, failure_rate=0.3, reversal_rate=0.2, denial_rate=0.6)


def stats(decided=20, denied=0, executed=20, failed=0, reversed_=0):
    return {"decided": decided, "denied": denied, "executed": executed, "failed": failed, "reversed": reversed_}


def test_quiet_window_does_not_trip():
    assert _trip_reason(stats(), CFG) is None
    assert _trip_reason(stats(decided=9, denied=9, executed=0), CFG) is None  # too few samples


def test_each_rate_trips_at_its_threshold():
    assert "denial rate 12/20" in _trip_reason(stats(denied=12, executed=8), CFG)
    assert "failure rate 6/20" in _trip_reason(stats(failed=6), CFG)
    assert "reversal rate 4/20" in _trip_reason(stats(reversed_=4), CFG)
    assert _trip_reason(stats(failed=5, reversed_=3), CFG) is None


def test_rates_need_enough_executions():
    assert _trip_reason(stats(decided=30, denied=5, executed=5, failed=5), CFG) is None
