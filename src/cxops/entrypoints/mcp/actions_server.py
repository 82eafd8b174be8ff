"""MCP server (stdio) exposing governed actions and knowledge search to any agent framework.

Every tool calls the cxops REST API with the agent's own service key, so the agent acts only through the
governed layer (policy, approvals, breakers, audit) and sees exactly what REST clients see.
Knowledge search calls POST /v1/knowledge/search of the same server.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from mcp.server.mcpserver import MCPServer


class CxopsApi:
    """Thin REST client; errors come back as {"error": {...}} so the agent reads the specific message."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    @classmethod
    def from_env(cls) -> CxopsApi:
        """CXOPS_API_URL (default http://127.0.0.1:8000) and CXOPS_API_KEY (a service key)."""
        key = os.environ.get("CXOPS_API_KEY", "")
        if not key:
            raise SystemExit("CXOPS_API_KEY is not set: give the MCP server a service API key")
        base = os.environ.get("CXOPS_API_URL", "http://127.0.0.1:8000")
        return cls(httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        resp = self._client.request(method, path, json=body)
        try:
            data = resp.json()
        except ValueError:
            return {"error": {"code": "bad_response", "message": f"HTTP {resp.status_code}, not JSON"}}
        if resp.status_code >= 400 and isinstance(data, dict) and "error" not in data:
            return {"error": {"code": f"http_{resp.status_code}", "message": str(data)[:500]}}
        return data


def build_server(api: CxopsApi) -> MCPServer:
    """The MCP server with its tools bound to `api`."""
    server: MCPServer = MCPServer(
        name="cxops-actions",
        instructions=(
            "Act only through these tools. Dry-run first, confirm the exact action and parameters with the "
            "customer, then propose it with an idempotency key."
        ),
    )

    @server.tool()
    def list_actions() -> dict[str, Any]:
        """The action catalogue: parameters, risk, reversibility, and the facts policies check."""
        return api.call("GET", "/v1/actions/catalogue")

    @server.tool()
    def dry_run_action(action: str, params: dict[str, Any], context: dict[str, Any] | None = None) -> dict[str, Any]:
        """Evaluate an action against policy without executing it: allow, require_approval or deny, with reasons."""
        return api.call("POST", "/v1/actions/dry-run", {"action": action, "params": params, "context": context or {}})

    @server.tool()
    def propose_action(
        action: str, params: dict[str, Any], idempotency_key: str, context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Propose an action: executed if allowed, queued for a supervisor if approval is required, else denied."""
        body = {"action": action, "params": params, "context": context or {}, "idempotency_key": idempotency_key}
        return api.call("POST", "/v1/actions/proposals", body)

    @server.tool()
    def get_proposal(proposal_id: str) -> dict[str, Any]:
        """A proposal's status (pending_approval, executed, denied, rejected, ...) and outcome."""
        return api.call("GET", f"/v1/actions/proposals/{proposal_id}")

    @server.tool()
    def search_knowledge(query: str, k: int = 5) -> dict[str, Any]:
        """Search the knowledge base (cited articles) through the same server."""
        return api.call("POST", "/v1/knowledge/search", {"query": query, "k": k})

    return server


def mcp_command() -> None:
    """Run the MCP server on stdio (CXOPS_API_URL, CXOPS_API_KEY)."""
    build_server(CxopsApi.from_env()).run("stdio")
