"""Trust ledger rules: derive experiences from interactions and AI actions, score, advise, index."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from cxops.contracts.events import TrustThresholdCrossed
from cxops.core.clock import utcnow
from cxops.core.errors import NotFound, ValidationFailed
from cxops.core.events import Delivered, emit
from cxops.core.ids import id_time_or, new_id, parse_uuids
from cxops.core.repository import insert_ignore
from cxops.domains.interactions.public import Interaction
from cxops.domains.trust import repository as repo
from cxops.domains.trust import schemas
from cxops.domains.trust.compute.ledger import (
    POOR_KINDS,
    REASONS,
    ContactFacts,
    Experience,
    Policy,
    classify,
    contact_index,
    is_averse,
    poor_in_window,
    trust_index,
    trust_score,
)
from cxops.domains.trust.models import TrustExperience, TrustPolicy

_DENIED = frozenset({"deny", "denied", "rejected", "refused", "declined", "blocked"})
_REVERSED = frozenset({"reversed", "rolled_back", "rolledback", "compensated", "undone", "reverted"})
MAX_INDEX_BUCKETS = 400
REPEAT_LIMIT = 200  # earlier contacts one contact can repeat (as the per-contact query's limit)


def _row(interaction: Interaction, kind: str, regions: dict[uuid.UUID, str], **detail: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "org_id": interaction.org_id,
        "customer_id": interaction.customer_id,
        "ref": str(interaction.id),
        "kind": kind,
        "poor": kind in POOR_KINDS,
        "occurred_at": interaction.started_at,
        "interaction_id": interaction.id,
        "intent": interaction.intent,
        "queue_id": interaction.queue_id,
        "team_id": interaction.team_id,
        "region": regions.get(interaction.team_id) if interaction.team_id else None,
        "origin": "interaction",
        "detail": {k: str(v) for k, v in detail.items()},
    }


def derive_from_interactions(session: Session, *, org_id: uuid.UUID, interaction_ids: list[uuid.UUID]) -> int:
    """Re-derive the ledger entries of these ended interactions (idempotent); returns entries written."""
    policy = repo.load_policy(session, org_id)
    rows = repo.ended_interactions(session, org_id, interaction_ids)
    if not rows:
        return 0
    regions = repo.team_regions(session, org_id, [r.team_id for r in rows])
    repeats = _RepeatCandidates(session, org_id, rows, policy, regions)
    entries: list[dict[str, Any]] = []
    for row in rows:
        facts = ContactFacts(row.ai_involved, row.handed_off, row.outcome, row.sentiment_end)
        entries.extend(_row(row, kind, regions) for kind in classify(facts, policy))
        entries.extend(repeats.entries(row))
    latest: dict[uuid.UUID, datetime] = {}
    for r in rows:
        if r.customer_id is not None:
            at = r.ended_at or r.started_at
            latest[r.customer_id] = max(at, latest.get(r.customer_id, at))
    # Counted before this batch's entries are replaced, so re-deriving it (a redelivery, a re-import) announces a
    # crossing only when the re-derived entries make one, not the crossing its first derivation already announced.
    before = _poor_counts(session, org_id, policy, latest)
    # An updated interaction may classify differently: replace its own entries (repeat contacts stay).
    session.execute(
        delete(TrustExperience).where(
            TrustExperience.org_id == org_id,
            TrustExperience.ref.in_([str(r.id) for r in rows]),
            TrustExperience.kind != "repeat_contact",
        )
    )
    insert_ignore(session, TrustExperience.__table__, entries, ("org_id", "ref", "kind"))
    session.flush()
    after = _poor_counts(session, org_id, policy, latest)
    for cid in latest:
        poor = after[cid]
        if before[cid] < policy.max_poor <= poor:
            emit(
                session,
                org_id=org_id,
                event=TrustThresholdCrossed(
                    customer_id=str(cid),
                    poor_experiences=poor,
                    max_poor=policy.max_poor,
                    window_days=policy.window_days,
                ),
            )
    return len(entries)


def _poor_counts(
    session: Session, org_id: uuid.UUID, policy: Policy, latest: dict[uuid.UUID, datetime]
) -> dict[uuid.UUID, int]:
    """Poor automated experiences of each customer in the policy window ending at its time (one query)."""
    if not latest:
        return {}
    window = timedelta(days=policy.window_days)
    by_customer = repo.entry_kinds_since(session, org_id, latest, min(latest.values()) - window)
    return {
        cid: len(poor_in_window([Experience(kind, when) for kind, when in by_customer[cid]], at, policy))
        for cid, at in latest.items()
    }


class _RepeatCandidates:
    """Repeat contacts of a batch of ended interactions from one query: an automated contact followed, within the
    window, by another contact of the same customer on the same intent (the earlier one is the poor experience)."""

    def __init__(
        self,
        session: Session,
        org_id: uuid.UUID,
        rows: list[Interaction],
        policy: Policy,
        regions: dict[uuid.UUID, str],
    ) -> None:
        self.window = timedelta(hours=policy.repeat_window_hours)
        self.regions = regions
        keyed = [r for r in rows if r.intent is not None]
        self.by_key: dict[tuple[uuid.UUID | None, str | None], list[Interaction]] = defaultdict(list)
        if not keyed:
            return
        ends = [r.ended_at for r in keyed if r.ended_at is not None] or [keyed[0].started_at]
        contacts = repo.intent_contacts_around(
            session,
            org_id,
            [r.customer_id for r in keyed if r.customer_id is not None],
            ended=(min(r.started_at for r in keyed) - self.window, max(r.started_at for r in keyed)),
            started=(min(ends), max(ends) + self.window),
        )
        for c in contacts:  # in start order, as the index gives them to the per-contact query
            self.by_key[(c.customer_id, c.intent)].append(c)
        teams = {c.team_id for c in contacts if c.team_id is not None} - set(regions)
        if teams:
            regions.update(repo.team_regions(session, org_id, teams))

    def entries(self, row: Interaction) -> list[dict[str, Any]]:
        """`row`'s repeat-contact entries: for the automated contacts it repeats, and for itself if repeated."""
        if row.intent is None:
            return []
        same = [c for c in self.by_key[(row.customer_id, row.intent)] if c.id != row.id]
        start = row.started_at - self.window
        earlier = [
            c for c in same if c.ai_involved and c.ended_at is not None and start <= c.ended_at <= row.started_at
        ]
        out = [_row(c, "repeat_contact", self.regions, repeated_by=row.id) for c in earlier[:REPEAT_LIMIT]]
        if row.ai_involved and row.ended_at is not None:
            end = row.ended_at + self.window
            later = next((c for c in same if row.ended_at <= c.started_at <= end), None)
            if later is not None:
                out.append(_row(row, "repeat_contact", self.regions, repeated_by=later.id))
        return out


