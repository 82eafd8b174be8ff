"""Tenant isolation, table-driven over the whole OpenAPI: two organisations with data in every domain; organisation A
calls every route with organisation B's ids and must learn nothing about B, nor change anything of B.

- Every GET route is called as A. Path parameters (and id-like query parameters) get B's ids; the answer must be the
  same as for an id that exists nowhere (same status, same body once the id is replaced by a placeholder). List
  routes must not contain B's marker text nor any of B's ids.
- Every mutating route either appears in ATTACKS (a valid body, with B's ids in the path and the body) and must be
  refused exactly like a call with ids that exist nowhere, or in NO_FOREIGN_IDS with the reason it carries no
  other organisation's id. Afterwards no row of the database has changed.
- A route that is not exercised is listed in NOT_EXERCISED with the reason. A new route that is in none of the tables,
  or a path parameter without a known kind, fails the table test, so new endpoints are covered from their first day.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

import cxops.domains.qa as qa_pkg
from cxops.core.auth import Role
from cxops.domains.actions.sandbox.connector import load_db
from cxops.domains.knowledge.models import KnowledgeArticle
from cxops.entrypoints.registry import metadata
from tests.api.actions.conftest import confirmed, pending_order
from tests.api.actions.test_actions_api import Averse
from tests.api.test_auth_matrix import _api_routes
from tests.conftest import auth, drain_events, linked_key, make_org_keys
from tests.factories import interaction
from tests.knowledge_support import shared_embedder
from tests.unit.wfm.helpers import synthetic

QA_DEMO = (Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml").read_text()
RETAIL = load_db("retail")  # the sandbox's pristine data (each organisation has its own copy)
A_TAG, B_TAG = "alphaxray", "bravozulu"  # every free text of an organisation carries its tag
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
ROLE_PREFERENCE = (Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.SERVICE, Role.AGENT)

#: kind of id a path or query parameter takes (wfm's run_id is a forecast run, see _kind)
PARAM_KINDS = {
    "agent_id": "agent",
    "customer_id": "customer",
    "interaction_id": "interaction",
    "source_id": "source",
    "article_id": "article",
    "pilot_id": "pilot",
    "evaluation_id": "evaluation",
    "dispute_id": "dispute",
    "rule_id": "rule",
    "run_id": "workflow_run",
    "task_id": "task",
    "note_id": "note",
    "letter_id": "letter",
    "item_id": "memory_item",
    "proposal_id": "proposal",
    "plan_id": "plan",
    "schedule_id": "schedule",
    "key_id": "key",
    "team_id": "team",
    "queue_id": "queue",
    # analytics filters take codes
    "agent": "agent_code",
    "team": "team_code",
    "queue": "queue_code",
    "region": "region_code",
    "location": "location_code",
}
#: query parameters a GET needs to answer at all
QUERY_DEFAULTS: dict[str, dict[str, str]] = {
    "/v1/analytics/live/stream": {"max_events": "1"},
    "/v1/customers/{customer_id}/memory": {"purpose": "personalisation"},
    "/v1/wfm/schedules/{schedule_id}/adherence": {"since": "2026-03-02T08:00:00Z", "until": "2026-03-02T12:00:00Z"},
}
#: GET routes not called, with the reason
NOT_EXERCISED: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness; no tenant data",
    ("GET", "/readyz"): "readiness; no tenant data",
}
#: mutating routes and a valid body; "@kind" is replaced by B's id of that kind (or by an id that exists nowhere)
ATTACKS: dict[tuple[str, str], dict[str, Any] | None] = {
    ("PATCH", "/v1/agents/{agent_id}"): {"name": "taken over", "status": "paused"},
    ("PATCH", "/v1/knowledge/sources/{source_id}"): {"owner": "intruder"},
    ("DELETE", "/v1/knowledge/sources/{source_id}"): None,
    ("POST", "/v1/knowledge/sources/{source_id}/sync"): None,
    ("POST", "/v1/knowledge/sources/{source_id}/reviewed"): {},
    ("POST", "/v1/knowledge/articles/{article_id}/reviewed"): {},
    ("POST", "/v1/knowledge/attributions"): {"article_id": "@article", "interaction_id": "@interaction"},
    ("POST", "/v1/pilots/{pilot_id}/start"): None,
    ("POST", "/v1/pilots/{pilot_id}/stop"): None,
    ("POST", "/v1/pilots/{pilot_id}/looks"): None,
    ("POST", "/v1/qa/interactions/{interaction_id}/score"): None,
    ("POST", "/v1/qa/evaluations/{evaluation_id}/disputes"): {"criterion": "greeting", "reason": "intruder"},
    ("POST", "/v1/qa/disputes/{dispute_id}/decision"): {"decision": "upheld", "reason": "intruder"},
    ("POST", "/v1/workflows/rules/{rule_id}/enabled"): None,
    ("POST", "/v1/workflows/rules/{rule_id}/backfill"): {"since": "2026-01-01T00:00:00Z"},
    ("POST", "/v1/workflows/tasks/{task_id}/decision"): {"decision": "approve", "reason": "intruder"},
    ("POST", "/v1/workflows/notifications/{note_id}/read"): None,
    ("POST", "/v1/workflows/dead-letters/{letter_id}/replay"): None,
    ("POST", "/v1/customers/{customer_id}/consents"): {
        "purpose": "personalisation",
        "granted": False,
        "source_interaction_id": "@interaction",
    },
    ("POST", "/v1/customers/{customer_id}/memory"): {
        "kind": "preference",
        "content": "intruder",
        "purpose": "personalisation",
        "reason": "intruder",
        "source_interaction_id": "@interaction",
    },
    ("POST", "/v1/customers/{customer_id}/erasure"): None,
    ("POST", "/v1/actions/approvals/{proposal_id}/approve"): {"reason": "intruder"},
    ("POST", "/v1/actions/approvals/{proposal_id}/reject"): {"reason": "intruder"},
    ("POST", "/v1/actions/proposals/{proposal_id}/reverse"): {"reason": "intruder"},
    ("POST", "/v1/wfm/forecasts/{run_id}/reforecast"): {"series_id": "q1", "day": "2026-03-02"},
    ("POST", "/v1/wfm/staffing"): {"forecast_run_id": "@forecast", "aht_s": 240},
    ("POST", "/v1/wfm/staffing/{plan_id}/what-if"): {"volume_factor": 1.2},
    ("POST", "/v1/wfm/schedules"): {"plan_id": "@plan", "week_start": "2026-03-02"},
    ("DELETE", "/v1/keys/{key_id}"): None,
    ("POST", "/v1/interactions/{interaction_id}/documentation/regenerate"): None,
}
#: query strings of attacked routes
ATTACK_QUERY: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/v1/workflows/rules/{rule_id}/enabled"): {"value": "false"}
}
#: mutating routes that carry no id of another organisation (codes and references resolve in the caller's own one)
NO_FOREIGN_IDS: dict[tuple[str, str], str] = {
    ("POST", "/v1/directory/names"): "a read (POST for a batch): body ids resolve in the caller's organisation only; "
    "another's answer as unknown, as ids that exist nowhere (tests/api/foundation/test_directory_names.py)",
    ("POST", "/v1/regions"): "creates from codes in the caller's organisation",
    ("POST", "/v1/locations"): "creates from codes in the caller's organisation",
    ("POST", "/v1/teams"): "creates from codes in the caller's organisation",
    ("POST", "/v1/agents"): "creates from codes in the caller's organisation",
    ("POST", "/v1/queues"): "creates from codes in the caller's organisation",
    ("POST", "/v1/interactions"): "external refs (source, external ids, codes) resolve in the caller's organisation",
    ("POST", "/v1/interactions/bulk"): "external refs resolve in the caller's organisation",
    ("POST", "/v1/agent-states"): "agent codes resolve in the caller's organisation",
    ("POST", "/v1/knowledge/sources"): "a folder path and tags; creates in the caller's organisation",
    ("POST", "/v1/knowledge/search"): "a query over the caller's own articles (checked by the answer's content)",
    ("POST", "/v1/knowledge/answer"): "a query over the caller's own articles (checked by the answer's content)",
    ("POST", "/v1/pilots/plan"): "sample sizes from the caller's own history (scope by intents and queue codes)",
    ("POST", "/v1/pilots"): "scope by intents and queue codes of the caller's organisation",
    ("POST", "/v1/qa/scorecards"): "a YAML rubric; creates in the caller's organisation",
    ("POST", "/v1/qa/scorecards/validate"): "validates a YAML rubric; stores nothing",
    ("POST", "/v1/qa/calibration/csv"): "source + external ids resolve in the caller's organisation",
    ("POST", "/v1/qa/calibration/connect"): "source + Connect contact id resolve in the caller's organisation",
    ("POST", "/v1/workflows/rules"): "a YAML rule; codes in it resolve in the caller's organisation",
    ("POST", "/v1/workflows/dry-run"): "a YAML rule evaluated over the caller's own interactions",
    ("PUT", "/v1/trust/policy"): "the caller's own organisation's policy",
    ("POST", "/v1/actions/dry-run"): "entity refs go to the caller's own system of record (one sandbox per org)",
    ("POST", "/v1/actions/proposals"): "entity refs go to the caller's own system of record (one sandbox per org)",
    ("POST", "/v1/actions/breakers"): "an action name or agent ref of the caller's organisation",
    ("POST", "/v1/wfm/forecasts"): "a CSV or the caller's own history",
    ("POST", "/v1/session"): "signs in with a key; the session belongs to the key's organisation",
    ("DELETE", "/v1/session"): "ends the caller's own session",
    ("POST", "/v1/keys"): "creates a key in the caller's organisation",
}
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ][\d:.]+(Z|[+-]\d\d:?\d\d)?")


def _routes(app: Any) -> list[tuple[str, str, frozenset[Role] | None]]:
    out = []
    for route in _api_routes(app.routes):
        if not route.include_in_schema:
            continue
        roles = next((d.call.roles for d in route.dependant.dependencies if hasattr(d.call, "roles")), None)
        out.extend((m, route.path, roles) for m in sorted(route.methods - {"HEAD", "OPTIONS"}))
    return out


def _kind(path: str, param: str) -> str | None:
    if param == "run_id" and path.startswith("/v1/wfm/"):
        return "forecast"
    return PARAM_KINDS.get(param)


def _params(path: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", path)


def _role(roles: frozenset[Role] | None) -> str:
    return next(r.value for r in ROLE_PREFERENCE if roles is None or r in roles)


def test_every_route_is_in_the_isolation_tables(app: Any) -> None:
    """A new route must be classified (attacked, no foreign ids, or not exercised with a reason)."""
    unclassified, unmapped = [], []
    for method, path, _ in _routes(app):
        key = (method, path)
        if method in MUTATING and key not in ATTACKS and key not in NO_FOREIGN_IDS:
            unclassified.append(key)
        unmapped += [(method, path, p) for p in _params(path) if _kind(path, p) is None]
    assert unclassified == [], f"classify these mutating routes in ATTACKS or NO_FOREIGN_IDS: {unclassified}"
    assert unmapped == [], f"add these path parameters to PARAM_KINDS: {unmapped}"
    stale = (set(ATTACKS) | set(NO_FOREIGN_IDS) | set(NOT_EXERCISED)) - {(m, p) for m, p, _ in _routes(app)}
    assert stale == set(), f"tables name routes that no longer exist: {stale}"
    for key in NO_FOREIGN_IDS:  # the reason must be true: no path ids
        assert not _params(key[1]), f"{key} has path parameters: attack it instead"


# --- seeding: the same data in both organisations, each tagged with its own marker -----------------------------------


def _ok(r: Any) -> Any:
    assert r.status_code in (200, 201), r.text
    return r.json()


def _turns(tag: str) -> list[dict[str, Any]]:
    lines = [
        ("agent", f"Thank you for contacting {tag}, my name is Sam. This call may be recorded."),
        ("customer", f"I want a refund for order {tag}-7."),
        ("agent", "Sure, first I need to verify your identity."),
        ("customer", "Fine."),
        ("agent", "Done, the refund has been issued."),
        ("customer", "Great, thanks a lot!"),
    ]
    return [{"speaker": s, "offset_ms": i * 4000, "text": t} for i, (s, t) in enumerate(lines)]


def seed(client: TestClient, app: Any, keys: dict[str, str], tag: str, folder: Path) -> dict[str, str]:
    """Directory, interactions, QA, workflows, trust, knowledge, pilots, WFM, actions and keys of one organisation."""
    h = {role: auth(keys[role]) for role in ("admin", "supervisor", "analyst", "service", "agent")}
    ids: dict[str, str] = {}
    _ok(client.post("/v1/regions", json={"code": f"{tag}-r", "name": f"{tag} region"}, headers=h["admin"]))
    loc = {"code": f"{tag}-l", "name": f"{tag} site", "region": f"{tag}-r", "timezone": "Europe/Berlin"}
    _ok(client.post("/v1/locations", json=loc, headers=h["admin"]))
    team = _ok(
        client.post("/v1/teams", json={"code": f"{tag}-team", "name": tag, "location": f"{tag}-l"}, headers=h["admin"])
    )
    agent = {"code": f"{tag}-agent", "name": f"{tag} agent", "team": f"{tag}-team", "skills": ["q1"]}
    ids["agent"] = _ok(client.post("/v1/agents", json=agent, headers=h["admin"]))["id"]
    keys["agent"] = linked_key(client, keys["admin"], f"{tag}-agent")  # the agent key used from here on acts as it
    h["agent"] = auth(keys["agent"])
    _ok(client.post("/v1/agents", json={"code": f"{tag}-bot", "name": f"{tag} bot", "kind": "ai"}, headers=h["admin"]))
    queue = {"code": f"{tag}-queue", "name": f"{tag} queue", "channel": "voice"}
    ids["queue"], ids["team"] = _ok(client.post("/v1/queues", json=queue, headers=h["admin"]))["id"], team["id"]
    ids |= {f"{k}_code": f"{tag}-{s}" for k, s in (("agent", "agent"), ("team", "team"), ("queue", "queue"))}
    ids |= {"region_code": f"{tag}-r", "location_code": f"{tag}-l"}

    _ok(client.post("/v1/qa/scorecards", json={"source": QA_DEMO}, headers=h["supervisor"]))
    rule = f"""\
