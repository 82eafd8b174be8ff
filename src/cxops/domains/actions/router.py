"""HTTP routes of the actions domain (/v1/actions/...): catalogue, dry-run, proposals, approvals, breakers, audit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cxops.core.auth import ADMINS, MANAGERS, READERS, Principal, Role
from cxops.core.errors import CxopsError, NotFound
from cxops.core.repository import MAX_PAGE_SIZE, get_scoped
from cxops.core.web import DbSession, require
from cxops.domains.actions import audit, breakers, repository, schemas, service
from cxops.domains.actions.decide import actor_ref
from cxops.domains.actions.errors import ConnectorFailed, ProposalExpired
from cxops.domains.actions.execution import EXECUTING, FAILED_STATUSES, outcome_unknown
from cxops.domains.actions.models import ActionBreaker, ActionProposal
from cxops.domains.actions.runtime import ActionsRuntime, default_runtime
from cxops.domains.directory.public import linked_agent

router = APIRouter(prefix="/v1/actions", tags=["actions"])
#: Who may propose and execute: AI agents (service keys) and human agents, plus supervisors and admins. An agent's
#: key must be linked to its directory agent (its subject), which names its proposals.
ACTORS = frozenset({Role.SERVICE, Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
Actor = Annotated[Principal, Depends(require(ACTORS))]
Manager = Annotated[Principal, Depends(require(MANAGERS))]
#: Catalogue, packs and proposals: everyone who reads or acts; an agent or a service key sees only the proposals it
#: made (`_own_ref`).
Reader = Annotated[Principal, Depends(require(READERS | ACTORS))]
#: The approvals queue and the breakers: not agents (approvals are a supervisor's work, and they hold other
#: actors' customers, amounts and names); a service key's queue holds only its own proposals.
Overseer = Annotated[Principal, Depends(require((READERS | ACTORS) - {Role.AGENT}))]
Admin = Annotated[Principal, Depends(require(ADMINS))]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
T = TypeVar("T")


def get_runtime(request: Request) -> ActionsRuntime:
    """The runtime the composition root bound, else the neutral default (sandbox, neutral trust)."""
    return getattr(request.app.state, "actions_runtime", None) or default_runtime()


Runtime = Annotated[ActionsRuntime, Depends(get_runtime)]


def _audited(session: Session, who: Principal, body: Any, work: Callable[[], T]) -> T:
    """Run `work`; on a refused input roll back its partial work, audit the refusal, commit, re-raise."""
    try:
        return work()
    except CxopsError as exc:
        session.rollback()
        service.record_rejected_input(session, org_id=who.org_id, who=who, body=body, error=exc)
        session.commit()
        raise


def _own_ref(session: Session, who: Principal) -> str | None:
    """The actor ref whose proposals the caller is limited to, None (all) for supervisors, analysts and admins.

    An agent: their directory agent's code (403 if the key is not linked to one). A service key (an integration, an
    AI agent's platform): the name its own proposals carry (`decide.actor_ref`: its subject, the AI agent it acts
    as, so a rotated key still sees that agent's proposals; else `key:<its id>`), never another integration's."""
    if who.role == Role.AGENT:
        return linked_agent(session, who).code
    return actor_ref(who) if who.role == Role.SERVICE else None


def _read(row: ActionProposal, replayed: bool = False) -> dict[str, Any]:
    out = schemas.ProposalRead.model_validate(row).model_dump(mode="json")
    out["status"] = service.effective_status(row)  # past its expiry: 'expired', even before the sweep marks it
    out["replayed"] = replayed
    out["results"] = [
        {"step": s["step"], "result": s["outcome"].get("result")} for s in (row.outcome or {}).get("steps", [])
    ]
    return out


def _finish(session: Session, row: ActionProposal, replayed: bool = False) -> dict[str, Any]:
    """Return the proposal; a failed execution is committed (record + audit) and then reported as 502; one left
    'executing' because a connector gave no definite answer is committed and reported as 504 (timeout) or 502."""
    body = _read(row, replayed)
    if row.status in FAILED_STATUSES:
        session.commit()
        raise ConnectorFailed(row.error or "execution failed", details=body)
    if row.status == EXECUTING:
        session.commit()
        raise outcome_unknown(row, details=body)
    return body


def _keeping_expiry(session: Session, work: Callable[[], T]) -> T:
    """Run a review; a proposal it found past its expiry is committed as 'expired' (with its audit entry) before
    the 409 is answered."""
    try:
        return work()
    except ProposalExpired:
        session.commit()
        raise


@router.get("/catalogue")
def catalogue(who: Reader, runtime: Runtime) -> dict[str, Any]:
    """Every declared action: parameters, state fields, reversibility, risk, connector, governing pack."""
    packs = {s: f"{p.name}@{p.version}" for s, p in runtime.packs.items()}
    return {"actions": [dict(a.public(), pack=packs.get(a.system)) for a in runtime.catalogue.actions.values()]}


@router.get("/packs")
def packs(who: Reader, runtime: Runtime) -> dict[str, Any]:
    """The active policy pack of each system: version, rules with their effect and reason, number of tests."""
    return {
        "packs": [
            {
                "name": p.name,
                "version": p.version,
                "system": p.system,
                "tests": len(p.tests),
                "rules": [
                    {"id": r.id, "actions": list(r.actions), "when": r.when, "effect": r.effect, "reason": r.reason}
                    for r in p.rules
                ],
            }
            for p in runtime.packs.values()
        ]
    }


@router.post("/dry-run")
def dry_run(data: schemas.DryRunRequest, session: DbSession, who: Actor, runtime: Runtime) -> dict[str, Any]:
    """Evaluate without executing: decision, rule ids and reasons."""
    _own_ref(session, who)  # an agent acts as their directory agent
    body = data.model_dump(mode="json")
    return _audited(session, who, body, lambda: service.dry_run(session, runtime, org_id=who.org_id, who=who, req=data))


@router.post("/proposals")
def propose(data: schemas.ProposalCreate, session: DbSession, who: Actor, runtime: Runtime) -> dict[str, Any]:
    """Decide and execute (allow), queue for approval, or deny; a retried idempotency key never executes twice."""
    _own_ref(session, who)  # an agent acts as their directory agent
    body = data.model_dump(mode="json")
    row, replayed = _audited(
        session, who, body, lambda: service.propose(session, runtime, org_id=who.org_id, who=who, req=data)
    )
    return _finish(session, row, replayed)


@router.get("/proposals")
def list_proposals(
    session: DbSession,
    who: Reader,
    status: str | None = Query(default=None, max_length=30),
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Proposals, newest first, optionally by status (pending_approval, executed, denied, expired, ...); one
    awaiting approval past its expiry is 'expired'. An agent or a service key gets only the proposals it made."""
    own = _own_ref(session, who)
    rows = repository.list_proposals(session, who.org_id, status=status, limit=limit, offset=offset, actor_ref=own)
    return [_read(r) for r in rows]


