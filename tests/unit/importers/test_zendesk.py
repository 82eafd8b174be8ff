"""Zendesk ticket importer on API-page and export-shaped fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cxops.contracts.interactions import InteractionIn, LineResult
from cxops.integrations.importers import UnusableInput
from tests.unit.importers._util import FIXTURES, errors_of, only, run

PAGE = FIXTURES / "zendesk" / "tickets_page.json"
EXPORT = FIXTURES / "zendesk" / "export.jsonl"


def _tickets() -> list[dict]:
    return json.loads(PAGE.read_text())["tickets"]


def test_ticket_page_maps_channel_outcome_csat_and_public_comments() -> None:
    results = run("zendesk", PAGE)
    assert [n for n, _ in results] == [1, 2, 3]
    email, chat, messaging = (r for _, r in results)
    assert isinstance(email, InteractionIn) and isinstance(chat, InteractionIn) and isinstance(messaging, InteractionIn)
    assert (email.source, email.external_id, email.channel.value) == ("zendesk", "35436", "email")
    assert email.started_at == datetime(2025, 11, 3, 8, 12, 45, tzinfo=UTC)
    assert email.ended_at == datetime(2025, 11, 4, 16, 40, 2, tzinfo=UTC)
    assert email.outcome.value == "resolved" and email.csat == 5 and email.survey_answered
    assert [t.speaker.value for t in email.turns] == ["customer", "agent", "customer"]  # internal note left out
    assert email.attributes["internal_notes"] == 1
    assert [t.offset_ms for t in email.turns] == [0, 6_765_000, 116_725_000]
    assert email.turns[1].agent == "zendesk:235323"
    assert email.customer is not None and email.customer.external_id == "20978392"
    assert email.queue == "zendesk-group:98738"
    assert email.attributes["tags"] == "billing,vat,invoice" and email.attributes["zendesk_status"] == "solved"

    assert chat.channel.value == "chat" and chat.outcome is None and chat.ended_at is None
    assert chat.csat is None and not chat.survey_answered
    assert [(p.agent, p.role.value) for p in chat.participants] == [
        ("zendesk:235324", "primary"),
        ("zendesk:235399", "consult"),
    ]
    assert messaging.channel.value == "messaging" and messaging.csat == 1 and messaging.outcome.value == "resolved"


def test_export_jsonl_gives_the_same_interactions_numbered_by_line() -> None:
    from_page = [r for _, r in run("zendesk", PAGE)]
    from_export = run("zendesk", EXPORT)
    assert [n for n, _ in from_export] == [1, 2, 3]
    assert [r for _, r in from_export] == from_page


def test_array_and_single_ticket_shapes() -> None:
    tickets = _tickets()
    assert len(run("zendesk", json.dumps(tickets).encode())) == 3
    single = only(run("zendesk", json.dumps({"ticket": tickets[1]}, indent=2).encode()))
    assert single.external_id == "35437"
    assert run("zendesk", b'{"tickets": [], "count": 0}') == []


def test_long_tickets_are_capped_in_order_and_flagged() -> None:
    ticket = _tickets()[0]
    ticket["comments"][-1]["created_at"] = "2025-12-01T00:00:00Z"
    rec = only(run("zendesk", json.dumps(ticket).encode()))
    assert rec.turns[-1].offset_ms == 7 * 24 * 3600 * 1000
    assert rec.attributes["offsets_capped_at_7_days"] is True


def test_bad_tickets_are_reported_by_record_and_field_and_good_ones_kept() -> None:
    good, other, third = _tickets()
    no_id = {k: v for k, v in other.items() if k != "id"}
    bad_time = json.loads(json.dumps(third))
    bad_time["comments"][1]["created_at"] = "07/11/2025 09:10"
    bad_status = {**good, "id": 9, "status": "vanished"}
    naive = {**good, "id": 10, "created_at": "2025-11-03T08:12:45"}
    results = run("zendesk", json.dumps({"tickets": [good, no_id, bad_time, bad_status, naive]}).encode())
    assert isinstance(results[0][1], InteractionIn)
    assert "id" in errors_of(results[1][1])
    assert "ISO 8601" in errors_of(results[2][1])["comments[1].created_at"]
    assert errors_of(results[2][1]) and results[2][1].external_id == "35440"
    assert "vanished" in errors_of(results[3][1])["status"]
    assert "timezone" in errors_of(results[4][1])["created_at"]


def test_jsonl_with_a_corrupt_and_a_non_utf8_line_keeps_the_rest() -> None:
    lines = EXPORT.read_bytes().splitlines()
    raw = b"\n".join([lines[0], b'{"id": 1, "created_at": ', lines[1], b'{"id": "caf\xe9"}', lines[2]]) + b"\n"
    results = run("zendesk", raw)
    assert [n for n, _ in results] == [1, 2, 3, 4, 5]
    assert [type(r).__name__ for _, r in results] == [
        "InteractionIn",
        "LineResult",
        "InteractionIn",
        "LineResult",
        "InteractionIn",
    ]
    assert "invalid JSON" in errors_of(results[1][1])["(line)"]
    assert "UTF-8" in errors_of(results[3][1])["(line)"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"id,subject\n1,hi\n", "not JSON"),
        (b'{"tickets": [', "not valid JSON"),
        (b"\xff\xfe{\x00", "UTF-16"),
    ],
)
def test_unusable_files(raw: bytes, message: str) -> None:
    with pytest.raises(UnusableInput, match=message):
        run("zendesk", raw)


def test_a_single_corrupt_ticket_file_is_unusable_not_silently_empty() -> None:
    with pytest.raises(UnusableInput):
        run("zendesk", b'{\n "ticket": {"id": 1,\n')
    assert isinstance(run("zendesk", b'[{"id": 1}]')[0][1], LineResult)


def test_incremental_export_pages_one_per_line_are_all_read() -> None:
    page = json.loads(PAGE.read_text())
    second = {**page, "tickets": [{**t, "id": t["id"] + 100} for t in page["tickets"]]}
    results = run("zendesk", (json.dumps(page) + "\n" + json.dumps(second) + "\n").encode())
    assert [n for n, _ in results] == [1, 2, 3, 4, 5, 6]
    assert [r.external_id for _, r in results] == ["35436", "35437", "35440", "35536", "35537", "35540"]  # type: ignore[union-attr]
