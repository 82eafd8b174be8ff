"""The generic NDJSON and CSV formats: mapping, grouping, streaming and bad input."""

from __future__ import annotations

import io
import json

import pytest

from cxops.contracts.interactions import InteractionIn
from cxops.integrations.importers import ImportOptions, UnusableInput, get_importer
from tests.factories import interaction
from tests.unit.importers._util import errors_of, run

HEADER = (
    "source,external_id,channel,queue,started_at,ended_at,customer_id,participants,outcome,csat,attr.region,"
    "turn_speaker,turn_offset_ms,turn_text,turn_agent,turn_sentiment\n"
)
ROWS = (
    "crm,c-1,voice,billing,2026-03-02T09:00:00Z,2026-03-02T09:06:00Z,cust-9,bot-1:ai:primary;a-7:handoff,resolved,4,"
    "emea,customer,0,I was charged twice,,-2.5\n"
    ",c-1,,,,,,,,,,ai,1500,Let me check that,bot-1,\n"
    'crm,c-1,voice,,,,,,,,,agent,9000,"Refunded, sorry about that",a-7,\n'
    "crm,c-2,chat,,2026-03-02T10:00:00Z,,,a-3,abandoned,,,,,,,\n"
)


def test_ndjson_lines_validate_and_bad_lines_are_reported_by_line() -> None:
    good = [interaction(n) for n in range(1, 4)]
    lines = [json.dumps(good[0]), "", json.dumps({**good[1], "channel": "fax"}), "[1, 2]", "{oops", json.dumps(good[2])]
    results = run("ndjson", "\n".join(lines).encode())
    assert [n for n, _ in results] == [1, 3, 4, 5, 6]
    assert isinstance(results[0][1], InteractionIn) and results[0][1].external_id == "c-1"
    assert "channel" in errors_of(results[1][1])
    assert "expected a JSON object" in errors_of(results[2][1])["(line)"]
    assert "invalid JSON" in errors_of(results[3][1])["(line)"]
    assert isinstance(results[4][1], InteractionIn)


def test_ndjson_line_in_another_encoding_is_reported_and_the_rest_kept() -> None:
    lines = [
        json.dumps(interaction(1)).encode(),
        json.dumps({**interaction(2), "disposition": "réglé"}, ensure_ascii=False).encode("latin-1"),
    ]
    results = run("ndjson", b"\n".join([*lines, json.dumps(interaction(3)).encode()]))
    assert [type(r).__name__ for _, r in results] == ["InteractionIn", "LineResult", "InteractionIn"]
    assert errors_of(results[1][1]) == {"(line)": "invalid JSON: not valid UTF-8 text"}


def test_ndjson_source_option_fills_only_missing_sources() -> None:
    rec = interaction(1)
    del rec["source"]
    results = run("ndjson", (json.dumps(rec) + "\n" + json.dumps(interaction(2)) + "\n").encode(), source="legacy")
    assert [r.source for _, r in results] == ["legacy", "test"]  # type: ignore[union-attr]
    assert "source" in errors_of(run("ndjson", json.dumps(rec).encode())[0][1])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"[{}]", "JSON array"),
        (b'{\n  "source": "x"\n}\n', "pretty-printed"),
        (b"source,external_id\n", "not JSON"),
        ("{}".encode("utf-16"), "UTF-16"),
    ],
)
def test_ndjson_unusable_files(raw: bytes, message: str) -> None:
    with pytest.raises(UnusableInput, match=message):
        run("ndjson", raw)


def test_csv_groups_turn_rows_into_interactions() -> None:
    results = run("csv", (HEADER + ROWS).encode())
    assert [n for n, _ in results] == [2, 5]  # numbered by the line of each interaction's first row
    first, second = (r for _, r in results)
    assert isinstance(first, InteractionIn) and isinstance(second, InteractionIn)
    assert (first.source, first.external_id, first.channel.value, first.queue) == ("crm", "c-1", "voice", "billing")
    assert [(t.speaker.value, t.offset_ms, t.agent) for t in first.turns] == [
        ("customer", 0, None),
        ("ai", 1500, "bot-1"),
        ("agent", 9000, "a-7"),
    ]
    assert first.turns[0].sentiment == -2.5 and first.turns[2].text == "Refunded, sorry about that"
    assert [(p.agent, p.kind.value, p.role.value) for p in first.participants] == [
        ("bot-1", "ai", "primary"),
        ("a-7", "human", "handoff"),
    ]
    assert first.csat == 4 and first.outcome.value == "resolved" and first.attributes == {"region": "emea"}
    assert first.customer is not None and first.customer.external_id == "cust-9"
    assert second.turns == [] and second.outcome.value == "abandoned" and second.participants[0].agent == "a-3"


