"""An agent key reads and changes the trust data only of the customers of their own contacts.

Trust state, routing advice, consents and memory of a customer the agent never handled answer 404, exactly as for a
customer that exists nowhere; consent and memory recorded by an agent name one of their own interactions with the
customer. Service keys, supervisors, analysts (read) and admins keep organisation-wide access.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxops.contracts.interactions import CustomerRef, InteractionIn, ParticipantIn
from cxops.core.clock import utcnow
from cxops.core.db import unit_of_work
from cxops.domains.interactions.public import open_live
from tests.api.trust.helpers import ingest, record, with_agents
from tests.conftest import auth, linked_key

GRANT = {"purpose": "personalisation", "granted": True, "scope": ["preference"]}
MEMORY = {"kind": "preference", "content": "prefers email", "purpose": "personalisation", "reason": "said so"}


@pytest.fixture
def world(client: TestClient, org_keys: dict) -> dict[str, Any]:
    """Agent a-1 helped customer `mine` (as a hand-off participant after the bot, and as primary agent); a-2 had
    another contact with `mine` and the only one with `theirs`; a-1 also had a contact with customer `mine2`."""
    handoff = ingest(client, org_keys, record(customer="s-mine", hours_ago=30, handoff=True, outcome="escalated"))
    assert handoff["primary_agent_id"] != handoff["participants"][1]["agent_id"]  # a-1 is a participant only
    own = ingest(client, org_keys, with_agents(record(customer="s-mine", hours_ago=20, ai=False), "a-1"))
    others = ingest(client, org_keys, with_agents(record(customer="s-mine", hours_ago=10, ai=False), "a-2"))
    theirs = ingest(client, org_keys, with_agents(record(customer="s-theirs", hours_ago=5, ai=False), "a-2"))
    mine2 = ingest(client, org_keys, with_agents(record(customer="s-mine2", hours_ago=4, ai=False), "a-1"))
    admin = auth(org_keys["admin"])
    for cid, iid in ((handoff["customer_id"], handoff["id"]), (theirs["customer_id"], theirs["id"])):
        grant = client.post(
            f"/v1/customers/{cid}/consents", json={**GRANT, "source_interaction_id": iid}, headers=admin
        )
        assert grant.status_code == 200, grant.text
        item = client.post(f"/v1/customers/{cid}/memory", json={**MEMORY, "source_interaction_id": iid}, headers=admin)
        assert item.status_code == 201, item.text
    return {
        "agent": auth(linked_key(client, org_keys["admin"], "a-1")),
        "other_agent": auth(linked_key(client, org_keys["admin"], "a-2")),
        "mine": handoff["customer_id"],
        "handoff": handoff["id"],
        "own": own["id"],
        "others": others["id"],
        "theirs": theirs["customer_id"],
        "theirs_interaction": theirs["id"],
        "mine2_interaction": mine2["id"],
    }


def _item(client: TestClient, keys: dict, cid: str) -> str:
    items = client.get(f"/v1/customers/{cid}/memory?purpose=personalisation", headers=auth(keys["admin"])).json()
    return str(items[0]["id"])


def _reads(cid: str, item: str) -> list[str]:
    base = f"/v1/customers/{cid}"
    return [
        f"{base}/trust",
        f"{base}/routing-advice",
        f"{base}/consents",
        f"{base}/memory?purpose=personalisation",
        f"{base}/memory/{item}/why",
    ]


def _masked(resp: Any, *ids: str) -> tuple[int, str]:
    body = resp.text
    for n, value in enumerate(ids):
        body = body.replace(value, f"<id{n}>")
    return resp.status_code, body


def test_agent_reads_the_trust_data_of_their_own_customers(
    client: TestClient, org_keys: dict, world: dict[str, Any]
) -> None:
    item = _item(client, org_keys, world["mine"])
    for url in _reads(world["mine"], item):
        r = client.get(url, headers=world["agent"])
        assert r.status_code == 200, (url, r.text)
    assert client.get(f"/v1/customers/{world['mine']}/trust", headers=world["agent"]).json()["experiences"]
    memory = client.get(f"/v1/customers/{world['mine']}/memory?purpose=personalisation", headers=world["agent"])
    assert [m["content"] for m in memory.json()] == ["prefers email"]


def test_another_customer_answers_404_as_a_customer_that_exists_nowhere(
    client: TestClient, org_keys: dict, world: dict[str, Any]
) -> None:
    theirs, nowhere = world["theirs"], str(uuid.uuid4())
    item = _item(client, org_keys, theirs)
    before = client.get(f"/v1/customers/{theirs}/consents", headers=auth(org_keys["admin"])).json()
    for url, ghost in zip(_reads(theirs, item), _reads(nowhere, item), strict=True):
        r = client.get(url, headers=world["agent"])
        assert r.status_code == 404, (url, r.text)
        assert r.json()["error"]["field"] == "customer_id"
        assert _masked(r, theirs) == _masked(client.get(ghost, headers=world["agent"]), nowhere), url
    # recording: with the customer's own interaction (another agent's) or with one of the agent's own
    for source in (world["theirs_interaction"], world["own"], None):
        body = {**GRANT, "source_interaction_id": source}
        r = client.post(f"/v1/customers/{theirs}/consents", json=body, headers=world["agent"])
        ghost = client.post(f"/v1/customers/{nowhere}/consents", json=body, headers=world["agent"])
        assert r.status_code == 404 and _masked(r, theirs) == _masked(ghost, nowhere), r.text
        r = client.post(
            f"/v1/customers/{theirs}/memory", json={**MEMORY, "source_interaction_id": source}, headers=world["agent"]
        )
        assert r.status_code == 404 and r.json()["error"]["field"] == "customer_id", r.text
    # the audit's exact call: consent for personalisation without a source interaction
    r = client.post(
        f"/v1/customers/{theirs}/consents", json={"purpose": "personalisation", "granted": True}, headers=world["agent"]
    )
    assert r.status_code == 404
    after = client.get(f"/v1/customers/{theirs}/consents", headers=auth(org_keys["admin"])).json()
    assert after == before  # nothing recorded
    assert (
        len(
            client.get(f"/v1/customers/{theirs}/memory?purpose=personalisation", headers=auth(org_keys["admin"])).json()
        )
        == 1
    )


def test_agent_records_consent_only_from_their_own_interaction_with_the_customer(
    client: TestClient, org_keys: dict, world: dict[str, Any]
) -> None:
    url = f"/v1/customers/{world['mine']}/consents"
    consent = {"purpose": "service_continuity", "granted": True}
    r = client.post(url, json=consent, headers=world["agent"])
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "source_interaction_id" and "required" in r.json()["error"]["message"]
    # another agent's interaction with this very customer looks like one that exists nowhere
    nowhere = str(uuid.uuid4())
    r = client.post(url, json={**consent, "source_interaction_id": world["others"]}, headers=world["agent"])
    ghost = client.post(url, json={**consent, "source_interaction_id": nowhere}, headers=world["agent"])
    assert r.status_code == 404 and r.json()["error"]["field"] == "source_interaction_id"
    assert _masked(r, world["others"]) == _masked(ghost, nowhere)
    # their own interaction, but with another customer
    r = client.post(url, json={**consent, "source_interaction_id": world["mine2_interaction"]}, headers=world["agent"])
    assert r.status_code == 422 and "not a contact" in r.json()["error"]["message"]
    # their own interactions with the customer: as primary agent and as a hand-off participant
    for source in (world["own"], world["handoff"]):
        r = client.post(url, json={**consent, "source_interaction_id": source}, headers=world["agent"])
        assert r.status_code == 200 and r.json()["granted"] is True, r.text
    history = client.get(url, headers=world["agent"]).json()["history"]
    mine = [h for h in history if h["purpose"] == "service_continuity"]
    assert [h["source_interaction_id"] for h in mine] == [world["handoff"], world["own"]]
    assert {(h["recorded_by_role"], h["recorded_by_subject"]) for h in mine} == {("agent", "a-1")}
    admin_entry = next(h for h in history if h["purpose"] == "personalisation")
    assert admin_entry["recorded_by_role"] == "admin" and admin_entry["recorded_by_subject"] is None
    assert admin_entry["recorded_by"]


def test_agent_memory_needs_their_own_source_interaction(
    client: TestClient, org_keys: dict, world: dict[str, Any]
) -> None:
    url = f"/v1/customers/{world['mine']}/memory"
    r = client.post(url, json={**MEMORY, "source_interaction_id": world["others"]}, headers=world["agent"])
    assert r.status_code == 404 and r.json()["error"]["field"] == "source_interaction_id", r.text
    # the same agent cannot read that interaction either
    assert client.get(f"/v1/interactions/{world['others']}", headers=world["agent"]).status_code == 404
    r = client.post(url, json=MEMORY, headers=world["agent"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "source_interaction_id"
    r = client.post(
        url, json={**MEMORY, "content": "likes mornings", "source_interaction_id": world["own"]}, headers=world["agent"]
    )
    assert r.status_code == 201, r.text
    items = client.get(f"{url}?purpose=personalisation", headers=auth(org_keys["admin"])).json()
    assert sorted(i["content"] for i in items) == ["likes mornings", "prefers email"]
    # the other agent, who handled `others`, may record from it
    r = client.post(url, json={**MEMORY, "source_interaction_id": world["others"]}, headers=world["other_agent"])
    assert r.status_code == 201, r.text


def test_a_live_call_counts_as_a_contact(client: TestClient, org_keys: dict, app: Any, world: dict[str, Any]) -> None:
    record_in = InteractionIn(
        source="live",
        external_id="call-1",
        channel="voice",
        started_at=utcnow(),
        customer=CustomerRef(external_id="s-caller"),
        participants=[ParticipantIn(agent="a-1")],
    )
    with unit_of_work(app.state.session_factory) as session:
        call = open_live(session, org_id=uuid.UUID(org_keys["org_id"]), record=record_in)
    cid, iid = str(call.customer_id), str(call.id)
    assert client.get(f"/v1/customers/{cid}/routing-advice", headers=world["agent"]).status_code == 200
    assert client.get(f"/v1/customers/{cid}/trust", headers=world["other_agent"]).status_code == 404
    body = {"purpose": "service_continuity", "granted": True, "source_interaction_id": iid}
    assert client.post(f"/v1/customers/{cid}/consents", json=body, headers=world["agent"]).status_code == 200


def test_an_unlinked_agent_key_is_refused(client: TestClient, org_keys: dict, world: dict[str, Any]) -> None:
    unlinked = auth(org_keys["agent"])
    cid = world["mine"]
    for url in _reads(cid, _item(client, org_keys, cid)):
        r = client.get(url, headers=unlinked)
        assert r.status_code == 403 and "not linked" in r.json()["error"]["message"], url
    body = {**GRANT, "source_interaction_id": world["own"]}
    assert client.post(f"/v1/customers/{cid}/consents", json=body, headers=unlinked).status_code == 403
    body = {**MEMORY, "source_interaction_id": world["own"]}
    assert client.post(f"/v1/customers/{cid}/memory", json=body, headers=unlinked).status_code == 403


def test_service_keys_supervisors_analysts_and_admins_keep_organisation_wide_access(
    client: TestClient, org_keys: dict, world: dict[str, Any]
) -> None:
    theirs = world["theirs"]
    item = _item(client, org_keys, theirs)
    for role in ("service", "supervisor", "analyst", "admin"):
        for url in _reads(theirs, item):
            r = client.get(url, headers=auth(org_keys[role]))
            assert r.status_code == 200, (role, url, r.text)
    url = f"/v1/customers/{theirs}/consents"
    # a service key records without a source interaction, as before
    r = client.post(url, json={"purpose": "recommendations", "granted": True}, headers=auth(org_keys["service"]))
    assert r.status_code == 200, r.text
    body = {**MEMORY, "content": "asked for paper bills", "source_interaction_id": world["theirs_interaction"]}
    r = client.post(f"/v1/customers/{theirs}/memory", json=body, headers=auth(org_keys["supervisor"]))
    assert r.status_code == 201, r.text
    assert client.post(url, json=GRANT, headers=auth(org_keys["analyst"])).status_code == 403
    entry = next(
        h
        for h in client.get(url, headers=auth(org_keys["analyst"])).json()["history"]
        if h["purpose"] == "recommendations"
    )
    assert entry["recorded_by_role"] == "service" and entry["source_interaction_id"] is None
