"""outreach hardening

Revision ID: 0014
Revises: 0013

- `outreach_daily_counts`: the per-number daily cap as one counter row per (number, recipient
  day), claimed with a conditional UPDATE so concurrent requests cannot pass it together;
- `notifications.cap_day` (the day whose slot a message holds) and
  `notifications.delivery_status` (the provider's furthest status: callbacks move it forward
  only);
- `outreach_requests.body_sha256`: the canonical request body's hash beside its
  Idempotency-Key, so the key re-used for another body is refused.

Messages queued before this revision hold no slot (cap_day NULL): they take one when they are
sent, like any message sent on another day than planned.
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outreach_daily_counts',
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.CheckConstraint('used >= 0', name='ck_outreach_daily_counts_used'),
    sa.PrimaryKeyConstraint('phone', 'day', name=op.f('pk_outreach_daily_counts'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('cap_day', sa.Date(), nullable=True))
    with op.batch_alter_table('outreach_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outreach_requests', schema=None) as batch_op:
        batch_op.drop_column('body_sha256')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('cap_day')
        batch_op.drop_column('delivery_status')
    op.drop_table('outreach_daily_counts')
