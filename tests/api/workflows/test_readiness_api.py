"""The readiness report through the API on real (small) data."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.factories import interaction


def test_readiness_report(client: TestClient, org_keys: dict) -> None:
    records = [
        interaction(
            i,
            intent=["refund", "billing_dispute", "password_reset"][i % 3],
            disposition="standard" if i % 2 else "workaround",
        )
        for i in range(30)
    ]
    body = b"\n".join(orjson.dumps(r) for r in records)
    client.post(
        "/v1/interactions/bulk",
        content=body,
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    r = client.get("/v1/readiness", headers=auth(org_keys["analyst"]))
    assert r.status_code == 200, r.text
    report = r.json()
    pillars = {p["name"]: p for p in report["pillars"]}
    assert set(pillars) == {"knowledge", "process", "integration", "governance", "trust", "workforce"}
    assert pillars["knowledge"]["score"] == 0.0 and "no knowledge source" in pillars["knowledge"]["evidence"][0]
    assert pillars["workforce"]["score"] == 0.0
    assert any("audit chain verified" in e for e in pillars["governance"]["evidence"])
    assert 0 < pillars["process"]["score"] < 100
    assert report["trajectory"] in {
        "automation plateau",
        "autonomous enterprise",
        "managed intelligence",
        "trust collapse",
    }
    gains = [s["expected_overall_gain"] for s in report["next_steps"]]
    assert len(gains) == 3 and gains == sorted(gains, reverse=True)
    assert client.get("/v1/readiness", headers=auth(org_keys["agent"])).status_code == 403
