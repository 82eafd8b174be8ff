"""Exports of table views: CSV (UTF-8, header row) and Parquet (Apache Arrow), from lists of row dicts."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def columns_of(rows: Sequence[dict[str, Any]], preferred: Sequence[str] = ()) -> list[str]:
    """Column order: `preferred` first (those present in the rows), then any other key in first-seen order."""
    cols = [c for c in preferred if not rows or c in rows[0]]
    for row in rows:
        for key in row:
            if key not in cols:
                cols.append(key)
    return cols


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return str(value)
    return value


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """CSV bytes; nulls are empty cells; a cell that a spreadsheet would run as a formula is quoted with '."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        out = []
        for col in columns:
            value = _cell(row.get(col))
            if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _numeric(value):
                value = "'" + value
            out.append("" if value is None else value)
        writer.writerow(out)
    return buf.getvalue().encode("utf-8")


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_parquet(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """Parquet bytes (one row group, snappy), column types inferred by Arrow."""
    table = pa.Table.from_pylist([{c: _cell(r.get(c)) for c in columns} for r in rows])
    if not rows:
        table = pa.table({c: pa.array([], type=pa.string()) for c in columns})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()
