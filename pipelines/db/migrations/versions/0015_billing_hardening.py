"""billing hardening

Revision ID: 0015
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Signed Stripe events and what became of each (pipelines/db/schema/billing.py).
    op.create_table(
        'stripe_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('event_id', sa.String(length=100), nullable=True),
        sa.Column('event_type', sa.String(length=100), nullable=True),
        sa.Column('outcome', sa.String(length=8), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('tokens', sa.Integer(), nullable=True),
        sa.Column('grant_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('granted', 'refused', 'ignored')", name='ck_stripe_events_outcome'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events')),
        sa.UniqueConstraint('event_id', name=op.f('uq_stripe_events_event_id')),
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_stripe_events_received_at'), ['received_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_events_received_at'))
    op.drop_table('stripe_events')
