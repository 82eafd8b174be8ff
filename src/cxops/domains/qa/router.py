"""HTTP routes of the QA domain."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from cxops.core.auth import ALL_ROLES, MANAGERS, READERS, Principal, Role
from cxops.core.errors import BadRequest
from cxops.core.repository import get_scoped
from cxops.core.web import DbSession, require
from cxops.domains.directory.public import linked_agent, own_agent_id
from cxops.domains.qa import access, insight, schemas, service
from cxops.domains.qa.models import QaDispute, QaEvaluation, QaScorecard

router = APIRouter(prefix="/v1/qa", tags=["qa"])
Reader = Annotated[Principal, Depends(require(READERS))]
Manager = Annotated[Principal, Depends(require(MANAGERS))]
#: Readers see everyone's results; an agent only their own (see access.py: the key must be linked to an agent).
Anyone = Annotated[Principal, Depends(require(ALL_ROLES - {Role.SERVICE}))]
AgentOnly = Annotated[Principal, Depends(require(frozenset({Role.AGENT})))]


@router.get("/scorecards", response_model=list[schemas.ScorecardRead])
def get_scorecards(session: DbSession, who: Reader, all_versions: bool = False) -> Any:
    stmt = select(QaScorecard).where(QaScorecard.org_id == who.org_id)
    if not all_versions:
        stmt = stmt.where(QaScorecard.active.is_(True))
    return list(session.scalars(stmt.order_by(QaScorecard.name, QaScorecard.version)))


@router.post("/scorecards", response_model=schemas.ScorecardRead, status_code=201)
def post_scorecard(body: schemas.ScorecardIn, session: DbSession, who: Manager) -> Any:
    """Publish a new scorecard version (validated; history is re-scored with it in the background)."""
    return service.upload_scorecard(session, org_id=who.org_id, source=body.source)


@router.post("/scorecards/validate")
def validate_scorecard(body: schemas.ScorecardIn, who: Reader) -> dict[str, Any]:
    """Check a scorecard without saving it."""
    card = service.parse_or_422(body.source)
    return {"name": card.name, "version": card.version, "sections": len(card.sections), "criteria": len(card.criteria)}


@router.get("/evaluations", response_model=list[schemas.EvaluationRead])
def get_evaluations(
    session: DbSession,
    who: Anyone,
    interaction_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    below: Annotated[float | None, Query(ge=0, le=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Evaluations, newest first; an agent gets only their own (another agent's `agent_id` is 403)."""
    agent_id = access.agent_filter(session, who, agent_id)
    stmt = select(QaEvaluation).where(QaEvaluation.org_id == who.org_id)
    if interaction_id:
        stmt = stmt.where(QaEvaluation.interaction_id == interaction_id)
    if agent_id:
        stmt = stmt.where(QaEvaluation.agent_id == agent_id)
    if below is not None:
        stmt = stmt.where(QaEvaluation.total < below)
    return list(session.scalars(stmt.order_by(QaEvaluation.scored_at.desc()).limit(limit)))


@router.get("/evaluations/{evaluation_id}", response_model=schemas.EvaluationRead)
def get_evaluation(evaluation_id: uuid.UUID, session: DbSession, who: Anyone) -> Any:
    """One evaluation; an agent only one of their own (another agent's is 404)."""
    return access.visible_evaluation(session, who, evaluation_id)


@router.post("/interactions/{interaction_id}/score", response_model=list[schemas.EvaluationRead])
def post_score(interaction_id: uuid.UUID, request: Request, session: DbSession, who: Manager) -> Any:
    """Score (or re-score) one interaction now with the active scorecards.

    404 when there is no active scorecard or no such ended interaction. 409 (`details.reason` "no_agent_turn")
    when no agent, human or AI, took part in it (abandoned in the queue or the IVR): an evaluation judges an
    agent's handling, so there is nothing to score; any evaluation it was given before is dropped (committed)."""
    try:
        return service.score_interaction(
            session,
            org_id=who.org_id,
            interaction_id=interaction_id,
            encoder=request.app.state.qa_encoder(),
            facts=getattr(request.app.state, "qa_facts", None),
        )
    except service.NotScorable:
        session.commit()  # the stale evaluations it dropped stay dropped
        raise


