"""Rules of the QA domain: scorecard versions, scoring every ended interaction, calibration, coaching, disputes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxops.contracts.qa_events import EvaluationsScored, ScorecardActivated, ScoredEvaluation
from cxops.core.clock import utcnow
from cxops.core.errors import Conflict, NotFound, ValidationFailed
from cxops.core.events import emit
from cxops.domains.directory.public import agents_by_ids
from cxops.domains.interactions.public import Interaction, Turn
from cxops.domains.qa.compute.model import Encoder, InteractionView, TurnView, has_agent_turn
from cxops.domains.qa.compute.scorecard import Scorecard, ScorecardError, parse_scorecard, score
from cxops.domains.qa.models import QaDispute, QaEvaluation, QaScorecard
from cxops.domains.qa.ports import QaFacts

REPEAT_WINDOW = timedelta(days=7)


class NotScorable(Conflict):
    """An explicit request to score an interaction no agent (human or AI) took part in: nothing to evaluate."""


def parse_or_422(source: str) -> Scorecard:
    """Parse a scorecard; a bad one is a 422 naming its line."""
    try:
        return parse_scorecard(source)
    except ScorecardError as exc:
        raise ValidationFailed(str(exc), field="source", details={"line": exc.line}) from None


def upload_scorecard(session: Session, *, org_id: uuid.UUID, source: str) -> QaScorecard:
    """Store and activate a new scorecard version (past evaluations keep the version they were scored with)."""
    card = parse_or_422(source)
    versions = list(
        session.scalars(select(QaScorecard).where(QaScorecard.org_id == org_id, QaScorecard.name == card.name))
    )
    latest = max((v.version for v in versions), default=0)
    if card.version <= latest:
        raise Conflict(
            f"scorecard '{card.name}' already has version {latest}: raise 'version' to publish a change",
            field="version",
        )
    for v in versions:
        v.active = False
    row = QaScorecard(org_id=org_id, name=card.name, version=card.version, source=source, active=True)
    session.add(row)
    session.flush()
    emit(session, org_id=org_id, event=ScorecardActivated(scorecard_id=str(row.id)))
    return row


def active_scorecards(session: Session, org_id: uuid.UUID) -> list[QaScorecard]:
    return list(session.scalars(select(QaScorecard).where(QaScorecard.org_id == org_id, QaScorecard.active.is_(True))))


def _views(session: Session, rows: list[Interaction], facts: QaFacts | None) -> dict[uuid.UUID, InteractionView]:
    ids = [r.id for r in rows]
    turns: dict[uuid.UUID, list[TurnView]] = defaultdict(list)
    stmt = select(
        Turn.interaction_id, Turn.seq, Turn.speaker, Turn.offset_ms, Turn.end_offset_ms, Turn.text, Turn.sentiment
    )
    # columns, not ORM objects: every turn of the batch is read once and never changed here
    for iid, seq, speaker, offset, end, text, sentiment in session.execute(
        stmt.where(Turn.interaction_id.in_(ids)).order_by(Turn.interaction_id, Turn.seq)
    ):
        turns[iid].append(TurnView(seq, speaker, offset, end, text, sentiment))
    repeats = _repeats(session, rows)
    org_id = rows[0].org_id
    actions = facts.actions_for(session, org_id=org_id, interaction_ids=ids) if facts else {}
    cites = facts.citations_for(session, org_id=org_id, interaction_ids=ids) if facts else {}
    return {
        r.id: InteractionView(
            tuple(turns[r.id]),
            r.hold_s,
            r.outcome,
            repeats.get(r.id),
            tuple(cites.get(r.id, ())),
            tuple(actions.get(r.id, ())),
        )
        for r in rows
    }


def _repeats(session: Session, rows: list[Interaction]) -> dict[uuid.UUID, bool | None]:
    """Whether the same customer came back on the same intent within the window (None while it is open)."""
    keyed = [r for r in rows if r.customer_id and r.intent]
    if not keyed:
        return {}
    horizon = session.scalar(
        select(Interaction.started_at)
        .where(Interaction.org_id == rows[0].org_id)
        .order_by(Interaction.started_at.desc())
        .limit(1)
    )
    later: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
    stmt = select(Interaction.customer_id, Interaction.intent, Interaction.started_at).where(
        Interaction.customer_id.in_({r.customer_id for r in keyed}),
        Interaction.started_at >= min(r.started_at for r in keyed),
    )
    for cust, intent, at in session.execute(stmt):
        later[(cust, intent)].append(at)
    out: dict[uuid.UUID, bool | None] = {}
    for r in keyed:
        end = r.started_at + REPEAT_WINDOW
        if any(r.started_at < at <= end for at in later[(r.customer_id, r.intent)]):
            out[r.id] = True
        else:
            out[r.id] = False if horizon is not None and end <= horizon else None
    return out


def score_interactions(
    session: Session,
    *,
    org_id: uuid.UUID,
    interaction_ids: list[uuid.UUID],
    encoder: Encoder | None,
    facts: QaFacts | None = None,
    scorecards: list[QaScorecard] | None = None,
    only_missing: bool = False,
) -> list[QaEvaluation]:
    """Score ended interactions with the active scorecards (updating an earlier score by the same version).

    An evaluation judges an agent's (human or AI) handling: an interaction with no agent or AI turn (abandoned in
    the queue or the IVR) is not scored, and any evaluation it was given before (by any scorecard version, with
    its disputes) is dropped, so QA figures, coaching and analytics no longer count it. Every scoring path (API,
    `cxops qa score`, the 'ended' consumer, the re-score after a publication) goes through here.

    `only_missing` leaves out interactions these scorecards have already scored: a re-score of history after a
    publication skips what the interactions' own 'ended' events scored with the new version in the meantime."""
    cards = scorecards if scorecards is not None else active_scorecards(session, org_id)
    if not cards:
        return []
    if only_missing:  # leave the scored ones out before loading anything of them
        done = set(
            session.scalars(
                select(QaEvaluation.interaction_id).where(
                    QaEvaluation.scorecard_id.in_([c.id for c in cards]),
                    QaEvaluation.interaction_id.in_(interaction_ids),
                )
            )
        )
        interaction_ids = [i for i in interaction_ids if i not in done]
        if not interaction_ids:
            return []
    rows = list(
        session.scalars(
            select(Interaction).where(
                Interaction.org_id == org_id, Interaction.id.in_(interaction_ids), Interaction.ended_at.is_not(None)
            )
        )
    )
    if not rows:
        return []
    # A re-score updates the evaluation in place: its id, and the disputes that refer to it, are kept.
    earlier = {
        card_row.id: {
            ev.interaction_id: ev
            for ev in session.scalars(
                select(QaEvaluation).where(
                    QaEvaluation.scorecard_id == card_row.id, QaEvaluation.interaction_id.in_([r.id for r in rows])
                )
            )
        }
        for card_row in cards
    }
    if only_missing:
        rows = [r for r in rows if not any(r.id in done for done in earlier.values())]
        if not rows:
            return []
    views = _views(session, rows, facts)
    drop_evaluations(session, org_id=org_id, interaction_ids=[r.id for r in rows if not has_agent_turn(views[r.id])])
    rows = [r for r in rows if has_agent_turn(views[r.id])]
    agents = agents_by_ids(session, [r.primary_agent_id for r in rows if r.primary_agent_id])
    out = []
    for card_row in cards:
        card = parse_scorecard(card_row.source)
        for r in rows:
            result = score(card, views[r.id], encoder)
            agent = agents.get(r.primary_agent_id) if r.primary_agent_id else None
            values: dict[str, Any] = {
                "agent_id": r.primary_agent_id,
                "agent_kind": agent.kind if agent else None,
                "total": result.total,
                "auto_failed": result.auto_failed,
                "sections": result.sections,
                "criteria": [_criterion(c) for c in result.criteria],
            }
            ev = earlier[card_row.id].get(r.id)
            if ev is None:
                ev = QaEvaluation(
                    org_id=org_id,
                    interaction_id=r.id,
                    scorecard_id=card_row.id,
                    scorecard_name=card.name,
                    version=card.version,
                    **values,
                )
                session.add(ev)
            else:
                for key, value in values.items():
                    setattr(ev, key, value)
                ev.scored_at = utcnow()
            out.append(ev)
    session.flush()
    scored = [
        ScoredEvaluation(
            evaluation_id=str(ev.id),
            interaction_id=str(ev.interaction_id),
            scorecard=ev.scorecard_name,
            version=ev.version,
            score=ev.total,
            auto_failed=ev.auto_failed,
            agent_id=str(ev.agent_id) if ev.agent_id else None,
            agent_kind=ev.agent_kind,
        )
        for ev in out
    ]
    step = EvaluationsScored.MAX_EVALUATIONS
    for start in range(0, len(scored), step):
        emit(session, org_id=org_id, event=EvaluationsScored(evaluations=scored[start : start + step]))
    return out


