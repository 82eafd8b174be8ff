"""Re-scoring an interaction with the same scorecard version updates its evaluation in place: the evaluation keeps
its id, so the disputes that refer to it (deleted with it before, by the foreign key's cascade) survive."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.qa.test_qa_api import _setup
from tests.conftest import auth, linked_key


def test_rescoring_keeps_the_evaluation_and_its_disputes(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    _setup(client, org_keys, app)
    ev = next(e for e in client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json() if e["auto_failed"])
    dispute = client.post(
        f"/v1/qa/evaluations/{ev['id']}/disputes",
        json={"criterion": "greeting", "reason": "I did greet"},
        headers=auth(linked_key(client, org_keys["admin"], "bad-agent")),  # the evaluated agent disputes
    )
    assert dispute.status_code == 201, dispute.text
    again = client.post(f"/v1/qa/interactions/{ev['interaction_id']}/score", headers=auth(org_keys["supervisor"]))
    assert again.status_code == 200, again.text
    [rescored] = again.json()
    assert rescored["id"] == ev["id"] and rescored["total"] == ev["total"]
    assert rescored["scored_at"] >= ev["scored_at"]
    evs = client.get(
        f"/v1/qa/evaluations?interaction_id={ev['interaction_id']}", headers=auth(org_keys["analyst"])
    ).json()
    assert [e["id"] for e in evs] == [ev["id"]]
    disputes = client.get("/v1/qa/disputes?status=open", headers=auth(org_keys["supervisor"])).json()
    assert [d["id"] for d in disputes] == [dispute.json()["id"]]
