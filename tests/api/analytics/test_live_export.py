"""Exports of the live wallboard's tables: CSV (and Parquet) of the queues and of the teams with their agents by
state, named with the snapshot's time; readers only; a bad table or format is refused naming the parameter."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from tests.api.analytics.conftest import NOW
from tests.conftest import auth

FILENAME = re.compile(r'^attachment; filename="wallboard-(queues|teams)-\d{8}T\d{6}Z\.(csv|parquet)"$')


def test_queues_csv_holds_the_wallboard_rows(client: TestClient, centre: dict) -> None:
    board = client.get("/v1/analytics/live", headers=centre["reader"]).json()
    r = client.get("/v1/analytics/live", params={"format": "csv"}, headers=centre["reader"])
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert FILENAME.match(r.headers["content-disposition"]).group(1) == "queues"  # type: ignore[union-attr]
    assert r.text.splitlines()[0] == "queue,contacts,in_progress,abandoned,service_level,sentiment"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(q["queue"], int(q["contacts"]), int(q["in_progress"])) for q in rows] == [
        (q["queue"], q["contacts"], q["in_progress"]) for q in board["queues"]
    ]
    assert rows == [{"queue": "billing-voice", "contacts": "2", "in_progress": "1", "abandoned": "0",
                     "service_level": "", "sentiment": "1.0"}]  # fmt: skip


def test_teams_csv_has_a_column_per_agent_state(client: TestClient, centre: dict) -> None:
    events = [
        {"agent": "h1", "state": "available", "started_at": (NOW - timedelta(minutes=3)).isoformat()},
        {"agent": "h2", "state": "on_contact", "started_at": (NOW - timedelta(minutes=1)).isoformat()},
    ]
    r = client.post("/v1/agent-states", json={"events": events}, headers=auth(centre["keys"]["service"]))
    assert r.status_code == 200, r.text
    r = client.get("/v1/analytics/live", params={"format": "csv", "table": "teams"}, headers=centre["reader"])
    assert r.status_code == 200 and FILENAME.match(r.headers["content-disposition"]).group(1) == "teams"  # type: ignore[union-attr]
    rows = {t["team"]: t for t in csv.DictReader(io.StringIO(r.text))}
    assert r.text.startswith("team,contacts,") and "agents" not in rows["t-aus"]
    assert (rows["t-aus"]["contacts"], rows["t-aus"]["agents_on_contact"], rows["t-aus"]["agents_available"]) == (
        "2", "1", "0"
    )  # fmt: skip
    assert (rows["t-ber"]["agents_available"], rows["t-ber"]["agents_on_contact"]) == ("1", "0")
    r = client.get("/v1/analytics/live", params={"format": "parquet", "table": "teams"}, headers=centre["reader"])
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('.parquet"')
    assert {t["team"]: t["agents_available"] for t in pq.read_table(io.BytesIO(r.content)).to_pylist()} == {
        "t-aus": 0,
        "t-ber": 1,
    }


def test_export_is_for_readers_only(client: TestClient, centre: dict) -> None:
    params = {"format": "csv", "table": "teams"}
    assert client.get("/v1/analytics/live", params=params).status_code == 401
    for role in ("agent", "service"):
        r = client.get("/v1/analytics/live", params=params, headers=auth(centre["keys"][role]))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    for role in ("supervisor", "admin"):
        assert client.get("/v1/analytics/live", params=params, headers=auth(centre["keys"][role])).status_code == 200


def test_bad_table_or_format_is_refused_naming_the_parameter(client: TestClient, centre: dict) -> None:
    r = client.get("/v1/analytics/live", params={"format": "csv", "table": "agents"}, headers=centre["reader"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "query.table"
    assert "queues" in r.json()["error"]["message"] and "teams" in r.json()["error"]["message"]
    r = client.get("/v1/analytics/live", params={"format": "xlsx"}, headers=centre["reader"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "query.format"
