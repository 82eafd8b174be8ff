"""assist_documentation

Revision ID: 0014
Revises: 0001
Create Date: 2026-11-24 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cxops.core.db

revision = "0014"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assist_documentation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("interaction_started_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("schema_version", sa.String(length=40), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("generative_status", sa.String(length=20), nullable=False),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_assist_documentation_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_assist_documentation_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_documentation")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_assist_documentation_interaction_id")),
    )
    with op.batch_alter_table("assist_documentation", schema=None) as batch_op:
        batch_op.create_index("ix_assist_documentation_org_started", ["org_id", "interaction_started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assist_documentation", schema=None) as batch_op:
        batch_op.drop_index("ix_assist_documentation_org_started")
    op.drop_table("assist_documentation")
