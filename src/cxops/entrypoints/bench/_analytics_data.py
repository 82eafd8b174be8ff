"""Synthetic contact-centre history for the analytics benchmark, written straight into SQLite.

Going through the ORM would take hours for 1M interactions and 20M turns; the rows are generated with numpy
and written with executemany on the raw sqlite3 connection, in the exact storage format of the tables
(UUIDs as 32 hex digits, naive-UTC timestamps, JSON as text). Shapes are plausible, not calibrated.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

import cxops
from cxops.domains.trust.compute.ledger import POOR_KINDS, ContactFacts, Policy, classify

SHARED = Path(cxops.__file__).resolve().parents[2].parent / "shared" / "data" / "banking77" / "train.csv"
AGENT_LINES = [
    "Thanks for waiting, let me look into that for you.",
    "I can see the transaction on your account now.",
    "Could you confirm the last four digits of the card?",
    "I have raised a request and you will get an email shortly.",
    "Is there anything else I can help you with today?",
    "I understand, that must be frustrating.",
]
CHANNELS = np.array(["voice", "chat", "email", "messaging"])
OUTCOMES = np.array(["resolved", "abandoned", "transferred", "escalated", ""])


@dataclass(frozen=True)
class Shape:
    """Sizes of the generated centre."""

    interactions: int
    turns_per: int = 20
    days: int = 90
    regions: int = 4
    locations_per: int = 3
    teams_per: int = 4
    agents_per: int = 12
    ai_agents: int = 20
    queues: int = 24
    intents: int = 60
    customers: int = 200_000


def _hex() -> str:
    return uuid.uuid4().hex


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def customer_lines() -> list[str]:
    """Real customer utterances (BANKING77) when the shared data is present, else a few fixed lines."""
    if SHARED.exists():
        with SHARED.open(encoding="utf-8") as fh:
            return [row["text"] for row in csv.DictReader(fh)][:5000]
    return ["My card has not arrived yet.", "Why was I charged twice?", "I cannot log in to the app."]


def directory(conn: Any, org: str, shape: Shape) -> dict[str, Any]:
    """Regions, locations, teams, agents, queues and customers; returns the ids needed for contacts."""
    now = _ts(datetime.now(UTC))
    teams, humans, team_of = [], [], {}
    for r in range(shape.regions):
        rid = _hex()
        conn.execute("INSERT INTO directory_region VALUES (?,?,?,?)", (rid, org, f"R{r}", f"Region {r}"))
        for loc in range(shape.locations_per):
            lid, lcode = _hex(), f"R{r}-L{loc}"
            conn.execute("INSERT INTO directory_location VALUES (?,?,?,?,?,?)", (lid, org, rid, lcode, lcode, "UTC"))
            for t in range(shape.teams_per):
                tid, tcode = _hex(), f"{lcode}-T{t}"
                conn.execute("INSERT INTO directory_team VALUES (?,?,?,?,?)", (tid, org, lid, tcode, tcode))
                teams.append(tid)
    agent_rows: list[tuple[Any, ...]] = []
    for tid_index, tid in enumerate(teams):
        for a in range(shape.agents_per):
            aid = _hex()
            humans.append(aid)
            team_of[aid] = tid
            agent_rows.append(
                (aid, org, tid, f"h{tid_index}-{a}", f"Agent {tid_index}-{a}", "human", "[]", "active", 0, now)
            )
    bots = [_hex() for _ in range(shape.ai_agents)]
    agent_rows += [(b, org, None, f"bot{i}", f"Bot {i}", "ai", "[]", "active", 0, now) for i, b in enumerate(bots)]
    conn.executemany("INSERT INTO directory_agent VALUES (?,?,?,?,?,?,?,?,?,?)", agent_rows)
    queues = [(_hex(), CHANNELS[q % 4]) for q in range(shape.queues)]
    conn.executemany(
        "INSERT INTO directory_queue VALUES (?,?,?,?,?,?,?,?)",
        [(qid, org, f"q{i}-{ch}", f"Queue {i}", str(ch), 80.0, 20.0, 0) for i, (qid, ch) in enumerate(queues)],
    )
    customers = [_hex() for _ in range(shape.customers)]
    conn.executemany(
        "INSERT INTO directory_customer VALUES (?,?,?,?,?,?,?)",
        [(c, org, None, None, None, "{}", now) for c in customers],
    )
    return {"humans": humans, "team_of": team_of, "bots": bots, "queues": queues, "customers": customers}


def _columns(rng: np.random.Generator, n: int, shape: Shape, end: datetime) -> dict[str, np.ndarray]:
    span = shape.days * 86_400
    hour_weight = np.array([1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 2, 1], dtype=float)
    day = rng.integers(0, shape.days, n)
    hour = rng.choice(24, n, p=hour_weight / hour_weight.sum())
    offset = np.sort(day * 86_400 + hour * 3600 + rng.integers(0, 3600, n))
    start = end.timestamp() - span + offset
    intent_p = 1 / np.arange(1, shape.intents + 1)
    return {
        "start": start,
        "channel": rng.choice(4, n, p=[0.5, 0.3, 0.1, 0.1]),
        "ai": rng.random(n) < 0.35,
        "handoff": rng.random(n) < 0.3,
        "outcome": rng.choice(5, n, p=[0.75, 0.06, 0.08, 0.06, 0.05]),
        "intent": rng.choice(shape.intents, n, p=intent_p / intent_p.sum()),
        "customer": rng.integers(0, shape.customers, n),
        "wait": np.round(rng.exponential(25, n), 1),
        "talk": np.round(rng.gamma(4, 60, n), 1),
        "hold": np.round(rng.exponential(15, n), 1),
        "wrap": np.round(rng.gamma(2, 20, n), 1),
        "csat": np.where(rng.random(n) < 0.2, rng.integers(1, 6, n), 0),
        "s0": np.round(rng.normal(-0.5, 1, n), 2),
        "s1": np.round(rng.normal(0.4, 1, n), 2),
        "agent": rng.integers(0, 1 << 30, n),
    }


def contacts(
    conn: Any, org: str, ids: dict[str, Any], shape: Shape, *, seed: int = 7, chunk: int = 20_000
) -> Iterator[int]:
    """Insert `shape.interactions` contacts with their participants and turns; yields the running count."""
    rng = np.random.default_rng(seed)
    c = _columns(rng, shape.interactions, shape, datetime.now(UTC) - timedelta(minutes=20))
    lines = customer_lines()
    humans, bots, queues = ids["humans"], ids["bots"], ids["queues"]
    for lo in range(0, shape.interactions, chunk):
        rows, parts, turns, ledger = [], [], [], []
        for i in range(lo, min(lo + chunk, shape.interactions)):
            row, p, t = _contact(i, c, org, ids, humans, bots, queues, lines, shape.turns_per)
            rows.append(row)
            parts.extend(p)
            turns.extend(t)
            ledger.extend(_ledger(org, row))
        conn.executemany(f"INSERT INTO interaction ({INTERACTION_COLS}) VALUES ({','.join('?' * 30)})", rows)
        conn.executemany("INSERT INTO interaction_participant VALUES (?,?,?,?,?,?)", parts)
        conn.executemany("INSERT INTO interaction_turn VALUES (?,?,?,?,?,?,?,?)", turns)
        conn.executemany(f"INSERT INTO trust_experience ({LEDGER_COLS}) VALUES ({','.join('?' * 14)})", ledger)
        conn.commit()
        yield min(lo + chunk, shape.interactions)


INTERACTION_COLS = (
    "id, org_id, source, external_id, content_hash, channel, queue_id, customer_id, primary_agent_id, team_id, "
    "started_at, ended_at, talk_s, hold_s, wrap_s, outcome, disposition, intent, csat, survey_answered, language, "
    "ai_involved, handed_off, turn_count, sentiment_start, sentiment_end, attributes, documentation, created_at, "
    "updated_at"
)


LEDGER_COLS = (
    "id, org_id, customer_id, ref, kind, poor, occurred_at, interaction_id, intent, queue_id, team_id, region, "
    "origin, detail"
)
_POLICY = Policy()


def _ledger(org: str, row: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The trust-ledger entries the trust consumer would derive from one contact (by the trust domain's own
    `classify`; repeat-contact entries, which need the customer's later contacts, are not generated)."""
    iid, customer, team, start, outcome, intent = row[0], row[7], row[9], row[10], row[15], row[17]
    facts = ContactFacts(ai_involved=bool(row[21]), handed_off=bool(row[22]), outcome=outcome, sentiment_end=row[25])
    return [
        (_hex(), org, customer, str(uuid.UUID(iid)), kind, int(kind in POOR_KINDS), start, iid, intent, row[6],
         team, None, "interaction", "{}")
        for kind in classify(facts, _POLICY)
    ]  # fmt: skip


