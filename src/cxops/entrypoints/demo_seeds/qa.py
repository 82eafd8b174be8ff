"""Demo seed for quality assurance: the shipped demo scorecard, a recent week scored, calibration, disputes.

Everything goes through the QA domain: the scorecard through `service.upload_scorecard` (as `cxops qa publish` and
POST /v1/qa/scorecards), scoring through `service.score_interactions` in committed batches (as `cxops qa score`,
with the same encoder and facts the API binds), human verdicts through `insight.import_csv` (as POST
/v1/qa/calibration/csv) and disputes through `service.open_dispute` / `service.decide_dispute`. Coaching is derived
from the evaluations by the domain, so nothing is created for it.

The human verdicts stand in for a QA team's calibration sample: they follow the automatic verdict most of the time,
with a per-criterion disagreement rate (fixed random seed), so the calibration page shows realistic agreement and
Cohen's kappa computed by the domain.
"""

from __future__ import annotations

import csv
import io
import random
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.domains.interactions.public import Interaction
from cxops.domains.qa import insight, service
from cxops.domains.qa.models import QaDispute, QaEvaluation, QaHumanEvaluation, QaScorecard
from cxops.entrypoints.qa_wiring import FactsFromDomains, qa_encoder

#: The scorecard the repository ships for the demo (also used by `cxops bench qa`).
SCORECARD_PATH = Path(__file__).resolve().parents[2] / "domains" / "qa" / "scorecards" / "demo.yaml"
#: Scored here, before the server starts (~2,600 demo contacts, ~8 s): enough for the evaluations, calibration and
#: disputes; the served demo's event consumers score the rest of history in the background.
SCORE_DAYS = 2
SCORE_BATCH = 200
#: Upper bound on the interactions scored here (the rest of history is left to the event consumers).
MAX_SCORED = 12_000
SEED = 20261125
HUMAN_SAMPLE = 40
EVALUATORS = ("qa-lead", "qa-analyst-1", "qa-analyst-2")
#: Criteria the human evaluators mark, with the share of verdicts where they disagree with the automatic one.
HUMAN_CRITERIA = {
    "greeting": 0.04,
    "recording_disclosure": 0.02,
    "identity_before_change": 0.08,
    "resolved": 0.10,
    "offers_more_help": 0.18,
    "customer_ends_positive": 0.22,
}
SEEDED_BY = "demo-seed"
#: (criterion disputed, the agent's reason, the supervisor's decision or None to leave it open, decision reason)
DISPUTES = (
    (
        "offers_more_help",
        "I asked whether there was anything else I could do for them, just in other words.",
        None,
        "",
    ),
    (
        "customer_ends_positive",
        "The customer was upset about the policy itself, not about how the contact was handled.",
        None,
        "",
    ),
    (
        "greeting",
        "The customer started talking before I could introduce myself.",
        "rejected",
        "The transcript shows time to introduce yourself after the customer's first sentence.",
    ),
)


def seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """Publish the demo scorecard, score the last week, import human verdicts and open disputes (idempotent)."""
    source = SCORECARD_PATH.read_text(encoding="utf-8")
    card = service.parse_or_422(source)
    published = False
    with unit_of_work(factory) as session:
        row = session.scalar(
            select(QaScorecard).where(
                QaScorecard.org_id == org_id, QaScorecard.name == card.name, QaScorecard.version == card.version
            )
        )
        if row is None:
            row = service.upload_scorecard(session, org_id=org_id, source=source)
            published = True
        card_id = row.id
    started = time.perf_counter()
    scored = _score_recent(factory, org_id=org_id, card_id=card_id, settings=settings, now=now)
    elapsed = time.perf_counter() - started
    humans = _human_verdicts(factory, org_id=org_id, card_id=card_id)
    disputes = _disputes(factory, org_id=org_id, card_id=card_id)
    head = f"QA: scorecard '{card.name}' v{card.version}"
    if not (published or scored or humans or disputes):
        return f"{head} already published and seeded; nothing added"
    return (
        f"{head} {'published' if published else 'already published'}, {scored:,} interactions of the last "
        f"{SCORE_DAYS} days scored in {elapsed:.0f} s, {humans} interactions with human verdicts for calibration, "
        f"{disputes} disputes"
    )


