"""Deciding on a request: validate parameters, read state, gather trust and velocity, check breakers, evaluate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cxops.core.auth import Principal, Role
from cxops.core.clock import utcnow
from cxops.domains.actions import repository
from cxops.domains.actions.compute.catalogue import validate_params
from cxops.domains.actions.policy.engine import Decision, Fired, build_context, evaluate_action, time_facts
from cxops.domains.actions.runtime import ActionsRuntime
from cxops.domains.actions.schemas import ActionContext, DryRunRequest

ORDER = {"allow": 0, "require_approval": 1, "deny": 2}


@dataclass
class StepDecision:
    """One step: validated parameters and its decision."""

    action: str
    params: dict[str, Any]
    decision: Decision
    amount: float


@dataclass
class RequestDecision:
    """A whole request: the worst outcome of its steps, every fired rule with its step index."""

    outcome: str
    steps: list[StepDecision]
    rules: list[dict[str, Any]] = field(default_factory=list)
    pack_version: str = ""

    @property
    def amount(self) -> float:
        return round(sum(s.amount for s in self.steps), 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.outcome,
            "rules": self.rules,
            "pack_version": self.pack_version,
            "amount": self.amount,
            "steps": [
                {"action": s.action, "decision": s.decision.outcome, "rules": s.decision.rule_ids} for s in self.steps
            ],
        }


def actor_ref(who: Principal) -> str:
    """How the caller is named in proposals, velocity and breakers: its subject, else its key id."""
    return who.subject or f"key:{who.key_id}"


def _raw_context(ctx: ActionContext, action: str, params: dict[str, Any], who: Principal) -> dict[str, Any]:
    raw = ctx.model_dump(exclude={"confirmation", "confirmations"})
    wanted = [c for c in [ctx.confirmation, *ctx.confirmations] if c is not None and c.action == action]
    match = next(
        (c for c in wanted if build_context({"confirmation": c.model_dump()}, action, params)["confirmed"]), None
    )
    if match is not None:
        raw["confirmation"] = match.model_dump()
    raw["actor_kind"] = ctx.actor_kind or ("ai" if who.role == Role.SERVICE else "human")
    raw["actor_id"] = actor_ref(who)
    return raw


def _velocity(session: Session, org_id: uuid.UUID, customer_ref: str | None, who: Principal) -> dict[str, Any]:
    now = utcnow()
    return {
        "customer_day": repository.count_since(session, org_id, now - timedelta(days=1), customer_ref=customer_ref)
        if customer_ref
        else 0,
        "agent_hour": repository.count_since(session, org_id, now - timedelta(hours=1), actor_ref=actor_ref(who)),
        "amount_hour": repository.amount_since(session, org_id, now - timedelta(hours=1)),
    }


def _breaker_rules(session: Session, org_id: uuid.UUID, actions: list[str], who: Principal) -> list[Fired]:
    keys = [("action", a) for a in actions] + [("agent", actor_ref(who))]
    return [
        Fired(f"breaker:{b.scope}:{b.key}", "deny", f"circuit breaker open for {b.scope} '{b.key}': {b.reason}")
        for b in repository.open_breakers(session, org_id, keys)
    ]


def decide_request(
    session: Session, runtime: ActionsRuntime, *, org_id: uuid.UUID, who: Principal, req: DryRunRequest
) -> RequestDecision:
    """Evaluate every step (NotFound/ValidationFailed for an unknown action, bad params, a missing entity)."""
    steps = req.step_list()
    specs = [runtime.catalogue.get(s.action) for s in steps]
    params_list = [validate_params(spec, s.params) for spec, s in zip(specs, steps, strict=True)]
    trust_state = runtime.trust.trust_state(org_id=org_id, customer_ref=req.customer_ref)
    trust = {
        "poor_experience_count": trust_state.poor_experience_count,
        "automation_averse": trust_state.automation_averse,
    }
    velocity = _velocity(session, org_id, req.customer_ref, who)
    now = utcnow()
    out: list[StepDecision] = []
    for spec, params in zip(specs, params_list, strict=True):
        pack = runtime.pack_for(spec)
        ctx = build_context(_raw_context(req.context, spec.name, params, who), spec.name, params)
        entity = runtime.connector_for(spec).read_state(org_id=org_id, action=spec.name, params=params, context=ctx)
        decision = evaluate_action(
            pack,
            spec,
            params=params,
            entity=entity,
            context=ctx,
            trust=trust,
            velocity=velocity,
            time=time_facts(now, pack.business_hours),
        )
        out.append(StepDecision(spec.name, params, decision, float(entity.get("amount") or 0)))
    rules = [{"step": i, **f.as_dict()} for i, s in enumerate(out) for f in s.decision.fired]
    breaker_hits = _breaker_rules(session, org_id, [s.action for s in out], who)
    rules += [{"step": None, **f.as_dict()} for f in breaker_hits]
    worst = max([s.decision.outcome for s in out] + (["deny"] if breaker_hits else []), key=ORDER.__getitem__)
    versions = sorted({f"{s.decision.pack}@{s.decision.version}" for s in out})
    return RequestDecision(worst, out, rules, ",".join(versions))
