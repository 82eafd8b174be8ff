"""assist_alerts

Revision ID: 0013
Revises: 0001
Create Date: 2026-11-24 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cxops.core.db

revision = "0013"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assist_alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("raised_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_assist_alert_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_assist_alert_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_alert")),
    )
    with op.batch_alter_table("assist_alert", schema=None) as batch_op:
        batch_op.create_index("ix_assist_alert_interaction", ["interaction_id"], unique=False)
        batch_op.create_index("ix_assist_alert_org_raised", ["org_id", "raised_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assist_alert", schema=None) as batch_op:
        batch_op.drop_index("ix_assist_alert_org_raised")
        batch_op.drop_index("ix_assist_alert_interaction")
    op.drop_table("assist_alert")
