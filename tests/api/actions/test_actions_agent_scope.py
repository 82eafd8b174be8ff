"""Who sees what in governed actions, and the kill switch's targets.

An agent (key linked to its directory agent) proposes and reads the proposals they made; other agents' proposals
answer 404, the approvals queue and the breakers 403 (approvals are a supervisor's work). A service key (an
integration) reads only the proposals it made (its `actor_ref`), also in the approvals queue; another's is 404.
Supervisors, analysts and admins see everything. A breaker opened by hand must name an action of the catalogue or an
agent of the directory (or `key:<id>` of a key without a subject): a typo is a 422 naming the field and the value."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from cxops.domains.actions.models import ActionBreaker, AuditEntry
from tests.api.actions.conftest import pending_order
from tests.api.actions.test_actions_api import Averse, cancel_body
from tests.conftest import auth, linked_key, new_agent_key

READERS = ("supervisor", "analyst", "admin")


def _propose(client, key, body, idem):  # type: ignore[no-untyped-def]
    r = client.post("/v1/actions/proposals", json={**body, "idempotency_key": idem}, headers=auth(key))
    assert r.status_code == 200, r.text
    return r.json()


def test_an_agent_reads_only_their_own_proposals(client, org_keys, app, retail_db):  # type: ignore[no-untyped-def]
    app.state.actions_runtime.trust = Averse()  # an AI agent's cancellation waits for a supervisor (G4)
    ann = new_agent_key(client, org_keys["admin"], "agent-ann")
    bob = new_agent_key(client, org_keys["admin"], "agent-bob")
    mine = _propose(client, ann, cancel_body(pending_order(retail_db, 1)), "ann-1")
    theirs = _propose(client, bob, cancel_body(pending_order(retail_db, 2)), "bob-1")
    bot = _propose(client, org_keys["service"], cancel_body(pending_order(retail_db, 3)), "bot-1")
    assert mine["actor_ref"] == "agent-ann" and theirs["actor_ref"] == "agent-bob"
    assert bot["status"] == "pending_approval"

    listed = client.get("/v1/actions/proposals", headers=auth(ann)).json()
    assert [p["id"] for p in listed] == [mine["id"]]
    executed = client.get(f"/v1/actions/proposals?status={mine['status']}", headers=auth(ann)).json()
    assert [p["id"] for p in executed] == [mine["id"]]
    assert client.get("/v1/actions/proposals?status=pending_approval", headers=auth(ann)).json() == []
    assert client.get(f"/v1/actions/proposals/{mine['id']}", headers=auth(ann)).status_code == 200
    nowhere = str(uuid.uuid4())
    got = client.get(f"/v1/actions/proposals/{theirs['id']}", headers=auth(ann))
    control = client.get(f"/v1/actions/proposals/{nowhere}", headers=auth(ann))
    assert got.status_code == 404
    assert got.text.replace(theirs["id"], "ID") == control.text.replace(nowhere, "ID")
    assert client.get(f"/v1/actions/proposals/{bot['id']}", headers=auth(ann)).status_code == 404

    for path in ("/v1/actions/approvals", "/v1/actions/breakers"):
        r = client.get(path, headers=auth(ann))
        assert r.status_code == 403 and "role 'agent'" in r.json()["error"]["message"], path
    assert client.get("/v1/actions/catalogue", headers=auth(ann)).status_code == 200

    everyone = {mine["id"], theirs["id"], bot["id"]}
    for role in READERS:
        h = auth(org_keys[role])
        assert {p["id"] for p in client.get("/v1/actions/proposals", headers=h).json()} == everyone, role
        assert client.get(f"/v1/actions/proposals/{theirs['id']}", headers=h).status_code == 200, role
        assert [p["id"] for p in client.get("/v1/actions/approvals", headers=h).json()] == [bot["id"]], role
        assert client.get("/v1/actions/breakers", headers=h).status_code == 200, role


def test_an_agent_key_not_linked_to_an_agent_cannot_propose_nor_read(client, org_keys, retail_db):  # type: ignore[no-untyped-def]
    unlinked = auth(org_keys["agent"])
    body = cancel_body(pending_order(retail_db, 4))
    for method, path, json in (
        ("POST", "/v1/actions/proposals", {**body, "idempotency_key": "x"}),
        ("POST", "/v1/actions/dry-run", body),
        ("GET", "/v1/actions/proposals", None),
        ("GET", f"/v1/actions/proposals/{uuid.uuid4()}", None),
    ):
        r = client.request(method, path, json=json, headers=unlinked)
        assert r.status_code == 403 and "not linked to an agent" in r.json()["error"]["message"], (path, r.text)
    assert client.get("/v1/actions/proposals", headers=auth(org_keys["supervisor"])).json() == []


def test_a_service_key_reads_only_the_proposals_it_made(client, org_keys, app, retail_db):  # type: ignore[no-untyped-def]
    app.state.actions_runtime.trust = Averse()  # an AI agent's cancellation waits for a supervisor (G4)
    kai = new_agent_key(client, org_keys["admin"], "ai-kai", kind="ai")  # a service key acting as AI agent ai-kai
    ann = new_agent_key(client, org_keys["admin"], "agent-ann")
    plain = org_keys["service"]  # a service key without a subject: its proposals are named key:<its id>
    by_kai = _propose(client, kai, cancel_body(pending_order(retail_db, 5)), "kai-1")
    by_plain = _propose(client, plain, cancel_body(pending_order(retail_db, 6)), "plain-1")
    by_ann = _propose(client, ann, cancel_body(pending_order(retail_db, 7)), "ann-1")
    assert by_kai["actor_ref"] == "ai-kai" and by_plain["actor_ref"].startswith("key:")
    assert by_kai["status"] == by_plain["status"] == "pending_approval"

    def ids(key, path):  # type: ignore[no-untyped-def]
        r = client.get(path, headers=auth(key))
        assert r.status_code == 200, r.text
        return [p["id"] for p in r.json()]

    for key, own, others in ((kai, by_kai, (by_plain, by_ann)), (plain, by_plain, (by_kai, by_ann))):
        assert ids(key, "/v1/actions/proposals") == [own["id"]]
        assert ids(key, "/v1/actions/proposals?status=pending_approval") == [own["id"]]
        assert ids(key, "/v1/actions/approvals") == [own["id"]]  # its own proposals awaiting a supervisor only
        got = client.get(f"/v1/actions/proposals/{own['id']}", headers=auth(key))
        assert got.status_code == 200 and got.json()["status"] == "pending_approval"  # it polls its status
        nowhere = str(uuid.uuid4())
        control = client.get(f"/v1/actions/proposals/{nowhere}", headers=auth(key))
        for other in others:  # another integration's or a human agent's: exactly as an id that exists nowhere
            r = client.get(f"/v1/actions/proposals/{other['id']}", headers=auth(key))
            assert r.status_code == 404, other["actor_ref"]
            assert r.text.replace(other["id"], "ID") == control.text.replace(nowhere, "ID")
        assert client.get("/v1/actions/breakers", headers=auth(key)).status_code == 200  # it checks its breaker

    # Another key of the same AI agent (a rotated key) sees that agent's proposals, and only them.
    rotated = linked_key(client, org_keys["admin"], "ai-kai", "service")
    assert ids(rotated, "/v1/actions/proposals") == [by_kai["id"]]
    assert client.get(f"/v1/actions/proposals/{by_kai['id']}", headers=auth(rotated)).status_code == 200
    assert client.get(f"/v1/actions/proposals/{by_plain['id']}", headers=auth(rotated)).status_code == 404

    # After a supervisor's decision the integration reads the outcome of its own proposal.
    r = client.post(
        f"/v1/actions/approvals/{by_kai['id']}/reject",
        json={"reason": "customer called back"},
        headers=auth(org_keys["supervisor"]),
    )
    assert r.status_code == 200, r.text
    assert client.get(f"/v1/actions/proposals/{by_kai['id']}", headers=auth(kai)).json()["status"] == "rejected"
    assert ids(kai, "/v1/actions/approvals") == []

    everyone = {by_kai["id"], by_plain["id"], by_ann["id"]}
    for role in READERS:
        assert set(ids(org_keys[role], "/v1/actions/proposals")) == everyone, role
        assert ids(org_keys[role], "/v1/actions/approvals") == [by_plain["id"]], role
        assert client.get(f"/v1/actions/proposals/{by_kai['id']}", headers=auth(org_keys[role])).status_code == 200


def test_a_breaker_must_name_an_existing_action_or_agent(client, org_keys, app, retail_db):  # type: ignore[no-untyped-def]
    sup = auth(org_keys["supervisor"])
    ann = new_agent_key(client, org_keys["admin"], "agent-ann")
    new_agent_key(client, org_keys["admin"], "ai-kai", kind="ai")

    def breaker(scope, key, is_open=True):  # type: ignore[no-untyped-def]
        body = {"scope": scope, "key": key, "open": is_open, "reason": "incident 9"}
        return client.post("/v1/actions/breakers", json=body, headers=sup)

    typo = breaker("agent", "no-such-agent-xyz")
    assert typo.status_code == 422
    assert typo.json()["error"]["field"] == "key" and "'no-such-agent-xyz'" in typo.json()["error"]["message"]
    unknown_action = breaker("action", "cancel_pending_ordr")
    assert unknown_action.status_code == 422 and unknown_action.json()["error"]["field"] == "key"
    assert "'cancel_pending_ordr'" in unknown_action.json()["error"]["message"]
    assert breaker("agent", "cancel_pending_order").status_code == 422  # an action is not an agent
    assert breaker("agent", f"key:{uuid.uuid4()}").status_code == 422  # no such key
    assert breaker("agent", "key:not-a-uuid").status_code == 422
    assert breaker("agent", "no-such-agent-xyz", is_open=False).status_code == 422  # nothing to close either
    with app.state.session_factory() as s:
        assert s.scalars(select(ActionBreaker)).all() == []
        assert s.scalars(select(AuditEntry)).all() == []

    assert breaker("agent", "ai-kai").status_code == 200
    assert breaker("action", "cancel_pending_order").status_code == 200
    # A service key without a subject is named `key:<id>` in proposals; its breaker can be opened by that name.
    service_id = next(
        k["id"] for k in client.get("/v1/keys", headers=auth(org_keys["admin"])).json() if k["name"] == "test-service"
    )
    assert breaker("agent", f"key:{service_id}").status_code == 200
    # A linked key is named by its agent's code, so its `key:<id>` would block nothing.
    ann_id = next(
        k["id"] for k in client.get("/v1/keys", headers=auth(org_keys["admin"])).json() if k["subject"] == "agent-ann"
    )
    assert breaker("agent", f"key:{ann_id}").status_code == 422

    # A human agent's breaker blocks that agent's proposals.
    assert breaker("agent", "agent-ann").status_code == 200
    denied = _propose(client, ann, cancel_body(pending_order(retail_db, 5)), "ann-blocked")
    assert denied["status"] == "denied" and "breaker:agent:agent-ann" in {r["rule_id"] for r in denied["rules"]}

    # A breaker that exists can always be closed, whatever opened it (here one left by an earlier version).
    with app.state.session_factory() as s:
        s.add(ActionBreaker(org_id=uuid.UUID(org_keys["org_id"]), scope="agent", key="legacy-typo", is_open=True))
        s.commit()
    assert breaker("agent", "legacy-typo", is_open=False).status_code == 200
    assert breaker("agent", "legacy-typo", is_open=True).status_code == 422


def test_breakers_show_who_changed_them_by_key_name(client, org_keys, app):  # type: ignore[no-untyped-def]
    keys = {k["name"]: k["id"] for k in client.get("/v1/keys", headers=auth(org_keys["admin"])).json()}
    body = {"scope": "action", "key": "cancel_pending_order", "open": True, "reason": "incident 10"}
    opened = client.post("/v1/actions/breakers", json=body, headers=auth(org_keys["supervisor"])).json()
    assert opened["changed_by"] == f"key:{keys['test-supervisor']}"  # as recorded, for audit
    assert opened["changed_by_name"] == "test-supervisor"
    [row] = client.get("/v1/actions/breakers", headers=auth(org_keys["analyst"])).json()
    assert row["changed_by"] == f"key:{keys['test-supervisor']}" and row["changed_by_name"] == "test-supervisor"
    # A caller with a subject is recorded (and shown) by it; an automatic trip by "system".
    label = client.post(
        "/v1/keys",
        json={"name": "night shift", "role": "supervisor", "subject": "Dana (night lead)"},
        headers=auth(org_keys["admin"]),
    ).json()["api_key"]
    closed = client.post("/v1/actions/breakers", json={**body, "open": False}, headers=auth(label)).json()
    assert closed["changed_by"] == closed["changed_by_name"] == "Dana (night lead)"