name: {tag} escalations
trigger: interaction_ended
conditions:
  - {{field: outcome, op: eq, value: escalated}}
steps:
  - create_task: {{team: {tag}-team, title: "{tag} check {{interaction_id}}"}}
  - notify: {{message: "{tag} escalated", level: warning}}
  - request_approval: {{title: "{tag} approve?", expires_in_h: 4}}
"""
    # the interactions below ended hours ago: the rules act on facts from before them (by default, from now)
    past = "2026-01-01T00:00:00Z"
    ids["rule"] = _ok(
        client.post("/v1/workflows/rules", json={"source": rule, "applies_from": past}, headers=h["supervisor"])
    )["id"]
    hook = (
        f"name: {tag} hook\ntrigger: interaction_ended\nsteps:\n"
        f'  - webhook: {{url: "http://127.0.0.1:9/{tag}", attempts: 1, timeout_s: 0.2}}\n'
    )
    _ok(client.post("/v1/workflows/rules", json={"source": hook, "applies_from": past}, headers=h["supervisor"]))

    start = datetime.now(UTC) - timedelta(hours=3)
    records = [
        interaction(
            n,
            source=tag,
            external_id=f"{tag}-c-{n}",
            queue=f"{tag}-queue",
            customer={"external_id": f"{tag}-cust-{n % 2}"},
            participants=[{"agent": f"{tag}-agent"}],
            outcome="escalated" if n == 0 else "resolved",
            intent="refund",
            started_at=(start + timedelta(minutes=n)).isoformat(),
            ended_at=(start + timedelta(minutes=n + 6)).isoformat(),
            turns=0,
        )
        | {"turns": _turns(tag)}
        for n in range(3)
    ]
    body = b"\n".join(orjson.dumps(r) for r in records)
    report = _ok(
        client.post(
            "/v1/interactions/bulk", content=body, headers={**h["service"], "content-type": "application/x-ndjson"}
        )
    )
    assert report["failed"] == 0, report
    drain_events(app)
    rows = _ok(client.get("/v1/interactions", params={"limit": 10}, headers=h["admin"]))
    rows = rows["items"] if isinstance(rows, dict) else rows
    first = next(r for r in rows if r["external_id"] == f"{tag}-c-0")
    ids["interaction"] = first["id"]
    ids["customer"] = _ok(client.get(f"/v1/interactions/{first['id']}", headers=h["admin"]))["customer_id"]

    evaluation = _ok(client.get("/v1/qa/evaluations", headers=h["analyst"]))[0]
    ids["evaluation"] = evaluation["id"]
    dispute = {"criterion": "greeting", "reason": f"{tag} greeted"}
    ids["dispute"] = _ok(
        client.post(f"/v1/qa/evaluations/{evaluation['id']}/disputes", json=dispute, headers=h["agent"])
    )["id"]
    csv = f"source,external_id,evaluator,criterion,result\n{tag},{tag}-c-0,{tag}-jane,greeting,pass\n"
    _ok(client.post("/v1/qa/calibration/csv", content=csv, headers={**h["supervisor"], "content-type": "text/csv"}))

    ids["workflow_run"] = _ok(client.get("/v1/workflows/runs", headers=h["analyst"]))[0]["id"]
    tasks = _ok(client.get("/v1/workflows/tasks", headers=h["analyst"]))
    ids["task"] = next(t["id"] for t in tasks if t["kind"] == "approval")
    ids["note"] = _ok(client.get("/v1/workflows/notifications", headers=h["supervisor"]))[0]["id"]
    ids["letter"] = _ok(client.get("/v1/workflows/dead-letters", headers=h["analyst"]))[0]["id"]

    cid, iid = ids["customer"], ids["interaction"]
    grant = {"purpose": "personalisation", "granted": True, "scope": ["preference"], "source_interaction_id": iid}
    _ok(client.post(f"/v1/customers/{cid}/consents", json=grant, headers=h["agent"]))
    memory = {"kind": "preference", "content": f"{tag} prefers email", "purpose": "personalisation"}
    memory |= {"reason": f"{tag} said so", "source_interaction_id": iid}
    ids["memory_item"] = _ok(client.post(f"/v1/customers/{cid}/memory", json=memory, headers=h["agent"]))["id"]
    _ok(client.put("/v1/trust/policy", json={"max_poor": 3 if tag == A_TAG else 7}, headers=h["admin"]))

    kb = folder / tag
    kb.mkdir(parents=True)
    (kb / "refunds.md").write_text(f"# {tag} refund policy\n\nRefunds for {tag} customers take five days.\n")
    source = {"name": f"{tag}-kb", "kind": "markdown", "path": str(kb), "owner": f"{tag}-owner"}
    ids["source"] = _ok(client.post("/v1/knowledge/sources", json=source, headers=h["admin"]))["id"]
    _ok(client.post(f"/v1/knowledge/sources/{ids['source']}/sync", headers=h["admin"]))
    with app.state.session_factory() as s:
        ids["article"] = str(
            s.scalars(select(KnowledgeArticle.id).where(KnowledgeArticle.source_id == uuid.UUID(ids["source"]))).one()
        )
    attribution = {"article_id": ids["article"], "interaction_id": iid, "usage": "used"}
    _ok(client.post("/v1/knowledge/attributions", json=attribution, headers=h["agent"]))

    pilot = {
        "name": f"{tag} pilot",
        "treatment": "ai_agent",
        "baseline_rate": 0.5,
        "mde": 0.3,
        "scope": {"intents": ["refund"]},
        "starts_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
    }
    ids["pilot"] = _ok(client.post("/v1/pilots", json=pilot, headers=h["supervisor"]))["id"]
    _ok(client.post(f"/v1/pilots/{ids['pilot']}/start", headers=h["supervisor"]))

    df = synthetic(30)
    csv = df.assign(ts=df.ts.dt.strftime("%Y-%m-%dT%H:%M:%S")).to_csv(index=False)
    run = _ok(
        client.post("/v1/wfm/forecasts", json={"source": "csv", "csv": csv, "horizon": 100}, headers=h["analyst"])
    )
    ids["forecast"] = run["id"]
    staffing = {"forecast_run_id": run["id"], "aht_s": 240, "apply_automation": False}
    ids["plan"] = _ok(client.post("/v1/wfm/staffing", json=staffing, headers=h["analyst"]))["id"]
    monday = _ok(client.get(f"/v1/wfm/forecasts/{run['id']}", headers=h["analyst"]))["points"][0]["ts"][:10]
    schedule = {
        "plan_id": ids["plan"],
        "week_start": monday,
        "agents": [{"code": f"{tag}-a{i}", "skills": ["q1"]} for i in range(40)],
        "rules": {"shift_lengths_min": [480, 360], "max_weekly_hours": 40},
    }
    ids["schedule"] = _ok(client.post("/v1/wfm/schedules", json=schedule, headers=h["analyst"]))["id"]

    order = pending_order(RETAIL, 0)
    params = {"order_id": order["order_id"], "reason": "no longer needed"}
    proposal = confirmed("cancel_pending_order", params, order["user_id"]) | {"customer_ref": f"{tag}-cust-0"}
    executed = _ok(
        client.post("/v1/actions/proposals", json=proposal | {"idempotency_key": f"{tag}-1"}, headers=h["service"])
    )
    assert executed["status"] == "executed", executed
    runtime = app.state.actions_runtime
    neutral, runtime.trust = runtime.trust, Averse()
    other = pending_order(RETAIL, 1)
    params = {"order_id": other["order_id"], "reason": "no longer needed"}
    queued = confirmed("cancel_pending_order", params, other["user_id"]) | {"idempotency_key": f"{tag}-2"}
    ids["proposal"] = _ok(client.post("/v1/actions/proposals", json=queued, headers=h["service"]))["id"]
    runtime.trust = neutral
    breaker = {"scope": "agent", "key": f"{tag}-bot", "open": True, "reason": f"{tag} manual stop"}
    _ok(client.post("/v1/actions/breakers", json=breaker, headers=h["supervisor"]))

    ids["key"] = next(k["id"] for k in _ok(client.get("/v1/keys", headers=h["admin"])) if k["name"] == "test-analyst")
    return ids


# --- the checks ------------------------------------------------------------------------------------------------------


def _fill(path: str, ids: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The URL with `ids` substituted, and the substituted values (to mask them in answers)."""
    used: dict[str, str] = {}
    for param in _params(path):
        kind = _kind(path, param)
        assert kind is not None, (path, param)
        path = path.replace("{" + param + "}", ids[kind])
        used[ids[kind]] = f"<{kind}>"
    return path, used


