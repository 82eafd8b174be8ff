"""Genesys Cloud speech and text analytics transcript JSON (the document behind the transcript URL).

A file holds one transcript document (per conversation communication), a JSON array of them, or one per
line. See docs/ingestion.md for the mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from cxops.contracts.interactions import MAX_OFFSET_MS, LineResult
from cxops.integrations.importers.base import (
    EPOCH_MS_FLOOR,
    ImportOptions,
    Record,
    RecordError,
    as_float,
    clamp,
    mapped,
    offset_ms,
    parse_time,
    require,
    short,
)
from cxops.integrations.importers.jsonstream import iter_documents

SPEAKERS = {
    "external": "customer",
    "customer": "customer",
    "visitor": "customer",
    "internal": "agent",
    "agent": "agent",
    "user": "agent",
    "bot": "ai",
    "virtualagent": "ai",
    "botflow": "ai",
    "acd": "system",
    "ivr": "system",
    "workflow": "system",
    "system": "system",
    "voicemail": "system",
}
CHANNELS = {
    "call": "voice",
    "voice": "voice",
    "callback": "voice",
    "chat": "chat",
    "email": "email",
    "message": "messaging",
    "messaging": "messaging",
    "sms": "messaging",
}
SENTIMENT_SCALE = 5.0  # Genesys phrase sentiment runs from -1 to +1; the contract uses -5..+5


class GenesysImporter:
    """Genesys Cloud transcript JSON -> one interaction per document."""

    name = "genesys"
    description = "Genesys Cloud transcript JSON (conversationId, transcripts[].phrases[]); object, array or NDJSON"

    def records(self, stream: BinaryIO, options: ImportOptions) -> Iterator[Record]:
        """One record per transcript document, streamed."""
        for number, doc in iter_documents(stream):
            if isinstance(doc, LineResult):
                yield number, doc
            else:
                yield mapped(number, lambda d: to_interaction(d, options), doc)


def to_interaction(doc: dict[str, Any], options: ImportOptions) -> dict[str, Any]:
    """Map one Genesys transcript document to the generic contract."""
    conversation_id = require(doc, "conversationId")
    media = str(doc.get("mediaType") or "call").lower()
    if media not in CHANNELS:
        raise RecordError("mediaType", f"{media!r} is not one of {', '.join(CHANNELS)}")
    transcripts = doc.get("transcripts")
    if not isinstance(transcripts, list):
        raise RecordError("transcripts", "is required and must be a list")
    start = _start(doc, transcripts, options)
    agents, bots, queue = _participants(doc, start)
    turns, topics = _turns(transcripts, start, agents, bots)
    record: dict[str, Any] = {
        "source": options.source or "genesys",
        "external_id": short(conversation_id, 100),
        "channel": CHANNELS[media],
        "started_at": start.isoformat(),
        "participants": [{k: v for k, v in p.items() if v is not None} for p in [*bots, *agents]],
        "turns": turns,
        "attributes": _attributes(doc, media, topics),
    }
    duration = as_float((doc.get("duration") or {}).get("milliseconds"), "duration.milliseconds")
    if duration is not None:
        comm_start = parse_time(doc["startTime"], "startTime") if doc.get("startTime") else start
        record["ended_at"] = max(start, comm_start + timedelta(milliseconds=duration)).isoformat()
    if queue:
        record["queue"] = queue
    if transcripts and isinstance(transcripts[0], dict) and transcripts[0].get("language"):
        record["language"] = short(transcripts[0]["language"], 16)
    return record


def _start(doc: dict[str, Any], transcripts: list[Any], options: ImportOptions) -> datetime:
    """conversationStartTime, else startTime, else the first transcript's startTime, else --started-at."""
    for key in ("conversationStartTime", "startTime"):
        if doc.get(key) is not None:
            return parse_time(doc[key], key)
    for i, t in enumerate(transcripts):
        if isinstance(t, dict) and t.get("startTime") is not None:
            return parse_time(t["startTime"], f"transcripts[{i}].startTime")
    if options.started_at is not None:
        return options.started_at
    raise RecordError("conversationStartTime", "no start time in the document; pass --started-at")


