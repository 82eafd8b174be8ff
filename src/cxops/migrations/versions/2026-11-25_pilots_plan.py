"""pilots_plan: the plan a pilot was created with, its pre-period estimates included

Revision ID: 0019
Revises: 0009
Create Date: 2026-11-25 09:00:00

Plans now measure the scope's history (baseline, contacts per customer, intra-customer correlation, design effect);
the pilot keeps that plan so each look compares the observed design effect with the estimate. Pilots planned
before have none (NULL): their plan assumed independent contacts (design effect 1).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pilots_pilot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "plan", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("pilots_pilot", schema=None) as batch_op:
        batch_op.drop_column("plan")