def on_interactions_ended(session: Session, event: Delivered) -> None:
    """Event consumer for `interactions.ended`."""
    ids = parse_uuids(event.payload.get("interaction_ids", []))
    derive_from_interactions(session, org_id=event.org_id, interaction_ids=ids)


def _action_kind(payload: dict[str, Any]) -> str | None:
    if payload.get("reversed") is True or payload.get("rolled_back") is True:
        return "action_reversed"
    for key in ("decision", "status", "outcome", "result", "state"):
        value = payload.get(key)
        if isinstance(value, str):
            low = value.strip().lower()
            if low in _DENIED:
                return "action_denied"
            if low in _REVERSED:
                return "action_reversed"
    return None


def _as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def on_action_outcome(session: Session, event: Delivered) -> None:
    """Event consumer for `actions.decided` / `actions.executed`: record denied or reversed AI actions.

    Reads payload keys defensively: decision/status/outcome; customer_id, customer_ref (a customer id or a
    source's external id) or interaction_id; proposal_id/action_id as the reference. Actions whose payload
    says `actor_kind: human` are skipped; without that key the action is taken as automated.
    """
    payload = event.payload
    kind = _action_kind(payload)
    if kind is None or str(payload.get("actor_kind", "ai")).lower() == "human":
        return
    interaction_id = _as_uuid(payload.get("interaction_id"))
    interaction = session.get(Interaction, interaction_id) if interaction_id else None
    if interaction is not None and interaction.org_id != event.org_id:
        interaction = None
    customer_id = _as_uuid(payload.get("customer_id")) or (interaction.customer_id if interaction else None)
    if customer_id is None and isinstance(payload.get("customer_ref"), str):
        customer_id = repo.resolve_customer_ref(session, event.org_id, payload["customer_ref"])
    if customer_id is None or repo.customer_or_none(session, event.org_id, customer_id) is None:
        return
    ref = str(payload.get("proposal_id") or payload.get("action_id") or payload.get("id") or event.id)[:80]
    entry = {
        "id": new_id(),
        "org_id": event.org_id,
        "customer_id": customer_id,
        "ref": ref,
        "kind": kind,
        "poor": True,
        "occurred_at": id_time_or(event.id, utcnow()),  # when the action was decided, not when a backlog got to it
        "interaction_id": interaction.id if interaction else None,
        "intent": interaction.intent if interaction else None,
        "queue_id": interaction.queue_id if interaction else None,
        "team_id": interaction.team_id if interaction else None,
        "region": None,
        "origin": "action",
        "detail": {"event_type": event.type},
    }
    insert_ignore(session, TrustExperience.__table__, [entry], ("org_id", "ref", "kind"))


def _experiences(rows: list[TrustExperience]) -> list[Experience]:
    return [Experience(r.kind, r.occurred_at) for r in rows]


def customer_not_found(customer_id: uuid.UUID) -> NotFound:
    """The answer for a customer the caller may not know of: the same whether it exists nowhere or is out of reach."""
    return NotFound(f"customer {customer_id} not found", field="customer_id")