@router.post("/calibration/csv")
async def post_calibration_csv(request: Request, who: Manager) -> dict[str, Any]:
    """Import human verdicts as CSV (source,external_id,evaluator,criterion,result)."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the CSV must be UTF-8 text", field="body") from None
    with request.app.state.session_factory() as session:
        report = insight.import_csv(session, org_id=who.org_id, text=text)
        session.commit()
    return report


@router.post("/calibration/connect")
def post_calibration_connect(body: schemas.ConnectImport, session: DbSession, who: Manager) -> dict[str, Any]:
    """Import an Amazon Connect evaluation form output, mapping its questions to criteria."""
    return insight.import_connect(
        session, org_id=who.org_id, text=json.dumps(body.form), source=body.source, mapping=body.mapping
    )


@router.get("/calibration")
def get_calibration(session: DbSession, who: Reader) -> dict[str, Any]:
    """Agreement per criterion with human evaluators (percent agreement, Cohen's kappa), worst first."""
    return {"criteria": insight.calibration_report(session, org_id=who.org_id)}


@router.get("/coaching/me")
def get_my_coaching(session: DbSession, who: AgentOnly) -> dict[str, Any]:
    """The calling agent's own coaching (the agent their key is linked to; 403 when it is not linked)."""
    agent = linked_agent(session, who)
    return {**insight.coaching(session, org_id=who.org_id, agent_id=agent.id), "agent_name": agent.name}


@router.get("/coaching/{agent_id}")
def get_coaching(agent_id: uuid.UUID, session: DbSession, who: Anyone) -> dict[str, Any]:
    """Strengths and weakest criteria of one agent (human or AI), with example interactions; an agent may ask only
    for their own (403 otherwise)."""
    agent_id = access.coaching_agent(session, who, agent_id)
    return insight.coaching(session, org_id=who.org_id, agent_id=agent_id)


@router.post("/evaluations/{evaluation_id}/disputes", response_model=schemas.DisputeRead, status_code=201)
def post_dispute(evaluation_id: uuid.UUID, body: schemas.DisputeIn, session: DbSession, who: Anyone) -> Any:
    """Dispute one criterion of an evaluation; an agent only of their own evaluations (another agent's is 404)."""
    ev = access.visible_evaluation(session, who, evaluation_id)
    return service.open_dispute(
        session, evaluation=ev, criterion=body.criterion, reason=body.reason, who=str(who.key_id)
    )


@router.get("/disputes", response_model=list[schemas.DisputeRead])
def get_disputes(
    session: DbSession, who: Anyone, status: Annotated[str | None, Query(pattern="^(open|upheld|rejected)$")] = None
) -> Any:
    """Disputes, newest first, optionally by status; an agent gets only those on their own evaluations (whoever
    opened them), so they see each decision and its reason."""
    own = own_agent_id(session, who)
    stmt = select(QaDispute).where(QaDispute.org_id == who.org_id)
    if own is not None:
        stmt = stmt.join(QaEvaluation, QaEvaluation.id == QaDispute.evaluation_id).where(QaEvaluation.agent_id == own)
    if status:
        stmt = stmt.where(QaDispute.status == status)
    return list(session.scalars(stmt.order_by(QaDispute.created_at.desc()).limit(500)))


@router.post("/disputes/{dispute_id}/decision", response_model=schemas.DisputeRead)
def post_dispute_decision(
    dispute_id: uuid.UUID, body: schemas.DisputeDecision, session: DbSession, who: Manager
) -> Any:
    dispute = get_scoped(session, QaDispute, who.org_id, dispute_id, "dispute")
    return service.decide_dispute(dispute, decision=body.decision, reason=body.reason, who=str(who.key_id))
