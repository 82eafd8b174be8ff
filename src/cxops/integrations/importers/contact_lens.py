"""Amazon Connect Contact Lens post-call analysis output (voice and chat), one contact per file.

Amazon writes one file per contact to `Analysis/{Voice,Chat}/YYYY/MM/DD/<contact id>_analysis_<time>.json`;
the time in that name is the contact's ConnectedToAgentTimestamp. Voice output has no absolute time inside,
so its start comes from `--started-at`, else from that file name. See docs/ingestion.md for the mapping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from cxops.integrations.importers.base import (
    ImportOptions,
    Record,
    RecordError,
    as_float,
    mapped,
    offset_ms,
    parse_time,
    require,
    short,
)
from cxops.integrations.importers.jsonstream import load_single, require_json

# Contact Lens scores a period as the mean of its turns' labels on this scale: in the published voice
# example, a quarter holding one NEGATIVE turn scores -5 and one holding NEUTRAL + NEGATIVE scores -2.5.
SENTIMENT = {"POSITIVE": 5.0, "NEGATIVE": -5.0, "NEUTRAL": 0.0, "MIXED": 0.0}
SPEAKERS = {"CUSTOMER": "customer", "AGENT": "agent", "SUPERVISOR": "agent", "SYSTEM": "system", "CUSTOM_BOT": "ai"}
CHANNELS = {"VOICE": "voice", "CHAT": "chat"}
_NAME = re.compile(
    r"^(?P<id>[0-9a-fA-F-]{8,64})_analysis(?:_redacted)?_(?P<ts>\d{4}-?\d{2}-?\d{2}T[0-9:_]+(?:Z|_UTC)?)",
)


class ContactLensImporter:
    """Contact Lens analysis JSON -> one interaction."""

    name = "contact-lens"
    description = "Amazon Connect Contact Lens post-call analysis JSON (voice or chat), one contact per file"

    def records(self, stream: BinaryIO, options: ImportOptions) -> Iterator[Record]:
        """The file's one contact (or its error)."""
        require_json(stream)
        doc = load_single(stream)
        yield mapped(1, lambda d: to_interaction(d, options), doc)


def name_hints(file_name: str) -> tuple[str | None, datetime | None]:
    """(contact id, ConnectedToAgentTimestamp) from an Amazon-style output file name, when it is one."""
    match = _NAME.match(file_name.rsplit("/", 1)[-1])
    if not match:
        return None, None
    raw = match.group("ts").replace("_UTC", "Z").replace("_", ":")
    if raw[4] != "-":  # 20260310T22:35Z -> 2026-03-10T22:35Z
        raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    try:
        return match.group("id"), parse_time(raw, "file name")
    except RecordError:
        return match.group("id"), None


def to_interaction(doc: dict[str, Any], options: ImportOptions) -> dict[str, Any]:
    """Map one Contact Lens analysis document to the generic contract."""
    status = doc.get("JobStatus", "COMPLETED")
    if status != "COMPLETED":
        raise RecordError("JobStatus", f"is {status!r}; only COMPLETED analyses carry a transcript")
    channel_raw = require(doc, "Channel")
    channel = CHANNELS.get(str(channel_raw).upper())
    if channel is None:
        raise RecordError("Channel", f"{channel_raw!r} is not one of {', '.join(CHANNELS)}")
    roles = _roles(doc)
    items = doc.get("Transcript")
    if not isinstance(items, list):
        raise RecordError("Transcript", "is required and must be a list")
    name_id, name_time = name_hints(options.file_name)
    meta: dict[str, Any] = doc["CustomerMetadata"] if isinstance(doc.get("CustomerMetadata"), dict) else {}
    external_id = options.external_id or meta.get("ContactId") or name_id
    if not external_id:
        raise RecordError(
            "CustomerMetadata.ContactId",
            "no contact id: the document has none and the file name is not <contact id>_analysis_<time>.json; "
            "pass --external-id",
        )
    if channel == "voice":
        record = _voice(doc, items, roles, options.started_at or name_time, options)
    else:
        record = _chat(doc, items, roles, options)
    record.update(
        source=options.source or "contact-lens",
        external_id=short(external_id, 100),
        channel=channel,
        language=short(doc.get("LanguageCode") or "en", 16),
        attributes=_attributes(doc),
    )
    if options.agent:
        record["participants"] = [{"agent": options.agent, "kind": "human", "role": "primary"}]
    return record


def _roles(doc: dict[str, Any]) -> dict[str, str]:
    """ParticipantId -> speaker of the contract (redacted chat output may omit roles here: items carry them)."""
    out: dict[str, str] = {}
    parts = doc.get("Participants") or []
    if not isinstance(parts, list):
        raise RecordError("Participants", "must be a list")
    for i, part in enumerate(parts):
        if not isinstance(part, dict):
            raise RecordError(f"Participants[{i}]", "must be an object")
        if part.get("ParticipantRole") is None:
            continue
        role = str(part["ParticipantRole"]).upper()
        if role not in SPEAKERS:
            raise RecordError(f"Participants[{i}].ParticipantRole", f"{role!r} is not one of {', '.join(SPEAKERS)}")
        out[str(require(part, "ParticipantId", f"Participants[{i}]."))] = SPEAKERS[role]
    return out


def _speaker(item: dict[str, Any], roles: dict[str, str], where: str) -> str:
    pid = item.get("ParticipantId")
    if pid in roles:
        return roles[pid]
    role = str(item.get("ParticipantRole", "")).upper()
    if role in SPEAKERS:
        return SPEAKERS[role]
    raise RecordError(f"{where}.ParticipantId", f"{pid!r} has no ParticipantRole here or in Participants")


