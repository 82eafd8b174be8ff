"""Auto-documentation compute: extractive summary, disposition, action items and entities, on the demo generator's
realistic transcripts and on edge cases (empty, only system turns, huge, PII that escaped redaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from cxops.domains.assist.compute.entities import (
    TurnText,
    extract_action_items,
    extract_entities,
    find_amounts,
    find_dates,
    mask_pii,
)
from cxops.domains.assist.compute.summary import (
    MAX_UNITS,
    SCHEMA,
    InteractionFacts,
    aggregate_intent,
    candidate_units,
    document,
    generative_messages,
    infer_outcome,
    mmr_select,
    textrank,
    tfidf_vectors,
)
from cxops.integrations.demo import DemoConfig, generate

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday
REF = START.date()


def _facts(**kw: Any) -> InteractionFacts:
    return InteractionFacts(id="i-1", started_at=START, ended_at=START + timedelta(minutes=5), channel="voice", **kw)


def _turns(*pairs: tuple[str, str]) -> list[TurnText]:
    return [TurnText(i, s, t) for i, (s, t) in enumerate(pairs)]


@pytest.fixture(scope="module")
def demo_records() -> list[dict[str, Any]]:
    _, days = generate(DemoConfig(seed=11, days=1, volume=150, end=date(2026, 11, 20)))
    return next(days).interactions


def _demo_doc(rec: dict[str, Any], **kw: Any) -> dict[str, Any]:
    started = datetime.fromisoformat(rec["started_at"]) if isinstance(rec["started_at"], str) else rec["started_at"]
    facts = InteractionFacts(
        id=rec["external_id"], started_at=started, ended_at=None, channel=rec["channel"], outcome=rec.get("outcome"),
        intent=rec.get("intent"),
    )  # fmt: skip
    turns = [TurnText(i, t["speaker"], t["text"]) for i, t in enumerate(rec["turns"])]
    return document(facts, turns, generated_at=START, **kw)


def test_demo_transcripts_give_complete_versioned_documents(demo_records: list[dict[str, Any]]) -> None:
    docs = [_demo_doc(r) for r in demo_records if r["turns"]]
    assert len(docs) > 100
    for doc, rec in zip(docs, [r for r in demo_records if r["turns"]], strict=True):
        assert doc["schema"] == SCHEMA and doc["generative"] is None
        sentences = doc["summary"]["sentences"]
        assert 1 <= len(sentences) <= 6
        turn_text = {i: t["text"] for i, t in enumerate(rec["turns"])}
        for s in sentences:  # every summary sentence is quoted from the turn it cites, by a person
            assert s["text"] in turn_text[s["turn"]] and s["speaker"] in ("customer", "agent", "ai")
        assert [s["turn"] for s in sentences] == sorted(s["turn"] for s in sentences)
        assert doc["disposition"]["intent"] == rec["intent"] and doc["disposition"]["intent_source"] == "interaction"
    # the reason for contact (the customer's first substantive sentence) leads every summary that has one
    openings = sum(any(s["speaker"] == "customer" for s in d["summary"]["sentences"]) for d in docs)
    assert openings / len(docs) > 0.97


def test_demo_order_ids_amounts_and_dates_are_extracted(demo_records: list[dict[str, Any]]) -> None:
    rec = next(r for r in demo_records if any("#W" in t["text"] for t in r["turns"]) and r["channel"] == "voice")
    doc = _demo_doc(rec)
    orders = [e for e in doc["entities"] if e["type"] == "order_id"]
    assert orders and all(e["value"].startswith("W") and e["value"][1:].isdigit() for e in orders)
    for e in doc["entities"]:
        if e["type"] == "date":
            assert date.fromisoformat(e["value"])
        if e["type"] == "amount":
            assert e["currency"] in ("USD", "EUR", "AUD") and e["value"] > 0


def test_demo_commitments_become_action_items_with_due_dates(demo_records: list[dict[str, Any]]) -> None:
    items = [a for r in demo_records if r["turns"] for a in _demo_doc(r)["action_items"]]
    assert items, "the demo's agents make commitments ('will ship tomorrow', 'in 3 to 5 days')"
    assert all(a["speaker"] in ("agent", "ai") for a in items)
    assert not any("transfer you" in a["text"] or a["text"].endswith("?") for a in items)
    assert any(a["due"] for a in items)


def test_action_items_owner_and_due_date() -> None:
    turns = _turns(
        ("customer", "I'll send you the photos."),
        ("agent", "I'll call you back tomorrow with an update."),
        ("agent", "The refund will be processed within 3 working days."),
        ("agent", "We will email the label by November 24."),
        ("agent", "You'll need to contact your bank."),
        ("agent", "Let me pull that up. I'll transfer you to billing."),
        ("agent", "Shall I send it now?"),
        ("agent", "The app should open normally now."),
    )
    items = extract_action_items(turns, REF)
    by_turn = {a["turn"]: a for a in items}
    assert set(by_turn) == {1, 2, 3, 4}  # not the customer, not in-call moves, not questions, not 'should' alone
    assert by_turn[1]["owner"] == "agent" and by_turn[1]["due"] == "2026-11-21"
    assert by_turn[2]["owner"] == "company" and by_turn[2]["due"] == "2026-11-25"  # 3 working days from a Friday
    assert by_turn[3]["due"] == "2026-11-24" and by_turn[4]["owner"] == "customer"


def test_amounts_carry_iso_currency() -> None:
    got = find_amounts("Refund of €45.12, then A$1,200.50 and $3, plus 20 pounds and USD 7.5 but not 3 to 5 days.")
    assert [(v, c) for _, v, c in got] == [(45.12, "EUR"), (1200.5, "AUD"), (3.0, "USD"), (20.0, "GBP"), (7.5, "USD")]


def test_dates_are_normalised_to_iso_against_the_interaction_day() -> None:
    got = dict(find_dates("on November 3, by 2 January, 2026-12-01, tomorrow, next Monday, 3rd of March 2025", REF))
    assert got == {
        "November 3": "2026-11-03",
        "2 January": "2027-01-02",  # nearest to 20 November 2026
        "2026-12-01": "2026-12-01",
        "tomorrow": "2026-11-21",
        "next Monday": "2026-11-23",
        "3rd of March 2025": "2025-03-03",
    }
    assert find_dates("February 30 and the 45th", REF) == []


def test_references_and_redacted_pii_only() -> None:
    turns = _turns(
        ("customer", "My account number is AC-99812 and the booking BK123456, case CS-445566."),
        ("customer", "Email me at [EMAIL] or jane.doe@example.com, or call +44 20 7946 0958."),
        ("agent", "Card ending in 4242, tracking 1Z9999999999."),
    )
    ents = extract_entities(turns, REF)
    kinds = {(e["type"], e["value"]) for e in ents}
    assert {("account_id", "AC-99812"), ("booking_ref", "BK123456"), ("case_id", "CS-445566")} <= kinds
    assert {("card_last4", "4242"), ("tracking_number", "1Z9999999999")} <= kinds
    assert ("email", "[EMAIL]") in kinds and ("phone", "[PHONE]") in kinds
    flat = repr(ents)
    assert "jane.doe" not in flat and "7946" not in flat
    assert mask_pii("write to jane.doe@example.com") == "write to [EMAIL]"


def test_empty_and_system_only_transcripts() -> None:
    for turns in ([], _turns(("system", "Call queued."), ("system", "Caller hung up."))):
        doc = document(_facts(), turns, generated_at=START)
        assert doc["summary"]["sentences"] == [] and doc["summary"]["text"] == ""
        assert doc["action_items"] == [] and doc["entities"] == []
        assert doc["disposition"]["intent"] is None and doc["disposition"]["outcome"] == "unknown"


def test_huge_transcript_is_bounded() -> None:
    line = "The router keeps dropping the connection every {n} minutes since the update."
    turns = [TurnText(i, "customer" if i % 2 else "agent", line.format(n=i)) for i in range(5000)]
    encoded: list[int] = []

    def encode(texts: Any) -> np.ndarray:
        encoded.append(len(texts))
        return tfidf_vectors(texts)

    doc = document(_facts(), turns, encode=encode, generated_at=START)
    assert encoded == [MAX_UNITS] and len(doc["summary"]["sentences"]) == 6
    assert doc["interaction"]["turns"] == 5000


def test_outcome_from_the_interaction_else_the_transcript() -> None:
    esc = _turns(("customer", "It broke."), ("agent", "I've escalated it as case CS-1; you'll hear back soon."))
    assert infer_outcome(esc) == "escalated"
    assert document(_facts(outcome="resolved"), esc, generated_at=START)["disposition"]["outcome"] == "resolved"
    assert infer_outcome(_turns(("customer", "Hello?"))) == "unknown"


@dataclass(frozen=True)
class _Pred:
    top: list[tuple[str, float]]
    out_of_scope: bool
    confidence: float


class _Model:
    name = "default"
    version = "3"

    def __init__(self) -> None:
        self.seen: list[tuple[list[str], tuple[int, ...]]] = []

    def predict(self, texts: Any, embeddings: np.ndarray) -> list[_Pred]:
        self.seen.append((list(texts), embeddings.shape))
        return [
            _Pred([("refund_request", 0.8), ("order_status", 0.2)], False, 0.8)
            if "refund" in t
            else _Pred([("weather", 0.3)], True, 0.3)
            for t in texts
        ]


def test_intent_from_the_model_over_customer_sentences_with_the_same_vectors() -> None:
    model = _Model()
    turns = _turns(
        ("agent", "Hello, how can I help?"),
        ("customer", "I want a refund for order #W1234567."),
        ("agent", "Sure."),
        ("customer", "Also, lovely weather today."),
    )
    doc = document(_facts(intent="ignored"), turns, encode=tfidf_vectors, intents=model, generated_at=START)
    d = doc["disposition"]
    assert d["intent"] == "refund_request" and d["intent_source"] == "model" and d["model"] == "default@3"
    assert d["confidence"] == pytest.approx(0.8) and d["alternatives"][0]["intent"] == "order_status"
    assert len(model.seen) == 1 and model.seen[0][0][0].startswith("I want a refund")
    assert doc["summary"]["method"] == "textrank-mmr/minilm"


def test_aggregate_intent_all_out_of_scope() -> None:
    assert aggregate_intent([_Pred([("x", 0.2)], True, 0.2)]) == (None, 0.0, [], True)
    assert aggregate_intent([]) == (None, 0.0, [], False)


def test_textrank_and_mmr_prefer_central_and_diverse() -> None:
    vecs = tfidf_vectors(["refund order late", "refund order late again", "refund order", "parcel weather"])
    rank = textrank(vecs)
    assert rank.argmax() in (0, 1, 2) and rank[3] == rank.min()
    picked = mmr_select(np.array([1.0, 0.6, 0.5, 0.55]), vecs, 2)
    assert picked == [0, 3]  # the near-duplicate (0.6) loses to the different one (0.55)


def test_candidate_units_skip_pleasantries() -> None:
    units = candidate_units(
        _turns(("agent", "Is there anything else I can help you with today?"), ("customer", "Bye."))
    )
    assert all(u.prior < 0.5 for u in units)


def test_generative_prompt_is_bounded_and_keeps_placeholders() -> None:
    turns = [TurnText(i, "customer", f"My email is [EMAIL] and this is line {i}. " * 5) for i in range(2000)]
    doc = document(_facts(), turns[:3], generated_at=START)
    messages = generative_messages(turns, doc)
    assert messages[0]["role"] == "system" and len(messages[1]["content"]) < 13_000
    assert "[EMAIL]" in messages[1]["content"] and "omitted" in messages[1]["content"]


def test_imperative_after_the_agents_action_is_the_customers_task() -> None:
    turns = _turns(("agent", "I've emailed you a prepaid return label; drop it at any post office within 14 days."))
    [item] = extract_action_items(turns, REF)
    assert item["owner"] == "customer" and item["due"] == "2026-12-04"
