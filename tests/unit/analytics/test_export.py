"""CSV and Parquet exports of table views."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq

from cxops.domains.analytics.compute.export import columns_of, to_csv, to_parquet

ROWS = [
    {"team": "t1", "volume": 3, "csat": 4.5},
    {"team": '=HYPERLINK("x")', "volume": 1, "csat": None, "extra": "-5"},
]


def test_columns_keep_preferred_order_and_add_the_rest() -> None:
    assert columns_of(ROWS, ["bucket", "team"]) == ["team", "volume", "csat", "extra"]


def test_csv_has_header_empty_nulls_and_defused_formulas() -> None:
    out = list(csv.reader(io.StringIO(to_csv(ROWS, columns_of(ROWS)).decode())))
    assert out[0] == ["team", "volume", "csat", "extra"]
    assert out[1] == ["t1", "3", "4.5", ""]
    assert out[2][0].startswith("'=") and out[2][2] == "" and out[2][3] == "-5"


def test_parquet_round_trips_types() -> None:
    table = pq.read_table(io.BytesIO(to_parquet(ROWS, columns_of(ROWS))))
    assert table.column_names == ["team", "volume", "csat", "extra"]
    assert table.column("volume").to_pylist() == [3, 1] and table.column("csat").to_pylist() == [4.5, None]
    empty = pq.read_table(io.BytesIO(to_parquet([], ["team"])))
    assert empty.num_rows == 0 and empty.column_names == ["team"]
