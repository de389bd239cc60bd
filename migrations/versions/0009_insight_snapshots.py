"""insight snapshots: stored results of the dashboards' heavy aggregates

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:40:00

One new table (portal/insights/models.py, issue 14); nothing to backfill: the worker or the first read fills it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('insight_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('params', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_snapshots')),
    sa.UniqueConstraint('name', 'params', name='uq_insight_snapshots_name_params')
    )


def downgrade():
    op.drop_table('insight_snapshots')