def require_customer(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """NotFound unless the customer exists in the organisation."""
    if repo.customer_or_none(session, org_id, customer_id) is None:
        raise customer_not_found(customer_id)


def ledger(session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> schemas.LedgerRead:
    """A customer's ledger, trust score and state."""
    require_customer(session, org_id, customer_id)
    policy = repo.load_policy(session, org_id)
    rows = repo.experiences(session, org_id, customer_id=customer_id, limit=500)
    exps = _experiences(rows)
    now = utcnow()
    items = [schemas.ExperienceRead.model_validate(r).model_copy(update={"reason": REASONS[r.kind]}) for r in rows]
    return schemas.LedgerRead(
        customer_id=customer_id,
        score=trust_score(exps, now, policy),
        automation_averse=is_averse(exps, now, policy),
        poor_in_window=len(poor_in_window(exps, now, policy)),
        experiences=items,
    )


def routing_advice(session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> schemas.RoutingAdvice:
    """Route to a human first once the policy's count of poor experiences within its window is reached."""
    require_customer(session, org_id, customer_id)
    policy = repo.load_policy(session, org_id)
    now = utcnow()
    rows = repo.experiences(session, org_id, customer_id=customer_id, since=now - timedelta(days=400), limit=2000)
    exps = _experiences(rows)
    poor_rows = [r for r in rows if r.poor and r.occurred_at > now - timedelta(days=policy.window_days)]
    reasons = [
        schemas.Reason(
            kind=r.kind, occurred_at=r.occurred_at, interaction_id=r.interaction_id, explanation=REASONS[r.kind]
        )
        for r in poor_rows
        if r.occurred_at <= now
    ]
    route: Literal["human_first", "automation_ok"] = (
        "human_first" if len(reasons) >= policy.max_poor else "automation_ok"
    )
    return schemas.RoutingAdvice(
        customer_id=customer_id,
        route=route,
        score=trust_score(exps, now, policy),
        poor_in_window=len(reasons),
        policy=schemas.PolicyRead.model_validate(policy, from_attributes=True),
        reasons=reasons,
    )


def set_policy(session: Session, *, org_id: uuid.UUID, data: schemas.PolicyUpdate) -> Policy:
    """Create or replace the organisation's routing policy."""
    row = session.get(TrustPolicy, org_id)
    if row is None:
        row = TrustPolicy(org_id=org_id)
        session.add(row)
    for key, value in data.model_dump().items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return repo.load_policy(session, org_id)


def index(
    session: Session,
    *,
    org_id: uuid.UUID,
    group_by: Literal["queue", "team", "region"],
    since: datetime,
    until: datetime,
    bucket: Literal["day", "week"],
) -> list[dict[str, object]]:
    """Trust index per group over time: share of automation-averse customers and recoveries."""
    step = timedelta(days=1 if bucket == "day" else 7)
    if until <= since:
        raise ValidationFailed("until must be after since", field="until")
    if (until - since) / step > MAX_INDEX_BUCKETS:
        raise ValidationFailed(
            f"at most {MAX_INDEX_BUCKETS} buckets; widen the bucket or narrow the range", field="since"
        )
    policy = repo.load_policy(session, org_id)
    rows = repo.experiences(session, org_id, since=since - timedelta(days=policy.window_days), until=until)
    labels = repo.group_labels(session, org_id, group_by) if group_by != "region" else {}
    history: dict[str, list[Experience]] = defaultdict(list)
    for r in rows:
        if group_by == "region":
            group = r.region
        else:
            key = r.queue_id if group_by == "queue" else r.team_id
            group = labels.get(key) if key else None
        history[str(r.customer_id)].append(Experience(r.kind, r.occurred_at, group))
    return trust_index(history, since, until, step, policy)


def contact_trust(session: Session, *, org_id: uuid.UUID, since: datetime, until: datetime) -> dict[uuid.UUID, float]:
    """Trust index (0 or 100, see `contact_index`) of each contact started in [since, until) that the ledger
    holds: the automated contacts of known customers (a contact's own entries carry its start time)."""
    policy = repo.load_policy(session, org_id)
    rows = repo.ledger_rows(session, org_id, since=since - timedelta(days=policy.window_days), until=until)
    contacts: dict[uuid.UUID, tuple[uuid.UUID, datetime]] = {}
    history: dict[uuid.UUID, list[Experience]] = defaultdict(list)
    for customer, interaction, kind, poor, at, origin in rows:
        if poor:
            history[customer].append(Experience(kind, at))
        if origin == "interaction" and interaction is not None and at >= since:
            contacts[interaction] = (customer, at)
    return contact_index(contacts, history, policy)


def ledger_version(session: Session, *, org_id: uuid.UUID) -> str:
    """A token that changes whenever the organisation's ledger or routing policy changes."""
    return repo.ledger_version(session, org_id)


def trust_state(session: Session, *, org_id: uuid.UUID, customer_ref: str | None) -> tuple[int, bool]:
    """(poor experiences in the policy window, automation-averse) for a customer id or external id."""
    customer_id = repo.resolve_customer_ref(session, org_id, customer_ref) if customer_ref else None
    if customer_id is None:
        return 0, False
    policy = repo.load_policy(session, org_id)
    now = utcnow()
    rows = repo.experiences(session, org_id, customer_id=customer_id, since=now - timedelta(days=policy.window_days))
    poor = poor_in_window(_experiences(rows), now, policy)
    return len(poor), len(poor) >= policy.max_poor