@router.get("/proposals/{proposal_id}")
def get_proposal(proposal_id: uuid.UUID, session: DbSession, who: Reader) -> dict[str, Any]:
    """One proposal; an agent or a service key only one it made (another's answers 404)."""
    own = _own_ref(session, who)
    row = get_scoped(session, ActionProposal, who.org_id, proposal_id, "proposal")
    if own is not None and row.actor_ref != own:
        raise NotFound(f"proposal {proposal_id} not found")
    return _read(row)


@router.get("/approvals")
def approvals(session: DbSession, who: Overseer, limit: Limit = 50, offset: Offset = 0) -> list[dict[str, Any]]:
    """The approvals queue: proposals awaiting a supervisor (not those past their expiry); a service key's, only its
    own waiting ones (the queue carries other actors' customers, amounts and names)."""
    own = _own_ref(session, who)
    rows = repository.list_proposals(
        session, who.org_id, status="pending_approval", limit=limit, offset=offset, actor_ref=own
    )
    return [_read(r) for r in rows]


@router.post("/approvals/{proposal_id}/approve")
def approve(
    proposal_id: uuid.UUID, data: schemas.ReviewRequest, session: DbSession, who: Manager, runtime: Runtime
) -> dict[str, Any]:
    """Approve (executes now) with a reason."""
    row = _keeping_expiry(
        session,
        lambda: service.approve(
            session, runtime, org_id=who.org_id, who=who, proposal_id=proposal_id, reason=data.reason
        ),
    )
    return _finish(session, row)


