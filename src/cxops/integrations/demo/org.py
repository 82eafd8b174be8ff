"""The demo organisation: regions, sites in their time zones, teams, human and AI agents, queues and rosters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

# (code, name, channel, routing groups served, SL target %, SL threshold s)
QUEUES: tuple[tuple[str, str, str, tuple[str, ...], float, float], ...] = (
    ("voice-orders", "Orders (voice)", "voice", ("orders",), 80.0, 20.0),
    ("voice-billing", "Billing (voice)", "voice", ("billing",), 80.0, 20.0),
    ("voice-tech", "Technical support (voice)", "voice", ("tech",), 80.0, 30.0),
    ("voice-bookings", "Bookings (voice)", "voice", ("bookings",), 80.0, 20.0),
    ("voice-care", "Customer care (voice)", "voice", ("care",), 85.0, 20.0),
    ("chat-general", "General (chat)", "chat", ("orders", "billing", "bookings", "care"), 80.0, 60.0),
    ("chat-tech", "Technical support (chat)", "chat", ("tech",), 80.0, 60.0),
    ("msg-general", "Messaging", "messaging", ("orders", "billing", "bookings", "care", "tech"), 80.0, 300.0),
    ("email-support", "Support (email)", "email", ("orders", "bookings", "care", "tech"), 90.0, 86_400.0),
    ("email-billing", "Billing (email)", "email", ("billing",), 90.0, 86_400.0),
)
QUEUE_CHANNEL = {q[0]: q[2] for q in QUEUES}
QUEUE_GROUPS = {q[0]: q[3] for q in QUEUES}
REGIONS = (("emea", "Europe, Middle East & Africa"), ("amer", "Americas"), ("apac", "Asia Pacific"))
# (code, name, region, time zone, language, teams: (suffix, name, queues))
SITES: tuple[tuple[str, str, str, str, str, tuple[tuple[str, str, tuple[str, ...]], ...]], ...] = (
    ("ber", "Berlin", "emea", "Europe/Berlin", "de", (
        ("orders", "Orders", ("voice-orders", "email-support")),
        ("billing", "Billing", ("voice-billing", "email-billing")),
        ("digital", "Digital", ("chat-general", "msg-general")))),
    ("dub", "Dublin", "emea", "Europe/Dublin", "en", (
        ("tech", "Technical Support", ("voice-tech", "chat-tech")),
        ("care", "Customer Care", ("voice-care", "email-support")),
        ("bookings", "Bookings", ("voice-bookings", "chat-general")))),
    ("aus", "Austin", "amer", "America/Chicago", "en", (
        ("orders", "Orders", ("voice-orders", "chat-general")),
        ("billing", "Billing", ("voice-billing", "email-billing")),
        ("tech", "Technical Support", ("voice-tech", "chat-tech")),
        ("care", "Customer Care", ("voice-care", "msg-general")))),
    ("tor", "Toronto", "amer", "America/Toronto", "en", (
        ("bookings", "Bookings", ("voice-bookings", "email-support")),
        ("digital", "Digital", ("chat-general", "msg-general", "chat-tech")))),
    ("mnl", "Manila", "apac", "Asia/Manila", "en", (
        ("orders", "Orders", ("voice-orders", "email-support")),
        ("tech", "Technical Support", ("voice-tech", "chat-tech")),
        ("digital", "Digital", ("chat-general", "msg-general")),
        ("billing", "Billing", ("voice-billing", "email-billing")))),
    ("syd", "Sydney", "apac", "Australia/Sydney", "en", (
        ("care", "Customer Care", ("voice-care", "voice-bookings", "email-support")),)),
)  # fmt: skip
AI_AGENTS = (("ai-aria", "Aria", "dub"), ("ai-nova", "Nova", "dub"), ("ai-atlas", "Atlas", "aus"),
             ("ai-sage", "Sage", "aus"), ("ai-kai", "Kai", "mnl"), ("ai-luna", "Luna", "mnl"))  # fmt: skip
AI_QUEUES = ("chat-general", "chat-tech", "msg-general")
FIRST = (
    "Alex",
    "Sam",
    "Jordan",
    "Maria",
    "Liam",
    "Emma",
    "Noah",
    "Olivia",
    "Lucas",
    "Mia",
    "Ethan",
    "Ava",
    "Leon",
    "Hannah",
    "Finn",
    "Sofia",
    "Jonas",
    "Aoife",
    "Sean",
    "Grace",
    "Carlos",
    "Ana",
    "Priya",
    "Rahul",
    "Wei",
    "Mei",
    "Jose",
    "Andrea",
    "Paolo",
    "Kim",
    "Chloe",
    "Jack",
    "Ruby",
    "Oscar",
    "Isla",
    "Tom",
    "Nora",
    "Ben",
)
LAST = ("Smith", "Müller", "Murphy", "Garcia", "Santos", "Reyes", "Brown", "Schmidt", "Kelly", "Walsh", "Nguyen",
        "Tremblay", "Martin", "Lee", "Cruz", "Bautista", "Taylor", "Wilson", "Fischer", "Weber", "Byrne", "Roy",
        "Lopez", "Chen", "Patel", "Jones", "Clarke", "Dubois", "Ryan", "Walker")  # fmt: skip
SHIFT_STARTS = np.array([6, 7, 8, 8, 9, 9, 10, 11, 12, 13, 14])
SHIFT_HOURS = 8.5


@dataclass(slots=True)
class AgentProfile:
    """A demo agent with the hidden traits that shape its contacts."""

    code: str
    name: str
    kind: str
    team: str
    site: str
    queues: tuple[str, ...]
    quality: float  # 0..1: wording, resolution and handle time
    shift_start: int = 9  # local hour
    days_off: tuple[int, ...] = (5, 6)


@dataclass(slots=True)
class Site:
    code: str
    name: str
    region: str
    zone: ZoneInfo
    language: str


@dataclass(slots=True)
class Org:
    """The whole demo organisation."""

    sites: dict[str, Site]
    agents: list[AgentProfile]
    spec: dict[str, list[dict[str, Any]]]

    def humans_at(self, site: str) -> list[AgentProfile]:
        return [a for a in self.agents if a.site == site and a.kind == "human"]

    def ai_agents(self) -> list[AgentProfile]:
        return [a for a in self.agents if a.kind == "ai"]


def build_org(seed: int) -> Org:
    """The organisation for a seed: the same seed always gives the same people and structure."""
    rng = np.random.default_rng([seed, 1])
    sites = {s[0]: Site(s[0], s[1], s[2], ZoneInfo(s[3]), s[4]) for s in SITES}
    agents: list[AgentProfile] = []
    teams: list[dict[str, Any]] = []
    number = 0
    for code, name, _region, _tz, lang, team_specs in SITES:
        for suffix, team_name, queues in team_specs:
            team = f"{code}-{suffix}"
            teams.append({"code": team, "name": f"{name} {team_name}", "location": code})
            for _ in range(int(rng.integers(13, 22))):
                number += 1
                agents.append(_human(rng, number, team, code, queues, lang))
    for code, _name, _tz_site in (("emea-ai", "", "dub"), ("amer-ai", "", "aus"), ("apac-ai", "", "mnl")):
        teams.append({"code": code, "name": f"{code[:4].upper()} AI agents", "location": _tz_site})
    for code, name, site in AI_AGENTS:
        team = f"{sites[site].region}-ai"
        agents.append(AgentProfile(code, f"{name} (AI)", "ai", team, site, AI_QUEUES, float(rng.uniform(0.6, 0.9))))
    spec = {
        "regions": [{"code": c, "name": n} for c, n in REGIONS],
        "locations": [{"code": s[0], "name": s[1], "region": s[2], "timezone": s[3]} for s in SITES],
        "teams": teams,
        "agents": [
            {"code": a.code, "name": a.name, "kind": a.kind, "team": a.team, "skills": _skills(a, sites)}
            for a in agents
        ],
        "queues": [
            {"code": q[0], "name": q[1], "channel": q[2], "sl_target_pct": q[4], "sl_threshold_s": q[5]} for q in QUEUES
        ],
    }
    return Org(sites=sites, agents=agents, spec=spec)


def _human(
    rng: np.random.Generator, number: int, team: str, site: str, queues: tuple[str, ...], lang: str
) -> AgentProfile:
    name = f"{FIRST[int(rng.integers(len(FIRST)))]} {LAST[int(rng.integers(len(LAST)))]}"
    # Weekends are quieter, so more agents take them off.
    first_off = int(rng.choice(7, p=[0.08, 0.08, 0.08, 0.08, 0.13, 0.35, 0.20]))
    return AgentProfile(
        code=f"agt-{number:04d}",
        name=name,
        kind="human",
        team=team,
        site=site,
        queues=queues,
        quality=float(rng.beta(5, 2)),
        shift_start=int(rng.choice(SHIFT_STARTS)),
        days_off=(first_off, (first_off + 1) % 7),
    )


def _skills(agent: AgentProfile, sites: dict[str, Site]) -> list[str]:
    groups = sorted({g for q in agent.queues for g in QUEUE_GROUPS[q]})
    level = "senior" if agent.quality > 0.8 else "junior" if agent.quality < 0.5 else "standard"
    return [*agent.queues, *groups, f"lang:{sites[agent.site].language}", f"level:{level}"]


@dataclass(slots=True)
class Shift:
    """A worked shift with a 30-minute break; `span` holds the same four times as epoch seconds."""

    agent: AgentProfile
    start: datetime
    end: datetime
    break_start: datetime
    break_end: datetime
    span: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        self.span = (self.start.timestamp(), self.break_start.timestamp(), self.break_end.timestamp(),
                     self.end.timestamp())  # fmt: skip


def shifts_for(org: Org, day: date) -> list[Shift]:
    """Human shifts that start on the UTC `day` (rosters are set in each site's local time)."""
    out: list[Shift] = []
    lo = datetime.combine(day, time(), tzinfo=ZoneInfo("UTC"))
    hi = lo + timedelta(days=1)
    for agent in org.agents:
        if agent.kind != "human":
            continue
        zone = org.sites[agent.site].zone
        for local_day in (day - timedelta(days=1), day, day + timedelta(days=1)):
            if local_day.weekday() in agent.days_off:
                continue
            start = datetime.combine(local_day, time(agent.shift_start), tzinfo=zone).astimezone(ZoneInfo("UTC"))
            if lo <= start < hi:
                brk = start + timedelta(hours=4)
                out.append(Shift(agent, start, start + timedelta(hours=SHIFT_HOURS), brk, brk + timedelta(minutes=30)))
    return out
