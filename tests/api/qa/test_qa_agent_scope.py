"""An agent sees only their own QA results and their own contacts' transcripts; supervisors, analysts and admins see
everyone's. An agent key must be linked to its directory agent (its subject) to read any of them."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from cxops.core import keys
from cxops.core.auth import Role
from cxops.core.db import unit_of_work
from cxops.domains.qa.models import QaDispute
from tests.api.qa.test_qa_api import _setup
from tests.conftest import auth, linked_key

NOT_LINKED = "not linked to an agent"


def _agents(client: TestClient, org_keys: dict) -> dict[str, str]:
    return {a["code"]: a["id"] for a in client.get("/v1/agents", headers=auth(org_keys["admin"])).json()}


def _masked(r, real: str, fake: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return r.status_code, r.text.replace(real, "ID").replace(fake, "ID")


def test_agent_sees_own_coaching_and_evaluations_readers_see_everyones(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    ids = _agents(client, org_keys)
    good = auth(linked_key(client, org_keys["admin"], "good-agent"))

    me = client.get("/v1/qa/coaching/me", headers=good)
    assert me.status_code == 200, me.text
    assert me.json()["agent_id"] == ids["good-agent"] and me.json()["evaluations"] == 3
    assert me.json()["agent_name"]
    assert client.get(f"/v1/qa/coaching/{ids['good-agent']}", headers=good).json()["evaluations"] == 3
    other = client.get(f"/v1/qa/coaching/{ids['bad-agent']}", headers=good)
    assert other.status_code == 403 and "own coaching" in other.json()["error"]["message"]
    assert other.json()["error"]["field"] == "agent_id"
    for role in ("supervisor", "analyst", "admin"):
        r = client.get(f"/v1/qa/coaching/{ids['bad-agent']}", headers=auth(org_keys[role]))
        assert r.status_code == 200 and r.json()["evaluations"] == 3, role
        assert client.get("/v1/qa/coaching/me", headers=auth(org_keys[role])).status_code == 403  # agents only

    mine = client.get("/v1/qa/evaluations", headers=good).json()
    assert len(mine) == 3 and {e["agent_id"] for e in mine} == {ids["good-agent"]}
    assert client.get(f"/v1/qa/evaluations?agent_id={ids['good-agent']}", headers=good).status_code == 200
    foreign = client.get(f"/v1/qa/evaluations?agent_id={ids['bad-agent']}", headers=good)
    assert foreign.status_code == 403 and foreign.json()["error"]["field"] == "agent_id"
    everyone = client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json()
    assert len(everyone) == 6
    theirs = next(e for e in everyone if e["agent_id"] == ids["bad-agent"])
    own = mine[0]

    assert client.get(f"/v1/qa/evaluations/{own['id']}", headers=good).status_code == 200
    # Another agent's evaluation answers exactly like one that does not exist.
    nowhere = str(uuid.uuid4())
    got = client.get(f"/v1/qa/evaluations/{theirs['id']}", headers=good)
    control = client.get(f"/v1/qa/evaluations/{nowhere}", headers=good)
    assert got.status_code == 404 and _masked(got, theirs["id"], nowhere) == _masked(control, theirs["id"], nowhere)
    for role in ("supervisor", "analyst", "admin"):
        assert client.get(f"/v1/qa/evaluations/{theirs['id']}", headers=auth(org_keys[role])).status_code == 200

    # Disputes: on one's own evaluation only; another's is 404 and records nothing.
    dispute = {"criterion": "greeting", "reason": "not mine"}
    refused = client.post(f"/v1/qa/evaluations/{theirs['id']}/disputes", json=dispute, headers=good)
    assert refused.status_code == 404
    with app.state.session_factory() as s:
        assert s.query(QaDispute).count() == 0
    ok = client.post(f"/v1/qa/evaluations/{own['id']}/disputes", json=dispute, headers=good)
    assert ok.status_code == 201, ok.text


def test_agent_reads_the_transcript_of_their_own_contacts_only(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    ids = _agents(client, org_keys)
    bad = auth(linked_key(client, org_keys["admin"], "bad-agent"))
    evs = client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json()
    own = next(e for e in evs if e["agent_id"] == ids["bad-agent"])
    theirs = next(e for e in evs if e["agent_id"] == ids["good-agent"])

    # The coaching's failed examples name their evaluation, which the agent opens with its transcript evidence.
    coach = client.get("/v1/qa/coaching/me", headers=bad).json()
    example = coach["weakest"][0]["failed_examples"][0]
    ev = client.get(f"/v1/qa/evaluations/{example['evaluation_id']}", headers=bad)
    assert ev.status_code == 200 and ev.json()["interaction_id"] == example["interaction_id"]
    transcript = client.get(f"/v1/interactions/{example['interaction_id']}", headers=bad)
    assert transcript.status_code == 200, transcript.text
    assert len(transcript.json()["turns"]) == 8 and transcript.json()["primary_agent_id"] == ids["bad-agent"]
    assert client.get(f"/v1/interactions/{own['interaction_id']}", headers=bad).status_code == 200

    nowhere = str(uuid.uuid4())
    got = client.get(f"/v1/interactions/{theirs['interaction_id']}", headers=bad)
    control = client.get(f"/v1/interactions/{nowhere}", headers=bad)
    assert got.status_code == 404
    assert _masked(got, theirs["interaction_id"], nowhere) == _masked(control, theirs["interaction_id"], nowhere)
    for role in ("supervisor", "analyst", "admin"):
        r = client.get(f"/v1/interactions/{theirs['interaction_id']}", headers=auth(org_keys[role]))
        assert r.status_code == 200, role
    assert client.get("/v1/interactions", headers=bad).status_code == 403  # no list of contacts for agents
    assert client.get(f"/v1/interactions/{own['interaction_id']}", headers=auth(org_keys["service"])).status_code == 403


def test_an_agent_key_not_linked_to_an_agent_is_refused_with_the_reason(
    client: TestClient, org_keys: dict, app
) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    ids = _agents(client, org_keys)
    ev = client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json()[0]
    unlinked = auth(org_keys["agent"])  # a key created without a subject
    calls = [
        ("GET", "/v1/qa/coaching/me", None),
        ("GET", f"/v1/qa/coaching/{ids['good-agent']}", None),
        ("GET", "/v1/qa/evaluations", None),
        ("GET", f"/v1/qa/evaluations/{ev['id']}", None),
        ("GET", f"/v1/qa/evaluations/{uuid.uuid4()}", None),  # 403 before any lookup: learns nothing
        ("POST", f"/v1/qa/evaluations/{ev['id']}/disputes", {"criterion": "greeting", "reason": "x"}),
        ("GET", f"/v1/interactions/{ev['interaction_id']}", None),
    ]
    for method, url, body in calls:
        r = client.request(method, url, json=body, headers=unlinked)
        assert r.status_code == 403 and NOT_LINKED in r.json()["error"]["message"], (method, url, r.text)
        assert "subject" in r.json()["error"]["message"]

    # A key whose agent is not in the directory (made without the API's check) is refused too, naming it.
    with unit_of_work(app.state.session_factory) as s:
        _, ghost = keys.create_key(
            s, org_id=uuid.UUID(org_keys["org_id"]), role=Role.AGENT, name="ghost", subject="ghost-agent"
        )
    r = client.get("/v1/qa/coaching/me", headers=auth(ghost))
    assert r.status_code == 403 and "'ghost-agent', which is not in the directory" in r.json()["error"]["message"]


def test_an_agent_lists_only_the_disputes_on_their_own_evaluations(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    ids = _agents(client, org_keys)
    good = auth(linked_key(client, org_keys["admin"], "good-agent"))
    bad = auth(linked_key(client, org_keys["admin"], "bad-agent"))
    evs = client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json()
    own = [e for e in evs if e["agent_id"] == ids["good-agent"]]
    theirs = next(e for e in evs if e["agent_id"] == ids["bad-agent"])

    def dispute(ev: dict, headers: dict, reason: str) -> dict:
        r = client.post(
            f"/v1/qa/evaluations/{ev['id']}/disputes", json={"criterion": "greeting", "reason": reason}, headers=headers
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    decided = dispute(own[0], good, "I did greet")
    still_open = dispute(own[1], good, "greeted in Spanish")
    by_analyst = dispute(own[2], auth(org_keys["analyst"]), "the greeting rule misfires")  # on good-agent's evaluation
    other = dispute(theirs, bad, "not fair")
    verdict = {"decision": "upheld", "reason": "greeting was there at 0:03"}
    r = client.post(f"/v1/qa/disputes/{decided['id']}/decision", json=verdict, headers=auth(org_keys["supervisor"]))
    assert r.status_code == 200, r.text

    mine = client.get("/v1/qa/disputes", headers=good)
    assert mine.status_code == 200, mine.text
    listed = {d["id"]: d for d in mine.json()}
    assert set(listed) == {decided["id"], still_open["id"], by_analyst["id"]}  # not bad-agent's
    assert listed[decided["id"]]["status"] == "upheld"
    assert listed[decided["id"]]["history"][-1]["reason"] == "greeting was there at 0:03"
    assert listed[decided["id"]]["evaluation_id"] == own[0]["id"]
    upheld = client.get("/v1/qa/disputes?status=upheld", headers=good).json()
    assert [d["id"] for d in upheld] == [decided["id"]]
    assert [d["id"] for d in client.get("/v1/qa/disputes?status=open", headers=bad).json()] == [other["id"]]
    assert client.get("/v1/qa/disputes?status=upheld", headers=bad).json() == []
    wrong = client.get("/v1/qa/disputes?status=won", headers=good)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "query.status"

    everyone = {decided["id"], still_open["id"], by_analyst["id"], other["id"]}
    for role in ("supervisor", "analyst", "admin"):
        r = client.get("/v1/qa/disputes", headers=auth(org_keys[role]))
        assert r.status_code == 200 and {d["id"] for d in r.json()} == everyone, role
    assert client.get("/v1/qa/disputes", headers=auth(org_keys["service"])).status_code == 403

    unlinked = client.get("/v1/qa/disputes", headers=auth(org_keys["agent"]))
    assert unlinked.status_code == 403 and NOT_LINKED in unlinked.json()["error"]["message"]
