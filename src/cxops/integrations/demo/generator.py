"""The demo generator: day by day, contacts routed to agents on shift, their transcripts and the agents' states.

Deterministic by seed: the organisation and customers come from `seed`; each day draws from a numpy Generator
seeded with (seed, day), and each contact from a `random.Random` seeded by that Generator. Days must be
generated in order (repeat contacts carry over), but only the pending repeats are kept between days.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from cxops.integrations.demo import contact as cx
from cxops.integrations.demo import dialogue as dg
from cxops.integrations.demo.arrivals import Arrival, ArrivalModel, build_customers
from cxops.integrations.demo.catalogue import INTENTS, Intent
from cxops.integrations.demo.org import QUEUE_CHANNEL, AgentProfile, Org, Shift, build_org, shifts_for

AI_SHARE = 0.6  # of chat and messaging contacts, opened by an AI agent


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """What to generate: `days` days ending on `end` (default today, UTC), about `volume` contacts a day; nothing
    after `until` (the demo passes the current time, so today holds the contacts ended so far, none from the future)."""

    seed: int = 7
    days: int = 60
    volume: int = 1500
    end: date | None = None
    source: str = "cxops-demo"
    until: datetime | None = None

    @property
    def first_day(self) -> date:
        return (self.end or datetime.now(UTC).date()) - timedelta(days=self.days - 1)


@dataclass(slots=True)
class DemoDay:
    """One UTC day of generated data: interactions (InteractionIn-shaped) and agent state events."""

    day: date
    interactions: list[dict[str, Any]]
    states: list[dict[str, Any]]


@dataclass(slots=True)
class _Routing:
    """Shifts on duty for a day, and when each agent is next free (epoch seconds)."""

    shifts: dict[str, list[Shift]]  # queue -> shifts of agents with that skill
    busy: dict[str, float]

    def pick(self, r: random.Random, queue: str, at: float, need: float) -> tuple[Shift | None, float]:
        """A free agent on shift for `queue` at `at` who can finish `need` seconds of work before a break."""
        fits = [s for s in self.shifts.get(queue, ()) if _fits(s, at, need)]
        if not fits:
            return None, at
        free = [s for s in fits if self.busy.get(s.agent.code, 0.0) <= at]
        if free:
            return r.choice(free), at
        first = min(fits, key=lambda s: self.busy[s.agent.code])
        answer = self.busy[first.agent.code]
        return (first, answer) if _fits(first, answer, need) else (None, at)


@dataclass(slots=True)
class _Route:
    ai: AgentProfile | None
    answer: float
    quality: float
    handoff: bool = False
    agent: AgentProfile | None = None
    on_shift: bool = True
    outcome: str = "resolved"


def _fits(s: Shift, at: float, need: float) -> bool:
    start, b0, b1, end = s.span
    return (start <= at and at + need <= b0) or (b1 <= at and at + need <= end)


@dataclass(slots=True)
class Generator:
    """Streams a demo contact centre day by day."""

    config: DemoConfig
    org: Org = field(init=False)
    _model: ArrivalModel = field(init=False)
    _pending: dict[date, list[Arrival]] = field(init=False, default_factory=dict)
    _busy: dict[str, float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.org = build_org(self.config.seed)
        customers = build_customers(self.config.seed, max(2000, self.config.volume * 8))
        self._model = ArrivalModel(self.org, customers, self.config.volume)

    @property
    def customers(self) -> Any:
        return self._model.customers

    def directory(self) -> dict[str, list[dict[str, Any]]]:
        """Regions, locations, teams, agents and queues as the directory's XCreate schemas expect."""
        return self.org.spec

    def days(self) -> Iterator[DemoDay]:
        """Each day of the configured window, in order."""
        first = self.config.first_day
        for i in range(self.config.days):
            yield self.day(first + timedelta(days=i))

    def day(self, day: date) -> DemoDay:
        """One day's contacts and states (call in date order so repeat contacts carry over)."""
        rng = np.random.default_rng([self.config.seed, day.toordinal()])
        arrivals = self._model.draw(rng, day) + self._pending.pop(day, [])
        arrivals.sort(key=lambda a: (a.at, a.site, a.customer))
        seeds = rng.integers(0, 2**62, size=len(arrivals))
        shifts = shifts_for(self.org, day - timedelta(days=1)) + shifts_for(self.org, day)
        by_queue: dict[str, list[Shift]] = {}
        for s in shifts:
            for q in s.agent.queues:
                by_queue.setdefault(q, []).append(s)
        routing = _Routing(by_queue, self._busy)
        states = [e for s in shifts if s.start.date() == day for e in self._shift_states(s)]
        records = []
        for k, arrival in enumerate(arrivals):
            ext = f"demo-{self.config.seed}-{day:%Y%m%d}-{k:05d}"
            record, events = self._contact(random.Random(int(seeds[k])), arrival, ext, routing, day)
            records.append(record)
            states.extend(events)
        states.sort(key=lambda e: (e["started_at"], e["agent"]))
        if self.config.until is not None:
            cut = self.config.until
            records = [r for r in records if datetime.fromisoformat(r.get("ended_at") or r["started_at"]) <= cut]
            states = [e for e in states if datetime.fromisoformat(e["started_at"]) <= cut]
        return DemoDay(day, records, states)

    def _shift_states(self, s: Shift) -> list[dict[str, Any]]:
        src = self.config.source
        return [
            {"agent": s.agent.code, "state": st, "started_at": cx.iso(t.timestamp()), "source": src}
            for st, t in (("available", s.start), ("break", s.break_start), ("available", s.break_end),
                          ("offline", s.end))
        ]  # fmt: skip

    def _contact(
        self, r: random.Random, a: Arrival, ext: str, routing: _Routing, day: date
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        intent = INTENTS[a.intent]
        channel = QUEUE_CHANNEL[a.queue]
        times = cx.draw_times(r, channel, intent, a.load)
        who = dg.Speakers()
        route = self._route(r, a, channel, intent, times, routing)
        if route.ai is not None:
            who.ai, who.ai_name = route.ai.code, route.ai.name.split(" ")[0]
        if route.agent is not None:
            who.agent, who.agent_name, who.quality = route.agent.code, route.agent.name.split(" ")[0], route.quality
        outcome = route.outcome
        if outcome == "transferred":
            second = self._second(r, routing, a.queue, route.answer, route.agent)
            who.second, who.second_name = second.code, second.name.split(" ")[0]
        if outcome == "abandoned":
            times = cx.Times(route.answer - a.at, 0.0, 0.0, 0.0)
        else:
            times = cx.Times(route.answer - a.at, times.talk, times.hold, times.wrap).scaled(route.quality)
        mood = cx.moods(r, intent, outcome, route.quality, a.attempt)
        values = dg.slots(r, day, self.org.sites[a.site].region, self.customers.names[a.customer])
        script = self._script(r, intent, channel, outcome, route.handoff, who, values, mood)
        record = self._record(r, a, ext, intent, channel, outcome, times, script, who, mood)
        self._maybe_repeat(r, a, ext, outcome)
        events: list[dict[str, Any]] = []
        if route.agent is not None and outcome != "abandoned":
            routing.busy[route.agent.code] = route.answer + times.handle
            if channel != "email" and route.on_shift:
                events = self._contact_states(route.agent.code, route.answer, times)
        return record, events

    def _route(
        self, r: random.Random, a: Arrival, channel: str, intent: Intent, times: cx.Times, routing: _Routing
    ) -> _Route:
        """Who answers (AI first on part of chat and messaging, then a free human on shift) and the outcome."""
        ai = self._ai_agent(r, a, channel)
        route = _Route(ai=ai, answer=a.at + times.wait, quality=ai.quality if ai else 0.7)
        route.handoff = ai is not None and r.random() < (0.9 if not intent.ai_ok else 0.12 + 0.3 * intent.difficulty)
        if ai is not None and not route.handoff:
            route.outcome = "resolved" if intent.ai_ok else "escalated"
            return route
        shift, route.answer = routing.pick(r, a.queue, route.answer, times.handle * cx.MAX_FACTOR)
        if shift is None and channel == "email":
            route.agent = r.choice([x for x in self.org.agents if a.queue in x.queues and x.kind == "human"])
            route.on_shift = False
        elif shift is not None:
            route.agent = shift.agent
        if route.agent is None:
            route.handoff = False
            route.outcome = "escalated" if ai is not None else "abandoned"
            return route
        route.quality = route.agent.quality
        if ai is None and cx.abandons(r, channel, route.answer - a.at, False):
            route.agent, route.outcome = None, "abandoned"
            return route
        route.outcome = cx.choose_outcome(r, channel, intent, route.quality, route.handoff)
        return route

    def _ai_agent(self, r: random.Random, a: Arrival, channel: str) -> AgentProfile | None:
        if channel not in ("chat", "messaging") or r.random() >= AI_SHARE:
            return None
        region = self.org.sites[a.site].region
        pool = [x for x in self.org.ai_agents() if self.org.sites[x.site].region == region]
        return r.choice(pool) if pool else None

    def _second(
        self, r: random.Random, routing: _Routing, queue: str, at: float, first: AgentProfile | None
    ) -> AgentProfile:
        others = [s.agent for s in routing.shifts.get(queue, ()) if s.agent is not first and _fits(s, at, 0.0)]
        return r.choice(others) if others else (first or self.org.agents[0])

    def _script(
        self, r: random.Random, intent: Intent, channel: str, outcome: str, handoff: bool, who: dg.Speakers,
        values: dict[str, str], mood: tuple[float, float],
    ) -> dg.Script:  # fmt: skip
        if outcome == "abandoned":
            return dg.abandoned_script(r, intent=intent, channel=channel, values=values, mood=mood[0])
        if who.ai:
            return dg.ai_script(
                r, intent=intent, channel=channel, outcome=outcome, handoff=handoff, who=who, values=values, moods=mood
            )
        if channel == "email":
            return dg.email_script(r, intent=intent, outcome=outcome, who=who, values=values, moods=mood)
        return dg.human_script(r, intent=intent, channel=channel, outcome=outcome, who=who, values=values, moods=mood)

    def _record(
        self, r: random.Random, a: Arrival, ext: str, intent: Intent, channel: str, outcome: str, times: cx.Times,
        script: dg.Script, who: dg.Speakers, mood: tuple[float, float],
    ) -> dict[str, Any]:  # fmt: skip
        turns, joins = cx.timed_turns(r, script, channel, times)
        participants: list[dict[str, Any]] = []
        for code, role, kind in ((who.ai, "primary", "ai"), (who.agent, "handoff" if who.ai else "primary", "human"),
                                 (who.second, "transfer", "human")):  # fmt: skip
            if code and code in joins and all(p["agent"] != code for p in participants):
                participants.append({"agent": code, "kind": kind, "role": role, "joined_offset_ms": joins[code]})
        last = turns[-1]["offset_ms"] / 1000 if turns else 0.0
        ended = a.at + max(times.wait + times.talk + times.hold, last)
        csat = cx.survey(r, outcome, mood[1])
        c = self.customers
        attrs: dict[str, Any] = {"site": a.site, "wait_s": round(times.wait, 1), "family": intent.family}
        if a.repeat_of:
            attrs["repeat_of"] = a.repeat_of
        record = {
            "source": self.config.source, "external_id": ext, "channel": channel, "queue": a.queue,
            "started_at": cx.iso(a.at), "ended_at": cx.iso(ended),
            "customer": {"external_id": c.external_id(a.customer), "display_name": c.names[a.customer],
                         "tier": c.tiers[a.customer], "region": c.regions[a.customer]},
            "participants": participants, "talk_s": round(times.talk, 1), "hold_s": round(times.hold, 1),
            "wrap_s": round(times.wrap, 1), "outcome": outcome, "disposition": f"{intent.family}/{outcome}",
            "intent": intent.code, "survey_answered": csat is not None, "language": "en", "turns": turns,
            "attributes": attrs,
        }  # fmt: skip
        if csat is not None:
            record["csat"] = csat
        return record

    def _maybe_repeat(self, r: random.Random, a: Arrival, ext: str, outcome: str) -> None:
        if r.random() >= cx.REPEAT_P[outcome] / a.attempt:
            return
        delay = r.expovariate(1 / (0.15 if outcome == "abandoned" else 1.5)) * 86_400
        at = a.at + min(delay, 6 * 86_400) + 60
        again = Arrival(at, a.site, a.queue, a.intent, a.customer, a.load, repeat_of=ext, attempt=a.attempt + 1)
        self._pending.setdefault(cx.day_of(at), []).append(again)

    def _contact_states(self, agent: str, answer: float, times: cx.Times) -> list[dict[str, Any]]:
        src = self.config.source
        marks = (("on_contact", answer), ("after_contact_work", answer + times.talk + times.hold),
                 ("available", answer + times.handle))  # fmt: skip
        return [{"agent": agent, "state": st, "started_at": cx.iso(t), "source": src} for st, t in marks]


def generate(config: DemoConfig) -> tuple[dict[str, list[dict[str, Any]]], Iterator[DemoDay]]:
    """The directory spec and an iterator of days for `config`."""
    gen = Generator(config)
    return gen.directory(), gen.days()
