"""The MCP server's tools act through the REST API with the agent's own key."""

from __future__ import annotations

import anyio

from cxops.entrypoints.mcp.actions_server import CxopsApi, build_server
from tests.api.actions.conftest import confirmed, pending_order


def call(server, name, args):
    async def go():
        return await server.call_tool(name, args)

    return anyio.run(go)


def structured(result):
    if isinstance(result, tuple):
        return result[1]
    return getattr(result, "structured_content", None) or getattr(result, "structuredContent", None) or result


def test_mcp_tools_list_and_dry_run_and_propose(client, org_keys, retail_db):
    client.headers["Authorization"] = f"Bearer {org_keys['service']}"
    server = build_server(CxopsApi(client))

    async def names():
        return [t.name for t in await server.list_tools()]

    assert {"list_actions", "dry_run_action", "propose_action", "get_proposal", "search_knowledge"} <= set(
        anyio.run(names)
    )
    order = pending_order(retail_db, 7)
    body = confirmed(
        "cancel_pending_order", {"order_id": order["order_id"], "reason": "no longer needed"}, order["user_id"]
    )
    dry = structured(call(server, "dry_run_action", body))
    assert dry["decision"] == "allow"
    done = structured(call(server, "propose_action", {**body, "idempotency_key": "mcp-1"}))
    assert done["status"] == "executed"
    bad = structured(call(server, "propose_action", {"action": "nope", "params": {}, "idempotency_key": "mcp-2"}))
    assert "unknown action 'nope'" in bad["error"]["message"]


def test_mcp_knowledge_search_goes_through_rest(client, org_keys):
    client.headers["Authorization"] = f"Bearer {org_keys['service']}"
    out = structured(call(build_server(CxopsApi(client)), "search_knowledge", {"query": "refund policy", "k": 3}))
    assert out["query"] == "refund policy" and out["results"] == []  # empty knowledge base, real endpoint
