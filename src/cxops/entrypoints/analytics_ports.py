"""Binds analytics' ports to the domains that hold the figures (composition root, so it may read their tables).

Bound (definitions in docs/analytics.md, "Figures from other domains"):
- QA score per contact: the mean `total` (0-100) of its automatic evaluations.
- Trust index per contact (trust domain, `contact_trust`): 100 when the contact's customer was not
  automation-averse as of the contact under the organisation's routing policy, else 0; only contacts the trust
  ledger holds (automated contacts of known customers). Versioned by the ledger, so analytics reads it once
  per ledger change.
- Knowledge coverage per intent (knowledge domain, `coverage_by_intent`): the share of a sample of the intent's
  customer questions that knowledge search answers at the answer endpoint's confidence threshold.
- Policy coverage per intent (actions domain, `policy_coverage_by_intent`): the share of the action steps
  proposed in the intent's contacts whose action a policy pack governs with a rule of its own.

A metric still comes back "not available", with the reason, when its source holds nothing for the selection:
no QA evaluation, no trust-ledger entry, no customer question of the intent, no action proposed for it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.public import ActionsRuntime, default_runtime, policy_coverage_by_intent
from cxops.domains.analytics.public import AnalyticsPorts
from cxops.domains.interactions.public import Interaction
from cxops.domains.knowledge.public import Embedder, content_generation, coverage_by_intent
from cxops.domains.qa.models import QaEvaluation
from cxops.domains.trust.public import contact_trust, ledger_version

COVERAGE_DAYS = 90  # contacts (knowledge) and proposals (policy) of the last 90 days are the evidence
COVERAGE_SAMPLE = 20  # customer questions sampled per intent for knowledge coverage


class QaEvaluationScores:
    """QA score of each interaction: the mean `total` (0-100) of its automatic evaluations."""

    def scores(
        self, session: Session, *, org_id: uuid.UUID, since: datetime, until: datetime
    ) -> Mapping[uuid.UUID, float]:
        """Scores of the interactions started in [since, until) that have at least one evaluation."""
        rows = session.execute(
            select(QaEvaluation.interaction_id, func.avg(QaEvaluation.total))
            .join(Interaction, Interaction.id == QaEvaluation.interaction_id)
            .where(
                QaEvaluation.org_id == org_id,
                Interaction.org_id == org_id,
                Interaction.started_at >= since,
                Interaction.started_at < until,
            )
            .group_by(QaEvaluation.interaction_id)
        )
        return {interaction_id: float(avg) for interaction_id, avg in rows}


class TrustLedgerScores:
    """Trust index of each contact the trust ledger holds (0 or 100), versioned by the ledger and policy."""

    def scores(
        self, session: Session, *, org_id: uuid.UUID, since: datetime, until: datetime
    ) -> Mapping[uuid.UUID, float]:
        """Scores of the ledger's contacts started in [since, until)."""
        return contact_trust(session, org_id=org_id, since=since, until=until)

    def version(self, session: Session, *, org_id: uuid.UUID) -> str:
        """Changes with every ledger entry written or erased and every routing-policy change."""
        return ledger_version(session, org_id=org_id)


class _Memo:
    """Computed coverages per intent, by organisation and version of the evidence; one computation at a time. An
    intent is computed once per version whatever intents it is asked with: the map filtered to one intent and the
    whole map reuse each other's (the memo was keyed by the exact list, so opening one intent made the map cold)."""

    def __init__(self) -> None:
        self._values: dict[uuid.UUID, tuple[tuple[str, ...], dict[str, float | None]]] = {}
        self.lock = threading.Lock()

    def coverage(
        self,
        org_id: uuid.UUID,
        version: tuple[str, ...],
        intents: Sequence[str],
        compute: Callable[[list[str]], Mapping[str, float]],
    ) -> dict[str, float]:
        """The coverage of `intents` (those with evidence), computing only the ones this version has not seen."""
        with self.lock:
            hit = self._values.get(org_id)
            known = dict(hit[1]) if hit is not None and hit[0] == version else {}
            todo = sorted(set(intents) - set(known))
            if todo:
                found = compute(todo)
                known.update({intent: found.get(intent) for intent in todo})
                self._values[org_id] = (version, known)
        return {intent: value for intent in intents if (value := known.get(intent)) is not None}


class KnowledgeCoverage:
    """Knowledge coverage per intent, recomputed when the indexed content changes and at least daily."""

    basis = (
        f"share of the newest {COVERAGE_SAMPLE} customer questions (first customer turns) of the intent in the last "
        f"{COVERAGE_DAYS} days that knowledge search answers at the answer endpoint's threshold"
    )

    def __init__(self, data_dir: Path, embedder: Embedder | None) -> None:
        self.data_dir, self.embedder = data_dir, embedder
        self._memo = _Memo()

    def coverage(self, session: Session, *, org_id: uuid.UUID, intents: Sequence[str]) -> Mapping[str, float]:
        """Share of each intent's sampled customer questions that knowledge search answers (0-1)."""

        def compute(todo: list[str]) -> dict[str, float]:
            rows = coverage_by_intent(
                session,
                org_id=org_id,
                data_dir=self.data_dir,
                embedder=self.embedder,
                intents=todo,
                since=utcnow() - timedelta(days=COVERAGE_DAYS),
                sample=COVERAGE_SAMPLE,
            )
            return {intent: float(r["coverage"]) for intent, r in rows.items()}

        version = (content_generation(session, org_id=org_id), utcnow().date().isoformat())
        return self._memo.coverage(org_id, version, intents, compute)


class PolicyCoverage:
    """Policy coverage per intent, recomputed when a proposal is made and at least hourly."""

    basis = (
        f"share of the action steps proposed in the intent's contacts in the last {COVERAGE_DAYS} days that a policy "
        "pack has a rule of its own for"
    )

    def __init__(self, runtime: ActionsRuntime) -> None:
        self.runtime = runtime
        self._memo = _Memo()

    def coverage(self, session: Session, *, org_id: uuid.UUID, intents: Sequence[str]) -> Mapping[str, float]:
        """Share of the action steps proposed in each intent's contacts that a pack governs (0-1)."""

        def compute(todo: list[str]) -> dict[str, float]:
            rows = policy_coverage_by_intent(
                session,
                self.runtime,
                org_id=org_id,
                intents=todo,
                since=utcnow() - timedelta(days=COVERAGE_DAYS),
            )
            return {intent: float(r["coverage"]) for intent, r in rows.items()}

        newest = session.scalar(select(func.max(ActionProposal.created_at)).where(ActionProposal.org_id == org_id))
        return self._memo.coverage(org_id, (str(newest), str(int(time.time() // 3600))), intents, compute)


def analytics_ports(
    data_dir: Path, embedder: Embedder | None = None, runtime: ActionsRuntime | None = None
) -> AnalyticsPorts:
    """Every port this build binds: QA and trust scores, knowledge and policy coverage."""
    return AnalyticsPorts(
        qa=QaEvaluationScores(),
        trust=TrustLedgerScores(),
        knowledge=KnowledgeCoverage(data_dir, embedder),
        policy=PolicyCoverage(runtime or default_runtime()),
    )
