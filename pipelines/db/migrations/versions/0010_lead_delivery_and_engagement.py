"""lead delivery and engagement: which email carried a match, per-subscriber events,
unsubscribes

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('alert_matches', sa.Column('item_date', sa.Date(), nullable=True))
    op.add_column('alert_matches', sa.Column('notification_id', sa.Integer(), nullable=True))
    op.create_index(
        op.f('ix_alert_matches_subscriber_id_notification_id'),
        'alert_matches',
        ['subscriber_id', 'notification_id'],
    )
    # Matches already queued one by one before this revision: carried by that notification.
    op.execute(
        "UPDATE alert_matches SET notification_id = (SELECT n.id FROM notifications n"
        " WHERE n.subscriber_id = alert_matches.subscriber_id"
        " AND n.item_kind = alert_matches.item_kind AND n.item_id = alert_matches.item_id"
        " AND n.channel = 'email')"
    )
    op.add_column(
        'lead_events',
        sa.Column('item_kind', sa.String(length=10), nullable=False, server_default='lead'),
    )
    op.add_column('lead_events', sa.Column('subscriber_id', sa.Integer(), nullable=True))
    op.add_column('lead_events', sa.Column('tenant_id', sa.Integer(), nullable=True))
    op.add_column('lead_events', sa.Column('notification_id', sa.Integer(), nullable=True))
    op.create_index(
        op.f('ix_lead_events_item_kind_lead_id_subscriber_id_event'),
        'lead_events',
        ['item_kind', 'lead_id', 'subscriber_id', 'event'],
        unique=True,
    )
    op.add_column(
        'subscribers', sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table('subscribers') as batch:
        batch.drop_column('unsubscribed_at')
    op.drop_index(
        op.f('ix_lead_events_item_kind_lead_id_subscriber_id_event'), table_name='lead_events'
    )
    with op.batch_alter_table('lead_events') as batch:
        for column in ('notification_id', 'tenant_id', 'subscriber_id', 'item_kind'):
            batch.drop_column(column)
    op.drop_index(
        op.f('ix_alert_matches_subscriber_id_notification_id'), table_name='alert_matches'
    )
    with op.batch_alter_table('alert_matches') as batch:
        batch.drop_column('notification_id')
        batch.drop_column('item_date')
