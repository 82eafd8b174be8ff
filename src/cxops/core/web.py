"""HTTP plumbing shared by every domain router: the request's transaction and who is calling.

The request owns the transaction: `DbSession` commits after the endpoint returns and before the response
is sent (FastAPI function-scoped dependency), then wakes the outbox dispatcher.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from cxops.core.auth import Principal, Role, hash_secret
from cxops.core.clock import utcnow
from cxops.core.errors import Forbidden, Unauthorized, ValidationFailed
from cxops.core.models import ApiKey, ConsoleSession

SESSION_COOKIE = "cxops_session"
_CACHE_TTL_S = 5.0


def get_session(request: Request) -> Iterator[Session]:
    """A session for this request; committed on success, rolled back on error."""
    factory = request.app.state.session_factory
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.notify()


DbSession = Annotated[Session, Depends(get_session, scope="function")]


class KeyCache:
    """Short-lived cache of key hash -> principal, so each request does not hit the database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, Principal]] = {}

    def get(self, digest: str) -> Principal | None:
        with self._lock:
            item = self._items.get(digest)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, digest: str, principal: Principal) -> None:
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[digest] = (time.monotonic() + _CACHE_TTL_S, principal)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _presented_secret(request: HTTPConnection) -> tuple[str, str] | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return "key", auth[7:].strip()
    key = request.headers.get("x-api-key")
    if key:
        return "key", key.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return "session", cookie
    return None


def authenticate(request: HTTPConnection, session: Session, secret: tuple[str, str] | None = None) -> Principal:
    """The caller's principal from an API key (Bearer or X-API-Key) or a console session cookie."""
    presented = secret or _presented_secret(request)
    if presented is None:
        raise Unauthorized("missing credentials: send 'Authorization: Bearer <api key>' or sign in")
    kind, value = presented
    digest = hash_secret(value)
    cache: KeyCache = request.app.state.key_cache
    cached = cache.get(kind + digest)
    if cached is not None:
        return cached
    key: ApiKey | None
    if kind == "session":
        row = session.get(ConsoleSession, digest)
        if row is None or row.expires_at < utcnow():
            raise Unauthorized("session expired or unknown: sign in again")
        key = session.get(ApiKey, row.api_key_id)
    else:
        key = session.scalars(select(ApiKey).where(ApiKey.secret_hash == digest)).first()
    if key is None or key.revoked_at is not None:
        raise Unauthorized("invalid or revoked API key")
    principal = Principal(key_id=key.id, org_id=key.org_id, role=Role(key.role), subject=key.subject)
    cache.put(kind + digest, principal)
    return principal


def require(roles: frozenset[Role]) -> Callable[..., Principal]:
    """Dependency factory: the caller must hold one of `roles`, else 401/403 with the reason."""

    def dependency(request: Request) -> Principal:
        with request.app.state.session_factory() as session:
            principal = authenticate(request, session)
        if principal.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(f"role '{principal.role.value}' may not do this; allowed: {allowed}")
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{'_'.join(sorted(r.value for r in roles))}"
    dependency.roles = roles  # type: ignore[attr-defined]  # read by the auth-matrix test over every route
    return dependency


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameter names (aliases) a route reads, its dependencies' included."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query(request: Request) -> None:
    """Router dependency: 422 for a query parameter the route does not read, naming it and the accepted ones.

    FastAPI ignores unknown query parameters, so a misspelt or unsupported one (`?days=7` where the route takes
    `since`/`until`) silently returns the default answer. Add it with `APIRouter(dependencies=[Depends(...)])`.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    accepted = _query_names(route.dependant)  # a walk over a few lists: cheaper than keeping a cache right
    unknown = sorted({name for name in request.query_params if name not in accepted})
    if not unknown:
        return
    listed = ", ".join(sorted(accepted)) or "none"
    what = "parameter" if len(unknown) == 1 else "parameters"
    raise ValidationFailed(
        f"unknown query {what} {', '.join(repr(n) for n in unknown)}; accepted: {listed}",
        field=f"query.{unknown[0]}",
        details={"unknown": unknown, "accepted": sorted(accepted)},
    )