def _body(template: Any, ids: dict[str, str], used: dict[str, str]) -> Any:
    if isinstance(template, dict):
        return {k: _body(v, ids, used) for k, v in template.items()}
    if isinstance(template, str) and template.startswith("@"):
        used[ids[template[1:]]] = f"<{template[1:]}>"
        return ids[template[1:]]
    return template


def _nowhere(ids: dict[str, str]) -> dict[str, str]:
    """Ids of the same shapes that exist in no organisation."""
    out = {}
    for kind, value in ids.items():
        try:
            uuid.UUID(value)
            out[kind] = str(uuid.uuid4())
        except ValueError:
            out[kind] = f"nowhere-{uuid.uuid4().hex[:8]}"
    return out


def _masked(resp: Any, used: dict[str, str]) -> tuple[int, str]:
    body = resp.text
    for value, placeholder in used.items():
        body = body.replace(value, placeholder)
    return resp.status_code, _TIMESTAMP.sub("<ts>", body)


def _call(client: TestClient, method: str, url: str, key: str, **kw: Any) -> Any:
    return client.request(method, url, headers=auth(key), **kw)


def _secrets(ids: dict[str, str]) -> list[str]:
    return [B_TAG, *(v for v in ids.values() if not v.startswith(B_TAG))]


def _snapshot(factory: sessionmaker[Session]) -> dict[str, list[str]]:
    """Every row of every table, as text (rows compared as sets; the attacker's key use is not data)."""
    out: dict[str, list[str]] = {}
    with factory() as s:
        for table in metadata.sorted_tables:
            rows = s.execute(text(f'SELECT * FROM "{table.name}"')).mappings().all()
            skip = {"last_used_at"}
            out[table.name] = sorted(repr(sorted((k, str(v)) for k, v in r.items() if k not in skip)) for r in rows)
    return out