def test_csv_equals_the_same_interaction_sent_as_ndjson() -> None:
    rec = interaction(5, turns=3, participants=[{"agent": "a-2"}], attributes={}, customer=None)
    for key in ("hold_s", "wrap_s", "intent"):
        rec.pop(key)
    header = (
        "source,external_id,channel,queue,started_at,ended_at,talk_s,outcome,csat,agent,"
        "turn_speaker,turn_offset_ms,turn_text,turn_sentiment\n"
    )
    rows = "".join(
        f"test,c-5,voice,billing-voice,{rec['started_at']},{rec['ended_at']},300,resolved,4,a-2,"
        f"{t['speaker']},{t['offset_ms']},{t['text']},{'' if t['sentiment'] is None else t['sentiment']}\n"
        for t in rec["turns"]
    )
    from_csv = run("csv", (header + rows).encode())[0][1]
    from_ndjson = run("ndjson", json.dumps(rec).encode())[0][1]
    assert from_csv == from_ndjson


def test_csv_bad_rows_fail_their_interaction_only() -> None:
    rows = (
        "crm,c-1,voice,,2026-03-02T09:00:00Z,,,,,,,customer,0,hello,,\n"
        "crm,c-1,chat,,,,,,,,,agent,100,hi,,\n"  # conflicting channel
        "crm,c-2,voice,,2026-03-02T09:00:00Z,,,,,,,customer,0,hello,,\n"
        "crm,,voice,,2026-03-02T09:00:00Z,,,,,,,customer,0,orphan,,\n"  # no external id
        "crm,c-3,voice,,2026-03-02T09:00:00Z,,,,,,,customer,0,too few\n"  # short row
        "crm,c-4,voice,,2026-03-02T09:00:00Z,,,,,,,customer,500,late,,\n"
        "crm,c-4,voice,,,,,,,,,agent,100,early,,\n"  # turns out of order -> contract error
        "crm,c-1,voice,,2026-03-02T09:00:00Z,,,,,,,customer,0,again,,\n"  # c-1 again, not consecutive
    )
    raw = (HEADER + rows).encode() + b"crm,c-5,voice,,2026-03-02T09:00:00Z,,,,,,,customer,0,caf\xe9,,\n"
    results = dict(run("csv", raw))
    assert "line 3: channel" in errors_of(results[2])
    assert isinstance(results[4], InteractionIn)
    assert "external_id" in errors_of(results[5])
    assert "fields" in errors_of(results[6])["(line)"]
    assert any("turns must be in time order" in m for m in errors_of(results[7]).values())
    assert "already appeared at line 2" in errors_of(results[9])["external_id"]
    assert "UTF-8" in errors_of(results[10])["line 10: turn_text"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"external_id,channel\n", "lacks required column"),
        (b"source,external_id,channel,started_at,turn_txt\n", "unknown CSV column"),
        (b"source,external_id,channel,started_at,channel\n", "twice"),
        (b'{"source": "x"}\n', "unknown CSV column"),
        ("source,external_id,channel,started_at\n".encode("utf-16"), "UTF-16"),
        (b"source,external_id,ch\xe9nnel,started_at\n", "UTF-8"),
    ],
)
def test_csv_unusable_files(raw: bytes, message: str) -> None:
    with pytest.raises(UnusableInput, match=message):
        run("csv", raw)


def test_csv_header_source_is_optional_with_the_source_option() -> None:
    raw = b"\xef\xbb\xbfexternal_id,channel,started_at\nx-1,email,2026-03-02T09:00:00+01:00\n"
    [(number, rec)] = run("csv", raw, source="mailbox")
    assert number == 2 and isinstance(rec, InteractionIn) and rec.source == "mailbox"


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "zendesk"])
def test_large_files_are_streamed_not_loaded(fmt: str) -> None:
    n = 3000
    if fmt == "ndjson":
        raw = "\n".join(json.dumps(interaction(i)) for i in range(n)).encode()
    elif fmt == "csv":
        raw = (HEADER + "".join(ROWS.replace("c-1", f"k-{i}").replace("c-2", f"m-{i}") for i in range(n))).encode()
    else:
        ticket = {"id": 0, "created_at": "2026-01-01T00:00:00Z", "comments": [{"author_id": 1, "body": "x" * 200}]}
        raw = json.dumps({"tickets": [{**ticket, "id": i} for i in range(n)]}).encode()
    stream = io.BufferedReader(io.BytesIO(raw))  # type: ignore[arg-type]
    records = get_importer(fmt).records(stream, ImportOptions())  # type: ignore[arg-type]
    next(records)
    assert stream.tell() < len(raw) / 4, (stream.tell(), len(raw))
    assert sum(1 for _ in records) >= n - 1
