"""workflows_qa_trigger_batched: rules on qa_scored_below_threshold listen to the batched QA event

Revision ID: 0017
Revises: 0011
Create Date: 2026-11-25 06:00:00

QA now publishes one `qa.evaluations_scored` event per scoring batch instead of one `qa.evaluation_scored` per
evaluation; stored rules keep their trigger and get the new event type.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE workflows_rule SET event_type = 'qa.evaluations_scored' WHERE event_type = 'qa.evaluation_scored'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE workflows_rule SET event_type = 'qa.evaluation_scored' WHERE event_type = 'qa.evaluations_scored'"
    )
