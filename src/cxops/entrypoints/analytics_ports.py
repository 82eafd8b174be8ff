"""Binds analytics' ports to the domains that hold the figures (composition root, so it may read their tables).

Bound: QA score per interaction (mean total of its automatic evaluations, 0-100). Not bound yet, and shown as
"not available": the trust index (the trust domain computes it per group of customers, not per interaction),
knowledge coverage and policy coverage per intent (no such figure is exposed by knowledge or actions yet).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxops.domains.analytics.public import AnalyticsPorts
from cxops.domains.interactions.public import Interaction
from cxops.domains.qa.models import QaEvaluation


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


def analytics_ports() -> AnalyticsPorts:
    """The ports this build can bind."""
    return AnalyticsPorts(qa=QaEvaluationScores())
