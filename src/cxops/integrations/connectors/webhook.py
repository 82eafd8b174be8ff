"""HTTP webhook connector: executes actions by POSTing signed JSON to an enterprise system.

Protocol (what the receiving system implements):
    POST {base_url}/state    {"action", "params", "context"}          -> {"ok": true, "state": {...}}
    POST {base_url}/execute  {"action", "params", "idempotency_key"}  -> {"ok": true, "result": {...}}
    POST {base_url}/compensate {"action", "params", "outcome"}        -> {"ok": true, "result": {...}}
    A missing entity is answered 404; a refused action 409/422 with {"ok": false, "error": "..."}.
Signing: header X-Cxops-Timestamp (Unix seconds) and X-Cxops-Signature = "sha256=" + hex HMAC-SHA256(secret,
f"{timestamp}.{body}"), so the receiver can reject forged or replayed calls (RFC 2104 HMAC). Timeouts,
connection errors and 5xx are retried with exponential backoff (bounded attempts), always with the same
idempotency key; 4xx are never retried; any answer that is not a JSON object is reported as garbage.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any

import httpx
import orjson

from cxops.core.errors import NotFound
from cxops.domains.actions.public import ActionRefused, ConnectorFailed, ConnectorTimeout


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, *, max_age_s: int = 300) -> bool:
    """Receiver-side check: right signature and a timestamp within `max_age_s` of now."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - ts) > max_age_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


class WebhookConnector:
    """Connector to one HTTP endpoint; see the module docstring for the protocol."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        secret: str,
        timeout_s: float = 5.0,
        attempts: int = 3,
        backoff_s: float = 0.2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not secret:
            raise ValueError("a webhook connector needs a signing secret")
        self.name = name
        self._base = base_url.rstrip("/")
        self._secret = secret
        self._timeout = timeout_s
        self._attempts = max(1, attempts)
        self._backoff = backoff_s
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = orjson.dumps(payload)
        last: Exception | None = None
        for attempt in range(self._attempts):
            ts = int(time.time())
            headers = {
                "content-type": "application/json",
                "x-cxops-timestamp": str(ts),
                "x-cxops-signature": sign(self._secret, ts, body),
            }
            tries = f"({attempt + 1}/{self._attempts} attempts)"
            try:
                resp = self._client.post(f"{self._base}{path}", content=body, headers=headers)
            except httpx.TimeoutException as exc:
                last = ConnectorTimeout(f"connector '{self.name}' timed out after {self._timeout}s on {path} {tries}")
                last.__cause__ = exc
            except httpx.HTTPError as exc:
                last = ConnectorFailed(f"connector '{self.name}' unreachable on {path}: {type(exc).__name__} {tries}")
            else:
                if resp.status_code < 500:
                    return self._answer(path, resp)
                last = ConnectorFailed(f"connector '{self.name}' answered HTTP {resp.status_code} on {path} {tries}")
            if attempt + 1 < self._attempts:
                time.sleep(self._backoff * (2**attempt))
        assert last is not None
        raise last

    def _answer(self, path: str, resp: httpx.Response) -> dict[str, Any]:
        try:
            data = orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            raise ConnectorFailed(
                f"connector '{self.name}' answered garbage on {path} (HTTP {resp.status_code}, not JSON)"
            ) from None
        if not isinstance(data, dict):
            raise ConnectorFailed(f"connector '{self.name}' answered garbage on {path}: expected a JSON object")
        error = str(data.get("error") or "")[:300]
        if resp.status_code == 404:
            raise NotFound(f"connector '{self.name}': entity not found ({error or 'no detail'})")
        if resp.status_code >= 400 or data.get("ok") is False:
            raise ActionRefused(f"connector '{self.name}' refused on {path}: HTTP {resp.status_code} {error}".strip())
        if data.get("ok") is not True:
            raise ConnectorFailed(f"connector '{self.name}' answered garbage on {path}: missing \"ok\": true")
        return data

    def read_state(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], context: dict[str, Any]
    ) -> dict[str, Any]:
        """The entity's facts from the remote system."""
        data = self._post("/state", {"org_id": str(org_id), "action": action, "params": params, "context": context})
        state = data.get("state")
        if not isinstance(state, dict):
            raise ConnectorFailed(f"connector '{self.name}' answered garbage on /state: 'state' must be an object")
        return state

    def execute(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        """Execute remotely; retries carry the same idempotency key so the remote side can deduplicate."""
        data = self._post(
            "/execute", {"org_id": str(org_id), "action": action, "params": params, "idempotency_key": idempotency_key}
        )
        return {"result": data.get("result")}

    def compensate(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], outcome: dict[str, Any]
    ) -> dict[str, Any]:
        """Ask the remote system to undo an executed action."""
        data = self._post(
            "/compensate", {"org_id": str(org_id), "action": action, "params": params, "outcome": outcome}
        )
        return {"result": data.get("result")}

    def close(self) -> None:
        self._client.close()
