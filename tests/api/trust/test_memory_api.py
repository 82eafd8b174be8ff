"""Consent and consented memory through the API, with every bad input the issue lists."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.trust.helpers import ingest, record
from tests.conftest import auth, linked_key


def _customer(client: TestClient, keys: dict, name: str = "m-1") -> tuple[str, str]:
    """A customer and their contact with the human agent a-1 (whose key `_agent` gives)."""
    d = ingest(client, keys, record(customer=name, hours_ago=3, ai=False))
    return d["customer_id"], d["id"]


def _agent(client: TestClient, keys: dict) -> dict[str, str]:
    """Headers of an agent key linked to a-1, the agent of `_customer`'s contacts."""
    return auth(linked_key(client, keys["admin"], "a-1"))


def test_consent_for_an_unknown_purpose_is_refused(client: TestClient, org_keys: dict) -> None:
    cid, iid = _customer(client, org_keys)
    r = client.post(
        f"/v1/customers/{cid}/consents",
        json={"purpose": "selling_data", "granted": True, "source_interaction_id": iid},
        headers=_agent(client, org_keys),
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "purpose" and "personalisation" in err["message"] and "selling_data" in err["message"]


def test_memory_without_a_source_is_refused(client: TestClient, org_keys: dict) -> None:
    cid, _ = _customer(client, org_keys)
    body = {"kind": "preference", "content": "prefers email", "purpose": "personalisation", "reason": "said so"}
    r = client.post(f"/v1/customers/{cid}/memory", json=body, headers=auth(org_keys["service"]))
    assert r.status_code == 422 and r.json()["error"]["field"] == "source_interaction_id"
    other = ingest(client, org_keys, record(customer="someone-else", hours_ago=2))
    r = client.post(
        f"/v1/customers/{cid}/memory",
        json={**body, "source_interaction_id": other["id"]},
        headers=auth(org_keys["service"]),
    )
    assert r.status_code == 422 and "not a contact" in r.json()["error"]["message"]
    r = client.post(
        f"/v1/customers/{cid}/memory",
        json={**body, "source_interaction_id": str(uuid.uuid4())},
        headers=auth(org_keys["service"]),
    )
    assert r.status_code == 404


def test_memory_lifecycle_with_consent_scope_and_withdrawal(client: TestClient, org_keys: dict) -> None:
    cid, iid = _customer(client, org_keys)
    agent = _agent(client, org_keys)
    secret = "lives with a guide dog named Rex"
    body = {"kind": "fact", "content": secret, "purpose": "personalisation", "reason": "mentioned on the call"}
    body["source_interaction_id"] = iid
    r = client.post(f"/v1/customers/{cid}/memory", json=body, headers=agent)
    assert r.status_code == 409 and secret not in r.text  # no consent yet; no personal data echoed
    grant = {"purpose": "personalisation", "granted": True, "scope": ["preference"], "source_interaction_id": iid}
    assert client.post(f"/v1/customers/{cid}/consents", json=grant, headers=agent).status_code == 200
    r = client.post(f"/v1/customers/{cid}/memory", json=body, headers=agent)
    assert r.status_code == 409 and "fact" in r.json()["error"]["message"] and secret not in r.text
    pref = {**body, "kind": "preference", "content": "prefers to be called in the evening"}
    item = client.post(f"/v1/customers/{cid}/memory", json=pref, headers=agent)
    assert item.status_code == 201, item.text
    items = client.get(f"/v1/customers/{cid}/memory?purpose=personalisation", headers=agent).json()
    assert [i["content"] for i in items] == [pref["content"]]
    other = client.get(f"/v1/customers/{cid}/memory?purpose=recommendations", headers=agent)
    assert other.status_code == 403 and "recommendations" in other.json()["error"]["message"]
    why = client.get(f"/v1/customers/{cid}/memory/{item.json()['id']}/why", headers=agent).json()
    assert why["source_interaction"]["id"] == iid and why["reason"] == "mentioned on the call"
    assert why["consent"]["action"] == "granted" and why["purpose_description"]
    withdraw = {"purpose": "personalisation", "granted": False, "source_interaction_id": iid}
    assert client.post(f"/v1/customers/{cid}/consents", json=withdraw, headers=agent).json()["granted"] is False
    assert client.get(f"/v1/customers/{cid}/memory?purpose=personalisation", headers=agent).status_code == 403
    view = client.get(f"/v1/customers/{cid}/consents", headers=agent).json()
    assert [h["action"] for h in view["history"]] == ["withdrawn", "granted"]
    assert view["consents"][0]["granted"] is False
    assert client.get(f"/v1/customers/{cid}/memory/{item.json()['id']}/why", headers=agent).status_code == 404


def test_memory_roles(client: TestClient, org_keys: dict) -> None:
    cid, _ = _customer(client, org_keys)
    grant = {"purpose": "service_continuity", "granted": True}
    assert (
        client.post(f"/v1/customers/{cid}/consents", json=grant, headers=auth(org_keys["analyst"])).status_code == 403
    )
    r = client.get(f"/v1/customers/{cid}/memory", headers=auth(org_keys["agent"]))
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("purpose")


def test_narrowing_consent_scope_erases_items_it_no_longer_covers(client: TestClient, org_keys: dict) -> None:
    cid, iid = _customer(client, org_keys, "m-scope")
    agent = _agent(client, org_keys)
    grant = {"purpose": "service_continuity", "granted": True, "source_interaction_id": iid}
    assert client.post(f"/v1/customers/{cid}/consents", json=grant, headers=agent).status_code == 200
    base = {"purpose": "service_continuity", "source_interaction_id": iid, "reason": "from the call"}
    for kind, content in (("fact", "has two accounts"), ("preference", "prefers morning calls")):
        body = {**base, "kind": kind, "content": content}
        assert client.post(f"/v1/customers/{cid}/memory", json=body, headers=agent).status_code == 201
    narrow = {**grant, "scope": ["preference"]}
    assert client.post(f"/v1/customers/{cid}/consents", json=narrow, headers=agent).json()["scope"] == ["preference"]
    items = client.get(f"/v1/customers/{cid}/memory?purpose=service_continuity", headers=agent).json()
    assert [i["kind"] for i in items] == ["preference"]
    export = client.get(f"/v1/customers/{cid}/export", headers=auth(org_keys["admin"])).json()
    assert [m["kind"] for m in export["memory"]] == ["preference"]  # erased, not merely hidden
