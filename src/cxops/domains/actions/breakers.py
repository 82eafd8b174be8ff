"""Circuit breakers: kill switches per action type and per AI agent, tripped by hand or automatically."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cxops.contracts.events import BreakerTripped
from cxops.core.clock import utcnow
from cxops.core.errors import NotFound, ValidationFailed
from cxops.core.events import emit
from cxops.core.models import ApiKey
from cxops.domains.actions import audit, repository
from cxops.domains.actions.models import ActionBreaker
from cxops.domains.actions.runtime import BreakerSettings
from cxops.domains.directory.public import agent_by_code

#: How the proposals of a key without a subject are named (decide.actor_ref): `key:<api key id>`.
KEY_REF = "key:"


def key_id_of(ref: str) -> uuid.UUID | None:
    """The API key id of a `key:<id>` actor ref, else None."""
    if not ref.startswith(KEY_REF):
        return None
    try:
        return uuid.UUID(ref[len(KEY_REF) :])
    except ValueError:
        return None


def _unlinked_key(session: Session, org_id: uuid.UUID, ref: str) -> bool:
    """Whether `ref` is `key:<id>` of an API key of the organisation without a subject (whose proposals it names)."""
    key_id = key_id_of(ref)
    row = session.get(ApiKey, key_id) if key_id is not None else None
    return row is not None and row.org_id == org_id and row.subject is None


def check_target(
    session: Session, *, org_id: uuid.UUID, scope: str, key: str, is_open: bool, actions: Collection[str]
) -> None:
    """A breaker set by hand must name what it blocks, so a typo never silently blocks nothing (422 on `key` naming
    the unknown value): an action of the catalogue, or an agent by its directory code (how agent and service keys
    linked to an agent are named), or `key:<id>` of an API key of the organisation without a subject. Closing a
    breaker that exists is always allowed, whatever opened it."""
    if not is_open and repository.breaker(session, org_id, scope, key) is not None:
        return
    if scope == "action":
        if key not in actions:
            raise ValidationFailed(
                f"unknown action {key!r}: no action of the catalogue has this name (GET /v1/actions/catalogue)",
                field="key",
            )
        return
    if agent_by_code(session, org_id, key) is None and not _unlinked_key(session, org_id, key):
        raise ValidationFailed(
            f"unknown agent {key!r}: no agent of the directory has this code (nor is it 'key:<id>' of an API key of "
            "this organisation without a subject)",
            field="key",
        )


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


@dataclass(frozen=True, slots=True)
class BreakerClosed:
    """What `close_breaker` did: `closed_now` False when the breaker was already closed (then nothing changed and
    `changed_by`/`changed_at` say who closed it and when)."""

    scope: str
    key: str
    closed_now: bool
    changed_by: str | None
    changed_at: datetime


def close_breaker(session: Session, *, org_id: uuid.UUID, scope: str, key: str, reason: str, by: str) -> BreakerClosed:
    """Close the existing breaker of (`scope`, `key`) as the close endpoint does (audited with `reason` and `by`);
    a breaker already closed is left as it is (nothing audited). NotFound when no such breaker exists."""
    if scope not in ("action", "agent"):
        raise ValidationFailed(f"unknown breaker scope {scope!r}: 'action' or 'agent'", field="scope")
    row = repository.breaker(session, org_id, scope, key)
    if row is None:
        raise NotFound(f"no breaker for {scope} {key!r}")
    if not row.is_open:
        return BreakerClosed(scope, key, False, row.changed_by, row.changed_at)
    row = set_breaker(session, org_id=org_id, scope=scope, key=key, is_open=False, reason=reason, by=by)
    return BreakerClosed(scope, key, True, row.changed_by, row.changed_at)


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
