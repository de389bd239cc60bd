"""case events: the key a phone's offline queue sent a step with

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:00:00

A follow-up verified from the phone app keeps its key on the verify step's timeline event, so a replay of it is
recognised (portal/cases/phone_app.py). Existing events have none; nothing to backfill.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_case_events_client_key', ['case_id', 'client_key'])


def downgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_case_events_client_key', type_='unique')
        batch_op.drop_column('client_key')
