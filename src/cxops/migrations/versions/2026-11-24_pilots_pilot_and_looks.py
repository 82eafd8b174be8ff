"""pilots_pilot_and_looks

Revision ID: 0009
Revises: 0001
Create Date: 2026-11-24 19:41:02.606438
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxops.core.db
from sqlalchemy.dialects import postgresql
revision = '0009'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pilots_pilot',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('hypothesis', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('treatment', sa.String(length=20), nullable=False),
    sa.Column('scope', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('holdout_share', sa.Float(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('baseline_rate', sa.Float(), nullable=False),
    sa.Column('mde', sa.Float(), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=False),
    sa.Column('power', sa.Float(), nullable=False),
    sa.Column('looks', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('planned_n_per_arm', sa.Integer(), nullable=False),
    sa.Column('repeat_window_days', sa.Integer(), nullable=False),
    sa.Column('human_minute_cost', sa.Float(), nullable=False),
    sa.Column('starts_at', cxops.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', cxops.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('created_at', cxops.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['core_organisation.id'], name=op.f('fk_pilots_pilot_org_id_core_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pilots_pilot'))
    )
    with op.batch_alter_table('pilots_pilot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pilots_pilot_org_id'), ['org_id'], unique=False)

    op.create_table('pilots_look',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('pilot_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('looked_at', cxops.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fraction', sa.Float(), nullable=False),
    sa.Column('boundary', sa.Float(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['core_organisation.id'], name=op.f('fk_pilots_look_org_id_core_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots_pilot.id'], name=op.f('fk_pilots_look_pilot_id_pilots_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pilots_look'))
    )
    with op.batch_alter_table('pilots_look', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pilots_look_pilot_id'), ['pilot_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pilots_look', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pilots_look_pilot_id'))

    op.drop_table('pilots_look')
    with op.batch_alter_table('pilots_pilot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pilots_pilot_org_id'))

    op.drop_table('pilots_pilot')