def score_interaction(
    session: Session, *, org_id: uuid.UUID, interaction_id: uuid.UUID, encoder: Encoder | None, facts: QaFacts | None
) -> list[QaEvaluation]:
    """Score (or re-score) one ended interaction now with the active scorecards.

    NotFound (404) when there is no active scorecard or no such ended interaction; NotScorable (409) when no agent
    (human or AI) took part in it: its earlier evaluations are dropped all the same (the caller commits them)."""
    cards = active_scorecards(session, org_id)
    if not cards:
        raise NotFound("no active scorecard: publish one first")
    found = session.scalar(
        select(Interaction.id).where(
            Interaction.org_id == org_id, Interaction.id == interaction_id, Interaction.ended_at.is_not(None)
        )
    )
    if found is None:
        raise NotFound(f"no ended interaction {interaction_id}")
    evs = score_interactions(
        session, org_id=org_id, interaction_ids=[interaction_id], encoder=encoder, facts=facts, scorecards=cards
    )
    if not evs:
        raise NotScorable(
            f"interaction {interaction_id} has no agent or AI turn (it never reached an agent, e.g. abandoned in the "
            "queue or the IVR): a QA evaluation judges an agent's handling, so there is nothing to score",
            field="interaction_id",
            details={"reason": "no_agent_turn"},
        )
    return evs


