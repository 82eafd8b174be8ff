"""Ingestion through the HTTP API: idempotency, streamed bulk, and every kind of bad input."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth, make_org_keys
from tests.factories import interaction

NDJSON = {"content-type": "application/x-ndjson"}


def bulk(client: TestClient, key: str, lines: list[bytes | dict]) -> dict:
    body = b"\n".join(x if isinstance(x, bytes) else orjson.dumps(x) for x in lines) + b"\n"
    r = client.post("/v1/interactions/bulk", content=body, headers={**auth(key), **NDJSON})
    assert r.status_code == 200, r.text
    return r.json()


def test_single_create_then_resend_is_unchanged_then_update(client: TestClient, org_keys: dict) -> None:
    key = org_keys["service"]
    r1 = client.post("/v1/interactions", json=interaction(1), headers=auth(key))
    assert r1.status_code == 201 and r1.json()["status"] == "created"
    r2 = client.post("/v1/interactions", json=interaction(1), headers=auth(key))
    assert r2.status_code == 200 and r2.json() == {**r1.json(), "status": "unchanged"}
    r3 = client.post("/v1/interactions", json=interaction(1, outcome="escalated", turns=6), headers=auth(key))
    assert r3.json()["status"] == "updated" and r3.json()["id"] == r1.json()["id"]
    detail = client.get(f"/v1/interactions/{r1.json()['id']}", headers=auth(org_keys["analyst"])).json()
    assert detail["outcome"] == "escalated" and len(detail["turns"]) == 6
    assert [t["seq"] for t in detail["turns"]] == list(range(6))
    assert client.get("/v1/interactions", headers=auth(org_keys["analyst"])).json()["total"] == 1


def test_derived_fields_and_participants(client: TestClient, org_keys: dict) -> None:
    rid = client.post("/v1/interactions", json=interaction(3), headers=auth(org_keys["service"])).json()["id"]
    d = client.get(f"/v1/interactions/{rid}", headers=auth(org_keys["admin"])).json()
    assert d["ai_involved"] is True and d["handed_off"] is True
    assert [p["kind"] for p in d["participants"]] == ["ai", "human"]
    assert d["sentiment_start"] == 1.0 and d["turn_count"] == 4 and d["survey_answered"] is True
    agents = client.get("/v1/agents?kind=ai", headers=auth(org_keys["admin"])).json()
    assert [a["code"] for a in agents] == ["bot-1"] and agents[0]["auto_created"] is True


def test_bulk_keeps_good_lines_and_reports_each_bad_one(client: TestClient, org_keys: dict) -> None:
    good = [interaction(i) for i in range(10)]
    bad_type = interaction(20, talk_s="long")
    bad_enum = interaction(21, channel="fax")
    missing = interaction(22)
    del missing["started_at"]
    out_of_order = interaction(23)
    out_of_order["turns"][2]["offset_ms"] = 0
    ended_before = interaction(24, ended_at="2026-03-01T00:00:00+00:00")
    naive = interaction(25, started_at="2026-03-02T09:00:00")
    lines = [
        *good[:5],
        b"{not json",
        bad_type,
        bad_enum,
        missing,
        out_of_order,
        ended_before,
        naive,
        *good[5:],
        good[0],
    ]
    summary = bulk(client, org_keys["service"], lines)
    assert summary["received"] == 18
    assert summary["created"] == 10 and summary["failed"] == 8 and summary["unchanged"] == 0
    errors = {e["line"]: e["errors"][0] for e in summary["errors"]}
    assert errors[6]["message"].startswith("Invalid JSON")
    assert errors[7]["field"] == "talk_s"
    assert errors[8]["field"] == "channel" and "voice" in errors[8]["message"]
    assert errors[9]["field"] == "started_at" and "required" in errors[9]["message"].lower()
    assert "turns[2].offset_ms" in errors[10]["message"] and "time order" in errors[10]["message"]
    assert "before started_at" in errors[11]["message"]
    assert "timezone" in errors[12]["message"]
    assert errors[18]["field"] == "external_id" and "duplicate of line 1" in errors[18]["message"]
    assert client.get("/v1/interactions", headers=auth(org_keys["admin"])).json()["total"] == 10


def test_bulk_resend_changes_nothing(client: TestClient, org_keys: dict) -> None:
    lines = [interaction(i, turns=20) for i in range(40)]
    first = bulk(client, org_keys["service"], lines)
    again = bulk(client, org_keys["service"], lines)
    assert first["created"] == 40 and again["unchanged"] == 40 and again["created"] == again["updated"] == 0
    page = client.get("/v1/interactions?limit=500", headers=auth(org_keys["admin"])).json()
    assert page["total"] == 40


def test_bulk_spanning_several_batches(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    app.state.settings.ingest_batch_size = 7
    summary = bulk(client, org_keys["service"], [interaction(i) for i in range(30)])
    assert summary["created"] == 30


def test_oversized_line_is_reported_and_the_rest_kept(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    app.state.settings.max_line_bytes = 4096
    huge = interaction(99, turns=200)
    summary = bulk(client, org_keys["service"], [interaction(1), huge, interaction(2)])
    assert summary["created"] == 2 and summary["failed"] == 1
    assert summary["errors"][0]["line"] == 2 and "longer than the limit" in summary["errors"][0]["errors"][0]["message"]


def test_oversized_json_body_is_413(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    big = interaction(1, turns=10)
    big["turns"][0]["text"] = "x" * 19_000
    big["turns"] = big["turns"] * 1  # keeps the record valid; only the body size matters
    body = orjson.dumps({**big, "attributes": {f"k{i}": "v" * 60 for i in range(40)}}) + b" " * (3 * 1024 * 1024)
    r = client.post(
        "/v1/interactions", content=body, headers={**auth(org_keys["service"]), "content-type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_single_invalid_record_is_422_with_field(client: TestClient, org_keys: dict) -> None:
    r = client.post("/v1/interactions", json=interaction(1, outcome="maybe"), headers=auth(org_keys["service"]))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "outcome" and "resolved" in err["message"]
    r = client.post(
        "/v1/interactions", content=b"{oops", headers={**auth(org_keys["service"]), "content-type": "application/json"}
    )
    assert r.status_code == 422


@pytest.mark.parametrize("ctype", ["application/xml", "multipart/form-data"])
def test_bulk_refuses_other_media_types(client: TestClient, org_keys: dict, ctype: str) -> None:
    r = client.post(
        "/v1/interactions/bulk", content=b"<a/>", headers={**auth(org_keys["service"]), "content-type": ctype}
    )
    assert r.status_code == 415 and "NDJSON" in r.json()["error"]["message"]


def test_empty_bulk_is_400(client: TestClient, org_keys: dict) -> None:
    r = client.post("/v1/interactions/bulk", content=b"\n\n", headers={**auth(org_keys["service"]), **NDJSON})
    assert r.status_code == 400


def test_agent_states_are_idempotent(client: TestClient, org_keys: dict) -> None:
    events = [
        {"agent": "a-1", "state": s, "started_at": f"2026-03-02T09:0{i}:00Z"}
        for i, s in enumerate(["available", "on_contact", "after_contact_work", "break"])
    ]
    r1 = client.post("/v1/agent-states", json={"events": events}, headers=auth(org_keys["service"]))
    r2 = client.post("/v1/agent-states", json={"events": events}, headers=auth(org_keys["service"]))
    assert r1.json() == {"received": 4, "created": 4, "unchanged": 0}
    assert r2.json() == {"received": 4, "created": 0, "unchanged": 4}
    bad = client.post(
        "/v1/agent-states", json={"events": [{**events[0], "state": "napping"}]}, headers=auth(org_keys["service"])
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "events.0.state"


def test_list_filters_and_bad_ranges(client: TestClient, org_keys: dict) -> None:
    bulk(client, org_keys["service"], [interaction(i, channel="chat" if i % 2 else "voice") for i in range(8)])
    h = auth(org_keys["analyst"])
    assert client.get("/v1/interactions?channel=chat", headers=h).json()["total"] == 4
    r = client.get("/v1/interactions?since=2026-03-03T00:00:00Z&until=2026-03-01T00:00:00Z", headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "until"
    assert client.get("/v1/interactions?limit=100000", headers=h).status_code == 422
    assert client.get("/v1/interactions?channel=fax", headers=h).status_code == 422


def test_unknown_interaction_is_404_and_tenants_are_isolated(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    rid = client.post("/v1/interactions", json=interaction(1), headers=auth(org_keys["service"])).json()["id"]
    other = make_org_keys(app.state.session_factory, "globex")
    assert client.get(f"/v1/interactions/{rid}", headers=auth(other["admin"])).status_code == 404
    assert client.get("/v1/interactions", headers=auth(other["admin"])).json()["total"] == 0
    # The same external id in another organisation is a different interaction.
    r = client.post("/v1/interactions", json=interaction(1), headers=auth(other["service"]))
    assert r.status_code == 201 and r.json()["id"] != rid
