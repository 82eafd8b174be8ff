"""Shared CLI helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import typer

from cxops.core.cli import parse_since


def test_parse_since_takes_dates_and_offsets_and_defaults_to_utc() -> None:
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    offset = parse_since("2026-11-01T09:30:00+02:00")
    assert offset.utcoffset() == timedelta(hours=2) and offset.tzinfo == timezone(timedelta(hours=2))


def test_parse_since_refuses_a_non_date_with_the_option_and_value(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exit_info:
        parse_since("last tuesday")
    assert exit_info.value.exit_code == 2
    assert "--since 'last tuesday' is not an ISO date" in capsys.readouterr().err
