"""The live view: the last minutes per queue and per team, from contact rows and agents' latest states."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

NONE_LABEL = "(none)"


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


class _Acc:
    """Running sums of one queue or team."""

    __slots__ = ("abandoned", "contacts", "in_progress", "sent_n", "sent_sum", "sl_den", "sl_met")

    def __init__(self) -> None:
        self.contacts = self.in_progress = self.abandoned = self.sl_den = self.sl_met = self.sent_n = 0
        self.sent_sum = 0.0

    def add(self, row: Mapping[str, Any]) -> None:
        self.contacts += 1
        self.in_progress += 0 if row.get("ended") else 1
        abandoned = row.get("outcome") == "abandoned"
        self.abandoned += int(abandoned)
        wait = _number(row.get("wait_s"))
        if wait is not None:
            self.sl_den += 1
            self.sl_met += int(not abandoned and wait <= float(row.get("sl_threshold_s") or 20.0))
        sentiment = _number(row.get("sentiment_end"))
        if sentiment is not None:
            self.sent_n += 1
            self.sent_sum += sentiment

    def view(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts,
            "in_progress": self.in_progress,
            "abandoned": self.abandoned,
            "service_level": round(self.sl_met / self.sl_den, 4) if self.sl_den else None,
            "sentiment": round(self.sent_sum / self.sent_n, 3) if self.sent_n else None,
        }


def summarise(contacts: Iterable[Mapping[str, Any]], states: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Per queue and per team: contacts, in progress (waiting or being served), abandoned, service level and
    mean latest customer sentiment; per team: agents by their latest state.

    Service level = contacts answered within the queue threshold / contacts with a known wait
    (`attributes.wait_s`), as in the historical metric; None when no wait is known.
    """
    queues: dict[str, _Acc] = defaultdict(_Acc)
    teams: dict[str, _Acc] = defaultdict(_Acc)
    total = _Acc()
    for row in contacts:
        queues[row.get("queue") or NONE_LABEL].add(row)
        teams[row.get("team") or NONE_LABEL].add(row)
        total.add(row)
    by_team: dict[str, Counter[str]] = defaultdict(Counter)
    for team, state in states:
        by_team[team or NONE_LABEL][state] += 1
    team_names = sorted(set(teams) | set(by_team))
    return {
        "totals": {**total.view(), "agents": dict(sum(by_team.values(), Counter()))},
        "queues": [{"queue": q, **queues[q].view()} for q in sorted(queues)],
        "teams": [{"team": t, **teams[t].view(), "agents": dict(by_team.get(t, Counter()))} for t in team_names],
    }


def table_rows(snapshot: Mapping[str, Any], table: str) -> list[dict[str, Any]]:
    """The rows of one wallboard table ('queues' or 'teams') for an export: a team's agents by state become one
    column per state seen on the board (`agents_<state>`, 0 where the team has none)."""
    if table == "queues":
        return [dict(q) for q in snapshot["queues"]]
    states = sorted({s for t in snapshot["teams"] for s in t["agents"]})
    return [
        {**{k: v for k, v in t.items() if k != "agents"}, **{f"agents_{s}": t["agents"].get(s, 0) for s in states}}
        for t in snapshot["teams"]
    ]
