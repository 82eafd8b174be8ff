"""Pilot outcomes per interaction, joined across time: verified resolution, repeat contact, escalation, cost."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

#: (customer id, intent, started_at) of a contact: all that finding repeats needs of the customers' other contacts
Visit = tuple[str, str | None, datetime]


@dataclass(frozen=True, slots=True)
class Contact:
    """The facts of one interaction that pilots need."""

    id: str
    customer_id: str
    intent: str | None
    started_at: datetime
    outcome: str | None
    handed_off: bool
    handle_s: float
    csat: int | None
    survey_answered: bool

    @property
    def visit(self) -> Visit:
        return (self.customer_id, self.intent, self.started_at)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One in-scope interaction with its arm and its outcomes (None while its repeat window is still open)."""

    contact: Contact
    arm: str
    verified_resolved: bool | None
    repeat_contact: bool | None
    escalated: bool


def assign_arm(salt: str, customer_id: str, holdout_share: float) -> str:
    """Deterministic randomised assignment by customer: 'control' with probability holdout_share."""
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    return "control" if u < holdout_share else "treatment"


def outcomes(
    in_scope: list[Contact],
    history: Iterable[Visit],
    *,
    salt: str,
    holdout_share: float,
    repeat_window: timedelta,
    data_until: datetime,
) -> list[Outcome]:
    """Outcomes of the in-scope contacts, using `history` (the same customers' contacts, as `Visit`s) to find repeats.

    A contact is a repeat-contact failure when the same customer contacts again on the same intent within
    `repeat_window`. It counts as verified resolved only if it was resolved and that window has fully passed
    without a repeat: a customer who merely went quiet in the last days is not counted yet (None).
    """
    later: dict[tuple[str, str | None], list[datetime]] = defaultdict(list)
    for customer_id, intent, started_at in history:
        later[(customer_id, intent)].append(started_at)
    for times in later.values():
        times.sort()
    out = []
    for c in in_scope:
        window_end = c.started_at + repeat_window
        times = later.get((c.customer_id, c.intent), [])
        after = bisect_right(times, c.started_at)  # the first contact strictly later: a repeat if in the window
        repeated = after < len(times) and times[after] <= window_end
        closed = window_end <= data_until
        escalated = c.outcome == "escalated" or c.handed_off
        if repeated:
            verified: bool | None = False
            repeat: bool | None = True
        elif closed:
            verified, repeat = c.outcome == "resolved", False
        else:
            verified, repeat = None, None
        out.append(Outcome(c, assign_arm(salt, c.customer_id, holdout_share), verified, repeat, escalated))
    return out
