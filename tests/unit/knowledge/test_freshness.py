"""Freshness of cited articles: statuses, who may be told of a conflict, answer order and warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxops.domains.knowledge.compute.freshness import Audience, assess, order_for_answer, states, warnings
from cxops.domains.knowledge.compute.health import ArticleInfo
from cxops.domains.knowledge.compute.search import Access

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def _info(id_: str, source: str, due_in_days: int, as_of_days_ago: int) -> ArticleInfo:
    return ArticleInfo(id_, source, f"Refunds ({source})", "", NOW + timedelta(days=due_in_days),
                       NOW - timedelta(days=as_of_days_ago))  # fmt: skip


ITEMS = [_info("new", "help", 100, 10), _info("old", "faq", -30, 700), _info("hidden", "playbook", 100, 400)]
ROWS = [
    {"a": "old", "b": "new", "a_says": "within 14 days", "b_says": "within 30 days", "unit": "days", "newer": "new"},
    {"a": "new", "b": "hidden", "a_says": "within 30 days", "b_says": "within 60 days", "unit": "days",
     "newer": "new"},
]  # fmt: skip
KNOWN = states(ITEMS, ROWS, {"hidden": Audience(roles=("supervisor",))})
AGENT = Access(role="agent")


def test_statuses_and_notes() -> None:
    old = assess("old", KNOWN, AGENT, NOW)
    assert old["status"] == "superseded"
    assert old["notes"][0] == "Review overdue by 30 days" and "within 30 days" in old["notes"][1]
    new = assess("new", KNOWN, AGENT, NOW)
    assert new["status"] == "current"  # it conflicts, but it is the newer statement
    assert [c["article_id"] for c in new["conflicts"]] == ["old"] and not new["conflicts"][0]["other_is_newer"]
    assert assess("unknown", KNOWN, AGENT, NOW) == {"status": "current", "notes": [], "conflicts": []}
    overdue_only = states([_info("x", "faq", -1, 5)], [], {})
    assert assess("x", overdue_only, AGENT, NOW)["status"] == "review_overdue"


def test_a_conflict_is_named_only_to_callers_who_may_see_the_other_article() -> None:
    assert [c["article_id"] for c in assess("new", KNOWN, AGENT, NOW)["conflicts"]] == ["old"]
    sup = assess("new", KNOWN, Access(role="supervisor"), NOW)
    assert {c["article_id"] for c in sup["conflicts"]} == {"old", "hidden"}
    assert {c["article_id"] for c in assess("new", KNOWN, Access(role="agent", see_all=True), NOW)["conflicts"]} == {
        "old",
        "hidden",
    }
    # the hidden article itself, seen by whoever may read it, is superseded by the visible one
    assert assess("hidden", KNOWN, Access(role="supervisor"), NOW)["status"] == "superseded"


def _passage(article: str, confidence: float, access: Access = AGENT) -> dict:
    return {
        "confidence": confidence,
        "citation": {"article_id": article, "title": f"Refunds ({article})", "source": article},
        "freshness": assess(article, KNOWN, access, NOW),
    }


def test_answer_order_and_one_warning_per_pair() -> None:
    ordered = order_for_answer([_passage("old", 0.9), _passage("new", 0.6)])
    assert [p["citation"]["article_id"] for p in ordered] == ["new", "old"]
    same = order_for_answer([_passage("new", 0.4), {"confidence": 0.8, "citation": {}}])
    assert [p["confidence"] for p in same] == [0.8, 0.4]  # without freshness: by confidence
    said = warnings(ordered)
    assert len(said) == 1 and "'Refunds (new)' (new) is the more recent" in said[0] and "14 days" in said[0], said
    # citing only the current article still warns that an older one states otherwise
    [alone] = warnings([_passage("new", 0.6)])
    assert "'Refunds (faq)' (faq) needs review" in alone
    for_sup = warnings([_passage("new", 0.6, Access(role="supervisor"))])
    assert len(for_sup) == 2 and any("within 60 days" in w for w in for_sup)  # the playbook too, for a supervisor
