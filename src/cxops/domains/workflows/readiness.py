"""Gather the readiness evidence from every domain (through their public modules) and assess it."""

from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxops.domains.actions.public import ActionsRuntime, verify
from cxops.domains.interactions.public import Interaction
from cxops.domains.knowledge.public import Embedder, knowledge_health
from cxops.domains.trust.public import contact_trust
from cxops.domains.wfm.public import StaffingPlan
from cxops.domains.workflows.compute.readiness import Assessment, Pillar, Step, assess

WINDOW = timedelta(days=30)


def readiness(
    session: Session, *, org_id: uuid.UUID, runtime: ActionsRuntime, data_dir: Path, embedder: Embedder | None
) -> Assessment:
    """Score every pillar with its evidence, diagnose the trajectory, and rank the next steps."""
    now = session.scalar(select(func.max(Interaction.started_at)).where(Interaction.org_id == org_id))
    now = now or datetime.now().astimezone()
    intents = _intent_stats(session, org_id, now - WINDOW, now)
    trust, trust_falling = _trust(session, org_id, now)
    pillars = [
        _knowledge(session, org_id, data_dir, embedder),
        _process(intents),
        _integration(intents, runtime),
        _governance(session, org_id, runtime),
        trust,
        _workforce(session, org_id, now),
    ]
    return assess(pillars, trust_falling=trust_falling, automation_rising=_automation_rising(session, org_id, now))


def _knowledge(session: Session, org_id: uuid.UUID, data_dir: Path, embedder: Embedder | None) -> Pillar:
    health = knowledge_health(session, org_id=org_id, data_dir=data_dir, embedder=embedder)
    if not health["articles"]:
        return Pillar(
            "knowledge",
            0.0,
            ["no knowledge source is connected"],
            [Step("Connect the help-centre and policy knowledge as sources", "knowledge", 60.0)],
        )
    score = float(health["readiness"])
    reasons = [str(r) if not isinstance(r, dict) else r.get("reason", str(r)) for r in health["reasons"]]
    steps = [
        Step(f"Fix in the knowledge base: {r}", "knowledge", round((100 - score) / max(len(reasons), 1), 1))
        for r in reasons[:2]
    ]
    return Pillar("knowledge", score, [f"{health['articles']} articles", *reasons[:4]], steps)


def _intent_stats(session: Session, org_id: uuid.UUID, since: datetime, until: datetime) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(
            Interaction.intent,
            Interaction.outcome,
            Interaction.disposition,
            Interaction.talk_s + Interaction.hold_s + Interaction.wrap_s,
        )
        .where(
            Interaction.org_id == org_id,
            Interaction.intent.is_not(None),
            Interaction.started_at >= since,
            Interaction.started_at <= until,
        )
        .limit(500_000)
    )
    stats: dict[str, dict[str, Any]] = defaultdict(lambda: {"n": 0, "paths": defaultdict(int), "handle": []})
    for intent, outcome, disposition, handle in rows:
        s = stats[str(intent)]
        s["n"] += 1
        if outcome == "resolved":
            s["paths"][disposition or "resolved"] += 1
        s["handle"].append(float(handle or 0))
    return stats


def _process(intents: dict[str, dict[str, Any]]) -> Pillar:
    """Consistency of resolution paths: the dominant path's share of resolutions and a steady handle time."""
    total = sum(s["n"] for s in intents.values())
    if not total:
        return Pillar("process", None, ["no interactions with an intent in the last 30 days"])
    scored = []
    for intent, s in intents.items():
        paths = sum(s["paths"].values())
        dominant = max(s["paths"].values()) / paths if paths else 0.0
        h = s["handle"]
        mean = sum(h) / len(h)
        cv = math.sqrt(sum((x - mean) ** 2 for x in h) / len(h)) / mean if mean else 1.0
        scored.append((intent, s["n"] / total, 0.5 * dominant + 0.5 * max(0.0, 1 - min(cv, 1.0))))
    score = 100 * sum(w * c for _, w, c in scored)
    worst = sorted(scored, key=lambda r: (r[2] - 1) * r[1])[:3]
    return Pillar(
        "process",
        round(score, 1),
        [f"{i}: consistency {c:.0%} on {w:.0%} of volume" for i, w, c in worst],
        [
            Step(f"Standardise the resolution path of '{i}'", "process", round(100 * w * (1 - c), 1))
            for i, w, c in worst
        ],
    )


def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", text.lower()) if len(t) > 2} - {"the", "and", "order", "account"}