def drop_evaluations(session: Session, *, org_id: uuid.UUID, interaction_ids: list[uuid.UUID]) -> int:
    """Delete the evaluations (every scorecard version) of these interactions, and the disputes on them; how many."""
    if not interaction_ids:
        return 0
    ids = list(
        session.scalars(
            select(QaEvaluation.id).where(
                QaEvaluation.org_id == org_id, QaEvaluation.interaction_id.in_(interaction_ids)
            )
        )
    )
    if ids:
        session.execute(
            delete(QaDispute).where(QaDispute.evaluation_id.in_(ids)),
            execution_options={"synchronize_session": "fetch"},
        )
        session.execute(
            delete(QaEvaluation).where(QaEvaluation.id.in_(ids)), execution_options={"synchronize_session": "fetch"}
        )
    return len(ids)


def _criterion(c: Any) -> dict[str, Any]:
    return {
        "criterion": c.criterion,
        "section": c.section,
        "status": c.status,
        "points": c.points,
        "max_points": c.max_points,
        "rule": c.rule,
        "evidence": list(c.evidence),
        "detail": c.detail,
    }


def open_dispute(session: Session, *, evaluation: QaEvaluation, criterion: str, reason: str, who: str) -> QaDispute:
    """An agent disputes one criterion of an evaluation."""
    if criterion not in {c["criterion"] for c in evaluation.criteria}:
        raise ValidationFailed(f"the evaluation has no criterion '{criterion}'", field="criterion")
    if not reason.strip():
        raise ValidationFailed("a dispute needs a reason", field="reason")
    dispute = QaDispute(
        org_id=evaluation.org_id,
        evaluation_id=evaluation.id,
        criterion=criterion,
        reason=reason,
        status="open",
        history=[{"at": utcnow().isoformat(), "by": who, "action": "opened", "reason": reason}],
    )
    session.add(dispute)
    session.flush()
    return dispute


def decide_dispute(dispute: QaDispute, *, decision: str, reason: str, who: str) -> QaDispute:
    """A supervisor upholds (the criterion is wrong) or rejects a dispute, with a reason; kept in the history."""
    if dispute.status != "open":
        raise Conflict(f"this dispute is already {dispute.status}", field="decision")
    if decision not in ("upheld", "rejected"):
        raise ValidationFailed("decision must be 'upheld' or 'rejected'", field="decision")
    if not reason.strip():
        raise ValidationFailed("a decision needs a reason", field="reason")
    dispute.status = decision
    dispute.history = [*dispute.history, {"at": utcnow().isoformat(), "by": who, "action": decision, "reason": reason}]
    return dispute


def get_evaluation(session: Session, *, org_id: uuid.UUID, evaluation_id: uuid.UUID) -> QaEvaluation:
    ev = session.get(QaEvaluation, evaluation_id)
    if ev is None or ev.org_id != org_id:
        raise NotFound(f"evaluation {evaluation_id} not found")
    return ev
