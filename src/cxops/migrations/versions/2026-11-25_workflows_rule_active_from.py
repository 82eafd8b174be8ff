"""workflows_rule_active_from: a rule acts only on facts from when it was switched on

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25 08:00:00

Rules acted on every event delivered after they were saved, including facts from long before (a backlog of
history). `active_from` is when a rule starts acting; existing rules get their version's `created_at`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxops.core.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflows_rule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_from", cxops.core.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE workflows_rule SET active_from = created_at")
    with op.batch_alter_table("workflows_rule", schema=None) as batch_op:
        batch_op.alter_column("active_from", existing_type=cxops.core.db.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("workflows_rule", schema=None) as batch_op:
        batch_op.drop_column("active_from")
