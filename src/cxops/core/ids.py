"""Identifiers: time-ordered UUIDs (version 7 layout) so indexes stay append-mostly."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def new_id() -> uuid.UUID:
    """A UUIDv7: 48-bit Unix milliseconds, then 74 random bits (RFC 9562)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def id_time(value: uuid.UUID) -> datetime:
    """When a UUIDv7 was made (its 48-bit Unix milliseconds), in UTC; ValueError for another UUID version."""
    if value.version != 7:
        raise ValueError(f"{value} is a version {value.version} UUID, not a time-ordered version 7 one")
    return _EPOCH + timedelta(milliseconds=value.int >> 80)


def parse_uuids(values: Iterable[object]) -> list[uuid.UUID]:
    """The values that are valid UUIDs (event payloads from other processes are not trusted to be clean)."""
    out = []
    for raw in values:
        try:
            out.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    return out
