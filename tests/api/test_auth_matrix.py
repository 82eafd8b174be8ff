"""Every endpoint of the OpenAPI refuses a missing, wrong or lower-role key (table-driven over all routes)."""

from __future__ import annotations

import re
import uuid

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from cxops.core.auth import Role
from tests.conftest import auth

PUBLIC = {("POST", "/v1/session"), ("DELETE", "/v1/session")}


def _api_routes(routes) -> list[APIRoute]:  # type: ignore[no-untyped-def]
    """APIRoutes, descending into included routers (the app includes them without an extra prefix)."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out.extend(_api_routes(route.original_router.routes))
    return out


def _guarded_routes(app) -> list[tuple[str, str, frozenset[Role]]]:  # type: ignore[no-untyped-def]
    out = []
    spec_paths = set(app.openapi()["paths"])
    for route in _api_routes(app.routes):
        if not route.include_in_schema:
            continue
        assert route.path in spec_paths, route.path
        roles = next((d.call.roles for d in route.dependant.dependencies if hasattr(d.call, "roles")), None)
        for method in route.methods - {"HEAD", "OPTIONS"}:
            if (method, route.path) in PUBLIC or route.path in ("/healthz", "/readyz"):
                continue
            out.append((method, route.path, roles))
    return out


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_every_api_route_declares_its_roles(app) -> None:  # type: ignore[no-untyped-def]
    routes = _guarded_routes(app)
    assert len(routes) > 15
    missing = [(m, p) for m, p, roles in routes if roles is None]
    assert missing == [], f"routes without require(...): {missing}"


def test_missing_wrong_and_lower_role_keys_are_refused(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for method, path, roles in _guarded_routes(app):
        url = _url(path)
        r = client.request(method, url)
        assert r.status_code == 401, (method, path, r.status_code)
        r = client.request(method, url, headers=auth("cx_not-a-real-key-0000000000"))
        assert r.status_code == 401, (method, path, r.status_code)
        for role in Role:
            if role in roles:
                continue
            r = client.request(method, url, headers=auth(org_keys[role.value]))
            assert r.status_code == 403, (method, path, role, r.status_code)
            assert role.value in r.json()["error"]["message"]
            checked += 1
    assert checked > 20


def test_revoked_key_is_refused(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    admin = auth(org_keys["admin"])
    created = client.post("/v1/keys", json={"name": "temp", "role": "analyst"}, headers=admin).json()
    assert client.get("/v1/me", headers=auth(created["api_key"])).status_code == 200
    assert client.delete(f"/v1/keys/{created['id']}", headers=admin).status_code == 200
    assert client.get("/v1/me", headers=auth(created["api_key"])).status_code == 401
    listed = client.get("/v1/keys", headers=admin).json()
    assert all("api_key" not in k and "secret_hash" not in k for k in listed)


def test_console_session_cookie(client: TestClient, org_keys: dict) -> None:
    r = client.post("/v1/session", json={"api_key": org_keys["supervisor"]})
    assert r.status_code == 200 and r.json()["role"] == "supervisor"
    assert "httponly" in r.headers["set-cookie"].lower()
    assert client.get("/v1/me").json()["role"] == "supervisor"
    assert client.delete("/v1/session").status_code == 204
    client.cookies.clear()
    assert client.get("/v1/me").status_code == 401
    assert client.post("/v1/session", json={"api_key": "cx_wrong-key-123456"}).status_code == 401
