"""Hash chain of the audit log (pure).

digest(payload) = SHA-256 of canonical JSON (sorted keys).
hash_n = SHA-256(prev_hash_n "|" seq "|" kind "|" proposal_id "|" created_at ISO-8601 "|" digest_n), with
prev_hash_1 = 64 zeros. Changing any covered field of any row, deleting or reordering rows breaks every
later link; replacing a payload by a tombstone keeps the digest, so the chain stays verifiable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8; integers of any size; unknown types as strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of `payload`."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def link_hash(prev_hash: str, seq: int, kind: str, proposal_id: str | None, created_at: datetime, digest: str) -> str:
    """The hash of one link (see module docstring)."""
    when = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    text = f"{prev_hash}|{seq}|{kind}|{proposal_id or ''}|{when}|{digest}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Link:
    """What verification needs of one stored row."""

    id: str
    seq: int
    kind: str
    proposal_id: str | None
    created_at: datetime
    payload: dict[str, Any]
    payload_digest: str
    tombstoned: bool
    prev_hash: str
    hash: str


def verify_links(links: list[Link]) -> tuple[bool, str | None, str]:
    """Check a chain in seq order; returns (ok, id of the first bad row, why)."""
    prev, expected_seq = GENESIS, 1
    for link in links:
        if link.seq != expected_seq:
            return False, link.id, f"row seq {link.seq}: expected seq {expected_seq} (a row was deleted or inserted)"
        if link.prev_hash != prev:
            return False, link.id, f"row seq {link.seq}: prev_hash does not match the previous row's hash"
        if not link.tombstoned and payload_digest(link.payload) != link.payload_digest:
            return False, link.id, f"row seq {link.seq}: payload was altered (digest mismatch)"
        recomputed = link_hash(
            link.prev_hash, link.seq, link.kind, link.proposal_id, link.created_at, link.payload_digest
        )
        if recomputed != link.hash:
            return False, link.id, f"row seq {link.seq}: hash mismatch (kind, time, proposal or digest altered)"
        prev, expected_seq = link.hash, expected_seq + 1
    return True, None, f"{len(links)} rows verified"
