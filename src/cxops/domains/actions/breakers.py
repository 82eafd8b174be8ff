"""Circuit breakers: kill switches per action type and per AI agent, tripped by hand or automatically."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from cxops.contracts.events import BreakerTripped
from cxops.core.clock import utcnow
from cxops.core.events import emit
from cxops.domains.actions import audit, repository
from cxops.domains.actions.models import ActionBreaker
from cxops.domains.actions.runtime import BreakerSettings


def set_breaker(
    session: Session,
    *,
    org_id: uuid.UUID,
    scope: str,
    key: str,
    is_open: bool,
    reason: str,
    by: str,
    automatic: bool = False,
) -> ActionBreaker:
    """Open or close a breaker; opening emits actions.breaker_tripped; both are audited."""
    row = repository.breaker(session, org_id, scope, key)
    if row is None:
        row = ActionBreaker(org_id=org_id, scope=scope, key=key)
        session.add(row)
    was_open = bool(row.is_open)
    row.is_open, row.reason, row.automatic, row.changed_at, row.changed_by = is_open, reason, automatic, utcnow(), by
    session.flush()
    kind = "breaker_opened" if is_open else "breaker_closed"
    audit.append(
        session,
        org_id=org_id,
        kind=kind,
        payload={"scope": scope, "key": key, "reason": reason, "by": by, "automatic": automatic},
    )
    if is_open and not was_open:
        emit(session, org_id=org_id, event=BreakerTripped(scope=scope, key=key, reason=reason, automatic=automatic))
    return row


def _trip_reason(stats: dict[str, int], cfg: BreakerSettings) -> str | None:
    if stats["decided"] < cfg.min_samples:
        return None
    checks = [
        ("denial", stats["denied"], stats["decided"], cfg.denial_rate),
        ("failure", stats["failed"], stats["executed"], cfg.failure_rate),
        ("reversal", stats["reversed"], stats["executed"], cfg.reversal_rate),
    ]
    for name, hits, base, threshold in checks:
        if base >= cfg.min_samples and hits / base >= threshold:
            return f"{name} rate {hits}/{base} = {hits / base:.0%} over {cfg.window_minutes} min >= {threshold:.0%}"
    return None


def check_and_trip(
    session: Session, *, org_id: uuid.UUID, action: str, actor_ref: str, actor_is_ai: bool, cfg: BreakerSettings
) -> list[ActionBreaker]:
    """Trip the action's and (for AI agents) the agent's breaker when a rate passes its threshold."""
    since = utcnow() - timedelta(minutes=cfg.window_minutes)
    targets = [("action", action, {"action": action})]
    if actor_is_ai:
        targets.append(("agent", actor_ref, {"actor_ref": actor_ref}))
    tripped = []
    for scope, key, where in targets:
        reason = _trip_reason(repository.window_stats(session, org_id, since, **where), cfg)
        current = repository.breaker(session, org_id, scope, key)
        if reason and not (current and current.is_open):
            tripped.append(
                set_breaker(
                    session,
                    org_id=org_id,
                    scope=scope,
                    key=key,
                    is_open=True,
                    reason=reason,
                    by="system",
                    automatic=True,
                )
            )
    return tripped
