"""Client frames of the live assist WebSocket: our own format and Amazon Connect Contact Lens real-time events.

Our format (docs/assist.md): `start`, `segment`, `used`, `end`, `ping`. Contact Lens events (EventType STARTED,
SEGMENTS, COMPLETED, FAILED) are mapped onto the same frames: STARTED -> start, each `Transcript` segment ->
a segment (the server numbers them in arrival order), Categories and IssuesDetected -> signals, COMPLETED or
FAILED -> end. Partial `Utterance` segments are counted and skipped: only final transcripts are stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

MAX_SEGMENT_CHARS = 5_000
MAX_OFFSET_MS = 7 * 24 * 3600 * 1000
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
CONTACT_LENS_SOURCE = "amazon_connect_contact_lens"


class FrameError(Exception):
    """A frame the server refuses: rendered as {"type": "error", "code", "message", "seq"}."""

    def __init__(self, code: str, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.seq = seq

    def frame(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message, "seq": self.seq}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text contains a NUL (\\u0000) character")
    return value


class CustomerIn(_Strict):
    external_id: Code
    display_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    tier: Code | None = None
    region: Code | None = None


class StartFrame(_Strict):
    """Opens the live interaction (creates it, or resumes it when it is already live)."""

    type: Literal["start"]
    source: Code = "live"
    channel: Literal["voice", "chat", "messaging"] = "voice"
    queue: Code | None = None
    agent: Code | None = None
    customer: CustomerIn | None = None
    started_at: datetime | None = None
    language: Annotated[str, StringConstraints(max_length=16)] = "en"

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamp needs a timezone offset (e.g. 2026-01-31T09:15:00Z)")
        return value


class SegmentFrame(_Strict):
    """One final transcript segment."""

    type: Literal["segment"]
    seq: int = Field(ge=0, le=1_000_000)
    speaker: Literal["customer", "agent", "ai"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_SEGMENT_CHARS)]
    begin_ms: int = Field(ge=0, le=MAX_OFFSET_MS)
    end_ms: int | None = Field(default=None, ge=0, le=MAX_OFFSET_MS)
    sentiment_label: Literal["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"] | None = None
    issues: list[str] = Field(default_factory=list, max_length=20)

    _text_ok = field_validator("text")(_no_nul)

    @model_validator(mode="after")
    def _end_after_begin(self) -> SegmentFrame:
        if self.end_ms is not None and self.end_ms < self.begin_ms:
            raise ValueError(f"end_ms {self.end_ms} is before begin_ms {self.begin_ms}")
        return self


class EndFrame(_Strict):
    """Ends the live interaction; documentation and QA run on the `interactions.ended` event."""

    type: Literal["end"]
    outcome: Literal["resolved", "escalated", "transferred", "abandoned"] | None = None
    ended_at: datetime | None = None
    hold_s: float = Field(default=0, ge=0, le=86_400)

    @field_validator("ended_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamp needs a timezone offset (e.g. 2026-01-31T09:15:00Z)")
        return value


class PingFrame(_Strict):
    type: Literal["ping"]


class UsedFrame(_Strict):
    """The agent used one of the knowledge suggestions shown in this call (a `used` attribution at the end)."""

    type: Literal["used"]
    article_id: uuid.UUID


@dataclass(slots=True)
class ContactLensBatch:
    """A Contact Lens SEGMENTS event: final transcript segments (without seq), categories, skipped partials."""

    segments: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    partials: int = 0


Frame = StartFrame | SegmentFrame | EndFrame | PingFrame | UsedFrame | ContactLensBatch
_MODELS: dict[str, type[BaseModel]] = {
    "start": StartFrame,
    "segment": SegmentFrame,
    "used": UsedFrame,
    "end": EndFrame,
    "ping": PingFrame,
}


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "frame"
    return f"{where}: {err['msg']}"


def parse(raw: str | bytes, *, max_bytes: int) -> Frame:
    """One frame from text; FrameError with a specific code (frame_too_large, malformed_json, invalid_frame)."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise FrameError("frame_too_large", f"frame of {size} bytes is over the {max_bytes}-byte limit")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise FrameError("malformed_json", f"frame is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise FrameError("invalid_frame", "frame must be a JSON object")
    if "EventType" in obj:
        return _contact_lens(obj)
    kind = obj.get("type")
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    seq = obj.get("seq") if isinstance(obj.get("seq"), int) else None
    if model is None:
        raise FrameError(
            "invalid_frame", f"type: expected one of {', '.join(_MODELS)} (or a Contact Lens event), got {kind!r}", seq
        )
    try:
        return model.model_validate(obj)  # type: ignore[return-value]
    except ValidationError as exc:
        raise FrameError("invalid_frame", _first_error(exc), seq) from None