@router.post("/approvals/{proposal_id}/reject")
def reject(proposal_id: uuid.UUID, data: schemas.ReviewRequest, session: DbSession, who: Manager) -> dict[str, Any]:
    """Reject with a reason."""
    row = _keeping_expiry(
        session,
        lambda: service.reject(session, org_id=who.org_id, who=who, proposal_id=proposal_id, reason=data.reason),
    )
    return _read(row)


@router.post("/proposals/{proposal_id}/reverse")
def reverse(
    proposal_id: uuid.UUID, data: schemas.ReviewRequest, session: DbSession, who: Manager, runtime: Runtime
) -> dict[str, Any]:
    """Reverse an executed proposal through its compensating action."""
    row = service.reverse_proposal(
        session, runtime, org_id=who.org_id, who=who, proposal_id=proposal_id, reason=data.reason
    )
    return _finish(session, row)


def _breakers_read(session: Session, org_id: uuid.UUID, rows: Sequence[ActionBreaker]) -> list[dict[str, Any]]:
    """Breakers as the API shows them: `changed_by` as recorded, `changed_by_name` the key's name for `key:<id>`."""
    ids = {r.changed_by: breakers.key_id_of(r.changed_by) for r in rows if r.changed_by}
    names = repository.key_names(session, org_id, [k for k in ids.values() if k is not None])
    out = []
    for r in rows:
        key_id = ids.get(r.changed_by) if r.changed_by else None
        name = names.get(key_id, r.changed_by) if key_id is not None else r.changed_by
        out.append({**schemas.BreakerRead.model_validate(r).model_dump(), "changed_by_name": name})
    return out


@router.get("/breakers", response_model=list[schemas.BreakerRead])
def list_breakers(session: DbSession, who: Overseer) -> Any:
    """Breakers, most recently changed first; `changed_by` as recorded, `changed_by_name` to show."""
    return _breakers_read(session, who.org_id, repository.list_breakers(session, who.org_id))


@router.post("/breakers", response_model=schemas.BreakerRead)
def set_breaker(data: schemas.BreakerUpdate, session: DbSession, who: Manager, runtime: Runtime) -> Any:
    """Open (kill switch) or close the breaker of an action type or an agent. The target must exist: an action of
    the catalogue, an agent's directory code, or `key:<id>` of a key without a subject (422 on `key` otherwise);
    an existing breaker can always be closed."""
    breakers.check_target(
        session,
        org_id=who.org_id,
        scope=data.scope,
        key=data.key,
        is_open=data.open,
        actions=runtime.catalogue.actions.keys(),
    )
    by = who.subject or f"key:{who.key_id}"
    row = breakers.set_breaker(
        session, org_id=who.org_id, scope=data.scope, key=data.key, is_open=data.open, reason=data.reason, by=by
    )
    return _breakers_read(session, who.org_id, [row])[0]


@router.get("/audit", response_model=list[schemas.AuditRead])
def list_audit(
    session: DbSession,
    who: Annotated[Principal, Depends(require(READERS))],
    limit: Limit = 100,
    offset: Offset = 0,
    proposal_id: uuid.UUID | None = None,
) -> Any:
    return repository.list_audit(session, who.org_id, limit=limit, offset=offset, proposal_id=proposal_id)


@router.get("/audit/verify")
def verify_audit(session: DbSession, who: Annotated[Principal, Depends(require(READERS))]) -> dict[str, Any]:
    """Walk the hash chain; names the first tampered row."""
    return audit.verify(session, org_id=who.org_id)