def _participants(doc: dict[str, Any], start: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """(human agents, bots, queue code) from participants[]; the first agent is primary, later ones transfers."""
    agents: list[dict[str, Any]] = []
    bots: list[dict[str, Any]] = []
    queue = ""
    seen: set[str] = set()
    for i, part in enumerate(doc.get("participants") or []):
        if not isinstance(part, dict):
            raise RecordError(f"participants[{i}]", "must be an object")
        purpose = str(part.get("participantPurpose") or "").lower()
        joined = _joined(part, start, f"participants[{i}].startTimeMs")
        if purpose in ("agent", "user") and part.get("userId"):
            code = short(f"genesys:{part['userId']}", 100)
            if code not in seen:
                role = "primary" if not agents else "transfer"
                agents.append({"agent": code, "kind": "human", "role": role, "joined_offset_ms": joined})
                seen.add(code)
            queue = queue or (f"genesys:{part['queueId']}" if part.get("queueId") else "")
        elif SPEAKERS.get(purpose) == "ai":
            code = short(f"genesys-bot:{part.get('flowId') or part.get('userId') or 'bot'}", 100)
            if code not in seen:
                bots.append({"agent": code, "kind": "ai", "role": "primary", "joined_offset_ms": joined})
                seen.add(code)
        elif purpose == "acd" and part.get("queueId"):
            queue = queue or f"genesys:{part['queueId']}"
    if bots and agents:
        agents[0]["role"] = "handoff"
    return agents, bots, short(queue, 100)


def _joined(part: dict[str, Any], start: datetime, field: str) -> int | None:
    value = part.get("startTimeMs")
    if value is None:
        return None
    joined = offset_ms(parse_time(value, field), start)
    # A joining time outside the contract's window (e.g. --started-at set far from the real call) is unknown.
    return joined if 0 <= joined <= MAX_OFFSET_MS else None


def _turns(
    transcripts: list[Any], start: datetime, agents: list[dict[str, Any]], bots: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every phrase of every transcript, in time order, with its sentiment; plus the topic names."""
    turns: list[tuple[int, int, dict[str, Any]]] = []
    topics: list[str] = []
    for ti, transcript in enumerate(transcripts):
        where = f"transcripts[{ti}]"
        if not isinstance(transcript, dict):
            raise RecordError(where, "must be an object")
        base = parse_time(transcript["startTime"], f"{where}.startTime") if transcript.get("startTime") else start
        analytics = transcript.get("analytics") or {}
        sentiments = {
            s["phraseIndex"]: s["sentiment"]
            for s in analytics.get("sentiment") or []
            if isinstance(s, dict) and s.get("phraseIndex") is not None and s.get("sentiment") is not None
        }
        for t in analytics.get("topics") or []:
            if isinstance(t, dict) and t.get("topicName") and t["topicName"] not in topics:
                topics.append(str(t["topicName"]))
        for pi, phrase in enumerate(transcript.get("phrases") or []):
            turn = _turn(phrase, f"{where}.phrases[{pi}]", base, start, sentiments, agents, bots)
            turns.append((turn["offset_ms"], len(turns), turn))
    turns.sort(key=lambda t: (t[0], t[1]))
    return [t for _, _, t in turns], topics


def _turn(
    phrase: Any,
    where: str,
    base: datetime,
    start: datetime,
    sentiments: dict[Any, Any],
    agents: list[dict[str, Any]],
    bots: list[dict[str, Any]],
) -> dict[str, Any]:
    if not isinstance(phrase, dict):
        raise RecordError(where, "must be an object")
    purpose = str(require(phrase, "participantPurpose", f"{where}.")).lower()
    speaker = SPEAKERS.get(purpose)
    if speaker is None:
        raise RecordError(f"{where}.participantPurpose", f"{purpose!r} is not one of {', '.join(SPEAKERS)}")
    at = _phrase_time(phrase, where, base)
    begin = offset_ms(at, start)
    turn: dict[str, Any] = {"speaker": speaker, "offset_ms": begin, "text": str(phrase.get("text") or "")}
    if phrase.get("decoratedText"):
        turn["text"] = str(phrase["decoratedText"])
    length = as_float((phrase.get("duration") or {}).get("milliseconds"), f"{where}.duration.milliseconds")
    if length is not None:
        turn["end_offset_ms"] = begin + max(0, round(length))
    index = phrase.get("phraseIndex")
    if index in sentiments:
        score = as_float(sentiments[index], f"analytics.sentiment[phraseIndex={index}].sentiment")
        turn["sentiment"] = round(clamp((score or 0.0) * SENTIMENT_SCALE), 3)
    owners = agents if speaker == "agent" else bots if speaker == "ai" else []
    if len(owners) == 1:  # a phrase names no user: only a lone agent (or bot) can be credited with it
        turn["agent"] = owners[0]["agent"]
    return turn


def _phrase_time(phrase: dict[str, Any], where: str, base: datetime) -> datetime:
    """startTimeMs as epoch milliseconds, else as (or offset.milliseconds) relative to the transcript start."""
    value = phrase.get("startTimeMs")
    if value is None:
        value = (phrase.get("offset") or {}).get("milliseconds")
    number = as_float(value, f"{where}.startTimeMs")
    if number is None:
        raise RecordError(f"{where}.startTimeMs", "is required but missing")
    if number >= EPOCH_MS_FLOOR:
        return parse_time(number, f"{where}.startTimeMs")
    return base + timedelta(milliseconds=max(0.0, number))


def _attributes(doc: dict[str, Any], media: str, topics: list[str]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"genesys_media_type": media}
    if doc.get("communicationId"):
        attrs["communication_id"] = short(doc["communicationId"], 100)
    if topics:
        attrs["topics"] = short(",".join(topics), 1000)
    return attrs
