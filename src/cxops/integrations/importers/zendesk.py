"""Zendesk Support ticket export JSON: tickets with their comments.

Accepted shapes: a JSON array of tickets, `{"tickets": [...]}` (API pages, incremental export), one ticket
per line (the admin JSON export), or one `{"ticket": {...}}`. See docs/ingestion.md for the mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from cxops.contracts.interactions import LineResult
from cxops.integrations.importers.base import (
    MAX_OFFSET_MS,
    ImportOptions,
    Record,
    RecordError,
    mapped,
    offset_ms,
    parse_time,
    require,
    short,
)
from cxops.integrations.importers.jsonstream import iter_documents

CHANNELS = {
    "email": "email",
    "web": "email",
    "api": "email",
    "help_center": "email",
    "closed_ticket": "email",
    "rule": "email",
    "chat": "chat",
    "voice": "voice",
    "native_messaging": "messaging",
    "messaging": "messaging",
    "mobile_sdk": "messaging",
    "mobile": "messaging",
    "sms": "messaging",
    "whatsapp": "messaging",
    "facebook": "messaging",
    "twitter": "messaging",
    "instagram_dm": "messaging",
    "line": "messaging",
    "wechat": "messaging",
    "any_channel": "messaging",
}
OUTCOMES = {"solved": "resolved", "closed": "resolved"}
STATUSES = {"new", "open", "pending", "hold", "solved", "closed", "deleted"}
CSAT = {"good": 5, "bad": 1}  # Zendesk's two-point rating onto the contract's 1..5 scale


class ZendeskImporter:
    """Zendesk tickets -> one interaction per ticket, public comments as turns."""

    name = "zendesk"
    description = 'Zendesk ticket export JSON (array, {"tickets": [...]} or one ticket per line)'

    def records(self, stream: BinaryIO, options: ImportOptions) -> Iterator[Record]:
        """One record per ticket, streamed."""
        for number, doc in iter_documents(stream, wrapper="tickets", single_key="ticket"):
            if isinstance(doc, LineResult):
                yield number, doc
            else:
                yield mapped(number, lambda d: to_interaction(d, options), doc)


def to_interaction(ticket: dict[str, Any], options: ImportOptions) -> dict[str, Any]:
    """Map one Zendesk ticket to the generic contract."""
    ticket_id = require(ticket, "id")
    created = parse_time(require(ticket, "created_at"), "created_at")
    status = str(ticket.get("status") or "").lower()
    if status and status not in STATUSES:
        raise RecordError("status", f"{status!r} is not one of {', '.join(sorted(STATUSES))}")
    via: dict[str, Any] = ticket["via"] if isinstance(ticket.get("via"), dict) else {}
    via_channel = str(via.get("channel") or "email").lower()
    requester = ticket.get("requester_id")
    turns, authors, capped = _turns(ticket, created, requester)
    record: dict[str, Any] = {
        "source": options.source or "zendesk",
        "external_id": short(ticket_id, 100),
        "channel": CHANNELS.get(via_channel, "email"),
        "started_at": created.isoformat(),
        "participants": _participants(ticket.get("assignee_id"), authors),
        "turns": turns,
        "attributes": _attributes(ticket, status, via_channel, capped),
    }
    if requester is not None:
        record["customer"] = {"external_id": short(requester, 100)}
    if status in OUTCOMES:
        record["outcome"] = OUTCOMES[status]
        if ticket.get("updated_at"):
            record["ended_at"] = max(created, parse_time(ticket["updated_at"], "updated_at")).isoformat()
    if ticket.get("group_id") is not None:
        record["queue"] = short(f"zendesk-group:{ticket['group_id']}", 100)
    rating = ticket.get("satisfaction_rating")
    score = str(rating.get("score") or "").lower() if isinstance(rating, dict) else ""
    if score in CSAT:
        record["csat"] = CSAT[score]
        record["survey_answered"] = True
    return record


def _turns(ticket: dict[str, Any], created: datetime, requester: Any) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Public comments in time order (internal notes are left out); agent codes in order; offsets capped?"""
    comments = ticket.get("comments") or []
    if not isinstance(comments, list):
        raise RecordError("comments", "must be a list")
    stamped: list[tuple[datetime, int, dict[str, Any]]] = []
    for i, comment in enumerate(comments):
        if not isinstance(comment, dict):
            raise RecordError(f"comments[{i}]", "must be an object")
        if comment.get("public") is False:
            continue
        at = parse_time(comment["created_at"], f"comments[{i}].created_at") if comment.get("created_at") else created
        stamped.append((at, i, comment))
    stamped.sort(key=lambda s: (s[0], s[1]))
    turns, authors, capped = [], [], False
    for at, i, comment in stamped:
        author = comment.get("author_id")
        body = comment.get("plain_body") or comment.get("body") or ""
        if not isinstance(body, str):
            raise RecordError(f"comments[{i}].body", f"expected text, got {type(body).__name__}")
        offset = offset_ms(at, created)
        if offset > MAX_OFFSET_MS:  # a ticket open longer than a week: keep the order, flag the cap
            offset, capped = MAX_OFFSET_MS, True
        turn: dict[str, Any] = {"speaker": "customer", "offset_ms": offset, "text": body}
        if author is not None and author != requester:
            code = short(f"zendesk:{author}", 100)
            turn.update(speaker="agent", agent=code)
            if code not in authors:
                authors.append(code)
        turns.append(turn)
    return turns, authors, capped


def _participants(assignee: Any, authors: list[str]) -> list[dict[str, Any]]:
    """The assignee (or the first agent who wrote) as primary, other agents who wrote publicly as consults."""
    primary = short(f"zendesk:{assignee}", 100) if assignee is not None else (authors[0] if authors else None)
    if primary is None:
        return []
    out = [{"agent": primary, "kind": "human", "role": "primary"}]
    out += [{"agent": a, "kind": "human", "role": "consult"} for a in authors if a != primary]
    return out


def _attributes(ticket: dict[str, Any], status: str, via_channel: str, capped: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {"zendesk_channel": short(via_channel, 64)}
    if status:
        attrs["zendesk_status"] = status
    for key in ("priority", "type", "subject"):
        if isinstance(ticket.get(key), str) and ticket[key]:
            attrs[key] = short(ticket[key])
    tags = ticket.get("tags")
    if isinstance(tags, list) and tags:
        attrs["tags"] = short(",".join(str(t) for t in tags), 1000)
    rating = ticket.get("satisfaction_rating")
    if isinstance(rating, dict) and rating.get("score"):
        attrs["zendesk_satisfaction"] = short(rating["score"], 32)
    private = sum(1 for c in ticket.get("comments") or [] if isinstance(c, dict) and c.get("public") is False)
    if private:
        attrs["internal_notes"] = private
    if capped:
        attrs["offsets_capped_at_7_days"] = True
    return attrs