def _contact(i, c, org, ids, humans, bots, queues, lines, n_turns):
    iid = _hex()
    ai, handoff = bool(c["ai"][i]), bool(c["ai"][i] and c["handoff"][i])
    human = humans[c["agent"][i] % len(humans)]
    bot = bots[c["agent"][i] % len(bots)]
    primary = bot if ai else human
    start = datetime.fromtimestamp(float(c["start"][i]), UTC)
    talk, hold, wrap = float(c["talk"][i]), float(c["hold"][i]), float(c["wrap"][i])
    end = start + timedelta(seconds=talk + hold)
    outcome = str(OUTCOMES[c["outcome"][i]]) or None
    csat = int(c["csat"][i]) or None
    channel = int(c["channel"][i])
    queue = queues[(c["intent"][i] * 4 + channel) % len(queues)][0]
    row = (
        iid, org, "bench", f"b{i}", "0" * 32, str(CHANNELS[channel]), queue, ids["customers"][c["customer"][i]],
        primary, ids["team_of"].get(primary), _ts(start), _ts(end), talk, hold, wrap, outcome, None,
        f"intent_{c['intent'][i]:02d}", csat, int(csat is not None), "en", int(ai), int(handoff), n_turns,
        float(c["s0"][i]), float(c["s1"][i]), json.dumps({"wait_s": float(c["wait"][i])}), None, _ts(end), _ts(end),
    )  # fmt: skip
    parts = [(iid, 0, primary, "ai" if ai else "human", "primary", 0)]
    if handoff:
        parts.append((iid, 1, human, "human", "handoff", 60_000))
    step = int(max(talk, 60) * 1000 / n_turns)
    turns = [
        (
            iid, k, "customer" if k % 2 == 0 else ("ai" if ai and not (handoff and k > n_turns // 2) else "agent"),
            k * step, k * step + step // 2, lines[(i + k) % len(lines)] if k % 2 == 0 else AGENT_LINES[k % 6],
            None if k % 2 == 0 else primary, float(c["s0"][i]) if k == 0 else None,
        )
        for k in range(n_turns)
    ]  # fmt: skip
    return row, parts, turns
