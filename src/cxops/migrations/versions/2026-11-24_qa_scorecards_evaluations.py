"""qa_scorecards_evaluations

Revision ID: 0012
Revises: 0001
Create Date: 2026-11-24 20:00:36.819127
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxops.core.db
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_human_evaluation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("evaluator", sa.String(length=200), nullable=False),
        sa.Column("criterion", sa.String(length=100), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_qa_human_evaluation_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_human_evaluation")),
        sa.UniqueConstraint(
            "org_id",
            "interaction_id",
            "evaluator",
            "criterion",
            name=op.f("uq_qa_human_evaluation_org_id_interaction_id_evaluator_criterion"),
        ),
    )
    with op.batch_alter_table("qa_human_evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_human_evaluation_org_id"), ["org_id"], unique=False)

    op.create_table(
        "qa_scorecard",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_qa_scorecard_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scorecard")),
        sa.UniqueConstraint("org_id", "name", "version", name=op.f("uq_qa_scorecard_org_id_name_version")),
    )
    with op.batch_alter_table("qa_scorecard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_scorecard_org_id"), ["org_id"], unique=False)

    op.create_table(
        "qa_evaluation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("scorecard_id", sa.Uuid(), nullable=False),
        sa.Column("scorecard_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("agent_kind", sa.String(length=10), nullable=True),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("auto_failed", sa.Boolean(), nullable=False),
        sa.Column(
            "sections", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "criteria", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("scored_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_qa_evaluation_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["qa_scorecard.id"],
            name=op.f("fk_qa_evaluation_scorecard_id_qa_scorecard"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_evaluation")),
        sa.UniqueConstraint(
            "interaction_id", "scorecard_id", name=op.f("uq_qa_evaluation_interaction_id_scorecard_id")
        ),
    )
    with op.batch_alter_table("qa_evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_evaluation_interaction_id"), ["interaction_id"], unique=False)
        batch_op.create_index("ix_qa_evaluation_org_agent", ["org_id", "agent_id"], unique=False)

    op.create_table(
        "qa_dispute",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("criterion", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "history", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["qa_evaluation.id"],
            name=op.f("fk_qa_dispute_evaluation_id_qa_evaluation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_qa_dispute_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_dispute")),
    )
    with op.batch_alter_table("qa_dispute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_dispute_evaluation_id"), ["evaluation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_qa_dispute_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("qa_dispute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_dispute_org_id"))
        batch_op.drop_index(batch_op.f("ix_qa_dispute_evaluation_id"))

    op.drop_table("qa_dispute")
    with op.batch_alter_table("qa_evaluation", schema=None) as batch_op:
        batch_op.drop_index("ix_qa_evaluation_org_agent")
        batch_op.drop_index(batch_op.f("ix_qa_evaluation_interaction_id"))

    op.drop_table("qa_evaluation")
    with op.batch_alter_table("qa_scorecard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_scorecard_org_id"))

    op.drop_table("qa_scorecard")
    with op.batch_alter_table("qa_human_evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_human_evaluation_org_id"))

    op.drop_table("qa_human_evaluation")
