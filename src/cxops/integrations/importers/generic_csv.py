"""The generic CSV format: one row per turn, the interaction's columns repeated (or left blank) on its rows.

Rows of one interaction are consecutive and share `external_id` (and `source`); they are grouped in file
order and streamed, so memory holds one interaction at a time. Column reference: docs/ingestion.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from cxops.contracts.interactions import AgentKind, FieldError, LineResult, ParticipantRole
from cxops.integrations.importers.base import ImportOptions, Record, UnusableInput, error
from cxops.integrations.importers.jsonstream import first_byte

SIMPLE = (
    "source",
    "external_id",
    "channel",
    "queue",
    "started_at",
    "ended_at",
    "talk_s",
    "hold_s",
    "wrap_s",
    "outcome",
    "disposition",
    "intent",
    "csat",
    "survey_answered",
    "language",
)
CUSTOMER = {
    "customer_id": "external_id",
    "customer_name": "display_name",
    "customer_tier": "tier",
    "customer_region": "region",
}
PEOPLE = ("agent", "agent_kind", "participants")
TURN = {
    "turn_speaker": "speaker",
    "turn_offset_ms": "offset_ms",
    "turn_end_offset_ms": "end_offset_ms",
    "turn_text": "text",
    "turn_agent": "agent",
    "turn_sentiment": "sentiment",
}
INTERACTION_COLUMNS = (*SIMPLE, *CUSTOMER, *PEOPLE)
COLUMNS = (*INTERACTION_COLUMNS, *TURN)
ATTR_PREFIX = "attr."
KINDS = {k.value for k in AgentKind}
ROLES = {r.value for r in ParticipantRole}


@dataclass
class _Group:
    line: int
    key: tuple[str, str]
    values: dict[str, str]
    first_seen: dict[str, int]
    turns: list[dict[str, str]] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


class CsvImporter:
    """Generic CSV (UTF-8, comma-separated, header row), one row per turn."""

    name = "csv"
    description = "generic CSV: one row per turn, grouped by external_id in file order (docs/ingestion.md)"

    def records(self, stream: BinaryIO, options: ImportOptions) -> Iterator[Record]:
        """One record per interaction, numbered by the line of its first row."""
        first_byte(stream)
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
        try:
            yield from _read(csv.reader(text), options)
        finally:
            text.detach()


def _header(reader: Any, options: ImportOptions) -> list[str]:
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UnusableInput("the file is empty") from None
    except csv.Error as exc:
        raise UnusableInput(f"the CSV header cannot be read: {exc}") from None
    if any(_bad_text(h) for h in header):
        raise UnusableInput("the CSV header is not valid UTF-8; save the file as UTF-8")
    unknown = [h for h in header if h not in COLUMNS and not (h.startswith(ATTR_PREFIX) and len(h) > len(ATTR_PREFIX))]
    if unknown:
        raise UnusableInput(
            f"unknown CSV column(s): {', '.join(repr(u[:40]) for u in unknown[:5])}; known columns are "
            f"{', '.join(COLUMNS)} and attr.<name>"
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise UnusableInput(f"CSV column(s) appear twice: {', '.join(dupes)}")
    required = ["external_id", "channel", "started_at", *([] if options.source else ["source"])]
    missing = [c for c in required if c not in header]
    if missing:
        raise UnusableInput(f"the CSV header lacks required column(s): {', '.join(missing)}")
    return header


def _read(reader: Any, options: ImportOptions) -> Iterator[Record]:
    header = _header(reader, options)
    group: _Group | None = None
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num + 1
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield error(line, "(line)", f"unreadable CSV: {exc}")
            line = reader.line_num + 1
            continue
        row_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            yield error(row_line, "(line)", f"the row has {len(raw)} fields, the header has {len(header)}")
            continue
        row = {h: v.strip() for h, v in zip(header, raw, strict=True)}
        if not row.get("source"):  # blank on a continuation row means "the same"; else --source
            same = group is not None and row.get("external_id") == group.key[1]
            row["source"] = group.key[0] if same and group is not None else (options.source or "")
        key = (row["source"], row.get("external_id", ""))
        if not key[1]:
            yield error(row_line, "external_id", "is empty; every row needs its interaction's external_id")
            continue
        if group is not None and key == group.key:
            _add_row(group, row, row_line)
            continue
        if group is not None:
            yield _finish(group)
        if key in seen:
            group = _Group(row_line, key, {}, {})
            group.errors.append(
                FieldError(
                    field="external_id",
                    message=f"{key[1]!r} already appeared at line {seen[key]}: rows of one interaction must be "
                    "consecutive",
                )
            )
            continue
        seen[key] = row_line
        group = _Group(row_line, key, {}, {})
        _add_row(group, row, row_line)
    if group is not None:
        yield _finish(group)


def _bad_text(value: str) -> bool:
    """Undecodable bytes survive as lone surrogates (errors='surrogateescape')."""
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _add_row(group: _Group, row: dict[str, str], line: int) -> None:
    if group.errors and group.errors[0].field == "external_id":
        return
    for name, value in row.items():
        if _bad_text(value):
            group.errors.append(FieldError(field=f"line {line}: {name}", message="is not valid UTF-8"))
            return
    for name, value in row.items():
        if name in TURN or not value:
            continue
        if name not in group.values:
            group.values[name], group.first_seen[name] = value, line
        elif group.values[name] != value:
            group.errors.append(
                FieldError(
                    field=f"line {line}: {name}",
                    message=f"is {value[:40]!r} but line {group.first_seen[name]} says "
                    f"{group.values[name][:40]!r}: an interaction's columns must agree on all its rows",
                )
            )
    turn = {TURN[c]: row[c] for c in TURN if row.get(c)}
    if turn:
        group.turns.append(turn)


def _finish(group: _Group) -> Record:
    if group.errors:
        return group.line, LineResult(
            line=group.line, status="error", external_id=group.key[1], errors=group.errors[:20]
        )
    return group.line, to_interaction(group.values, group.turns)


def to_interaction(values: dict[str, str], turns: list[dict[str, str]]) -> dict[str, Any]:
    """Interaction columns and turn rows -> a contract dict (strings; the contract's validation converts)."""
    record: dict[str, Any] = {name: values[name] for name in SIMPLE if name in values}
    customer = {key: values[col] for col, key in CUSTOMER.items() if col in values}
    if customer:
        record["customer"] = customer
    if values.get("participants"):
        record["participants"] = [_participant(p) for p in values["participants"].split(";") if p.strip()]
    elif values.get("agent"):
        record["participants"] = [{"agent": values["agent"], "kind": values.get("agent_kind") or "human"}]
    attrs = {k[len(ATTR_PREFIX) :]: v for k, v in values.items() if k.startswith(ATTR_PREFIX)}
    if attrs:
        record["attributes"] = attrs
    record["turns"] = turns
    return record


def _participant(spec: str) -> dict[str, str]:
    """`code[:kind][:role]`, e.g. `bot-1:ai:primary`; a code may itself hold ':' (`zendesk:42:human`)."""
    parts = [p.strip() for p in spec.split(":")]
    out: dict[str, str] = {}
    if len(parts) > 1 and parts[-1] in ROLES:
        out["role"] = parts.pop()
    if len(parts) > 1 and parts[-1] in KINDS:
        out["kind"] = parts.pop()
    return {"agent": ":".join(parts), **out}
