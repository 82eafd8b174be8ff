"""Auto-documentation through the API on SQLite and PostgreSQL: written when the interaction ends (event), read,
listed, regenerated; specific errors; roles; tenancy; generative summaries from a local fake OpenAI-compatible
server (working, failing, slow); erasure removes the documentation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from cxops.core.config import Settings
from cxops.entrypoints.http.app import create_app
from tests.conftest import auth, drain_events, make_org_keys
from tests.factories import interaction
from tests.integration.assist.llm_fake import FakeLlm, fake_llm

TRANSCRIPT = [
    ("agent", "Thank you for calling, my name is Sam. How can I help?"),
    ("customer", "I'd like to cancel order #W1234567, please. I ordered the wrong size."),
    ("agent", "Could you confirm your name and postcode for security?"),
    ("customer", "Sure, it's [PERSON], postcode D02. My email is [EMAIL]."),
    ("agent", "I can see order #W1234567, placed on March 1 for €45.90."),
    ("agent", "I've cancelled the order and €45.90 will be back on your card in 3 to 5 days."),
    ("agent", "I'll also send you a confirmation email today."),
    ("customer", "Great, thank you!"),
]


def _record(n: int, **kw: Any) -> dict[str, Any]:
    rec = interaction(n, turns=0, intent="order_cancel", **kw)
    rec["turns"] = [{"speaker": s, "offset_ms": i * 3000, "text": t} for i, (s, t) in enumerate(TRANSCRIPT)]
    return rec


def _ids(client: TestClient, keys: dict[str, str], records: list[dict[str, Any]]) -> list[str]:
    body = b"\n".join(orjson.dumps(r) for r in records)
    r = client.post(
        "/v1/interactions/bulk", content=body, headers={**auth(keys["service"]), "content-type": "application/x-ndjson"}
    )
    assert r.status_code == 200, r.text
    page = client.get("/v1/interactions?limit=500", headers=auth(keys["analyst"])).json()
    by_ext = {i["external_id"]: i["id"] for i in page["items"]}
    return [by_ext[r["external_id"]] for r in records]


def test_ended_interaction_is_documented_after_the_event(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    [iid] = _ids(client, org_keys, [_record(1)])
    early = client.get(f"/v1/interactions/{iid}/documentation", headers=auth(org_keys["analyst"]))
    assert early.status_code == 404 and "not documented yet" in early.json()["error"]["message"]
    drain_events(app)
    r = client.get(f"/v1/interactions/{iid}/documentation", headers=auth(org_keys["analyst"]))
    assert r.status_code == 200, r.text
    body = r.json()
    doc = body["document"]
    assert body["schema_version"] == doc["schema"] == "cxops.documentation/1"
    assert body["intent"] == "order_cancel" and body["outcome"] == "resolved"
    assert doc["interaction"]["id"] == iid and doc["interaction"]["turns"] == len(TRANSCRIPT)
    assert doc["summary"]["sentences"][0]["turn"] == 1 and doc["summary"]["sentences"][0]["speaker"] == "customer"
    assert doc["summary"]["method"] in ("textrank-mmr/minilm", "textrank-mmr/tfidf")
    kinds = {(e["type"], e["value"]) for e in doc["entities"]}
    assert ("order_id", "W1234567") in kinds and ("amount", 45.9) in kinds and ("email", "[EMAIL]") in kinds
    assert ("date", "2026-03-01") in kinds
    due = {a["text"]: a["due"] for a in doc["action_items"]}
    assert due["I've cancelled the order and €45.90 will be back on your card in 3 to 5 days."] == "2026-03-07"
    assert due["I'll also send you a confirmation email today."] == "2026-03-02"
    assert doc["generative"] is None and doc["generative_status"] == "disabled"
    assert "CXOPS_LLM_URL is not set" in doc["generative_reason"]
    # the same JSON is stored on the interaction itself, for a CRM that reads interactions
    interaction = client.get(f"/v1/interactions/{iid}", headers=auth(org_keys["analyst"])).json()
    assert interaction["documentation"] == doc


def test_specific_errors_roles_and_tenancy(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    ongoing = _record(2)
    ongoing.pop("ended_at")
    done_id, ongoing_id = _ids(client, org_keys, [_record(1), ongoing])
    drain_events(app)
    unknown = "0190a0b0-0000-7000-8000-000000000000"
    r = client.get(f"/v1/interactions/{unknown}/documentation", headers=auth(org_keys["analyst"]))
    assert r.status_code == 404 and r.json()["error"]["message"] == f"interaction {unknown} not found"
    r = client.get(f"/v1/interactions/{ongoing_id}/documentation", headers=auth(org_keys["analyst"]))
    assert r.status_code == 409 and "has not ended yet" in r.json()["error"]["message"]
    r = client.post(f"/v1/interactions/{ongoing_id}/documentation/regenerate", headers=auth(org_keys["supervisor"]))
    assert r.status_code == 409
    r = client.get("/v1/interactions/not-a-uuid/documentation", headers=auth(org_keys["analyst"]))
    assert r.status_code == 422
    assert client.get(f"/v1/interactions/{done_id}/documentation", headers=auth(org_keys["agent"])).status_code == 403
    r = client.post(f"/v1/interactions/{done_id}/documentation/regenerate", headers=auth(org_keys["analyst"]))
    assert r.status_code == 403
    other = make_org_keys(app.state.session_factory, "globex")
    r = client.get(f"/v1/interactions/{done_id}/documentation", headers=auth(other["admin"]))
    assert r.status_code == 404
    assert client.get("/v1/documentation", headers=auth(other["admin"])).json()["total"] == 0
    huge = client.get(f"/v1/documentation?offset={2**63}", headers=auth(org_keys["analyst"]))  # was a 500
    assert huge.status_code == 422 and "offset" in huge.text
    r = client.get("/v1/documentation?since=2026-03-01T00:00:00", headers=auth(org_keys["analyst"]))
    assert r.status_code == 422 and r.json()["error"]["field"] == "since"


def test_list_and_regenerate(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(client, org_keys, [_record(n) for n in range(1, 4)])
    drain_events(app)
    page = client.get("/v1/documentation?limit=2", headers=auth(org_keys["analyst"])).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert page["items"][0]["interaction_started_at"] >= page["items"][1]["interaction_started_at"]
    assert client.get("/v1/documentation?intent=nope", headers=auth(org_keys["analyst"])).json()["total"] == 0
    before = client.get(f"/v1/interactions/{ids[0]}/documentation", headers=auth(org_keys["analyst"])).json()
    r = client.post(f"/v1/interactions/{ids[0]}/documentation/regenerate", headers=auth(org_keys["supervisor"]))
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["created_at"] == before["created_at"] and after["updated_at"] > before["updated_at"]
    assert after["document"]["summary"] == before["document"]["summary"]
    assert client.get("/v1/documentation", headers=auth(org_keys["analyst"])).json()["total"] == 3


def test_erasure_deletes_the_documentation(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    [iid] = _ids(client, org_keys, [_record(1)])
    drain_events(app)
    customer = client.get(f"/v1/interactions/{iid}", headers=auth(org_keys["analyst"])).json()["customer_id"]
    r = client.post(f"/v1/customers/{customer}/erasure", headers=auth(org_keys["admin"]))
    assert r.status_code == 200, r.text
    drain_events(app)
    assert client.get(f"/v1/interactions/{iid}/documentation", headers=auth(org_keys["analyst"])).status_code == 404
    assert client.get(f"/v1/interactions/{iid}", headers=auth(org_keys["analyst"])).json()["documentation"] is None


@pytest.fixture
def llm() -> Iterator[FakeLlm]:
    with fake_llm() as fake:
        yield fake


def _llm_client(settings: Settings, fake: FakeLlm) -> Iterator[TestClient]:
    app = create_app(
        settings.model_copy(update={"llm_url": fake.url, "llm_model": "tiny", "llm_timeout_s": 0.5}), dispatch=False
    )
    with TestClient(app) as c:
        yield c


@pytest.fixture
def llm_client(settings: Settings, llm: FakeLlm) -> Iterator[TestClient]:
    yield from _llm_client(settings, llm)


def test_generative_summary_from_the_llm(llm_client: TestClient, llm: FakeLlm) -> None:
    app = llm_client.app
    keys = make_org_keys(app.state.session_factory, "acme")  # type: ignore[attr-defined]
    [iid] = _ids(llm_client, keys, [_record(1)])
    drain_events(app)
    doc = llm_client.get(f"/v1/interactions/{iid}/documentation", headers=auth(keys["analyst"])).json()["document"]
    assert doc["generative_status"] == "ok" and doc["generative"]["model"] == "tiny"
    assert doc["generative"]["summary"].startswith("Customer asked for help")
    on_interaction = llm_client.get(f"/v1/interactions/{iid}", headers=auth(keys["analyst"])).json()["documentation"]
    assert on_interaction["generative"] == doc["generative"]
    prompt = llm.requests[0]["messages"][-1]["content"]
    assert "[EMAIL]" in prompt and "Intent: order_cancel" in prompt
    assert doc["summary"]["sentences"]  # the extractive part is intact


@pytest.mark.parametrize(("mode", "reason"), [("500", "HTTP 500: model crashed"), ("slow", "timed out")])
def test_failing_or_slow_llm_leaves_the_extractive_documentation(
    llm_client: TestClient, llm: FakeLlm, mode: str, reason: str
) -> None:
    app = llm_client.app
    llm.script, llm.slow_s = [mode], 1.5
    keys = make_org_keys(app.state.session_factory, "acme")  # type: ignore[attr-defined]
    ids = _ids(llm_client, keys, [_record(1), _record(2)])
    drain_events(app)
    docs = [
        llm_client.get(f"/v1/interactions/{i}/documentation", headers=auth(keys["analyst"])).json()["document"]
        for i in ids
    ]
    for doc in docs:
        assert doc["generative"] is None and doc["generative_status"] == "failed"
        assert doc["summary"]["sentences"] and doc["entities"] and doc["action_items"]
    assert reason in docs[0]["generative_reason"] or reason in docs[1]["generative_reason"]
    assert any("earlier failure" in d["generative_reason"] for d in docs)  # the batch gives up after one failure
    attempts = len(llm.requests)
    llm.script = ["ok"]
    r = llm_client.post(f"/v1/interactions/{ids[0]}/documentation/regenerate", headers=auth(keys["supervisor"]))
    assert r.status_code == 200 and r.json()["generative_status"] == "ok" and len(llm.requests) == attempts + 1
