"""workflows_rules_runs_tasks

Revision ID: 0011
Revises: 0001
Create Date: 2026-11-24 19:48:30.525387
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxops.core.db
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflows_dead_letter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "body", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("replayed_at", cxops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_workflows_dead_letter_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows_dead_letter")),
    )
    with op.batch_alter_table("workflows_dead_letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflows_dead_letter_org_id"), ["org_id"], unique=False)

    op.create_table(
        "workflows_notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "roles", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("read_at", cxops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_workflows_notification_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows_notification")),
    )
    with op.batch_alter_table("workflows_notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflows_notification_org_id"), ["org_id"], unique=False)

    op.create_table(
        "workflows_rule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_workflows_rule_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows_rule")),
        sa.UniqueConstraint("org_id", "name", "version", name=op.f("uq_workflows_rule_org_id_name_version")),
    )
    with op.batch_alter_table("workflows_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflows_rule_org_id"), ["org_id"], unique=False)

    op.create_table(
        "workflows_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("expires_at", cxops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_workflows_task_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows_task")),
    )
    with op.batch_alter_table("workflows_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflows_task_org_id"), ["org_id"], unique=False)

    op.create_table(
        "workflows_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "context", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "steps", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", cxops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_workflows_run_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["workflows_rule.id"], name=op.f("fk_workflows_run_rule_id_workflows_rule"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows_run")),
        sa.UniqueConstraint("rule_id", "event_id", "subject", name=op.f("uq_workflows_run_rule_id_event_id_subject")),
    )
    with op.batch_alter_table("workflows_run", schema=None) as batch_op:
        batch_op.create_index("ix_workflows_run_org_created", ["org_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_workflows_run_rule_id"), ["rule_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workflows_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflows_run_rule_id"))
        batch_op.drop_index("ix_workflows_run_org_created")

    op.drop_table("workflows_run")
    with op.batch_alter_table("workflows_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflows_task_org_id"))

    op.drop_table("workflows_task")
    with op.batch_alter_table("workflows_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflows_rule_org_id"))

    op.drop_table("workflows_rule")
    with op.batch_alter_table("workflows_notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflows_notification_org_id"))

    op.drop_table("workflows_notification")
    with op.batch_alter_table("workflows_dead_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflows_dead_letter_org_id"))

    op.drop_table("workflows_dead_letter")
