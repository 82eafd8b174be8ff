"""Pure assist computations: frame parsing, guides, compliance rules, sentiment trend, alerts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxops.domains.assist.compute import sentiment
from cxops.domains.assist.compute.alerts import AlertState
from cxops.domains.assist.compute.compliance import ComplianceState, Rulebook
from cxops.domains.assist.compute.frames import (
    ContactLensBatch,
    EndFrame,
    FrameError,
    SegmentFrame,
    StartFrame,
    parse,
    segment_from_contact_lens,
)
from cxops.domains.assist.compute.guides import GuideBook, GuideProgress
from cxops.domains.assist.compute.phrases import normalise
from tests.conftest import SHARED_DATA

RULES = Path(__file__).resolve().parents[3] / "src" / "cxops" / "domains" / "assist" / "rules"
CL = SHARED_DATA / "amazon_connect_contact_lens"


def _err(raw: str, max_bytes: int = 16_384) -> FrameError:
    with pytest.raises(FrameError) as info:
        parse(raw, max_bytes=max_bytes)
    return info.value


def test_own_frames_parse_and_bad_ones_name_the_field() -> None:
    seg = parse('{"type":"segment","seq":3,"speaker":"customer","text":" Hi ","begin_ms":10}', max_bytes=1000)
    assert isinstance(seg, SegmentFrame) and seg.text == "Hi" and seg.end_ms is None
    assert isinstance(parse('{"type":"start"}', max_bytes=100), StartFrame)
    assert isinstance(parse('{"type":"end","outcome":"escalated"}', max_bytes=100), EndFrame)
    assert _err("[1]").code == "invalid_frame"
    assert _err("{oops").code == "malformed_json"
    assert _err('{"type":"segment"}', max_bytes=5).code == "frame_too_large"
    e = _err('{"type":"segment","seq":2,"speaker":"customer","text":"a","begin_ms":50,"end_ms":10}')
    assert e.code == "invalid_frame" and "end_ms 10 is before begin_ms 50" in e.message and e.seq == 2
    e = _err('{"type":"segment","seq":-1,"speaker":"customer","text":"a","begin_ms":0}')
    assert e.message.startswith("seq:")
    e = _err('{"type":"segment","seq":1,"speaker":"customer","text":"a\\u0000","begin_ms":0}')
    assert "NUL" in e.message
    e = _err('{"type":"start","started_at":"2026-01-01T10:00:00"}')
    assert "timezone" in e.message
    e = _err('{"type":"segment","seq":1,"speaker":"customer","text":"a","begin_ms":0,"extra":1}')
    assert e.message.startswith("extra:")


def test_contact_lens_events_map_to_frames() -> None:
    started = parse((CL / "rt_segment_stream_STARTED.json").read_text(), max_bytes=100_000)
    assert isinstance(started, StartFrame) and started.source == "amazon_connect_contact_lens"
    batch = parse((CL / "rt_segment_stream_SEGMENTS.json").read_text(), max_bytes=100_000)
    assert isinstance(batch, ContactLensBatch)
    assert batch.partials == 2 and batch.categories == ["CreditCardRelated", "CardBrokenIssue"]
    agent, customer = batch.segments
    assert agent["speaker"] == "agent" and customer["speaker"] == "customer"
    assert customer["sentiment_label"] == "NEGATIVE" and customer["issues"][0].startswith("I'm having trouble")
    seg = segment_from_contact_lens(customer, 7)
    assert seg.seq == 7 and seg.begin_ms == 19010 and seg.end_ms == 22690
    assert isinstance(parse((CL / "rt_segment_stream_COMPLETED.json").read_text(), max_bytes=100_000), EndFrame)
    bad = json.loads((CL / "rt_segment_stream_SEGMENTS.json").read_text())
    bad["Segments"][2]["Transcript"]["ParticipantRole"] = "BOT"
    assert "ParticipantRole" in _err(json.dumps(bad)).message
    assert _err('{"EventType":"PAUSED"}').message.startswith("EventType")


def test_guides_advance_as_the_agent_does_the_steps() -> None:
    book = GuideBook.from_yaml((RULES / "guides.yaml").read_text())
    guide = book.for_intent("refund_request")
    assert guide.name == "refunds" and book.for_intent("unknown").name == "default"
    progress = GuideProgress()
    assert progress.next_step(book, guide, out_of_scope=True)["step"] == "clarify_reason"
    assert progress.observe(guide, normalise("Can I take your name and postcode to verify the account?"), 2) == [
        "verify_identity"
    ]
    card = progress.next_step(book, guide, out_of_scope=False)
    assert card["step"] == "look_up" and card["done"] == 1 and card["of"] == 5
    for text in ("I have order #W1 here.", "It's within our 30-day window.", "Just to confirm, shall I go ahead?",
                 "I've issued a refund of $20."):  # fmt: skip
        progress.observe(guide, normalise(text), 3)
    assert progress.next_step(book, guide, out_of_scope=False)["step"] is None
    with pytest.raises(ValueError, match=r"families.x.hints: unknown step 'nope'"):
        GuideBook.from_yaml(
            "steps: [{id: a, title: A, hint: h, done_when: [x]}]\nclarify: {id: c, title: C, hint: h}\n"
            "families: {x: {intents: [i], hints: {nope: y}}}"
        )
    with pytest.raises(ValueError, match=r"steps\[0\].done_when"):
        GuideBook.from_yaml("steps: [{id: a, title: A, hint: h, done_when: []}]")


def test_compliance_reminds_then_misses_and_catches_prohibited_phrases() -> None:
    book = Rulebook.from_yaml((RULES / "compliance.yaml").read_text())
    state = ComplianceState(channel="voice")
    assert {r["rule"] for r in state.reminders(book)} == {"recording_disclosure", "data_protection"}
    assert state.observe_agent(book, normalise("Hello, this call is being recorded for quality."), 0) == []
    assert state.observe_agent(book, normalise("I guarantee it arrives tomorrow."), 1)[0]["rule"] == "guarantee"
    assert state.observe_agent(book, normalise("Okay."), 2) == []
    missed = state.observe_agent(book, normalise("Right."), 3)
    assert [m["rule"] for m in missed] == ["data_protection"]
    assert any(r["rule"] == "data_protection" and r["overdue"] for r in state.reminders(book))
    chat = ComplianceState(channel="chat")
    assert "recording_disclosure" not in {r["rule"] for r in chat.reminders(book)}
    with pytest.raises(ValueError, match=r"required\[0\].by_agent_turn"):
        Rulebook.from_yaml("required: [{id: a, title: A, phrases: [x]}]")


def test_sentiment_scale_trend_and_drop() -> None:
    assert sentiment.score("This is awful, I hate it") < -2 < 2 < sentiment.score("Brilliant, thank you so much!")
    assert sentiment.slope([1, 2, 3]) == pytest.approx(1.0) and sentiment.slope([4]) == 0.0
    track = sentiment.SpeakerSentiment()
    for v in (3.0, 2.0, 0.0, -2.0):
        track.add(v)
    view = track.view()
    assert view["trend"] == "falling" and view["score"] == -2.0
    assert track.drop() == pytest.approx(4.0)  # best mean of two (3.0) to the last two (-1.0)


def test_alerts_are_raised_once_per_kind() -> None:
    state = AlertState()
    text = normalise("This is unacceptable, I want your manager")
    risk = state.escalation_risk(speaker="customer", text_norm=text, score=-3.5, drop=0.0, issues=1,
                                 negative_label=True, intent="complaint_service")  # fmt: skip
    assert risk >= 0.6
    first = state.on_segment(seq=1, speaker="customer", text_norm=text, score=-3.5, drop=0.0, begin_ms=0,
                             gap_ms=None, silence_ms=20_000)  # fmt: skip
    assert {a["kind"] for a in first} == {"sentiment_drop", "escalation_risk"}
    again = state.on_segment(seq=2, speaker="customer", text_norm=text, score=-4.0, drop=4.0, begin_ms=1000,
                             gap_ms=None, silence_ms=20_000)  # fmt: skip
    assert again == []
    hold = state.on_segment(seq=3, speaker="agent", text_norm=normalise("Bear with me one moment"), score=0.0,
                            drop=0.0, begin_ms=2000, gap_ms=100, silence_ms=20_000)  # fmt: skip
    assert hold == [] and state.on_hold_since_ms == 2000
    long = state.on_segment(seq=4, speaker="agent", text_norm=normalise("Thanks for holding"), score=0.0, drop=0.0,
                            begin_ms=40_000, gap_ms=38_000, silence_ms=20_000)  # fmt: skip
    assert long[0]["kind"] == "long_silence" and "hold of 38 s" in long[0]["message"]
    assert state.on_idle(60, 30) == []  # already raised
    misses = state.on_compliance(
        [{"rule": "guarantee", "kind": "prohibited", "title": "T", "phrase": "i promise", "seq": 5}]
    )
    assert misses[0]["kind"] == "compliance_miss" and "said 'i promise'" in misses[0]["message"]
