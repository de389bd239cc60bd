"""cases: an index on closed_at for the case board's weekly trend

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00

The board's weekly trend counts the cases reported or closed since the period's first Monday
(`reported_at >= start OR closed_at >= start`). With reported_at indexed but not closed_at, PostgreSQL scanned
every case: 85-158 ms at 100,000 cases (bench/bench_insights.py), growing with all the cases ever reported.
With both indexed it reads the two ranges (a BitmapOr), a few thousand rows whatever the table's size.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_closed_at', ['closed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_closed_at')
