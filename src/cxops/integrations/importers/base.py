"""What every importer shares: the Importer protocol, options, per-record errors and small value helpers.

An importer reads a binary stream and yields `(record number, item)` pairs, where the item is either a dict
in the generic ingestion contract (`cxops.contracts.interactions.InteractionIn`) or a `LineResult` with the
record's errors. A file that cannot be read at all raises `UnusableInput`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol

from cxops.contracts.interactions import FieldError, LineResult
from cxops.core.errors import BadRequest

Item = dict[str, Any] | LineResult
Record = tuple[int, Item]
EPOCH_MS_FLOOR = 100_000_000_000  # 1973-03-03: anything above is an epoch timestamp in ms, below an offset
MAX_OFFSET_MS = 7 * 24 * 3600 * 1000  # the contract's bound on a turn offset


class UnusableInput(BadRequest):
    """The file as a whole cannot be imported (empty, not JSON, wrong encoding, bad CSV header...)."""


class RecordError(Exception):
    """One record cannot be mapped; `field` names the place in the source format."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ImportOptions:
    """Choices the caller makes for a file; vendor importers use them where the file says nothing."""

    source: str | None = None
    external_id: str | None = None
    started_at: datetime | None = None
    agent: str | None = None
    file_name: str = ""


class Importer(Protocol):
    """Reads one file format and yields records of the generic ingestion contract."""

    name: str
    description: str

    def records(self, stream: BinaryIO, options: ImportOptions) -> Iterator[Record]:
        """Numbered records (dicts of the contract) or per-record errors, streamed from `stream`."""
        ...


def error(number: int, field: str, message: str, external_id: str | None = None) -> Record:
    """A per-record error as a (number, LineResult) pair."""
    return number, LineResult(
        line=number, status="error", external_id=external_id, errors=[FieldError(field=field, message=message)]
    )


def mapped(number: int, build: Any, doc: Any) -> Record:
    """Run a mapper on one decoded document; a RecordError becomes that record's error."""
    if not isinstance(doc, dict):
        return error(number, "(record)", f"expected a JSON object, got {type(doc).__name__}")
    try:
        return number, build(doc)
    except RecordError as exc:
        ident = doc.get("id") or doc.get("conversationId")
        return error(number, exc.field, exc.message, str(ident) if ident is not None else None)


def require(doc: dict[str, Any], key: str, where: str = "") -> Any:
    """doc[key], or a RecordError naming the missing key."""
    value = doc.get(key)
    if value is None or value == "":
        raise RecordError(f"{where}{key}", "is required but missing")
    return value


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 string (timezone required) or epoch milliseconds -> an aware datetime."""
    if isinstance(value, bool):
        raise RecordError(field, f"expected a timestamp, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < EPOCH_MS_FLOOR:
            raise RecordError(field, f"{value!r} is not an epoch timestamp in milliseconds")
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str):
        raise RecordError(field, f"expected a timestamp, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise RecordError(field, f"{value[:40]!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise RecordError(field, f"{value[:40]!r} has no timezone offset")
    return parsed


def offset_ms(at: datetime, start: datetime) -> int:
    """Milliseconds from start to at, floored at 0 (clock skew between systems)."""
    return max(0, round((at - start).total_seconds() * 1000))


def as_float(value: Any, field: str) -> float | None:
    """A number from the source, or None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecordError(field, f"expected a number, got {value!r}")
    return float(value)


def clamp(value: float, low: float = -5.0, high: float = 5.0) -> float:
    return max(low, min(high, value))


def short(value: Any, limit: int = 200) -> str:
    """A value as a string cut to `limit` characters (attribute values, codes)."""
    return str(value)[:limit]
