"""Privacy through the API: redaction at ingestion, restricted originals, subject export and erasure."""

from __future__ import annotations

import logging
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxops.core.config import Settings
from cxops.core.models import OutboxEvent
from cxops.domains.knowledge.models import KnowledgeAttribution
from cxops.entrypoints.http.app import create_app
from tests.api.trust.helpers import ingest, record
from tests.conftest import auth, drain_events, make_org_keys
from tests.factories import cited_article

PII_TEXT = "I'm at jane.roe@example.com or +44 7911 123456, card 4111 1111 1111 1111"


def test_turn_text_is_redacted_at_ingestion_by_default(client: TestClient, org_keys: dict) -> None:
    d = ingest(client, org_keys, record(customer="p-1", text=PII_TEXT))
    text = d["turns"][0]["text"]
    assert text == "I'm at [EMAIL] or [PHONE], card [CARD]"
    r = client.get(f"/v1/interactions/{d['id']}/originals", headers=auth(org_keys["admin"]))
    assert r.status_code == 200 and r.json() == []  # redact-only mode keeps no original


@pytest.fixture
def keep_client(settings: Settings):  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"pii_mode": "redact_keep_original"}), dispatch=False)
    with TestClient(app) as c:
        yield c


def test_originals_are_kept_for_admins_only(keep_client: TestClient) -> None:
    keys = make_org_keys(keep_client.app.state.session_factory, "keep")  # type: ignore[attr-defined]
    d = ingest(keep_client, keys, record(customer="p-2", text=PII_TEXT))
    assert "[EMAIL]" in d["turns"][0]["text"]
    url = f"/v1/interactions/{d['id']}/originals"
    assert keep_client.get(url, headers=auth(keys["admin"])).json() == [{"seq": 0, "text": PII_TEXT}]
    for role in ("supervisor", "analyst", "agent", "service"):
        assert keep_client.get(url, headers=auth(keys[role])).status_code == 403


def test_off_mode_stores_text_as_sent(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"pii_mode": "off"}), dispatch=False)
    with TestClient(app) as c:
        keys = make_org_keys(app.state.session_factory, "off")
        assert ingest(c, keys, record(customer="p-3", text=PII_TEXT))["turns"][0]["text"] == PII_TEXT


def test_export_then_erasure_is_complete_and_idempotent(
    client: TestClient, org_keys: dict, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = auth(org_keys["admin"])
    d = ingest(client, org_keys, record(customer="p-4", text="my dog is called Biscuit", handoff=True))
    cid = d["customer_id"]
    grant = {"purpose": "service_continuity", "granted": True}
    client.post(f"/v1/customers/{cid}/consents", json=grant, headers=admin)
    mem = {"kind": "fact", "content": "dog Biscuit", "purpose": "service_continuity", "reason": "r"}
    client.post(f"/v1/customers/{cid}/memory", json={**mem, "source_interaction_id": d["id"]}, headers=admin)
    export = client.get(f"/v1/customers/{cid}/export", headers=admin).json()
    assert export["interactions"][0]["turns"][0]["text"] == "my dog is called Biscuit"
    assert export["memory"][0]["content"] == "dog Biscuit" and export["identities"][0]["external_id"] == "p-4"
    assert export["trust_ledger"] and export["consents"][0]["purpose"] == "service_continuity"
    assert client.get(f"/v1/customers/{cid}/export", headers=auth(org_keys["supervisor"])).status_code == 403

    first = client.post(f"/v1/customers/{cid}/erasure", headers=admin)
    assert first.status_code == 200 and first.json()["already_erased"] is False
    counts = first.json()["counts"]
    assert counts["interactions"] == 1 and counts["turns"] == 1 and counts["memory_items"] == 1
    assert counts["identities"] == 1 and counts["ledger_entries"] >= 1
    again = client.post(f"/v1/customers/{cid}/erasure", headers=admin)
    assert again.status_code == 200 and again.json()["already_erased"] is True
    assert again.json()["id"] == first.json()["id"]

    after = client.get(f"/v1/customers/{cid}/export", headers=admin).json()
    assert after["interactions"][0]["turns"][0]["text"] == "[ERASED]"
    assert after["memory"] == [] and after["identities"] == [] and after["trust_ledger"] == []
    assert after["customer"]["display_name"] is None and after["erasure"]["id"] == first.json()["id"]
    with client.app.state.session_factory() as s:  # type: ignore[attr-defined]
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "trust.customer_erased")).all()
    assert len(events) == 1 and events[0].payload["interaction_ids"] == [d["id"]]
    assert "Biscuit" not in caplog.text and "p-4" not in caplog.text


def test_erasure_of_an_unknown_customer_is_404(client: TestClient, org_keys: dict) -> None:
    missing = uuid.uuid4()
    r = client.post(f"/v1/customers/{missing}/erasure", headers=auth(org_keys["admin"]))
    assert r.status_code == 404 and r.json()["error"]["field"] == "customer_id"
    r = client.get(f"/v1/interactions/{missing}/originals", headers=auth(org_keys["admin"]))
    assert r.status_code == 404


def test_other_organisations_cannot_reach_a_customer(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    d = ingest(client, org_keys, record(customer="p-5"))
    other = make_org_keys(app.state.session_factory, "other")
    for url in ("routing-advice", "trust", "consents", "export"):
        r = client.get(f"/v1/customers/{d['customer_id']}/{url}", headers=auth(other["admin"]))
        assert r.status_code == 404, url
    assert client.post(f"/v1/customers/{d['customer_id']}/erasure", headers=auth(other["admin"])).status_code == 404


def test_erasure_reaches_knowledge_attributions(client: TestClient, org_keys: dict) -> None:
    admin = auth(org_keys["admin"])
    d = ingest(client, org_keys, record(customer="p-9", text="where is my parcel"))
    org = uuid.UUID(org_keys["org_id"])
    with client.app.state.session_factory() as s:  # type: ignore[attr-defined]
        cited_article(s, org_id=org, interaction_id=uuid.UUID(d["id"]), body="Parcels arrive in 3 days.", usage="shown")
        s.commit()
    client.post(f"/v1/customers/{d['customer_id']}/erasure", headers=admin)
    drain_events(client.app)
    with client.app.state.session_factory() as s:  # type: ignore[attr-defined]
        assert s.scalars(select(KnowledgeAttribution)).all() == []
