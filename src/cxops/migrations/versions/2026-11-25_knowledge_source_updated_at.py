"""knowledge_source_updated_at: the modification date a source system states for an article

Revision ID: 0020
Revises: 0002
Create Date: 2026-11-25 09:10:00

Zendesk exports, JSON documents and PDFs say when their content last changed; health uses it to tell which of two
conflicting articles is the older content. Articles synced before have none (NULL) until their next sync.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxops.core.db

revision = "0020"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("knowledge_article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_updated_at", cxops.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("knowledge_article", schema=None) as batch_op:
        batch_op.drop_column("source_updated_at")
