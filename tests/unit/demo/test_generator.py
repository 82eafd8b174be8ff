"""The demo generator: determinism, the shape of the organisation and of the traffic, contract validity."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from cxops.contracts.interactions import AgentStateEventIn, InteractionIn
from cxops.domains.directory import schemas as dir_schemas
from cxops.domains.interactions.public import parse_obj
from cxops.integrations.demo import DemoConfig, Generator, labelled_utterances
from cxops.integrations.demo.arrivals import intraday
from cxops.integrations.demo.catalogue import FAMILIES, INTENTS
from cxops.integrations.demo.contact import WAIT_CAP, draw_times
from cxops.integrations.demo.org import SITES

END = date(2026, 3, 15)


def _days(seed: int, days: int = 2, volume: int = 150) -> list:
    return list(Generator(DemoConfig(seed=seed, days=days, volume=volume, end=END)).days())


@pytest.fixture(scope="module")
def week() -> tuple[Generator, list]:
    gen = Generator(DemoConfig(seed=3, days=7, volume=400, end=END))
    return gen, list(gen.days())


@pytest.fixture(scope="module")
def records(week: tuple[Generator, list]) -> list[dict]:
    return [r for d in week[1] for r in d.interactions]


def test_same_seed_gives_identical_records_and_states() -> None:
    a, b = _days(5), _days(5)
    assert [d.interactions for d in a] == [d.interactions for d in b]
    assert [d.states for d in a] == [d.states for d in b]


def test_different_seed_gives_different_records() -> None:
    a, b = _days(5), _days(6)
    assert [r["turns"] for d in a for r in d.interactions] != [r["turns"] for d in b for r in d.interactions]
    assert Generator(DemoConfig(seed=5)).directory() != Generator(DemoConfig(seed=6)).directory()


def test_directory_shape_and_schemas(week: tuple[Generator, list]) -> None:
    spec = week[0].directory()
    assert len(spec["regions"]) == 3
    assert len(spec["locations"]) == 6
    assert len({loc["timezone"] for loc in spec["locations"]}) == 6
    assert 18 <= len(spec["teams"]) <= 22
    assert 250 <= len(spec["agents"]) <= 350
    ai = [a for a in spec["agents"] if a["kind"] == "ai"]
    assert 3 <= len(ai) <= 10
    assert len(spec["queues"]) >= 8
    assert {q["channel"] for q in spec["queues"]} >= {"voice", "chat", "email"}
    for key, schema in (("regions", dir_schemas.RegionCreate), ("locations", dir_schemas.LocationCreate),
                        ("teams", dir_schemas.TeamCreate), ("agents", dir_schemas.AgentCreate),
                        ("queues", dir_schemas.QueueCreate)):  # fmt: skip
        for item in spec[key]:
            schema.model_validate(item)
    assert all(a["skills"] for a in spec["agents"])


def test_catalogue_has_30_intents_in_families() -> None:
    assert len(INTENTS) >= 30
    assert len({i.code for i in INTENTS}) == len(INTENTS)
    assert {"orders", "refunds", "billing", "account_access", "bookings", "technical_support"} <= set(FAMILIES)


def test_every_record_validates_against_the_contract(records: list[dict]) -> None:
    for line, rec in enumerate(records, 1):
        parsed = parse_obj(line, rec)
        assert isinstance(parsed, InteractionIn), parsed
    assert len({r["external_id"] for r in records}) == len(records)


def test_states_validate_and_follow_each_other(week: tuple[Generator, list]) -> None:
    events = [e for d in week[1] for e in d.states]
    for event in events[:2000]:
        AgentStateEventIn.model_validate(event)
    by_agent: dict[str, list[dict]] = defaultdict(list)
    for e in events:
        by_agent[e["agent"]].append(e)
    checked = 0
    for seq in by_agent.values():
        seq.sort(key=lambda e: e["started_at"])
        for prev, cur in pairwise(seq):
            if cur["state"] == "on_contact":
                assert prev["state"] == "available", (prev, cur)
                checked += 1
            if cur["state"] == "after_contact_work":
                assert prev["state"] == "on_contact", (prev, cur)
    assert checked > 100
    assert {e["state"] for e in events} == {"available", "on_contact", "after_contact_work", "break", "offline"}


def test_traffic_statistics(records: list[dict]) -> None:
    channels = Counter(r["channel"] for r in records)
    assert set(channels) == {"voice", "chat", "email", "messaging"}
    voice = [len(r["turns"]) for r in records if r["channel"] == "voice" and r["outcome"] != "abandoned"]
    assert 16 <= sum(voice) / len(voice) <= 24
    outcomes = Counter(r["outcome"] for r in records)
    assert set(outcomes) == {"resolved", "escalated", "transferred", "abandoned"}
    assert outcomes["resolved"] > len(records) / 2
    answered = sum(r["survey_answered"] for r in records) / len(records)
    assert 0.02 < answered < 0.4
    assert all(1 <= r["csat"] <= 5 for r in records if "csat" in r)
    assert len({r["intent"] for r in records}) >= 30


def test_ai_agents_handle_chat_and_hand_off(records: list[dict]) -> None:
    ai = [r for r in records if any(p["kind"] == "ai" for p in r["participants"])]
    assert ai and {r["channel"] for r in ai} <= {"chat", "messaging"}
    handed = [r for r in ai if any(p["role"] == "handoff" for p in r["participants"])]
    assert handed and len(handed) < len(ai)
    for rec in handed:
        speakers = [t["speaker"] for t in rec["turns"]]
        assert speakers.index("ai") < speakers.index("system") < speakers.index("agent")
    failing = {i.code for i in INTENTS if not i.ai_ok}
    rate = lambda rs: sum(r in handed for r in rs) / max(1, len(rs))  # noqa: E731
    assert rate([r for r in ai if r["intent"] in failing]) > rate([r for r in ai if r["intent"] not in failing])


def test_repeat_contacts_are_the_same_customer_and_intent(records: list[dict]) -> None:
    by_id = {r["external_id"]: r for r in records}
    repeats = [r for r in records if "repeat_of" in r["attributes"]]
    assert repeats
    linked = [(r, by_id[r["attributes"]["repeat_of"]]) for r in repeats if r["attributes"]["repeat_of"] in by_id]
    assert linked
    for rec, first in linked:
        assert rec["customer"]["external_id"] == first["customer"]["external_id"]
        assert rec["intent"] == first["intent"]
        assert rec["started_at"] > first["started_at"]
    share = Counter(first["outcome"] for _, first in linked)
    assert share["resolved"] < len(linked)  # failed contacts bring customers back more often


def test_arrivals_peak_by_day_and_are_quiet_at_night(records: list[dict]) -> None:
    zones = {s[0]: ZoneInfo(s[3]) for s in SITES}
    hours = Counter(
        datetime.fromisoformat(r["started_at"]).astimezone(zones[r["attributes"]["site"]]).hour for r in records
    )
    assert hours[10] + hours[15] > 4 * (hours[2] + hours[3])
    assert intraday([10.5])[0] > intraday([3.0])[0] * 10


def test_wording_depends_on_agent_quality(records: list[dict]) -> None:
    openers = {r["turns"][0]["text"] for r in records if r["channel"] == "voice" and r["participants"]}
    assert any(t.startswith("Good morning, thank you for calling") for t in openers)
    assert any(t.endswith("speaking.") for t in openers)


def test_labelled_utterances_cover_every_intent() -> None:
    pairs = labelled_utterances(seed=1, per_intent=10)
    labels = Counter(label for _, label in pairs)
    assert set(labels) == {i.code for i in INTENTS}
    assert all(n >= 3 for n in labels.values())
    assert labelled_utterances(seed=1, per_intent=10) == pairs
    assert all("{" not in text for text, _ in pairs)


def test_waits_are_capped_so_email_threads_stay_within_the_contract() -> None:
    r = random.Random(0)
    intent = INTENTS[0]
    waits = [draw_times(r, "email", intent, 1.0).wait for _ in range(5000)]
    assert max(waits) <= WAIT_CAP["email"]
    assert 2 * WAIT_CAP["email"] + 30 * 3600 < 7 * 24 * 3600  # two waits and a reply gap fit in TurnIn's limit


def test_until_keeps_what_ended_by_then_and_nothing_later() -> None:
    full = _days(5, days=1)[0]
    cut = datetime.fromisoformat("2026-03-15T13:30:00+00:00")
    part = next(Generator(DemoConfig(seed=5, days=1, volume=150, end=END, until=cut)).days())
    ended = [r for r in full.interactions if datetime.fromisoformat(r["ended_at"]) <= cut]
    assert part.interactions == ended and 0 < len(ended) < len(full.interactions)
    assert part.states == [e for e in full.states if datetime.fromisoformat(e["started_at"]) <= cut]
    assert part.states and len(part.states) < len(full.states)
