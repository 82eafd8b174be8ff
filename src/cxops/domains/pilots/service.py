"""Rules of the pilots domain: planning, lifecycle, honest looks and the gate decision."""

from __future__ import annotations

import math
import secrets
import uuid
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from cxops.core.errors import Conflict, ValidationFailed
from cxops.domains.pilots import repository
from cxops.domains.pilots.compute.gate import Guardrail, decide
from cxops.domains.pilots.compute.outcomes import Outcome, assign_arm, outcomes
from cxops.domains.pilots.compute.sequential import boundaries, inflation_factor, nominal_alpha
from cxops.domains.pilots.compute.stats import (
    Comparison,
    bootstrap_diff_ci,
    clustered_means,
    clustered_proportions,
    power_two_proportions,
    sample_size_two_proportions,
)
from cxops.domains.pilots.models import Pilot, PilotLook
from cxops.domains.pilots.ports import TrustEffects
from cxops.domains.pilots.schemas import PilotCreate, PlanIn, PlanOut

MIN_NEW_INFORMATION = 0.02
#: a plan needing more customers per arm than this cannot run (and would not fit the planned_n column)
MAX_N_PER_ARM = 100_000_000


def plan(data: PlanIn) -> PlanOut:
    """Sample size per arm for the primary metric, inflated for the monitoring plan's looks.

    The size counts contacts as independent (design effect 1): the plan is made from the baseline rate alone,
    before any of the pilot's customers are known, so it cannot estimate how correlated one customer's contacts
    are (a known design effect can be passed to `sample_size_two_proportions`). Every look measures it, analyses
    with it (customers are the unit of randomisation) and reports the contacts per arm the planned power needs
    given it (`design_effect` in the look's report).
    """
    try:
        fixed = sample_size_two_proportions(data.baseline_rate, data.mde, alpha=data.alpha, power=data.power)
        looks = tuple(data.looks)
        factor = inflation_factor(looks, data.alpha, data.power)
        bounds = boundaries(looks, data.alpha)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    except OverflowError:  # an alpha so small that its critical value is infinite
        raise _too_large(data) from None
    # Unequal arms: the smaller arm drives precision, so scale the per-arm size by the imbalance.
    imbalance = 1 / (4 * data.holdout_share * (1 - data.holdout_share))
    needed = fixed * factor * imbalance
    if not math.isfinite(needed) or needed > MAX_N_PER_ARM:
        raise _too_large(data)
    planned = int(np.ceil(needed))
    return PlanOut(
        fixed_n_per_arm=fixed,
        planned_n_per_arm=planned,
        total_n=int(np.ceil(planned / min(data.holdout_share, 1 - data.holdout_share))),
        inflation_factor=round(factor, 4),
        boundaries=[round(b, 4) for b in bounds],
        power_at_planned_n=round(power_two_proportions(data.baseline_rate, data.mde, planned, alpha=data.alpha), 4),
    )


def _too_large(data: PlanIn) -> ValidationFailed:
    return ValidationFailed(
        f"this plan needs more than {MAX_N_PER_ARM:,} customers per arm (mde {data.mde:g}, alpha {data.alpha:g}): "
        "plan to detect a larger effect or accept a larger alpha",
        field="mde",
    )


def create_pilot(session: Session, *, org_id: uuid.UUID, data: PilotCreate) -> Pilot:
    """A draft pilot with its plan computed before it starts."""
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
    planned = plan(data)
    pilot = Pilot(
        org_id=org_id,
        name=data.name,
        hypothesis=data.hypothesis,
        status="draft",
        treatment=data.treatment,
        scope=data.scope.model_dump(),
        holdout_share=data.holdout_share,
        salt=secrets.token_hex(16),
        baseline_rate=data.baseline_rate,
        mde=data.mde,
        alpha=data.alpha,
        power=data.power,
        looks=list(data.looks),
        planned_n_per_arm=planned.planned_n_per_arm,
        repeat_window_days=data.repeat_window_days,
        human_minute_cost=data.human_minute_cost,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
    )
    session.add(pilot)
    session.flush()
    return pilot


def set_status(pilot: Pilot, status: str) -> Pilot:
    """Start (draft -> running) or stop (running -> stopped) a pilot."""
    allowed = {"running": {"draft"}, "stopped": {"running"}}
    if pilot.status not in allowed[status]:
        raise Conflict(f"cannot move pilot from {pilot.status} to {status}", field="status")
    pilot.status = status
    return pilot


