"""API keys: a key's subject links agent and service keys to a directory agent (checked), and the key making a
request cannot revoke itself; the same through `cxops keys`."""

from __future__ import annotations

from pathlib import Path

import orjson
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cxops.entrypoints.cli.main import app as cli
from tests.conftest import auth
from tests.factories import interaction


def _agent(client: TestClient, org_keys: dict, code: str, kind: str = "human") -> None:
    r = client.post("/v1/agents", json={"code": code, "name": code, "kind": kind}, headers=auth(org_keys["admin"]))
    assert r.status_code == 201, r.text


def test_subject_of_agent_and_service_keys_must_name_an_agent(client: TestClient, org_keys: dict) -> None:
    admin = auth(org_keys["admin"])
    _agent(client, org_keys, "agent-0012")
    _agent(client, org_keys, "ai-kai", kind="ai")
    for role in ("agent", "service"):
        r = client.post("/v1/keys", json={"name": "x", "role": role, "subject": "agent-9999"}, headers=admin)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["field"] == "subject" and "'agent-9999' names no agent" in err["message"], err
    assert all(k["name"] != "x" for k in client.get("/v1/keys", headers=admin).json())

    made = client.post("/v1/keys", json={"name": "Sam", "role": "agent", "subject": " agent-0012 "}, headers=admin)
    assert made.status_code == 201 and made.json()["subject"] == "agent-0012"
    me = client.get("/v1/me", headers=auth(made.json()["api_key"])).json()
    assert me["role"] == "agent" and me["subject"] == "agent-0012"
    bot = client.post("/v1/keys", json={"name": "Kai", "role": "service", "subject": "ai-kai"}, headers=admin)
    assert bot.status_code == 201 and bot.json()["subject"] == "ai-kai"
    # An agent key without a subject would read no agent's own data (403 everywhere): it is refused, naming why.
    for blank in ({"subject": ""}, {"subject": "  "}, {}):
        bare = client.post("/v1/keys", json={"name": "desk", "role": "agent", **blank}, headers=admin)
        assert bare.status_code == 422 and bare.json()["error"]["field"] == "subject", bare.text
        assert "acts as one agent of the directory" in bare.text
    # For other roles the subject is a label (how the caller is named in audit records), not an agent.
    label = client.post("/v1/keys", json={"name": "lead", "role": "supervisor", "subject": "Dana"}, headers=admin)
    assert label.status_code == 201 and label.json()["subject"] == "Dana"
    listed = {k["name"]: k["subject"] for k in client.get("/v1/keys", headers=admin).json()}
    assert listed["Sam"] == "agent-0012" and "desk" not in listed and listed["test-admin"] is None


def test_the_key_making_the_request_cannot_revoke_itself(client: TestClient, org_keys: dict) -> None:
    admin = auth(org_keys["admin"])
    keys = {k["name"]: k["id"] for k in client.get("/v1/keys", headers=admin).json()}
    own = client.delete(f"/v1/keys/{keys['test-admin']}", headers=admin)
    assert own.status_code == 409
    err = own.json()["error"]
    assert (
        "'test-admin' is the key making this request" in err["message"] and "create another admin key" in err["message"]
    )
    assert client.get("/v1/me", headers=admin).status_code == 200  # still works
    # The way to rotate: a second admin key revokes the first.
    second = client.post("/v1/keys", json={"name": "admin 2", "role": "admin"}, headers=admin).json()
    assert client.delete(f"/v1/keys/{keys['test-admin']}", headers=auth(second["api_key"])).status_code == 200
    assert client.get("/v1/me", headers=admin).status_code == 401
    # Signed in through the console, the session's key is the caller's key too.
    client.post("/v1/session", json={"api_key": second["api_key"]})
    assert client.delete(f"/v1/keys/{second['id']}").status_code == 409
    assert client.delete(f"/v1/keys/{keys['test-analyst']}").status_code == 200


def test_cli_creates_keys_linked_to_an_agent(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "calls.ndjson"
    data.write_bytes(orjson.dumps(interaction(1)))  # its agents: bot-1 (AI) and a-1
    assert runner.invoke(cli, ["import", str(data), "--format", "ndjson"]).exit_code == 0
    bad = runner.invoke(cli, ["keys", "create", "--role", "agent", "--subject", "a-9"])
    assert bad.exit_code == 2 and "'a-9' names no agent" in bad.output and "(subject)" in bad.output
    ok = runner.invoke(cli, ["keys", "create", "--role", "agent", "--name", "a1 desk", "--subject", "a-1"])
    assert ok.exit_code == 0 and ok.stdout.strip().splitlines()[-1].startswith("cx_")
    assert "acting as 'a-1'" in ok.output
    assert runner.invoke(cli, ["keys", "create", "--role", "service", "--subject", "bot-1"]).exit_code == 0
    listed = runner.invoke(cli, ["keys", "list"]).stdout
    assert "a1 desk  (subject a-1)" in listed and "(subject bot-1)" in listed