def _score_recent(
    factory: sessionmaker[Session], *, org_id: uuid.UUID, card_id: uuid.UUID, settings: Settings, now: datetime
) -> int:
    """Score the ended interactions of the last SCORE_DAYS days, unless this card version has scored anything yet.

    Once the card has evaluations (from here, or from the event consumers re-scoring history after its
    publication), scoring is left to them, so a second call adds nothing.
    """
    with unit_of_work(factory) as session:
        if session.scalar(select(QaEvaluation.id).where(QaEvaluation.scorecard_id == card_id).limit(1)) is not None:
            return 0
        stmt = (
            select(Interaction.id)
            .where(
                Interaction.org_id == org_id,
                Interaction.started_at >= now - timedelta(days=SCORE_DAYS),
                Interaction.started_at < now,
                Interaction.ended_at.is_not(None),
            )
            .order_by(Interaction.started_at.desc())
            .limit(MAX_SCORED)
        )
        ids = list(session.scalars(stmt))
    if not ids:
        return 0
    encoder = qa_encoder(settings.effective_models_dir)()
    facts = FactsFromDomains()
    scored = 0
    for k in range(0, len(ids), SCORE_BATCH):
        with unit_of_work(factory) as session:
            card = session.get(QaScorecard, card_id)
            evs = service.score_interactions(
                session,
                org_id=org_id,
                interaction_ids=ids[k : k + SCORE_BATCH],
                encoder=encoder,
                facts=facts,
                scorecards=[card] if card is not None else [],
            )
            scored += len(evs)
    return scored


def _human_verdicts(factory: sessionmaker[Session], *, org_id: uuid.UUID, card_id: uuid.UUID) -> int:
    """A calibration sample: human verdicts on HUMAN_SAMPLE scored interactions, imported as the CSV route does."""
    with unit_of_work(factory) as session:
        already = session.scalar(
            select(func.count())
            .select_from(QaHumanEvaluation)
            .where(QaHumanEvaluation.org_id == org_id, QaHumanEvaluation.evaluator.in_(EVALUATORS))
        )
        if already:
            return 0
        rows = session.execute(
            select(Interaction.source, Interaction.external_id, QaEvaluation.criteria)
            .join(QaEvaluation, QaEvaluation.interaction_id == Interaction.id)
            .where(QaEvaluation.scorecard_id == card_id, Interaction.external_id.is_not(None))
            .order_by(Interaction.external_id)
        ).all()
        if not rows:
            return 0
        rng = random.Random(SEED)
        sample = rng.sample(rows, min(HUMAN_SAMPLE, len(rows)))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["source", "external_id", "evaluator", "criterion", "result"])
        for n, (source, external_id, criteria) in enumerate(sample):
            auto = {c["criterion"]: c["status"] for c in criteria}
            evaluator = EVALUATORS[n % len(EVALUATORS)]
            for criterion, disagree in HUMAN_CRITERIA.items():
                status = auto.get(criterion)
                if status is None:
                    continue
                writer.writerow([source, external_id, evaluator, criterion, _human(status, disagree, rng)])
        report = insight.import_csv(session, org_id=org_id, text=out.getvalue())
        return len(sample) if report["imported"] else 0


def _human(auto: str, disagree: float, rng: random.Random) -> str:
    """A human verdict that differs from the automatic one with probability `disagree`."""
    if rng.random() >= disagree:
        return auto
    if auto == "na":
        return rng.choice(("pass", "fail"))
    return "fail" if auto == "pass" else "pass"


def _disputes(factory: sessionmaker[Session], *, org_id: uuid.UUID, card_id: uuid.UUID) -> int:
    """Agents' disputes of failed criteria on recent evaluations: some left open, one decided."""
    with unit_of_work(factory) as session:
        mine = session.scalars(select(QaDispute.history).where(QaDispute.org_id == org_id))
        if any(h and h[0].get("by") == SEEDED_BY for h in mine):
            return 0
        evaluations = list(
            session.scalars(
                select(QaEvaluation)
                .where(QaEvaluation.scorecard_id == card_id, QaEvaluation.agent_kind == "human")
                .order_by(QaEvaluation.interaction_id)
                .limit(2000)
            )
        )
        opened = 0
        used: set[uuid.UUID] = set()
        for criterion, reason, decision, why in DISPUTES:
            ev = next(
                (
                    e
                    for e in evaluations
                    if e.id not in used
                    and any(c["criterion"] == criterion and c["status"] == "fail" for c in e.criteria)
                ),
                None,
            )
            if ev is None:
                continue
            used.add(ev.id)
            dispute = service.open_dispute(session, evaluation=ev, criterion=criterion, reason=reason, who=SEEDED_BY)
            if decision is not None:
                service.decide_dispute(dispute, decision=decision, reason=why, who="demo-supervisor")
            opened += 1
        return opened