def _voice(
    doc: dict[str, Any],
    items: list[Any],
    roles: dict[str, str],
    started_at: datetime | None,
    options: ImportOptions,
) -> dict[str, Any]:
    if started_at is None:
        raise RecordError(
            "started_at",
            "voice analysis output holds no absolute time: pass --started-at, or keep Amazon's file name "
            "<contact id>_analysis_<time>.json",
        )
    turns = []
    for i, item in enumerate(items):
        where = f"Transcript[{i}]"
        if not isinstance(item, dict):
            raise RecordError(where, "must be an object")
        begin = as_float(require(item, "BeginOffsetMillis", f"{where}."), f"{where}.BeginOffsetMillis") or 0.0
        end = as_float(item.get("EndOffsetMillis"), f"{where}.EndOffsetMillis")
        turns.append(_turn(item, roles, where, int(begin), int(end) if end is not None else None, options))
    turns.sort(key=lambda t: t["offset_ms"])
    chars = doc.get("ConversationCharacteristics") or {}
    duration = as_float(chars.get("TotalConversationDurationMillis"), "TotalConversationDurationMillis")
    if duration is None:
        duration = float(max((t.get("end_offset_ms") or t["offset_ms"] for t in turns), default=0))
    talk = as_float((chars.get("TalkTime") or {}).get("TotalTimeMillis"), "TalkTime.TotalTimeMillis")
    return {
        "started_at": started_at.isoformat(),
        "ended_at": (started_at + timedelta(milliseconds=duration)).isoformat(),
        "talk_s": round((talk or 0.0) / 1000, 3),
        "turns": turns,
    }


def _turn(
    item: dict[str, Any], roles: dict[str, str], where: str, begin: int, end: int | None, options: ImportOptions
) -> dict[str, Any]:
    speaker = _speaker(item, roles, where)
    turn: dict[str, Any] = {"speaker": speaker, "offset_ms": begin, "text": str(item.get("Content") or "")}
    if end is not None:
        turn["end_offset_ms"] = max(end, begin)
    label = item.get("Sentiment")
    if label is not None:
        if str(label).upper() not in SENTIMENT:
            raise RecordError(f"{where}.Sentiment", f"{label!r} is not one of {', '.join(SENTIMENT)}")
        turn["sentiment"] = SENTIMENT[str(label).upper()]
    if speaker == "agent" and options.agent:
        turn["agent"] = options.agent
    return turn


def _chat(doc: dict[str, Any], items: list[Any], roles: dict[str, str], options: ImportOptions) -> dict[str, Any]:
    """Chat items carry AbsoluteTime; the contact starts at the first item and ends at the last."""
    labels = _chat_labels(doc)
    stamped: list[tuple[datetime, int, dict[str, Any]]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise RecordError(f"Transcript[{i}]", "must be an object")
        stamped.append((parse_time(require(item, "AbsoluteTime", f"Transcript[{i}]."), f"Transcript[{i}]"), i, item))
    if stamped:
        start, end = min(t for t, _, _ in stamped), max(t for t, _, _ in stamped)
    elif options.started_at is not None:
        start = end = options.started_at
    else:
        raise RecordError("Transcript", "is empty and no --started-at was given")
    turns = []
    for at, i, item in sorted(stamped, key=lambda s: (s[0], s[1])):
        if item.get("Type", "MESSAGE") != "MESSAGE" or not item.get("Content"):
            continue  # participant joined/left and chat ended events
        if item.get("Id") in labels and "Sentiment" not in item:
            item = {**item, "Sentiment": labels[item["Id"]]}
        turns.append(_turn(item, roles, f"Transcript[{i}]", offset_ms(at, start), None, options))
    return {"started_at": start.isoformat(), "ended_at": end.isoformat(), "turns": turns}


def _chat_labels(doc: dict[str, Any]) -> dict[str, str]:
    """Transcript item id -> sentiment label, from Sentiment.DetailsByTranscriptItemGroup."""
    sentiment = (doc.get("ConversationCharacteristics") or {}).get("Sentiment") or {}
    out: dict[str, str] = {}
    for group in sentiment.get("DetailsByTranscriptItemGroup") or []:
        if isinstance(group, dict) and group.get("Sentiment"):
            for ref in group.get("TranscriptItems") or []:
                if isinstance(ref, dict) and ref.get("Id"):
                    out[ref["Id"]] = group["Sentiment"]
    return out


def _attributes(doc: dict[str, Any]) -> dict[str, Any]:
    """Categories, overall sentiment, redaction and detected issues/outcomes/action items."""
    attrs: dict[str, Any] = {}
    categories = (doc.get("Categories") or {}).get("MatchedCategories") or []
    if categories:
        attrs["categories"] = short(",".join(str(c) for c in categories), 1000)
    sentiment = (doc.get("ConversationCharacteristics") or {}).get("Sentiment") or {}
    overall = sentiment.get("OverallSentiment") or {}
    overall = overall.get("DetailsByParticipantRole", overall)
    for role in ("CUSTOMER", "AGENT"):
        value = overall.get(role) if isinstance(overall, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            attrs[f"sentiment_overall_{role.lower()}"] = float(value)
    if (doc.get("ContentMetadata") or {}).get("Output") == "Redacted":
        attrs["redacted"] = True
    for key in ("IssuesDetected", "OutcomesDetected", "ActionItemsDetected"):
        count = sum(len(t.get(key) or []) for t in doc.get("Transcript") or [] if isinstance(t, dict))
        if count:
            attrs[re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()] = count
    if doc.get("Version"):
        attrs["contact_lens_version"] = short(doc["Version"], 64)
    return attrs
