"""The per-contact trust index: the trust domain's averse rule (`is_averse`) evaluated at each contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxops.domains.trust.compute.ledger import Experience, Policy, contact_index, is_averse

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_a_contact_scores_zero_once_its_customer_is_averse() -> None:
    history = {
        "ann": [Experience("ai_escalated", day(1)), Experience("resolved_by_ai", day(2)),
                Experience("repeat_contact", day(5))],
        "bob": [Experience("ai_escalated", day(1))],
    }  # fmt: skip
    contacts = {
        "a-before": ("ann", day(1)),  # one poor experience (its own) of the two the policy needs
        "a-second": ("ann", day(5)),  # the second poor one is this contact's own entry: averse as of it
        "a-later": ("ann", day(20)),  # both still inside the 30-day window
        "a-expired": ("ann", day(31.5)),  # the day-1 entry has left the window: one poor experience left
        "b-only": ("bob", day(3)),
        "nobody": ("cid", day(3)),  # no ledger history: not averse
    }
    got = contact_index(contacts, history, Policy(max_poor=2, window_days=30))
    assert got == {"a-before": 100.0, "a-second": 0.0, "a-later": 0.0, "a-expired": 100.0, "b-only": 100.0,
                   "nobody": 100.0}  # fmt: skip


def test_it_agrees_with_is_averse_at_every_contact() -> None:
    policy = Policy(max_poor=3, window_days=10)
    exps = [Experience("ai_escalated" if i % 3 else "resolved_by_ai", day(i * 0.7)) for i in range(60)]
    contacts = {i: ("c", day(i * 0.55)) for i in range(80)}
    got = contact_index(contacts, {"c": exps}, policy)
    assert got == {i: 0.0 if is_averse(exps, at, policy) else 100.0 for i, (_, at) in contacts.items()}
    assert set(got.values()) == {0.0, 100.0}


def test_the_policy_threshold_decides() -> None:
    history = {"ann": [Experience("ai_escalated", day(1))]}
    contacts = {"x": ("ann", day(2))}
    assert contact_index(contacts, history, Policy(max_poor=1))["x"] == 0.0
    assert contact_index(contacts, history, Policy(max_poor=2))["x"] == 100.0