def assignment(pilot: Pilot, customer_id: str) -> dict[str, Any]:
    """The arm of a customer (deterministic); routing and assist apply the treatment only to that arm."""
    arm = assign_arm(pilot.salt, customer_id, pilot.holdout_share)
    return {
        "pilot_id": pilot.id,
        "customer_id": customer_id,
        "arm": arm,
        "treatment": pilot.treatment,
        "active": pilot.status == "running",
    }


def take_look(session: Session, *, pilot: Pilot, trust: TrustEffects | None) -> PilotLook:
    """Compute the results now, spend this look's alpha, record the look and return the gate decision."""
    if pilot.status == "draft":
        raise Conflict("the pilot has not started: start it before looking at results", field="status")
    contacts, history, horizon = repository.scope_contacts(session, pilot)
    if horizon is None:
        raise ValidationFailed("there are no interactions yet")
    results = outcomes(
        contacts,
        history,
        salt=pilot.salt,
        holdout_share=pilot.holdout_share,
        repeat_window=timedelta(days=pilot.repeat_window_days),
        data_until=horizon,
    )
    arms = {arm: [o for o in results if o.arm == arm] for arm in ("treatment", "control")}
    closed = {arm: [o for o in rows if o.verified_resolved is not None] for arm, rows in arms.items()}
    for arm, rows in closed.items():
        if not rows:
            raise ValidationFailed(
                f"the {arm} arm has no in-scope interactions whose "
                f"{pilot.repeat_window_days}-day repeat window has closed yet",
                field=arm,
            )
    for arm, rows in closed.items():
        if len({o.contact.customer_id for o in rows}) < 2:
            raise ValidationFailed(
                f"the {arm} arm has fewer than two customers with a closed repeat window: customers are the unit "
                "of randomisation, so a comparison needs at least two in each arm",
                field=arm,
            )
    previous = repository.looks_of(session, pilot.id)
    fraction = min(min(len(r) for r in closed.values()) / pilot.planned_n_per_arm, 1.0)
    if previous and fraction < previous[-1].fraction + MIN_NEW_INFORMATION and fraction < 1.0:
        raise Conflict(
            f"not enough new data since look {previous[-1].seq} ({previous[-1].fraction:.1%} -> "
            f"{fraction:.1%}); looking again would only spend alpha",
            field="fraction",
        )
    fractions = tuple([lk.fraction for lk in previous if lk.fraction < fraction] + [fraction])
    bound = boundaries(fractions, pilot.alpha)[-1]
    primary = _rate(closed, "verified_resolution", lambda o: bool(o.verified_resolved), pilot.alpha)
    guards, extra = _secondary(arms, closed, pilot)
    gate = decide(primary, look_alpha=nominal_alpha(bound), information_fraction=fraction, guardrails=guards)
    clustering = _clustering(closed, primary, pilot)
    gate.reasons.insert(len(gate.reasons) - 1, clustering["reason"])
    report = {
        "arms": {
            a: {
                "in_scope": len(arms[a]),
                "window_closed": len(closed[a]),
                "customers": len({o.contact.customer_id for o in arms[a]}),
            }
            for a in arms
        },
        "data_until": horizon.isoformat(),
        "fraction": fraction,
        "boundary_z": bound,
        "nominal_alpha": nominal_alpha(bound),
        "primary": _dump(primary),
        "design_effect": clustering,
        "guardrails": [_dump(g.comparison) for g in guards],
        "secondary": extra,
        "trust_averse_share": _trust(session, pilot, arms, trust),
        "decision": gate.decision,
        "reasons": gate.reasons,
    }
    look = PilotLook(
        org_id=pilot.org_id,
        pilot_id=pilot.id,
        seq=len(previous) + 1,
        fraction=fraction,
        boundary=bound,
        decision=gate.decision,
        report=report,
    )
    session.add(look)
    pilot.decision = gate.decision
    session.flush()
    return look


def _rate(rows: dict[str, list[Outcome]], metric: str, pred: Any, alpha: float) -> Comparison:
    """A rate per contact, compared with customers (the unit of randomisation) as clusters."""
    t, c = rows["treatment"], rows["control"]
    return clustered_proportions(
        np.array([bool(pred(o)) for o in t], dtype=float),
        _customers(t),
        np.array([bool(pred(o)) for o in c], dtype=float),
        _customers(c),
        alpha=alpha,
        metric=metric,
    )


def _customers(rows: list[Outcome]) -> np.ndarray:
    return np.array([o.contact.customer_id for o in rows], dtype=object)