def test_organisation_a_never_sees_nor_changes_organisation_b(client: TestClient, app: Any, tmp_path: Path) -> None:
    app.state.embedder = shared_embedder()
    keys_a, keys_b = (
        make_org_keys(app.state.session_factory, "alpha"),
        make_org_keys(app.state.session_factory, "bravo"),
    )
    ids_a = seed(client, app, keys_a, A_TAG, tmp_path)
    ids_b = seed(client, app, keys_b, B_TAG, tmp_path)
    assert set(ids_a) == set(ids_b)
    nowhere = _nowhere(ids_b)
    secrets = _secrets(ids_b)
    leaks: list[str] = []
    vacuous: list[str] = []
    checked = 0

    for method, path, roles in _routes(app):
        if method != "GET" or (method, path) in NOT_EXERCISED:
            continue
        key = keys_a[_role(roles)]
        query = QUERY_DEFAULTS.get(path, {})
        if _params(path):
            url_b, used = _fill(path, ids_b)
            url_x, used_x = _fill(path, nowhere)
            got, control = (
                _call(client, "GET", url_b, key, params=query),
                _call(client, "GET", url_x, key, params=query),
            )
            if _masked(got, used) != _masked(control, used_x):
                leaks.append(f"GET {path} with B's ids answers {got.status_code} {got.text[:300]}")
            own_b = _call(client, "GET", url_b, keys_b[_role(roles)], params=query)
            if _masked(own_b, used) == _masked(control, used_x):  # else the check above proved nothing
                vacuous.append(f"GET {path}: B's own ids answer like ids that exist nowhere ({own_b.status_code})")
            checked += 1
            continue
        own = _call(client, "GET", path, key, params=query)
        if own.status_code != 200:  # a list route that cannot be called cannot be checked: list it with a reason
            leaks.append(f"GET {path} answers {own.status_code} to organisation A: {own.text[:200]}")
            continue
        found = [s for s in secrets if s in own.text]
        if found:
            leaks.append(f"GET {path} lists B's data: {found[:3]}")
        checked += 1
        route = next(r for r in _api_routes(app.routes) if r.path == path and "GET" in r.methods)
        for param in route.dependant.query_params:
            kind = PARAM_KINDS.get(param.name)
            if kind is None or kind not in ids_b:
                continue
            got = _call(client, "GET", path, key, params={**query, param.name: ids_b[kind]})
            control = _call(client, "GET", path, key, params={**query, param.name: nowhere[kind]})
            if _masked(got, {ids_b[kind]: kind}) != _masked(control, {nowhere[kind]: kind}):
                leaks.append(f"GET {path}?{param.name}=<B's {kind}> answers {got.status_code} {got.text[:300]}")
            checked += 1
    assert leaks == [], "\n".join(leaks)
    assert vacuous == [], "\n".join(vacuous)
    assert checked > 60

    drain_events(app)  # the seeding's own events are consumed before the snapshot
    before = _snapshot(app.state.session_factory)
    roles_of = {(m, p): r for m, p, r in _routes(app)}
    for (method, path), template in ATTACKS.items():
        key = keys_a[_role(roles_of[(method, path)])]
        query = ATTACK_QUERY.get((method, path), {})
        url_b, used = _fill(path, ids_b)
        url_x, used_x = _fill(path, nowhere)
        kw_b = {} if template is None else {"json": _body(template, ids_b, used)}
        kw_x = {} if template is None else {"json": _body(template, nowhere, used_x)}
        got = _call(client, method, url_b, key, params=query, **kw_b)
        control = _call(client, method, url_x, key, params=query, **kw_x)
        if got.status_code < 400 or _masked(got, used) != _masked(control, used_x):
            leaks.append(f"{method} {path} with B's ids answers {got.status_code} {got.text[:300]}")
    drain_events(app)
    after = _snapshot(app.state.session_factory)
    changed = {t: (set(after[t]) ^ set(before[t])) for t in before if after[t] != before[t]}
    assert leaks == [], "\n".join(leaks)
    assert changed == {}, "refused calls changed data"
    # Organisation B still sees all its data.
    b = auth(keys_b["admin"])
    assert client.get(f"/v1/interactions/{ids_b['interaction']}", headers=b).status_code == 200
    assert client.get(f"/v1/customers/{ids_b['customer']}/export", headers=b).status_code == 200
