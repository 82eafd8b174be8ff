"""Genesys Cloud transcript importer on fixtures shaped after the published transcript schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cxops.contracts.interactions import InteractionIn, LineResult
from cxops.integrations.importers import UnusableInput
from tests.unit.importers._util import FIXTURES, errors_of, only, run

CALL = FIXTURES / "genesys" / "call_transcript.json"
MESSAGING = FIXTURES / "genesys" / "messaging_transcripts.json"


def test_call_maps_phrases_speakers_offsets_and_sentiment() -> None:
    doc = json.loads(CALL.read_text())
    rec = only(run("genesys", CALL))
    phrases = doc["transcripts"][0]["phrases"]
    assert rec.source == "genesys" and rec.external_id == doc["conversationId"] and rec.channel.value == "voice"
    assert rec.started_at == datetime.fromtimestamp(doc["conversationStartTime"] / 1000, tz=UTC)
    assert len(rec.turns) == len(phrases) == 10
    expected = ["agent" if p["participantPurpose"] == "internal" else "customer" for p in phrases]
    assert [t.speaker.value for t in rec.turns] == expected
    # offsets run from the conversation start (IVR and queue time included), not from the recording start
    assert [t.offset_ms for t in rec.turns] == [p["startTimeMs"] - doc["conversationStartTime"] for p in phrases]
    assert rec.turns[0].end_offset_ms == rec.turns[0].offset_ms + phrases[0]["duration"]["milliseconds"]
    assert rec.turns[1].text == phrases[1]["decoratedText"]
    assert rec.turns[1].sentiment == pytest.approx(-3.0)  # -0.6 on Genesys' -1..1 scale
    assert all(t.sentiment is None or -5 <= t.sentiment <= 5 for t in rec.turns)
    assert rec.queue == "genesys:61a4c2e8-billing-voice"
    assert [(p.agent, p.role.value) for p in rec.participants] == [("genesys:7e1f9b3a-agent-dana", "primary")]
    assert {t.agent for t in rec.turns if t.speaker.value == "agent"} == {"genesys:7e1f9b3a-agent-dana"}
    assert rec.ended_at == datetime.fromtimestamp((doc["startTime"] + 48000) / 1000, tz=UTC)
    assert rec.attributes["topics"] == "Billing dispute,Refund"
    assert rec.attributes["communication_id"] == doc["communicationId"]
    assert rec.language == "en-us"


def test_array_of_digital_conversations_with_bot_handoff() -> None:
    results = run("genesys", MESSAGING)
    assert [n for n, _ in results] == [1, 2]
    first, second = (r for _, r in results)
    assert isinstance(first, InteractionIn) and isinstance(second, InteractionIn)
    assert first.channel.value == "messaging" and second.channel.value == "chat"
    assert [t.speaker.value for t in first.turns] == ["customer", "ai", "customer", "ai", "system", "agent", "customer"]
    assert [(p.agent, p.kind.value, p.role.value) for p in first.participants] == [
        ("genesys-bot:flow-delivery-bot", "ai", "primary"),
        ("genesys:user-priya", "human", "handoff"),
    ]
    assert first.participants[1].joined_offset_ms == 70000
    assert first.turns[0].sentiment == pytest.approx(-2.0) and first.turns[-1].sentiment == pytest.approx(3.0)
    assert second.turns[1].agent == "genesys-bot:flow-delivery-bot"
    assert [p.kind.value for p in second.participants] == ["ai"]


def test_relative_phrase_times_and_ndjson_input() -> None:
    doc = json.loads(CALL.read_text())
    base = doc["transcripts"][0]["startTime"]
    for phrase in doc["transcripts"][0]["phrases"]:
        phrase["startTimeMs"] -= base  # some exports give offsets from the transcript start
    other = {**doc, "conversationId": "second"}
    lines = (json.dumps(doc) + "\n\n" + json.dumps(other) + "\n").encode()
    results = run("genesys", lines)
    assert [n for n, _ in results] == [1, 3]  # NDJSON records are numbered by line
    rec = results[0][1]
    assert isinstance(rec, InteractionIn)
    assert rec.turns[0].offset_ms == base + 3200 - doc["conversationStartTime"]


def test_missing_keys_and_unknown_values_are_specific_errors_and_other_records_kept() -> None:
    good = json.loads(CALL.read_text())
    no_id = {k: v for k, v in good.items() if k != "conversationId"}
    bad_purpose = json.loads(CALL.read_text())
    bad_purpose["conversationId"] = "c-3"
    bad_purpose["transcripts"][0]["phrases"][4]["participantPurpose"] = "martian"
    bad_media = {**good, "conversationId": "c-4", "mediaType": "carrier-pigeon"}
    no_time = {**good, "conversationId": "c-5"}
    for key in ("conversationStartTime", "startTime"):
        no_time.pop(key)
    no_time["transcripts"] = [{k: v for k, v in no_time["transcripts"][0].items() if k != "startTime"}]
    no_time["transcripts"][0]["phrases"] = [
        {**p, "startTimeMs": p["offset"]["milliseconds"]} for p in no_time["transcripts"][0]["phrases"]
    ]
    results = run("genesys", json.dumps([good, no_id, bad_purpose, bad_media, no_time, 7]).encode())
    assert [n for n, _ in results] == [1, 2, 3, 4, 5, 6]
    assert isinstance(results[0][1], InteractionIn)
    assert "conversationId" in errors_of(results[1][1])
    assert "martian" in errors_of(results[2][1])["transcripts[0].phrases[4].participantPurpose"]
    assert "mediaType" in errors_of(results[3][1])
    assert "--started-at" in errors_of(results[4][1])["conversationStartTime"]
    assert "(record)" in errors_of(results[5][1])
    fixed = run("genesys", json.dumps(no_time).encode(), started_at=datetime(2025, 1, 1, tzinfo=UTC))
    rec = only(fixed)
    assert rec.started_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert [t.offset_ms for t in rec.turns][:2] == [3200, 7400]


def test_corrupt_json_after_good_records_keeps_them() -> None:
    good = CALL.read_text()
    raw = ("[" + good + "," + good.replace("conversationId", "conversationId", 1)[:500]).encode()
    results = run("genesys", raw)
    assert isinstance(results[0][1], InteractionIn)
    assert results[1][0] == 2 and isinstance(results[1][1], LineResult)
    assert "invalid JSON after record 1" in errors_of(results[1][1])["(record)"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"conversationId\n", "not JSON"),
        (b"[{,}]", "not valid JSON"),
        ('{"conversationId": "x"}'.encode("utf-16"), "UTF-16"),
        ('[{"conversationId": "café"}]'.encode("latin-1"), "not valid UTF-8"),
        ('{\n"conversationId": "café"\n}'.encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_unusable_files(raw: bytes, message: str) -> None:
    with pytest.raises(UnusableInput, match=message):
        run("genesys", raw)


def test_a_non_utf8_document_after_good_ones_is_reported_and_the_good_ones_kept() -> None:
    good = CALL.read_text()
    raw = b"[" + good.encode() + b"," + '{"conversationId": "café"}'.encode("latin-1") + b"]"
    results = run("genesys", raw)
    assert isinstance(results[0][1], InteractionIn)
    assert "not valid UTF-8" in errors_of(results[1][1])["(record)"]
