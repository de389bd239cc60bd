"""grid profiles: the grid ledger's aggregate resident figures per grid

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 10:00:00

One new table (portal/insights/models.py, issue 14): counts per age band, people living alone and unable to care
for themselves, per grid, imported from the grid workers' ledgers; nothing to backfill.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grid_profiles',
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('age_0_17', sa.Integer(), nullable=False),
    sa.Column('age_18_59', sa.Integer(), nullable=False),
    sa.Column('age_60_79', sa.Integer(), nullable=False),
    sa.Column('age_80_plus', sa.Integer(), nullable=False),
    sa.Column('living_alone', sa.Integer(), nullable=False),
    sa.Column('unable_to_self_care', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('age_0_17 >= 0 AND age_18_59 >= 0 AND age_60_79 >= 0 AND age_80_plus >= 0 AND living_alone >= 0 AND unable_to_self_care >= 0', name=op.f('ck_grid_profiles_counts_not_negative')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_grid_profiles_place_id_places')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_grid_profiles_updated_by_id_users')),
    sa.PrimaryKeyConstraint('place_id', name=op.f('pk_grid_profiles'))
    )


def downgrade():
    op.drop_table('grid_profiles')
