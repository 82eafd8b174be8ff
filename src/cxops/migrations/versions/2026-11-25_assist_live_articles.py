"""assist_live_articles: the knowledge articles a live call's desk was shown and used, stored while the call is open

Revision ID: 0021
Revises: 0013
Create Date: 2026-11-25 10:00:00

They were kept in the memory of the API process serving the desk only, so a call resumed on another process or after
a restart lost them (its `assist.articles_shown` held only what was shown after the resume, and a `used` frame for an
article shown before was refused). One row per interaction, kind (shown / used) and article; the rows of a call are
deleted when it ends, in the transaction that publishes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxops.core.db

revision = "0021"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assist_live_article",
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recorded_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_assist_live_article_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_assist_live_article_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interaction_id", "kind", "article_id", name=op.f("pk_assist_live_article")),
    )


def downgrade() -> None:
    op.drop_table("assist_live_article")
