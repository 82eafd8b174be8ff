"""Arrivals: a non-homogeneous Poisson process per site with intraday and weekly seasonality, and customers.

The rate at UTC hour u for site s is
    lambda_s(u) = V * w_s * p(h_s(u)) / sum_h p(h) * k(d_s(u)) / mean(k),
where V is the mean daily volume, w_s the site's share (by head count), h_s and d_s the local hour and weekday,
p the intraday profile (two peaks, late morning and mid afternoon, low at night) and k the weekly factor.
The rate is constant within an hour, so counts are Poisson(lambda) and times uniform within the hour
(the exact simulation of a piecewise-constant NHPP; Ross, Simulation, ch. 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from cxops.integrations.demo.catalogue import INTENTS
from cxops.integrations.demo.org import FIRST, LAST, QUEUE_CHANNEL, QUEUE_GROUPS, REGIONS, Org

CHANNEL_MIX = {"voice": 0.5, "chat": 0.22, "messaging": 0.1, "email": 0.18}
WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.95, 0.6, 0.5])  # Monday .. Sunday
TIERS = ("standard", "plus", "premium")
TIER_P = (0.7, 0.22, 0.08)


def intraday(hour: np.ndarray) -> np.ndarray:
    """Relative arrival intensity at local (fractional) hour: two Gaussian peaks (10:30, 15:00) over a floor."""
    h = np.asarray(hour, dtype=float)
    day = (h >= 7) & (h < 22)
    return 0.04 + 0.5 * day + np.exp(-0.5 * ((h - 10.5) / 1.6) ** 2) + 0.8 * np.exp(-0.5 * ((h - 15.0) / 2.0) ** 2)


_NORM = float(intraday(np.arange(24) + 0.5).sum())


@dataclass(slots=True)
class Customers:
    """The customer population: external ids, names, tiers and regions (index-aligned)."""

    names: list[str]
    tiers: list[str]
    regions: list[str]
    by_region: dict[str, np.ndarray]

    def external_id(self, index: int) -> str:
        return f"C{index:07d}"


def build_customers(seed: int, n: int) -> Customers:
    """A population of n customers spread over the regions."""
    rng = np.random.default_rng([seed, 2])
    region_idx = rng.choice(len(REGIONS), size=n, p=[0.4, 0.4, 0.2])
    tier_idx = rng.choice(len(TIERS), size=n, p=TIER_P)
    first = rng.integers(len(FIRST), size=n)
    last = rng.integers(len(LAST), size=n)
    regions = [REGIONS[i][0] for i in region_idx]
    return Customers(
        names=[f"{FIRST[a]} {LAST[b]}" for a, b in zip(first, last, strict=True)],
        tiers=[TIERS[i] for i in tier_idx],
        regions=regions,
        by_region={code: np.flatnonzero(region_idx == i) for i, (code, _) in enumerate(REGIONS)},
    )


@dataclass(slots=True)
class Arrival:
    """A contact arriving: when (epoch seconds), where, on which queue, why, who, and how busy the hour is."""

    at: float
    site: str
    queue: str
    intent: int
    customer: int
    load: float
    repeat_of: str | None = None
    attempt: int = 1


class ArrivalModel:
    """Draws each day's arrivals for an organisation."""

    def __init__(self, org: Org, customers: Customers, volume: float) -> None:
        self.org = org
        self.customers = customers
        self.volume = volume
        humans = {code: len(org.humans_at(code)) for code in org.sites}
        total = sum(humans.values())
        self.site_share = {code: n / total for code, n in humans.items()}
        self.site_queues: dict[str, tuple[list[str], np.ndarray]] = {}
        for code in org.sites:
            queues = sorted({q for a in org.humans_at(code) for q in a.queues})
            per_channel = {ch: sum(QUEUE_CHANNEL[q] == ch for q in queues) for ch in CHANNEL_MIX}
            w = np.array([CHANNEL_MIX[QUEUE_CHANNEL[q]] / per_channel[QUEUE_CHANNEL[q]] for q in queues])
            self.site_queues[code] = (queues, w / w.sum())
        self.queue_intents: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for queue, groups in QUEUE_GROUPS.items():
            idx = np.array([i for i, it in enumerate(INTENTS) if it.group in groups])
            w = np.array([INTENTS[i].weight for i in idx], dtype=float)
            self.queue_intents[queue] = (idx, np.cumsum(w / w.sum()))

    def rates(self, day: date, site: str) -> tuple[np.ndarray, np.ndarray]:
        """Expected arrivals per UTC hour of `day` at `site`, and the hours' start times (epoch seconds)."""
        zone = self.org.sites[site].zone
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        hours = [start + timedelta(hours=u) for u in range(24)]
        local = [h.astimezone(zone) for h in hours]
        local_hour = np.array([t.hour + t.minute / 60 + 0.5 for t in local])
        weekly = np.array([WEEKLY[t.weekday()] for t in local]) / WEEKLY.mean()
        lam = self.volume * self.site_share[site] * intraday(local_hour) / _NORM * weekly
        return lam, np.array([h.timestamp() for h in hours])

    def draw(self, rng: np.random.Generator, day: date) -> list[Arrival]:
        """All new (non-repeat) arrivals of one UTC day, unsorted."""
        out: list[Arrival] = []
        for site in sorted(self.org.sites):
            lam, starts = self.rates(day, site)
            counts = rng.poisson(lam)
            n = int(counts.sum())
            if n == 0:
                continue
            times = np.repeat(starts, counts) + rng.uniform(0, 3600, size=n)
            load = np.repeat(lam / lam.max(), counts)
            queues, qp = self.site_queues[site]
            qidx = rng.choice(len(queues), size=n, p=qp)
            region = self.org.sites[site].region
            pool = self.customers.by_region[region]
            cust = pool[rng.integers(len(pool), size=n)]
            u = rng.random(n)
            for k in range(n):
                queue = queues[qidx[k]]
                idx, cdf = self.queue_intents[queue]
                intent = int(idx[min(int(cdf.searchsorted(u[k])), len(idx) - 1)])
                out.append(Arrival(float(times[k]), site, queue, intent, int(cust[k]), float(load[k])))
        return out