_CL_SPEAKER = {"CUSTOMER": "customer", "AGENT": "agent", "SYSTEM": "ai"}


def _contact_lens(obj: dict[str, Any]) -> Frame:
    event = obj.get("EventType")
    if event == "STARTED":
        channel = {"VOICE": "voice", "CHAT": "chat"}.get(str(obj.get("Channel", "VOICE")).upper(), "voice")
        return StartFrame(type="start", source=CONTACT_LENS_SOURCE, channel=channel)
    if event in ("COMPLETED", "FAILED"):
        return EndFrame(type="end", outcome=None)
    if event != "SEGMENTS":
        raise FrameError("invalid_frame", f"EventType: expected STARTED, SEGMENTS, COMPLETED or FAILED, got {event!r}")
    raw_segments = obj.get("Segments")
    if not isinstance(raw_segments, list):
        raise FrameError("invalid_frame", "Segments: a SEGMENTS event needs a list of segments")
    batch = ContactLensBatch()
    for i, seg in enumerate(raw_segments):
        if not isinstance(seg, dict):
            raise FrameError("invalid_frame", f"Segments[{i}]: must be an object")
        if "Transcript" in seg:
            batch.segments.append(_transcript(seg["Transcript"], i))
        elif "Categories" in seg:
            matched = (seg["Categories"] or {}).get("MatchedCategories") or []
            batch.categories.extend(str(c)[:100] for c in matched if isinstance(c, str))
        elif "Utterance" in seg:
            batch.partials += 1
    return batch


def _transcript(t: Any, i: int) -> dict[str, Any]:
    """A Transcript segment as our segment fields (without seq), plus its dedupe key."""
    where = f"Segments[{i}].Transcript"
    if not isinstance(t, dict):
        raise FrameError("invalid_frame", f"{where}: must be an object")
    role = str(t.get("ParticipantRole", "")).upper()
    if role not in _CL_SPEAKER:
        raise FrameError("invalid_frame", f"{where}.ParticipantRole: expected CUSTOMER, AGENT or SYSTEM, got {role!r}")
    text, begin, end = t.get("Content"), t.get("BeginOffsetMillis"), t.get("EndOffsetMillis")
    if not isinstance(text, str) or not text.strip():
        raise FrameError("invalid_frame", f"{where}.Content: must be non-empty text")
    if not isinstance(begin, int) or begin < 0:
        raise FrameError("invalid_frame", f"{where}.BeginOffsetMillis: must be a whole number >= 0")
    issues = []
    for issue in t.get("IssuesDetected") or []:
        offsets = (issue or {}).get("CharacterOffsets") or {}
        b, e = offsets.get("BeginOffsetChar"), offsets.get("EndOffsetChar")
        if isinstance(b, int) and isinstance(e, int) and 0 <= b < e:
            issues.append(text[b:e])
    sentiment = t.get("Sentiment") if t.get("Sentiment") in ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED") else None
    return {
        "key": f"{t.get('Id')}|{t.get('ParticipantId')}|{begin}",
        "speaker": _CL_SPEAKER[role],
        "text": text,
        "begin_ms": begin,
        "end_ms": end if isinstance(end, int) and end >= begin else None,
        "sentiment_label": sentiment,
        "issues": issues,
    }


def segment_from_contact_lens(fields: dict[str, Any], seq: int) -> SegmentFrame:
    """Our segment frame for a mapped Contact Lens transcript segment and the seq the server gave it."""
    data = {k: v for k, v in fields.items() if k != "key"}
    try:
        return SegmentFrame.model_validate({"type": "segment", "seq": seq, **data})
    except ValidationError as exc:
        raise FrameError("invalid_frame", _first_error(exc), seq) from None
