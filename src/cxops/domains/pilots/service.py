"""Rules of the pilots domain: planning, lifecycle, honest looks and the gate decision."""

from __future__ import annotations

import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from cxops.core.clock import as_utc, utcnow
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
    estimate_clustering,
    power_two_proportions,
    sample_size_two_proportions,
)
from cxops.domains.pilots.models import Pilot, PilotLook
from cxops.domains.pilots.ports import TrustEffects
from cxops.domains.pilots.schemas import PilotCreate, PlanIn, PlanOut

MIN_NEW_INFORMATION = 0.02
#: a plan needing more customers per arm than this cannot run (and would not fit the planned_n column)
MAX_N_PER_ARM = 100_000_000
#: a pre-period smaller than this gives no design effect: the correlation of a few customers is mostly noise
MIN_HISTORY_CONTACTS = 200
MIN_HISTORY_CUSTOMERS = 50
#: the largest design effect a plan allows for (beyond it the scope is dominated by a few heavy contacters)
MAX_DESIGN_EFFECT = 20.0
#: the most pre-period contacts a plan reads (the latest ones of the window)
MAX_HISTORY_CONTACTS = 200_000
#: a pilot may be created at most this many days before it starts: its plan is measured on the history up to
#: now, which would be stale by a later start (and a start years ahead is far likelier a typo than a plan)
MAX_START_AHEAD_DAYS = 90


@dataclass(frozen=True, slots=True)
class PrePeriod:
    """A scope's recent history as the plan needs it: verified resolution of each contact whose window closed."""

    since: datetime | None
    until: datetime | None
    days: int
    #: verified resolution and customer id of every contact whose repeat window has closed
    resolved: tuple[bool, ...]
    customers: tuple[str, ...]
    #: contacts of the window left out because their repeat window had not closed by the data horizon
    open_windows: int = 0
    #: the window held more than MAX_HISTORY_CONTACTS contacts; the latest ones were read
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class _Basis:
    """What a plan is made from: the baseline used, what the history measured, and the design effect."""

    baseline: float
    source: str
    measured: float | None
    design_effect: float
    contacts_per_customer: float | None
    weighted: float | None
    icc: float | None
    notes: list[str]


