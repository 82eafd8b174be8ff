"""Freshness of what an answer cites: whether each article is current, past its review date, or superseded by a
newer article that states a different fact (the health report's conflicts), so a search or an answer never
presents a stale passage as plainly as a current one.

Pure: built from the health inputs (articles and their conflict pairs) and the audience tags of each article's
source; a conflicting article is named to a caller only if that caller may see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cxops.domains.knowledge.compute.health import ArticleInfo
from cxops.domains.knowledge.compute.search import Access, allowed

#: Order of the statuses, best first (an answer lists its passages in this order, confidence breaking ties).
STATUS_ORDER = {"current": 0, "review_overdue": 1, "superseded": 2}


@dataclass(frozen=True, slots=True)
class Audience:
    """The audience tags of an article's source (empty = unrestricted)."""

    roles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()

    def admits(self, access: Access) -> bool:
        if access.see_all:
            return True
        tags = ((self.roles, access.role), (self.regions, access.region), (self.tiers, access.tier))
        return all(allowed(values, wanted) for values, wanted in tags)


@dataclass(frozen=True, slots=True)
class Disagreement:
    """This article and `other` state different facts on the same topic."""

    other: str
    other_title: str
    other_source: str
    unit: str
    says: str
    other_says: str
    other_is_newer: bool


@dataclass(slots=True)
class ArticleState:
    """What freshness knows of one article."""

    review_due_at: datetime
    audience: Audience
    disagreements: list[Disagreement] = field(default_factory=list)


def states(
    items: Sequence[ArticleInfo], conflict_rows: Sequence[dict[str, Any]], audiences: dict[str, Audience]
) -> dict[str, ArticleState]:
    """Article id -> its state, from the health report's articles and conflict rows (`a`, `b`, `a_says`,
    `b_says`, `unit`, `newer`)."""
    by_id = {a.id: a for a in items}
    out = {a.id: ArticleState(a.review_due_at, audiences.get(a.id, Audience())) for a in items}
    for row in conflict_rows:
        a, b = by_id.get(row["a"]), by_id.get(row["b"])
        if a is None or b is None:
            continue
        for me, other, says, other_says in ((a, b, row["a_says"], row["b_says"]), (b, a, row["b_says"], row["a_says"])):
            out[me.id].disagreements.append(
                Disagreement(other.id, other.title, other.source, str(row["unit"]), str(says), str(other_says),
                             other_is_newer=row["newer"] == other.id)
            )  # fmt: skip
    return out


def assess(article_id: str, known: dict[str, ArticleState], access: Access, now: datetime) -> dict[str, Any]:
    """The freshness of one cited article for this caller: `status` (current / review_overdue / superseded),
    `notes` (plain sentences) and `conflicts` (only with articles the caller may see)."""
    state = known.get(article_id)
    if state is None:  # removed since the index was built, or not yet seen by the health inputs
        return {"status": "current", "notes": [], "conflicts": []}
    status, notes = "current", []
    conflicts = []
    for d in state.disagreements:
        other = known.get(d.other)
        if other is None or not other.audience.admits(access):
            continue
        conflicts.append({
            "article_id": d.other, "title": d.other_title, "source": d.other_source, "unit": d.unit,
            "says": d.says, "other_says": d.other_says, "other_is_newer": d.other_is_newer,
        })  # fmt: skip
        if d.other_is_newer:
            status = "superseded"
            notes.append(f"The newer article '{d.other_title}' ({d.other_source}) states otherwise: \"{d.other_says}\"")
        else:
            notes.append(f"The older article '{d.other_title}' ({d.other_source}) states otherwise: \"{d.other_says}\"")
    if state.review_due_at < now:
        notes.insert(0, f"Review overdue by {(now - state.review_due_at).days} days")
        if status == "current":
            status = "review_overdue"
    return {"status": status, "notes": notes, "conflicts": conflicts}


def order_for_answer(passages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grounded passages with current articles first, then overdue, then superseded; by confidence within each."""
    return sorted(
        passages,
        key=lambda p: (STATUS_ORDER.get((p.get("freshness") or {}).get("status", "current"), 0), -p["confidence"]),
    )


def warnings(passages: Sequence[dict[str, Any]]) -> list[str]:
    """One sentence per conflict among or with the cited articles (each pair once), for the answer's reader."""
    seen: set[frozenset[str]] = set()
    out = []
    for p in passages:
        fresh = p.get("freshness") or {}
        me = p["citation"]
        for c in fresh.get("conflicts", []):
            pair = frozenset((str(me["article_id"]), str(c["article_id"])))
            if pair in seen:
                continue
            seen.add(pair)
            mine, theirs = f"'{me['title']}' ({me['source']})", f"'{c['title']}' ({c['source']})"
            newer, older = (theirs, mine) if c["other_is_newer"] else (mine, theirs)
            out.append(
                f'{mine} says "{c["says"]}" but {theirs} says "{c["other_says"]}": {newer} is the more recent; '
                f"{older} needs review."
            )
    return out
