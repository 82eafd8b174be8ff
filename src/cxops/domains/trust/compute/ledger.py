"""The trust ledger's rules as pure functions: what counts as a poor automated experience, the decaying
trust score, the routing policy and the trust index (no database, no web)."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

POOR_KINDS = (
    "ai_escalated",
    "abandoned_in_automation",
    "repeat_contact",
    "negative_end_sentiment",
    "action_reversed",
    "action_denied",
)
GOOD_KIND = "resolved_by_ai"
K = TypeVar("K", bound=Hashable)
C = TypeVar("C", bound=Hashable)
REASONS = {
    "ai_escalated": "the AI did not resolve the contact and handed it to a human",
    "abandoned_in_automation": "the customer abandoned the contact while still with the AI",
    "repeat_contact": "the customer contacted again about the same intent soon after an automated contact",
    "negative_end_sentiment": "the customer's sentiment at the end of an automated contact was negative",
    "action_reversed": "an action the AI took for the customer was reversed",
    "action_denied": "an action the AI proposed for the customer was denied",
    GOOD_KIND: "the AI resolved the contact without a hand-off",
}


@dataclass(frozen=True, slots=True)
class Policy:
    """Routing policy: `max_poor` poor experiences within `window_days` route to a human first."""

    max_poor: int = 2
    window_days: int = 30
    repeat_window_hours: int = 72
    negative_sentiment: float = -0.3
    half_life_days: float = 30.0
    poor_weight: float = 0.25
    good_weight: float = 0.1


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the ledger needs of one ended interaction."""

    ai_involved: bool
    handed_off: bool
    outcome: str | None
    sentiment_end: float | None


@dataclass(frozen=True, slots=True)
class Experience:
    """One ledger entry as the rules see it."""

    kind: str
    at: datetime
    group: str | None = None

    @property
    def poor(self) -> bool:
        return self.kind in POOR_KINDS


def classify(facts: ContactFacts, policy: Policy) -> list[str]:
    """Ledger kinds of one ended contact (repeat contact is judged separately, across contacts)."""
    if not facts.ai_involved:
        return []
    kinds: list[str] = []
    if facts.handed_off:
        kinds.append("ai_escalated")
    elif facts.outcome == "abandoned":
        kinds.append("abandoned_in_automation")
    if facts.sentiment_end is not None and facts.sentiment_end <= policy.negative_sentiment:
        kinds.append("negative_end_sentiment")
    if not kinds and facts.outcome in (None, "resolved"):
        kinds.append(GOOD_KIND)
    return kinds


def decay(age: timedelta, half_life_days: float) -> float:
    """2^(-age / half-life): an experience's weight halves every `half_life_days`."""
    days = max(age.total_seconds(), 0.0) / 86400.0
    return float(0.5 ** (days / half_life_days))


def trust_score(experiences: Iterable[Experience], now: datetime, policy: Policy) -> float:
    """score = clamp(1 - sum_poor w_p * 2^(-age/h) + sum_good w_g * 2^(-age/h), 0, 1).

    Each poor experience costs `poor_weight` when fresh and half as much after each half-life `h`;
    a recent success by the AI earns back `good_weight`. Future-dated entries count as fresh.
    """
    total = 1.0
    for e in experiences:
        if e.at > now + timedelta(days=1):
            continue
        weight = decay(now - e.at, policy.half_life_days)
        total += -policy.poor_weight * weight if e.poor else policy.good_weight * weight
    return round(min(1.0, max(0.0, total)), 4)


def poor_in_window(experiences: Iterable[Experience], at: datetime, policy: Policy) -> list[Experience]:
    """Poor experiences within the policy window ending at `at`."""
    start = at - timedelta(days=policy.window_days)
    return [e for e in experiences if e.poor and start < e.at <= at]


def is_averse(experiences: Iterable[Experience], at: datetime, policy: Policy) -> bool:
    """True when the customer has reached `max_poor` poor experiences within the window ending at `at`."""
    return len(poor_in_window(experiences, at, policy)) >= policy.max_poor


def buckets(since: datetime, until: datetime, step: timedelta) -> list[tuple[datetime, datetime]]:
    """Consecutive [start, end) intervals covering [since, until)."""
    out = []
    start = since
    while start < until:
        out.append((start, min(start + step, until)))
        start += step
    return out


def trust_index(
    history: Mapping[str, Sequence[Experience]], since: datetime, until: datetime, step: timedelta, policy: Policy
) -> list[dict[str, object]]:
    """Per bucket and group: active customers, automation-averse share at the bucket end, recoveries.

    A customer is active in a group's bucket when one of their experiences in the bucket carries that
    group. A recovery is an AI success for a customer who was automation-averse just before it.
    """
    rows: list[dict[str, object]] = []
    for start, end in buckets(since, until, step):
        active: dict[str | None, set[str]] = defaultdict(set)
        averse: dict[str | None, int] = defaultdict(int)
        recoveries: dict[str | None, int] = defaultdict(int)
        for customer, exps in history.items():
            in_bucket = [e for e in exps if start <= e.at < end]
            groups = {e.group for e in in_bucket}
            for group in groups:
                active[group].add(customer)
                if is_averse(exps, end, policy):
                    averse[group] += 1
            for e in in_bucket:
                if not e.poor and is_averse(exps, e.at - timedelta(microseconds=1), policy):
                    recoveries[e.group] += 1
        for group in sorted(active, key=lambda g: (g is None, g or "")):
            n = len(active[group])
            rows.append(
                {
                    "bucket_start": start,
                    "group": group,
                    "customers": n,
                    "averse": averse[group],
                    "averse_share": round(averse[group] / n, 4) if n else 0.0,
                    "recoveries": recoveries[group],
                }
            )
    return rows


def contact_index(
    contacts: Mapping[K, tuple[C, datetime]], history: Mapping[C, Sequence[Experience]], policy: Policy
) -> dict[K, float]:
    """Trust index of single contacts: 100 when the contact's customer was not automation-averse as of the
    contact (`is_averse` at its start: the policy window ending then, the contact's own entries included),
    else 0. The mean over a set of contacts is 100 x (1 - the contact-weighted averse share), the per-contact
    form of `trust_index`.

    Args:
        contacts: contact key -> (customer key, start time).
        history: customer key -> the customer's experiences (any order; only poor ones matter).
        policy: the routing policy (`max_poor` within `window_days`).
    """
    poor: dict[C, tuple[list[datetime], list[Experience]]] = {}
    for customer, exps in history.items():
        ordered = sorted((e for e in exps if e.poor), key=lambda e: e.at)
        poor[customer] = ([e.at for e in ordered], ordered)
    window = timedelta(days=policy.window_days)
    out: dict[K, float] = {}
    for key, (customer, at) in contacts.items():
        times, ordered = poor.get(customer) or ([], [])
        recent = ordered[bisect.bisect_right(times, at - window) : bisect.bisect_right(times, at)]
        out[key] = 0.0 if is_averse(recent, at, policy) else 100.0
    return out
