"""Outcomes of in-scope contacts from the same customers' visits: where a repeat-contact window starts and ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxops.domains.pilots.compute.outcomes import Contact, outcomes

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def _contact(customer: str, intent: str | None, at: datetime, outcome: str = "resolved") -> Contact:
    return Contact(f"{customer}-{at:%d%H%M}", customer, intent, at, outcome, False, 60.0, None, False)


def test_a_repeat_is_a_later_visit_on_the_same_intent_within_the_window_end_included() -> None:
    contacts = [
        _contact("a", "billing", T0),  # back exactly at the window's end: a repeat
        _contact("b", "billing", T0),  # back just after the window: verified
        _contact("c", "billing", T0),  # another visit at the same instant is not later: verified
        _contact("d", "billing", T0),  # back on another intent: verified
        _contact("e", None, T0),  # no intent: a later visit without one is the same intent
        _contact("f", "billing", T0, outcome="escalated"),  # not resolved, no repeat: not verified
    ]
    visits = [c.visit for c in contacts] + [
        ("a", "billing", T0 + timedelta(days=1)),
        ("a", "billing", T0 + WEEK),
        ("b", "billing", T0 + WEEK + timedelta(seconds=1)),
        ("b", "billing", T0 - timedelta(days=1)),  # an earlier visit is no repeat
        ("c", "billing", T0),
        ("d", "address", T0 + timedelta(days=1)),
        ("e", None, T0 + timedelta(days=2)),
    ]
    rows = outcomes(
        contacts, visits, salt="s", holdout_share=0.5, repeat_window=WEEK, data_until=T0 + timedelta(days=30)
    )
    got = {o.contact.customer_id: (o.verified_resolved, o.repeat_contact) for o in rows}
    assert got == {
        "a": (False, True),
        "b": (True, False),
        "c": (True, False),
        "d": (True, False),
        "e": (False, True),
        "f": (False, False),
    }


def test_a_contact_whose_window_has_not_closed_waits_unless_it_was_already_repeated() -> None:
    contacts = [_contact("a", "billing", T0), _contact("b", "billing", T0)]
    visits = [c.visit for c in contacts] + [("a", "billing", T0 + timedelta(days=2))]
    rows = outcomes(
        contacts, visits, salt="s", holdout_share=0.5, repeat_window=WEEK, data_until=T0 + timedelta(days=3)
    )
    assert [(o.verified_resolved, o.repeat_contact) for o in rows] == [(False, True), (None, None)]
