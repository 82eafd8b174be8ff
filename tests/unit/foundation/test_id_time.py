"""`id_time` reads back the creation time a UUIDv7 carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cxops.core.ids import id_time, new_id


def test_id_time_round_trips_new_id() -> None:
    before = datetime.now(UTC)
    value = new_id()
    after = datetime.now(UTC)
    at = id_time(value)
    assert at.tzinfo is UTC
    # millisecond precision: within the call, rounded down to the millisecond
    assert before - timedelta(milliseconds=1) <= at <= after
    assert id_time(uuid.UUID(str(value))) == at


def test_id_time_of_a_known_value_and_other_versions() -> None:
    known = uuid.UUID(int=(1_700_000_000_123 << 80) | (0x7 << 76) | (0b10 << 62))
    assert id_time(known) == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    with pytest.raises(ValueError, match="version 4"):
        id_time(uuid.UUID("12345678-1234-4234-8234-123456789abc"))