def _integration(intents: dict[str, dict[str, Any]], runtime: ActionsRuntime) -> Pillar:
    """Share of intent volume whose resolution has a declared action with a connector and a policy."""
    total = sum(s["n"] for s in intents.values())
    if not total:
        return Pillar("integration", None, ["no interactions with an intent in the last 30 days"])
    ready = {
        name: spec
        for name, spec in runtime.catalogue.actions.items()
        if spec.kind == "write"
        and spec.connector in runtime.connectors
        and spec.system in runtime.packs
        and runtime.packs[spec.system].rules_for(name)
    }
    covered, missing = 0, []
    for intent, s in intents.items():
        match = next((n for n in ready if _tokens(intent) & _tokens(n)), None)
        if match:
            covered += s["n"]
        else:
            missing.append((intent, s["n"] / total))
    missing.sort(key=lambda m: -m[1])
    return Pillar(
        "integration",
        round(100 * covered / total, 1),
        [
            f"{covered / total:.0%} of intent volume maps to a governed action with a connector",
            *[f"no governed action for '{i}' ({w:.0%} of volume)" for i, w in missing[:3]],
        ],
        [
            Step(f"Declare an action with a connector and policy for '{i}'", "integration", round(100 * w, 1))
            for i, w in missing[:3]
        ],
    )


def _governance(session: Session, org_id: uuid.UUID, runtime: ActionsRuntime) -> Pillar:
    writes = [s for s in runtime.catalogue.actions.values() if s.kind == "write"]
    governed = [s for s in writes if s.system in runtime.packs and runtime.packs[s.system].rules_for(s.name)]
    share = len(governed) / len(writes) if writes else 0.0
    chain = verify(session, org_id=org_id)
    chain_ok = bool(chain["ok"])
    b = runtime.breakers
    breakers = 0 < b.failure_rate < 1 and 0 < b.denial_rate < 1 and b.window_minutes > 0
    score = 60 * share + 25 * chain_ok + 15 * breakers
    steps = []
    if share < 1:
        steps.append(
            Step(
                f"Write policy rules for {len(writes) - len(governed)} ungoverned write actions",
                "governance",
                round(60 * (1 - share), 1),
            )
        )
    if not chain_ok:
        steps.append(Step("Investigate the broken audit chain (cxops audit verify)", "governance", 25.0))
    return Pillar(
        "governance",
        round(score, 1),
        [
            f"{len(governed)}/{len(writes)} write actions covered by policy",
            f"audit chain {'verified' if chain_ok else 'NOT verified'}",
            f"circuit breakers {'configured' if breakers else 'not configured'} "
            f"(failure {b.failure_rate:.0%}, denial {b.denial_rate:.0%} over {b.window_minutes} min)",
        ],
        steps,
    )


def _trust(session: Session, org_id: uuid.UUID, now: datetime) -> tuple[Pillar, bool]:
    """The trust index of the last 30 days' automated contacts, the figure the analytics overview and the trust
    page show (100 x the share of contacts whose customer was not automation-averse), and whether it fell from
    the 30 days before. It was 100 x (1 - averse share / 0.3) of customers, so an operation the overview showed
    at 65 read 0 here and was diagnosed as a trust collapse."""
    until = now + timedelta(microseconds=1)  # `now` is the newest contact's start: it belongs to the window
    recent = list(contact_trust(session, org_id=org_id, since=until - WINDOW, until=until).values())
    before = list(contact_trust(session, org_id=org_id, since=until - 2 * WINDOW, until=until - WINDOW).values())
    if not recent:
        return Pillar("trust", None, ["no automated experiences recorded yet"]), False
    score = sum(recent) / len(recent)
    was = sum(before) / len(before) if before else None
    falling = was is not None and score < was - 2.0
    evidence = [
        f"trust index {score:.1f} over {len(recent):,} automated contacts in the last 30 days"
        + (f" (was {was:.1f} over the 30 days before)" if was is not None else ""),
        f"{1 - score / 100:.1%} of them came from customers already automation-averse",
    ]
    steps = (
        [
            Step(
                "Route automation-averse customers to humans first and fix their top failure intents",
                "trust",
                round(100 - score, 1),
            )
        ]
        if score < 100
        else []
    )
    return Pillar("trust", round(score, 1), evidence, steps), falling


def _workforce(session: Session, org_id: uuid.UUID, now: datetime) -> Pillar:
    plan = session.scalars(
        select(StaffingPlan).where(StaffingPlan.org_id == org_id).order_by(StaffingPlan.created_at.desc()).limit(1)
    ).first()
    if plan is None:
        return Pillar(
            "workforce",
            0.0,
            ["no staffing plan"],
            [Step("Forecast and staff with AI-aware demand (cxops wfm staff)", "workforce", 100.0)],
        )
    ai_aware = bool((plan.params or {}).get("apply_automation"))
    score = 100.0 if ai_aware else 50.0
    steps = [] if ai_aware else [Step("Re-plan staffing with AI automation applied", "workforce", 50.0)]
    return Pillar(
        "workforce",
        score,
        [f"latest staffing plan {plan.created_at:%Y-%m-%d}, {'AI-aware' if ai_aware else 'not AI-aware'}"],
        steps,
    )


def _automation_rising(session: Session, org_id: uuid.UUID, now: datetime) -> bool:
    def share(since: datetime, until: datetime) -> float:
        n, ai = session.execute(
            select(func.count(), func.sum(Interaction.ai_involved.cast(Interaction.turn_count.type))).where(
                Interaction.org_id == org_id, Interaction.started_at >= since, Interaction.started_at < until
            )
        ).one()
        return (ai or 0) / n if n else 0.0

    return share(now - WINDOW, now) > share(now - 2 * WINDOW, now - WINDOW) + 0.02