def plan(data: PlanIn, pre: PrePeriod | None = None) -> PlanOut:
    """Sample size per arm for the primary metric, inflated for the monitoring plan's looks and for clustering.

    Customers are the unit of randomisation and one customer's contacts are correlated, so a contact carries less
    than an independent contact's information: the size is multiplied by the design effect 1 + (m_w - 1) ICC
    (`estimate_clustering`), estimated on `pre`, the scope's recent history (`plan_from_history` reads it), which
    also gives the baseline when `baseline_rate` is not given. Without a pre-period, or with too little of one
    (fewer than MIN_HISTORY_CONTACTS contacts or MIN_HISTORY_CUSTOMERS customers), contacts count as independent
    (design effect 1) and `notes` says why. Every look measures the design effect again and compares it with the
    plan's (`_clustering`).
    """
    basis = _basis(data, pre)
    try:
        fixed, factor, bounds, independent = _sizes(
            basis.baseline, data.mde, data.alpha, data.power, tuple(data.looks), data.holdout_share
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    except OverflowError:  # an alpha so small that its critical value is infinite
        raise _too_large(data) from None
    needed = independent * basis.design_effect
    if not math.isfinite(needed) or needed > MAX_N_PER_ARM:
        raise _too_large(data)
    planned = int(np.ceil(needed))
    power = power_two_proportions(
        basis.baseline, data.mde, planned, alpha=data.alpha, design_effect=basis.design_effect
    )
    return PlanOut(
        fixed_n_per_arm=fixed,
        planned_n_per_arm=planned,
        total_n=int(np.ceil(planned / min(data.holdout_share, 1 - data.holdout_share))),
        inflation_factor=round(factor, 4),
        boundaries=[round(b, 4) for b in bounds],
        power_at_planned_n=round(power, 4),
        baseline_rate=basis.baseline,
        baseline_source="measured" if basis.source == "measured" else "given",
        baseline_measured=basis.measured,
        design_effect=round(basis.design_effect, 4),
        contacts_per_customer=None if basis.contacts_per_customer is None else round(basis.contacts_per_customer, 4),
        contacts_per_customer_weighted=None if basis.weighted is None else round(basis.weighted, 4),
        icc=None if basis.icc is None else round(basis.icc, 4),
        history_contacts=0 if pre is None else len(pre.resolved),
        history_customers=0 if pre is None else len(set(pre.customers)),
        history_from=None if pre is None else pre.since,
        history_until=None if pre is None else pre.until,
        notes=basis.notes,
    )


def plan_from_history(session: Session, *, org_id: uuid.UUID, data: PlanIn, before: datetime | None = None) -> PlanOut:
    """`plan` with the pre-period read from the organisation's own contacts in `data.scope`, if it has one.

    The pre-period is the `history_days` before the data horizon (the organisation's latest contact) or before
    `before` (a pilot's start) if earlier; its contacts' verified resolution is the looks' definition (resolved,
    no repeat on the same intent within the repeat window; contacts whose window has not closed are left out).
    """
    if data.scope is None:
        return plan(data)
    scope = data.scope.model_dump()
    unknown = _unknown_scope(session, org_id, scope)
    window = repository.pre_period_contacts(
        session,
        org_id=org_id,
        scope=scope,
        days=data.history_days,
        repeat_window_days=data.repeat_window_days,
        before=before,
        limit=MAX_HISTORY_CONTACTS,
    )
    if window is None:
        return plan(data, PrePeriod(None, None, data.history_days, (), ()))
    if not window.in_scope and data.baseline_rate is None:
        raise _no_history(session, org_id, data, scope, unknown, window.until, before)
    results = outcomes(
        window.in_scope,
        window.history,
        salt="pre-period",  # arms do not matter here: only the outcomes are read
        holdout_share=0.5,
        repeat_window=timedelta(days=data.repeat_window_days),
        data_until=window.horizon,
    )
    closed = [o for o in results if o.verified_resolved is not None]
    pre = PrePeriod(
        since=window.since,
        until=window.until,
        days=data.history_days,
        resolved=tuple(bool(o.verified_resolved) for o in closed),
        customers=tuple(o.contact.customer_id for o in closed),
        open_windows=len(results) - len(closed),
        truncated=window.truncated,
    )
    out = plan(data, pre)
    for field, codes in unknown.items():
        out.notes.append(
            f"scope.{field}: {', '.join(repr(c) for c in codes)} "
            + ("occurs in none of the organisation's contacts" if field == "intents" else "is not in the directory")
            + ": check the spelling; no contact of it can enter the pilot until it does"
        )
    return out


def _unknown_scope(session: Session, org_id: uuid.UUID, scope: dict[str, Any]) -> dict[str, list[str]]:
    """The scope's intents no contact of the organisation has, and its queue and region codes not in the directory."""
    known = repository.known_codes(session, org_id, scope)
    out = {f: [c for c in scope.get(f) or [] if c not in known[f]] for f in ("intents", "queues", "regions")}
    return {f: codes for f, codes in out.items() if codes}


def _no_history(
    session: Session,
    org_id: uuid.UUID,
    data: PlanIn,
    scope: dict[str, Any],
    unknown: dict[str, list[str]],
    until: datetime,
    before: datetime | None,
) -> ValidationFailed:
    """Why a plan that must measure its baseline finds no contact in its window, naming the field at fault: an
    unknown intent, queue or region of the scope, a scope no contact matches, or the period (the start, or
    history_days) when the scope's contacts lie outside it."""
    hint = "or give baseline_rate to plan without history"
    if unknown:
        field, codes = next(iter(unknown.items()))
        if field == "intents":
            seen = repository.common_intents(session, org_id)
            known = f" (its most frequent: {', '.join(seen)})" if seen else ""
            why = f"no contact of the organisation has intent {codes[0]!r}{known}"
        else:
            why = f"the directory has no {field[:-1]} {codes[0]!r}"
        return ValidationFailed(f"{why}: check the spelling, {hint}", field=f"scope.{field}")
    span = repository.scope_span(session, org_id, scope)
    if span is None:
        parts = "; ".join(f"{k}: {', '.join(v)}" for k, v in scope.items() if v)
        return ValidationFailed(
            f"no contact of the organisation matches the scope together ({parts}): widen it, {hint}", field="scope"
        )
    first, last = span
    ran = f"its contacts run from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if before is not None and as_utc(before) <= until:
        return ValidationFailed(
            f"the scope has no contacts in the {data.history_days} days before the start {before:%Y-%m-%d} ({ran}), "
            f"and the plan measures the baseline there: start after {first:%Y-%m-%d}, {hint}",
            field="starts_at",
        )
    return ValidationFailed(
        f"the scope has no contacts in the {data.history_days} days to {until:%Y-%m-%d} ({ran}): raise "
        f"history_days, {hint}",
        field="history_days",
    )


def _basis(data: PlanIn, pre: PrePeriod | None) -> _Basis:
    """The baseline (given or measured on the pre-period) and the design effect the plan allows for."""
    given = data.baseline_rate
    if pre is None:
        if given is None:
            raise ValidationFailed(
                "baseline_rate is required without a scope: give the current verified resolution rate, or the "
                "pilot's scope to measure it from its history",
                field="baseline_rate",
            )
        note = (
            "no scope given: contacts are counted as independent (design effect 1); give the pilot's scope to "
            "measure the baseline and the clustering by customer from its history"
        )
        return _Basis(given, "given", None, 1.0, None, None, None, [note])
    window = (
        f"the {pre.days} days to {pre.until:%Y-%m-%d}"
        if pre.until is not None
        else f"the last {pre.days} days (the organisation has no contacts yet)"
    )
    notes = _window_notes(data, pre, window)
    measured = _measured_baseline(data, pre, window)
    if measured is None:
        assert given is not None  # _measured_baseline refuses a scope without history and without a baseline
        notes.append(
            f"the scope has no contacts in {window} whose repeat window has closed: the given baseline is used and "
            "contacts are counted as independent (design effect 1)"
        )
        return _Basis(given, "given", None, 1.0, None, None, None, notes)
    baseline, source = (measured, "measured") if given is None else (given, "given")
    n, customers = len(pre.resolved), len(set(pre.customers))
    if n < MIN_HISTORY_CONTACTS or customers < MIN_HISTORY_CUSTOMERS:
        notes.append(
            f"too little history to estimate the clustering by customer ({n:,} contacts of {customers:,} customers "
            f"in {window}; at least {MIN_HISTORY_CONTACTS} contacts of {MIN_HISTORY_CUSTOMERS} customers needed): "
            "contacts are counted as independent (design effect 1), so the first look may find the plan "
            "under-powered"
        )
        if source == "measured":
            notes.append(f"the baseline was measured on only {n:,} contacts: give baseline_rate if you know better")
        return _Basis(baseline, source, measured, 1.0, n / customers, None, None, notes)
    est = estimate_clustering(np.array(pre.resolved, dtype=float), np.array(pre.customers, dtype=object))
    deff = est.design_effect
    if est.icc is None:
        notes.append(f"every customer had a single contact in {window}: design effect 1")
    if deff > MAX_DESIGN_EFFECT:
        notes.append(
            f"the estimated design effect {deff:.1f} is capped at {MAX_DESIGN_EFFECT:g}: a few customers with very "
            "many contacts dominate the scope; consider narrowing it"
        )
        deff = MAX_DESIGN_EFFECT
    return _Basis(
        baseline, source, measured, deff, est.contacts_per_customer, est.weighted_contacts_per_customer, est.icc, notes
    )


def _window_notes(data: PlanIn, pre: PrePeriod, window: str) -> list[str]:
    notes = []
    if pre.truncated:
        notes.append(f"the window held more than {MAX_HISTORY_CONTACTS:,} contacts: the latest ones were read")
    if pre.open_windows:
        notes.append(
            f"{pre.open_windows:,} contacts of {window} are left out: their {data.repeat_window_days}-day repeat "
            "window has not closed yet"
        )
    return notes


def _measured_baseline(data: PlanIn, pre: PrePeriod, window: str) -> float | None:
    """Verified resolution of the pre-period (None without contacts); refused if the plan needs it and it cannot."""
    n = len(pre.resolved)
    if n == 0:
        if data.baseline_rate is None:
            raise ValidationFailed(
                f"the scope has no contacts in {window} whose {data.repeat_window_days}-day repeat window has "
                "closed, so there is no baseline to measure: give baseline_rate (or widen the scope or history_days)",
                field="baseline_rate",
            )
        return None
    measured = sum(pre.resolved) / n
    if data.baseline_rate is None:
        if measured in (0.0, 1.0):
            raise ValidationFailed(
                f"verified resolution was {measured:.0%} on all {n:,} contacts of the scope in {window}: a sample "
                "size cannot be planned from a rate of 0 or 1; give baseline_rate",
                field="baseline_rate",
            )
        if not 0 < measured + data.mde < 1:
            raise ValidationFailed(
                f"the measured baseline {measured:.4f} + mde {data.mde:g} must lie strictly between 0 and 1",
                field="mde",
            )
    return measured


def _sizes(
    baseline: float, mde: float, alpha: float, power: float, looks: tuple[float, ...], holdout: float
) -> tuple[int, float, tuple[float, ...], float]:
    """Fixed-design size, inflation for the looks, boundaries, and the per-arm size for independent contacts."""
    fixed = sample_size_two_proportions(baseline, mde, alpha=alpha, power=power)
    factor = inflation_factor(looks, alpha, power)
    bounds = boundaries(looks, alpha)
    # Unequal arms: the smaller arm drives precision, so scale the per-arm size by the imbalance.
    imbalance = 1 / (4 * holdout * (1 - holdout))
    return fixed, factor, bounds, fixed * factor * imbalance


def planned_design_effect(pilot: Pilot) -> float:
    """The design effect the pilot's plan allowed for: its pre-period estimate, or 1 for a pilot planned before
    plans read history (its plan assumed independent contacts)."""
    return float((pilot.plan or {}).get("design_effect") or 1.0)


def _too_large(data: PlanIn) -> ValidationFailed:
    return ValidationFailed(
        f"this plan needs more than {MAX_N_PER_ARM:,} customers per arm (mde {data.mde:g}, alpha {data.alpha:g}): "
        "plan to detect a larger effect or accept a larger alpha",
        field="mde",
    )


def create_pilot(session: Session, *, org_id: uuid.UUID, data: PilotCreate) -> Pilot:
    """A draft pilot with its plan computed before it starts, from the scope's history before its start."""
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
    ahead = (data.starts_at - utcnow()).total_seconds() / 86_400
    if ahead > MAX_START_AHEAD_DAYS:
        raise ValidationFailed(
            f"starts_at {data.starts_at:%Y-%m-%d} is {ahead:,.0f} days ahead; a pilot is created at most "
            f"{MAX_START_AHEAD_DAYS} days before it starts, since its plan is measured on the history up to now: "
            "check the year, or create it nearer the start",
            field="starts_at",
        )
    planned = plan_from_history(session, org_id=org_id, data=data, before=data.starts_at)
    pilot = Pilot(
        org_id=org_id,
        name=data.name,
        hypothesis=data.hypothesis,
        status="draft",
        treatment=data.treatment,
        scope=data.scope.model_dump(),
        holdout_share=data.holdout_share,
        salt=secrets.token_hex(16),
        baseline_rate=planned.baseline_rate,
        mde=data.mde,
        alpha=data.alpha,
        power=data.power,
        looks=list(data.looks),
        planned_n_per_arm=planned.planned_n_per_arm,
        plan=planned.model_dump(mode="json"),
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

    The plan allowed for a design effect d_p (`planned_design_effect`: its estimate from the scope's pre-period,
    or 1 when it had too little history or was made before plans read history). With observed design effect d
    the planned sample carries the information of planned / d independent contacts where the plan counted on
    planned / d_p, so the planned power needs about planned * d / d_p contacts per arm (d below d_p is taken as
    d_p here: sampling noise, not a reason to stop earlier); the reason says whether the pre-period estimate held.
    The intra-customer correlation is (d - 1) / (m_w - 1), m_w = sum(n_i^2) / sum(n_i) the contact-weighted
    contacts per customer (d = 1 + (m_w - 1) ICC for unequal numbers of contacts); it is None while almost every
    customer has a single contact (m_w < 1.1), when d says next to nothing about the correlation.
    """
    counts = np.unique(_customers(closed["treatment"] + closed["control"]), return_counts=True)[1].astype(float)
    weighted = float((counts**2).sum() / counts.sum())
    deff = primary.design_effect
    planned_deff = planned_design_effect(pilot)
    estimated = planned_deff > 1.0
    needed = math.ceil(pilot.planned_n_per_arm * max(deff / planned_deff, 1.0))
    reason = (
        f"customers are the unit of randomisation, so the comparisons are clustered by customer: "
        f"{counts.mean():.2f} contacts per customer, design effect {deff:.2f} for {primary.metric} "
    )
    short = f"; the planned power needs about {needed:,} contacts per arm, not {pilot.planned_n_per_arm:,})"
    if estimated:
        reason += f"(the plan's pre-period estimate was {planned_deff:.2f}"
        if deff > planned_deff:
            reason += ", an underestimate" + short
        else:
            reason += ", which held: the planned sample keeps its power)"
    elif deff > 1:
        reason += "(the plan assumed 1.00" + short
    else:
        reason += "(the plan assumed 1.00, so the planned sample keeps its power)"
    return {
        "primary": deff,
        "contacts_per_customer": float(counts.mean()),
        "icc": min(max((deff - 1) / (weighted - 1), -1.0), 1.0) if weighted >= 1.1 else None,
        "assumed_in_plan": round(planned_deff, 4),
        "estimated_in_plan": estimated,
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
