"""What the recovery sweep decides about an interrupted execution it could not resume: try again later, or give up.

A reason that cannot pass by itself is permanent: the action is no longer in the catalogue, no policy pack governs
its system, its connector is not configured, the stored arguments are malformed or no longer valid
(`NotFound`, `ConfigurationError`, `ValidationFailed`, `BadRequest`). Anything else may pass and is retried with
backoff: a connector timeout or 5xx (the step's outcome is unknown), an open circuit breaker (`Conflict`), a
database error, an unexpected exception; after `max_attempts` the sweep gives up on those too.

Giving up never says plain 'failed': the interrupted execution may have applied some steps at the system of record
before it stopped, and nothing undoes them, so the proposal ends 'failed_uncompensated' with the reason and an
audited `needs_review`, for a human to check the system of record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cxops.core.errors import BadRequest, ConfigurationError, Conflict, CxopsError, NotFound, ValidationFailed
from cxops.domains.actions import repository
from cxops.domains.actions.compute.catalogue import validate_params
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.runtime import ActionsRuntime

PERMANENT: tuple[type[CxopsError], ...] = (NotFound, ConfigurationError, ValidationFailed, BadRequest)
#: The status a proposal ends in when the sweep gives up: failed, possibly applied in part, not undone.
GAVE_UP = "failed_uncompensated"
MAX_BACKOFF_S = 3600.0


def check_resumable(session: Session, runtime: ActionsRuntime, row: ActionProposal) -> None:
    """Raise why `row` can never be resumed (a PERMANENT error naming the step) or cannot be now (Conflict: an
    open breaker for one of its actions or its agent; the sweep honours the kill switch a client's retry bypasses)."""
    steps: Any = row.steps
    if not isinstance(steps, list) or not steps:
        raise ValidationFailed("the stored steps are missing or malformed", field="steps")
    names = []
    for i, step in enumerate(steps):
        if not (
            isinstance(step, dict) and isinstance(step.get("action"), str) and isinstance(step.get("params"), dict)
        ):
            raise ValidationFailed(f"stored step {i} is malformed (no action name or no parameters)", field="steps")
        name = step["action"]
        spec = runtime.catalogue.actions.get(name)
        if spec is None:
            raise NotFound(f"action '{name}' is no longer in the catalogue", field="action")
        runtime.pack_for(spec)
        if spec.connector not in runtime.connectors:
            raise ConfigurationError(f"connector '{spec.connector}' of action '{name}' is not configured")
        try:  # absent optional parameters were stored as None
            validate_params(spec, {k: v for k, v in step["params"].items() if v is not None})
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"the stored arguments of step {i} ({name}) are no longer valid: {exc.message}", field=exc.field
            ) from None
        names.append(name)
    keys = [("action", n) for n in names] + [("agent", row.actor_ref)]
    open_ = repository.open_breakers(session, row.org_id, keys)
    if open_:
        raise Conflict(f"circuit breaker open for {open_[0].scope} '{open_[0].key}'")


def is_permanent(exc: Exception) -> bool:
    return isinstance(exc, PERMANENT)


def message_of(exc: Exception) -> str:
    """The first line of the error's message, at most 300 characters (never for logs: it may quote arguments)."""
    message = exc.message if isinstance(exc, CxopsError) else str(exc)
    return (message.splitlines() or [""])[0][:300]


def describe(exc: Exception) -> str:
    """'<error class>: <message_of>' (for the proposal's error, the audit and the sweep's report, never for logs)."""
    return f"{type(exc).__name__}: {message_of(exc)}"


def backoff_s(attempt: int, base_s: float) -> float:
    """Seconds to wait after failed attempt `attempt` (1, 2, ...): the base, doubled each time, at most an hour
    (or the base when that is longer)."""
    return min(base_s * 2 ** (attempt - 1), max(base_s, MAX_BACKOFF_S))
