"""wfm_forecasts_staffing_schedules

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-24 20:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cxops.core.db

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wfm_forecast_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("freq_min", sa.Integer(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "choices", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_wfm_forecast_run_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wfm_forecast_run")),
    )
    op.create_index("ix_wfm_forecast_run_org_created", "wfm_forecast_run", ["org_id", "created_at"], unique=False)
    op.create_table(
        "wfm_forecast_point",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("series_id", sa.String(length=100), nullable=False),
        sa.Column("ts", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("yhat", sa.Float(), nullable=False),
        sa.Column("lo_80", sa.Float(), nullable=False),
        sa.Column("hi_80", sa.Float(), nullable=False),
        sa.Column("lo_95", sa.Float(), nullable=False),
        sa.Column("hi_95", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_wfm_forecast_point_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["wfm_forecast_run.id"],
            name=op.f("fk_wfm_forecast_point_run_id_wfm_forecast_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "series_id", "ts", name=op.f("pk_wfm_forecast_point")),
    )
    op.create_index(op.f("ix_wfm_forecast_point_org_id"), "wfm_forecast_point", ["org_id"], unique=False)
    op.create_table(
        "wfm_staffing_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("forecast_run_id", sa.Uuid(), nullable=False),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "summary", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_run_id"],
            ["wfm_forecast_run.id"],
            name=op.f("fk_wfm_staffing_plan_forecast_run_id_wfm_forecast_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_wfm_staffing_plan_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wfm_staffing_plan")),
    )
    op.create_index("ix_wfm_staffing_plan_org_created", "wfm_staffing_plan", ["org_id", "created_at"], unique=False)
    op.create_table(
        "wfm_schedule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("week_start", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("freq_min", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=80), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("lp_bound", sa.Float(), nullable=False),
        sa.Column("gap_ratio", sa.Float(), nullable=False),
        sa.Column("solve_s", sa.Float(), nullable=False),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "coverage", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "notes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_wfm_schedule_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["wfm_staffing_plan.id"],
            name=op.f("fk_wfm_schedule_plan_id_wfm_staffing_plan"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wfm_schedule")),
    )
    op.create_index("ix_wfm_schedule_org_created", "wfm_schedule", ["org_id", "created_at"], unique=False)
    op.create_table(
        "wfm_staffing_interval",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("series_id", sa.String(length=100), nullable=False),
        sa.Column("ts", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("contacts", sa.Float(), nullable=False),
        sa.Column("human_contacts", sa.Float(), nullable=False),
        sa.Column("aht_s", sa.Float(), nullable=False),
        sa.Column("raw_agents", sa.Integer(), nullable=False),
        sa.Column("scheduled_agents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["core_organisation.id"],
            name=op.f("fk_wfm_staffing_interval_org_id_core_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["wfm_staffing_plan.id"],
            name=op.f("fk_wfm_staffing_interval_plan_id_wfm_staffing_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "series_id", "ts", name=op.f("pk_wfm_staffing_interval")),
    )
    op.create_index(op.f("ix_wfm_staffing_interval_org_id"), "wfm_staffing_interval", ["org_id"], unique=False)
    op.create_table(
        "wfm_shift",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("agent_code", sa.String(length=100), nullable=False),
        sa.Column("agent_group", sa.String(length=100), nullable=False),
        sa.Column("starts_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("break_starts_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("break_ends_at", cxops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_hours", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["core_organisation.id"], name=op.f("fk_wfm_shift_org_id_core_organisation"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["wfm_schedule.id"], name=op.f("fk_wfm_shift_schedule_id_wfm_schedule"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wfm_shift")),
    )
    op.create_index(op.f("ix_wfm_shift_org_id"), "wfm_shift", ["org_id"], unique=False)
    op.create_index("ix_wfm_shift_schedule_agent", "wfm_shift", ["schedule_id", "agent_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_wfm_shift_schedule_agent", table_name="wfm_shift")
    op.drop_index(op.f("ix_wfm_shift_org_id"), table_name="wfm_shift")
    op.drop_table("wfm_shift")
    op.drop_index(op.f("ix_wfm_staffing_interval_org_id"), table_name="wfm_staffing_interval")
    op.drop_table("wfm_staffing_interval")
    op.drop_index("ix_wfm_schedule_org_created", table_name="wfm_schedule")
    op.drop_table("wfm_schedule")
    op.drop_index("ix_wfm_staffing_plan_org_created", table_name="wfm_staffing_plan")
    op.drop_table("wfm_staffing_plan")
    op.drop_index(op.f("ix_wfm_forecast_point_org_id"), table_name="wfm_forecast_point")
    op.drop_table("wfm_forecast_point")
    op.drop_index("ix_wfm_forecast_run_org_created", table_name="wfm_forecast_run")
    op.drop_table("wfm_forecast_run")
