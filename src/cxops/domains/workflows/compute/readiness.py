"""The readiness assessment: a score per pillar with evidence, the trajectory it points to, and the three next
steps with the largest expected gain.

Pillars and weights (sum 100): knowledge 20, process 15, integration 20, governance 20, trust 15, workforce 10.
A pillar without data to judge (trust before any automated experience) is "not measured": the overall is the
weighted mean of the measured pillars (its weight is left out, and the assessment says how much weight it covers),
not a 0 that reads as "not ready" while the pillar's page says "no data". A pillar that is measured as absent (no
knowledge source, no staffing plan) is a 0.
Trajectories (the four outcomes CX operations tend towards):
- trust collapse: customers are turning away from automation (trust < 40, or trust falling while automation grows);
  an unmeasured trust pillar (no automated experience recorded yet) is no evidence of a collapse;
- autonomous enterprise: knowledge, integration and governance at 70+ and a measured trust at 60+;
- managed intelligence: governance at 60+ but knowledge or integration still short of 70 (AI works under supervision);
- automation plateau: AI answers but cannot act or is not trusted to (the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

WEIGHTS = {"knowledge": 20, "process": 15, "integration": 20, "governance": 20, "trust": 15, "workforce": 10}


@dataclass
class Step:
    """An improvement, with the pillar points it is expected to add if done."""

    action: str
    pillar: str
    pillar_points: float
    measured_weight: float = 100.0  # the weight the overall covers (set by `assess`)

    @property
    def overall_gain(self) -> float:
        return round(self.pillar_points * WEIGHTS[self.pillar] / self.measured_weight, 2)


@dataclass
class Pillar:
    name: str
    score: float | None  # None: no data to judge
    evidence: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


@dataclass
class Assessment:
    overall: float
    pillars: dict[str, Pillar]
    trajectory: str
    trajectory_evidence: list[str]
    next_steps: list[Step]
    measured_weight: float = 100.0  # of the 100 weight points, those of measured pillars
    unmeasured: list[str] = field(default_factory=list)


def assess(pillars: list[Pillar], *, trust_falling: bool = False, automation_rising: bool = False) -> Assessment:
    """Combine the measured pillars (weighted mean; an unmeasured one is left out and named) and diagnose the
    trajectory. Every pillar must be given, measured or not."""
    by = {p.name: p for p in pillars}
    unknown = sorted(set(WEIGHTS) - set(by))
    if unknown:
        raise ValueError(f"missing pillars: {unknown}")
    measured = {n: w for n, w in WEIGHTS.items() if by[n].score is not None}
    weight = float(sum(measured.values()))
    overall = round(sum(float(by[n].score or 0.0) * w for n, w in measured.items()) / weight, 1) if weight else 0.0
    score = {name: (by[name].score or 0.0) for name in WEIGHTS}
    trajectory, evidence = _trajectory(
        score, by["trust"].score, trust_falling=trust_falling, automation_rising=automation_rising
    )
    candidates = [s for p in pillars for s in p.steps]
    for step in candidates:
        step.measured_weight = weight or 100.0
    steps = sorted(candidates, key=lambda s: -s.overall_gain)[:3]
    unmeasured = [n for n in WEIGHTS if n not in measured]
    return Assessment(overall, by, trajectory, evidence, steps, weight, unmeasured)


def _trajectory(
    score: dict[str, float], trust: float | None, *, trust_falling: bool, automation_rising: bool
) -> tuple[str, list[str]]:
    """`trust` is the trust pillar as measured (None: no automated experience yet), not its 0 in the overall."""
    k, i, g = score["knowledge"], score["integration"], score["governance"]
    if (trust is not None and trust < 40) or (trust_falling and automation_rising):
        why = [f"trust {trust:.0f}/100"] if trust is not None else []
        if trust_falling and automation_rising:
            why.append("the trust index is falling while automation grows")
        return "trust collapse", why
    unmeasured = [] if trust is not None else ["trust not measured yet: no automated experience recorded"]
    if min(k, i, g) >= 70 and trust is not None and trust >= 60:
        levels = f"knowledge {k:.0f}, integration {i:.0f}, governance {g:.0f}, trust {trust:.0f}"
        return "autonomous enterprise", [levels]
    if g >= 60:
        short = [f"{n} {v:.0f}" for n, v in (("knowledge", k), ("integration", i)) if v < 70]
        why = [f"governance {g:.0f} keeps AI supervised"] + (["still short: " + ", ".join(short)] if short else [])
        return "managed intelligence", why + unmeasured
    weakest = min(("knowledge", k), ("integration", i), ("governance", g), key=lambda kv: kv[1])
    return "automation plateau", [
        f"{weakest[0]} {weakest[1]:.0f}/100 holds automation back",
        "AI can answer but is not equipped or trusted to act",
        *unmeasured,
    ]
