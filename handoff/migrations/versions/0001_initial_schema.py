"""Initial schema: workers, availability, residents, bookings, handoffs, consent, notes, alerts, audit.

The partial unique index uq_bookings_active_slot is the database guarantee of
"one active booking per worker slot" on both SQLite and PostgreSQL.

Revision ID: 0001
Revises: 

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_handoff_id'), ['handoff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_worker_id'), ['worker_id'], unique=False)

    op.create_table('workers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('intro', sa.String(length=400), nullable=False),
    sa.Column('role', sa.String(length=120), nullable=False),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('contact_modes', sa.JSON(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('calendar_secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workers')),
    sa.UniqueConstraint('calendar_secret', name=op.f('uq_workers_calendar_secret')),
    sa.UniqueConstraint('email', name=op.f('uq_workers_email'))
    )
    op.create_table('availability_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind = 'off' OR (start_time IS NOT NULL AND end_time IS NOT NULL AND end_time > start_time)", name=op.f('ck_availability_exceptions_extra_has_hours')),
    sa.CheckConstraint("kind IN ('off', 'extra')", name=op.f('ck_availability_exceptions_kind')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_availability_exceptions_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_exceptions'))
    )
    with op.batch_alter_table('availability_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_exceptions_worker_id'), ['worker_id'], unique=False)

    op.create_table('residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('identity', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('preferred_contact', sa.String(length=40), nullable=True),
    sa.Column('safe_contact', sa.String(length=2000), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('previous_worker_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['previous_worker_id'], ['workers.id'], name=op.f('fk_residents_previous_worker_id_workers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents')),
    sa.UniqueConstraint('channel', 'identity', name='uq_residents_channel_identity')
    )
    op.create_table('weekly_availability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_weekly_availability_end_after_start')),
    sa.CheckConstraint('slot_minutes BETWEEN 10 AND 480', name=op.f('ck_weekly_availability_slot_minutes_range')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_weekly_availability_weekday_range')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_weekly_availability_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_availability'))
    )
    with op.batch_alter_table('weekly_availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weekly_availability_worker_id'), ['worker_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode IN ('phone', 'face_to_face', 'video')", name=op.f('ck_bookings_mode')),
    sa.CheckConstraint("status IN ('booked', 'moved', 'cancelled')", name=op.f('ck_bookings_status')),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_bookings_end_after_start')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_bookings_resident_id_residents')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_bookings_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_bookings_idempotency_key'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_worker_id'), ['worker_id'], unique=False)
        batch_op.create_index('uq_bookings_active_slot', ['worker_id', 'start_at'], unique=True, sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))

    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('presenting_issue', sa.String(length=40), nullable=True),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('priority_need', sa.String(length=40), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('callback_requested', sa.Boolean(), nullable=False),
    sa.Column('risks', sa.JSON(), nullable=False),
    sa.Column('in_their_words', sa.JSON(), nullable=False),
    sa.Column('what_they_want', sa.Text(), nullable=True),
    sa.Column('already_asked', sa.JSON(), nullable=False),
    sa.Column('resident_name', sa.String(length=120), nullable=True),
    sa.Column('resident_contact', sa.String(length=200), nullable=True),
    sa.Column('resident_preferred_contact', sa.String(length=40), nullable=True),
    sa.Column('resident_safe_contact', sa.Text(), nullable=True),
    sa.Column('resident_language', sa.String(length=8), nullable=True),
    sa.Column('resident_access_needs', sa.Text(), nullable=True),
    sa.Column('share_with_worker', sa.Boolean(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('duty_worker_id', sa.Integer(), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_by_worker_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_handoffs_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['duty_worker_id'], ['workers.id'], name=op.f('fk_handoffs_duty_worker_id_workers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['read_by_worker_id'], ['workers.id'], name=op.f('fk_handoffs_read_by_worker_id_workers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_handoffs_resident_id_residents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoffs')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_handoffs_idempotency_key'))
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoffs_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoffs_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.Column('share_with_worker', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_consent_records_handoff_id_handoffs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_consent_records_resident_id_residents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_handoff_id'), ['handoff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_records_resident_id'), ['resident_id'], unique=False)

    op.create_table('handoff_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('note', 'outcome')", name=op.f('ck_handoff_notes_kind')),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_handoff_notes_handoff_id_handoffs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_handoff_notes_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_notes'))
    )
    with op.batch_alter_table('handoff_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_notes_handoff_id'), ['handoff_id'], unique=False)

    op.create_table('urgent_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_urgent_alerts_handoff_id_handoffs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_urgent_alerts_worker_id_workers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_urgent_alerts')),
    sa.UniqueConstraint('handoff_id', name=op.f('uq_urgent_alerts_handoff_id'))
    )
    with op.batch_alter_table('urgent_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_urgent_alerts_worker_id'), ['worker_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('urgent_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_urgent_alerts_worker_id'))

    op.drop_table('urgent_alerts')
    with op.batch_alter_table('handoff_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_notes_handoff_id'))

    op.drop_table('handoff_notes')
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_resident_id'))
        batch_op.drop_index(batch_op.f('ix_consent_records_handoff_id'))

    op.drop_table('consent_records')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoffs_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_handoffs_booking_id'))

    op.drop_table('handoffs')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_slot', sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))
        batch_op.drop_index(batch_op.f('ix_bookings_worker_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_resident_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_conversation_id'))

    op.drop_table('bookings')
    with op.batch_alter_table('weekly_availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weekly_availability_worker_id'))

    op.drop_table('weekly_availability')
    op.drop_table('residents')
    with op.batch_alter_table('availability_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_exceptions_worker_id'))

    op.drop_table('availability_exceptions')
    op.drop_table('workers')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_worker_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_handoff_id'))

    op.drop_table('audit_log')
