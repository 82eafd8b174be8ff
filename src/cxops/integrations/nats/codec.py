"""Outbox events on the wire: JSON body with id, type, organisation and payload; the id is also Nats-Msg-Id."""

from __future__ import annotations

import uuid

import orjson

from cxops.core.events import Delivered


class BadMessage(ValueError):
    """A message on the events subject that is not a cxops event (sent to the dead-letter subject)."""


def encode(event: Delivered) -> bytes:
    """The message body of one event."""
    return orjson.dumps(
        {"id": str(event.id), "type": event.type, "org_id": str(event.org_id), "payload": event.payload}
    )


def decode(data: bytes) -> Delivered:
    """An event from a message body; BadMessage names what is wrong."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadMessage(f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadMessage("body is not a JSON object")
    missing = [k for k in ("id", "type", "org_id", "payload") if k not in body]
    if missing:
        raise BadMessage(f"body lacks {', '.join(missing)}")
    if not isinstance(body["type"], str) or not isinstance(body["payload"], dict):
        raise BadMessage("type must be a string and payload an object")
    try:
        return Delivered(uuid.UUID(str(body["id"])), body["type"], uuid.UUID(str(body["org_id"])), body["payload"])
    except ValueError:
        raise BadMessage("id and org_id must be UUIDs") from None