def _clustering(closed: dict[str, list[Outcome]], primary: Comparison, pilot: Pilot) -> dict[str, Any]:
    """The primary metric's observed design effect, the correlation it implies and what it does to the plan.

    The plan counts contacts as independent (design effect 1). With design effect d the planned sample carries
    the information of planned / d independent contacts, so the planned power needs about planned * d contacts
    per arm (d below 1 is taken as 1 here: sampling noise, not a reason to stop earlier). The intra-customer
    correlation is (d - 1) / (m_w - 1), m_w = sum(n_i^2) / sum(n_i) the contact-weighted contacts per customer
    (d = 1 + (m_w - 1) ICC for unequal numbers of contacts); it is None while almost every customer has a single
    contact (m_w < 1.1), when d says next to nothing about the correlation.
    """
    counts = np.unique(_customers(closed["treatment"] + closed["control"]), return_counts=True)[1].astype(float)
    weighted = float((counts**2).sum() / counts.sum())
    deff = primary.design_effect
    needed = math.ceil(pilot.planned_n_per_arm * max(deff, 1.0))
    reason = (
        f"customers are the unit of randomisation, so the comparisons are clustered by customer: "
        f"{counts.mean():.2f} contacts per customer, design effect {deff:.2f} for {primary.metric} "
        f"(the plan assumed 1.00"
    )
    if deff > 1:
        reason += f"; the planned power needs about {needed:,} contacts per arm, not {pilot.planned_n_per_arm:,})"
    else:
        reason += ", so the planned sample keeps its power)"
    return {
        "primary": deff,
        "contacts_per_customer": float(counts.mean()),
        "icc": min(max((deff - 1) / (weighted - 1), -1.0), 1.0) if weighted >= 1.1 else None,
        "assumed_in_plan": 1.0,
        "n_per_arm_for_planned_power": needed,
        "reason": reason,
    }


def _secondary(
    arms: dict[str, list[Outcome]], closed: dict[str, list[Outcome]], pilot: Pilot
) -> tuple[list[Guardrail], dict[str, Any]]:
    guards = [
        Guardrail(_rate(closed, "repeat_contact", lambda o: bool(o.repeat_contact), 0.05), False),
        Guardrail(_rate(arms, "escalation", lambda o: o.escalated, 0.05), False),
    ]
    extra: dict[str, Any] = {
        "survey_response": _dump(_rate(arms, "survey_response", lambda o: o.contact.survey_answered, 0.05))
    }
    rated = {a: [o for o in rows if o.contact.csat is not None] for a, rows in arms.items()}
    if min(len({o.contact.customer_id for o in rows}) for rows in rated.values()) >= 2:
        csat = {a: np.array([float(o.contact.csat or 0) for o in rows]) for a, rows in rated.items()}
        guards.append(
            Guardrail(
                clustered_means(
                    csat["treatment"],
                    _customers(rated["treatment"]),
                    csat["control"],
                    _customers(rated["control"]),
                    metric="csat",
                ),
                True,
            )
        )
    handle = {a: np.array([o.contact.handle_s for o in rows]) for a, rows in arms.items()}
    who = {a: _customers(rows) for a, rows in arms.items()}
    ht = _dump(
        clustered_means(
            handle["treatment"], who["treatment"], handle["control"], who["control"], metric="handle_time_s"
        )
    )
    ht["bootstrap_ci"] = bootstrap_diff_ci(
        handle["treatment"], handle["control"], seed=1, clusters_t=who["treatment"], clusters_c=who["control"]
    )
    extra["handle_time_s"] = ht
    extra["second_tier_cost"] = {
        a: round(sum(o.contact.handle_s for o in rows if o.escalated) / 60 * pilot.human_minute_cost, 2)
        for a, rows in arms.items()
    }
    return guards, extra


def _trust(session: Session, pilot: Pilot, arms: dict[str, list[Outcome]], trust: TrustEffects | None) -> Any:
    if trust is None:
        return "not available (trust domain not bound)"
    return {
        a: trust.averse_share(
            session, org_id=pilot.org_id, customer_ids=sorted({uuid.UUID(o.contact.customer_id) for o in rows})
        )
        for a, rows in arms.items()
    }


def _dump(c: Comparison) -> dict[str, Any]:
    return {
        "metric": c.metric,
        "treatment": c.treatment,
        "control": c.control,
        "diff": c.diff,
        "ci_low": c.ci_low,
        "ci_high": c.ci_high,
        "p_value": c.p_value,
        "n_treatment": c.n_treatment,
        "n_control": c.n_control,
        "test": c.test,
        "design_effect": c.design_effect,
        "clusters_treatment": c.clusters_treatment,
        "clusters_control": c.clusters_control,
    }
