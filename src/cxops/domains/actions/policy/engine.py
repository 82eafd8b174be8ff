"""The policy evaluator: facts in, decision out (allow / require_approval / deny with rule ids and reasons).

Pure compute. Outcome = deny if any deny rule fires, else require_approval if any approval rule fires,
else allow. A rule whose condition cannot be evaluated (missing fact, wrong type) fails closed: it fires
with its own effect escalated to deny and a reason saying why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cxops.domains.actions.compute.catalogue import CONTEXT_FIELDS, ActionSpec
from cxops.domains.actions.compute.chain import canonical_json
from cxops.domains.actions.policy.expr import evaluate, make_scope
from cxops.domains.actions.policy.pack import PolicyPack


@dataclass(frozen=True, slots=True)
class Fired:
    """A rule that fired."""

    rule_id: str
    effect: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "effect": self.effect, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of evaluating one action."""

    outcome: str
    fired: tuple[Fired, ...] = ()
    pack: str = ""
    version: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_ids(self) -> list[str]:
        return [f.rule_id for f in self.fired]

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.fired]

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "rules": [f.as_dict() for f in self.fired],
            "pack": self.pack,
            "version": self.version,
        }


def canonical_digest(action: str, params: dict[str, Any]) -> str:
    """SHA-256 of the action and its parameters in canonical JSON (sorted keys, no absent optionals)."""
    clean = {k: v for k, v in params.items() if v is not None}
    return hashlib.sha256(canonical_json({"action": action, "params": clean})).hexdigest()


def build_context(raw: dict[str, Any], action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Context facts with defaults; `confirmed` is true only if the confirmation names this exact action."""
    ctx: dict[str, Any] = dict.fromkeys(CONTEXT_FIELDS)
    ctx.update({k: v for k, v in raw.items() if k in CONTEXT_FIELDS and k != "confirmed"})
    for flag in ("identity_verified", "refund_waived", "compensation_requested", "change_done"):
        ctx[flag] = bool(ctx.get(flag))
    ctx["items_list_confirmed"] = bool(ctx.get("items_list_confirmed"))
    confirmation = raw.get("confirmation")
    ctx["confirmed"] = bool(
        isinstance(confirmation, dict)
        and confirmation.get("action") == action
        and isinstance(confirmation.get("params"), dict)
        and canonical_digest(action, confirmation["params"]) == canonical_digest(action, params)
    )
    ctx["actor_kind"] = ctx.get("actor_kind") or "ai"
    return ctx


def time_facts(now: datetime, business_hours: dict[str, Any]) -> dict[str, Any]:
    """hour, minute, weekday (0=Monday) in the pack's time zone, and whether it is within business hours."""
    tz = business_hours.get("timezone")
    local = now.astimezone(ZoneInfo(tz)) if tz else now
    days = business_hours.get("days", [0, 1, 2, 3, 4, 5, 6])
    start, end = business_hours.get("start", 0), business_hours.get("end", 24)
    inside = local.weekday() in days and start <= local.hour + local.minute / 60 < end
    return {
        "hour": local.hour,
        "minute": local.minute,
        "weekday": local.weekday(),
        "in_business_hours": inside,
        "iso": local.isoformat(),
    }


NEUTRAL_TRUST = {"poor_experience_count": 0, "automation_averse": False}
ZERO_VELOCITY = {"customer_day": 0, "agent_hour": 0, "amount_hour": 0.0}


def evaluate_action(
    pack: PolicyPack,
    spec: ActionSpec,
    *,
    params: dict[str, Any],
    entity: dict[str, Any],
    context: dict[str, Any],
    trust: dict[str, Any] | None = None,
    velocity: dict[str, Any] | None = None,
    time: dict[str, Any] | None = None,
) -> Decision:
    """Evaluate every rule of `pack` that applies to `spec` over the facts; see module docstring."""
    namespaces = {
        "params": params,
        "entity": {"amount": 0, "customer_id": None, **entity},
        "context": context,
        "trust": {**NEUTRAL_TRUST, **(trust or {})},
        "velocity": {**ZERO_VELOCITY, **(velocity or {})},
        "time": time or {},
        "action": {
            "name": spec.name,
            "system": spec.system,
            "risk": spec.risk,
            "reversible": spec.reversible,
            "kind": spec.kind,
        },
    }
    scope = make_scope(namespaces)
    fired: list[Fired] = []
    for rule in pack.rules_for(spec.name):
        try:
            hit = bool(evaluate(rule.code, scope))
        except Exception as exc:  # fail closed: a rule that cannot be evaluated blocks
            fired.append(Fired(rule.id, "deny", f"{rule.reason} (could not evaluate: {type(exc).__name__} {exc})"))
            continue
        if hit:
            fired.append(Fired(rule.id, rule.effect, rule.reason))
    effects = {f.effect for f in fired}
    outcome = "deny" if "deny" in effects else "require_approval" if effects else "allow"
    return Decision(outcome, tuple(fired), pack.name, pack.version, namespaces)
