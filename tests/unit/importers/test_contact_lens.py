"""Contact Lens importer on Amazon's published example outputs (voice and chat, original and redacted)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cxops.integrations.importers import UnusableInput
from cxops.integrations.importers.contact_lens import SENTIMENT, name_hints
from tests.unit.importers._util import CONTACT_LENS, errors_of, only, run

VOICE = CONTACT_LENS / "voice_call_analysis_original.json"
CHAT = CONTACT_LENS / "chat_analysis_original.json"
CONTACT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
START = datetime(2022, 11, 30, 14, 5, tzinfo=UTC)


def test_voice_maps_turns_speakers_offsets_and_talk_time() -> None:
    doc = json.loads(VOICE.read_text())
    rec = only(run("contact-lens", VOICE, external_id=CONTACT, started_at=START, agent="a-17"))
    assert rec.channel.value == "voice" and rec.source == "contact-lens" and rec.external_id == CONTACT
    assert len(rec.turns) == len(doc["Transcript"]) == 10
    assert [t.speaker.value for t in rec.turns] == [i["ParticipantId"].lower() for i in doc["Transcript"]]
    assert [t.offset_ms for t in rec.turns] == [i["BeginOffsetMillis"] for i in doc["Transcript"]]
    assert [t.end_offset_ms for t in rec.turns] == [i["EndOffsetMillis"] for i in doc["Transcript"]]
    assert rec.started_at == START
    assert rec.ended_at == START + timedelta(
        milliseconds=doc["ConversationCharacteristics"]["TotalConversationDurationMillis"]
    )
    assert rec.talk_s == pytest.approx(28.698)
    assert rec.language == "en-US"
    assert [p.agent for p in rec.participants] == ["a-17"]
    assert {t.agent for t in rec.turns if t.speaker.value == "agent"} == {"a-17"}
    assert rec.attributes["sentiment_overall_customer"] == pytest.approx(3.1)
    assert rec.attributes["issues_detected"] == 1


def test_voice_turn_sentiment_reproduces_contact_lens_period_scores() -> None:
    """Contact Lens scores a period as the mean of the labels of the turns starting in it: our scale must agree."""
    doc = json.loads(VOICE.read_text())
    rec = only(run("contact-lens", VOICE, external_id=CONTACT, started_at=START))
    assert all(t.sentiment is not None and -5 <= t.sentiment <= 5 for t in rec.turns)
    for role, periods in doc["ConversationCharacteristics"]["Sentiment"]["SentimentByPeriod"]["QUARTER"].items():
        for period in periods:
            inside = [
                t.sentiment
                for t in rec.turns
                if t.speaker.value == role.lower()
                and period["BeginOffsetMillis"] <= t.offset_ms < period["EndOffsetMillis"]
            ]
            assert inside, (role, period)
            assert sum(inside) / len(inside) == pytest.approx(period["Score"]), (role, period)


def test_voice_start_and_contact_id_come_from_amazon_file_name() -> None:
    name = f"{CONTACT}_analysis_2022-11-30T14:05:00Z.json"
    rec = only(run("contact-lens", VOICE.read_bytes(), file_name=name))
    assert rec.external_id == CONTACT
    assert rec.started_at == START
    assert name_hints(f"{CONTACT}_analysis_redacted_2021-09-09T18_13_13Z.json") == (
        CONTACT,
        datetime(2021, 9, 9, 18, 13, 13, tzinfo=UTC),
    )
    assert name_hints("voice_call_analysis_original.json") == (None, None)


def test_voice_without_start_time_or_contact_id_is_a_specific_error() -> None:
    no_start = run("contact-lens", VOICE, external_id=CONTACT)
    assert "--started-at" in errors_of(no_start[0][1])["started_at"]
    no_id = run("contact-lens", VOICE, started_at=START)
    assert no_id[0][0] == 1
    assert "--external-id" in errors_of(no_id[0][1])["CustomerMetadata.ContactId"]


def test_chat_maps_messages_times_roles_and_categories() -> None:
    doc = json.loads(CHAT.read_text())
    rec = only(run("contact-lens", CHAT))
    messages = [i for i in doc["Transcript"] if i["Type"] == "MESSAGE"]
    assert rec.channel.value == "chat"
    assert rec.external_id == doc["CustomerMetadata"]["ContactId"]
    assert len(rec.turns) == len(messages) == 31
    assert [t.speaker.value for t in rec.turns] == [m["ParticipantRole"].lower() for m in messages]
    assert rec.started_at == datetime(2022, 10, 27, 3, 31, 50, 735000, tzinfo=UTC)
    assert rec.ended_at == datetime(2022, 10, 27, 3, 34, 43, 192000, tzinfo=UTC)
    first_agent = next(t for t in rec.turns if t.speaker.value == "agent")
    assert first_agent.offset_ms == 12727  # 03:32:03.462 - 03:31:50.735
    offsets = [t.offset_ms for t in rec.turns]
    assert offsets == sorted(offsets)
    assert rec.attributes["categories"] == "agent-intro"
    labelled = [t for t in rec.turns if t.sentiment is not None]
    assert len(labelled) >= 25 and {t.sentiment for t in labelled} <= set(SENTIMENT.values())


def test_redacted_outputs_import_and_are_flagged() -> None:
    chat = only(run("contact-lens", CONTACT_LENS / "chat_analysis_redacted.json"))
    assert chat.attributes["redacted"] is True
    assert any("[PII]" in t.text for t in chat.turns)
    voice = only(
        run("contact-lens", CONTACT_LENS / "voice_call_analysis_redacted.json", external_id="c", started_at=START)
    )
    assert voice.attributes["redacted"] is True and len(voice.turns) == 10


def test_bad_documents_name_the_field() -> None:
    doc = json.loads(VOICE.read_text())
    doc["Transcript"][3]["ParticipantId"] = "STRANGER"
    bad = run("contact-lens", json.dumps(doc).encode(), external_id="c", started_at=START)
    assert "Transcript[3].ParticipantId" in errors_of(bad[0][1])
    doc = json.loads(VOICE.read_text())
    doc["Transcript"][2]["Sentiment"] = "ECSTATIC"
    assert "Transcript[2].Sentiment" in errors_of(
        run("contact-lens", json.dumps(doc).encode(), external_id="c", started_at=START)[0][1]
    )
    del doc["Transcript"]
    assert "Transcript" in errors_of(
        run("contact-lens", json.dumps(doc).encode(), external_id="c", started_at=START)[0][1]
    )
    failed = {**json.loads(CHAT.read_text()), "JobStatus": "FAILED"}
    assert "JobStatus" in errors_of(run("contact-lens", json.dumps(failed).encode())[0][1])
    chat = json.loads(CHAT.read_text())
    chat["Transcript"][5]["AbsoluteTime"] = "yesterday"
    assert "Transcript[5]" in errors_of(run("contact-lens", json.dumps(chat).encode())[0][1])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b'{"Channel": "VOICE", "Transcript": [', "not valid JSON"),
        (b"Channel,Transcript\nVOICE,x\n", "not JSON"),
        ('{"Channel": "VOICE"}'.encode("utf-16"), "UTF-16"),
    ],
)
def test_unusable_files_raise(raw: bytes, message: str) -> None:
    with pytest.raises(UnusableInput, match=message):
        run("contact-lens", raw)


def test_invalid_utf8_is_unusable() -> None:
    with pytest.raises(UnusableInput, match="UTF-8"):
        run("contact-lens", b'{"Channel": "VOICE", "Transcript": ["caf\xe9"]}')
