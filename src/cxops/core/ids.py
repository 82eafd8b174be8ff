"""Identifiers: time-ordered UUIDs (version 7 layout) so indexes stay append-mostly."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_LOCK = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, a 12-bit counter, then 62 random bits.

    Monotonic within the process (RFC 9562 method 1): ids made in the same millisecond take the next counter
    value (it starts at a random value below 2048 each millisecond), so ordering rows by id, as the outbox
    dispatcher does, follows the order they were made even within one millisecond. A counter that runs out
    borrows the next millisecond.
    """
    global _last_ms, _counter
    rand = int.from_bytes(os.urandom(10), "big")  # 11 bits seed the counter, 62 fill the tail
    with _LOCK:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, rand >> 69
        else:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def id_time(value: uuid.UUID) -> datetime:
    """When a UUIDv7 was made (its 48-bit Unix milliseconds), in UTC; ValueError for another UUID version."""
    if value.version != 7:
        raise ValueError(f"{value} is a version {value.version} UUID, not a time-ordered version 7 one")
    return _EPOCH + timedelta(milliseconds=value.int >> 80)


def id_time_or(value: uuid.UUID, default: datetime) -> datetime:
    """When a UUIDv7 was made (an event id: when the event was emitted), or `default` for another UUID version."""
    try:
        return id_time(value)
    except ValueError:
        return default


def parse_uuids(values: Iterable[object]) -> list[uuid.UUID]:
    """The values that are valid UUIDs (event payloads from other processes are not trusted to be clean)."""
    out = []
    for raw in values:
        try:
            out.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    return out
