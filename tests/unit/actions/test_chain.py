"""The audit hash chain: tampering, deletion and reordering are detected; tombstones are not tampering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cxops.domains.actions.compute.chain import GENESIS, Link, link_hash, payload_digest, verify_links


def chain(n: int) -> list[Link]:
    out, prev = [], GENESIS
    t0 = datetime(2026, 11, 24, tzinfo=UTC)
    for i in range(1, n + 1):
        payload = {"i": i, "customer": f"c{i}"}
        digest = payload_digest(payload)
        when = t0 + timedelta(seconds=i)
        h = link_hash(prev, i, "decision", None, when, digest)
        out.append(Link(f"id{i}", i, "decision", None, when, payload, digest, False, prev, h))
        prev = h
    return out


def test_intact_chain_verifies():
    assert verify_links(chain(5))[0] is True


def test_altered_payload_is_named():
    links = chain(5)
    links[2] = replace(links[2], payload={"i": 999})
    ok, bad, why = verify_links(links)
    assert (ok, bad) == (False, "id3") and "payload was altered" in why


def test_deleted_row_is_detected():
    links = chain(5)
    del links[1]
    ok, bad, _ = verify_links(links)
    assert (ok, bad) == (False, "id3")


def test_rewritten_digest_breaks_hash():
    links = chain(4)
    fake = {"i": 2, "customer": "someone else"}
    links[1] = replace(links[1], payload=fake, payload_digest=payload_digest(fake))
    ok, bad, why = verify_links(links)
    assert (ok, bad) == (False, "id2") and "hash mismatch" in why


def test_tombstone_keeps_chain_valid():
    links = chain(4)
    links[1] = replace(links[1], payload={"tombstone": True}, tombstoned=True)
    assert verify_links(links)[0] is True
