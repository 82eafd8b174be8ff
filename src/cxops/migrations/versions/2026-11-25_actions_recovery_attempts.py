"""actions_recovery_attempts: how often the recovery sweep failed to resume a proposal, and when it may try again

Revision ID: 0015
Revises: 0003
Create Date: 2026-11-25 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxops.core.db

revision = "0015"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actions_proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recovery_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("recovery_next_at", cxops.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("actions_proposal", schema=None) as batch_op:
        batch_op.drop_column("recovery_next_at")
        batch_op.drop_column("recovery_attempts")
