"""suspense list (保留/未確認入金), withdrawn overpayments (不渡), held counts on import batches

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'suspense_items',
        sa.Column('suspense_id', sa.String(length=36), nullable=False),
        sa.Column('batch_id', sa.String(length=36), nullable=True),
        sa.Column('channel', sa.String(length=30), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=True),
        sa.Column('record_no', sa.Integer(), nullable=True),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('booked_on', sa.Date(), nullable=True),
        sa.Column('notice_number', sa.String(length=20), nullable=True),
        sa.Column('installment_no', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('receipt_id', sa.String(length=36), nullable=True),
        sa.Column('resolved_by', sa.String(length=64), nullable=True),
        sa.Column('resolved_on', sa.Date(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('source_key', sa.String(length=64), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('suspense_id'),
        sa.UniqueConstraint('channel', 'source_key', name='uq_suspense_items_channel_source'),
    )
    with op.batch_alter_table('suspense_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suspense_items_batch_id'), ['batch_id'], unique=False)
    with op.batch_alter_table('overpayments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn', sa.Integer(), server_default=sa.text('0'), nullable=False))
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('held_yen', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('paid_yen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duplicate_yen', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('duplicate_yen')
        batch_op.drop_column('paid_yen')
        batch_op.drop_column('held_yen')
        batch_op.drop_column('held')
    with op.batch_alter_table('overpayments', schema=None) as batch_op:
        batch_op.drop_column('withdrawn')
    with op.batch_alter_table('suspense_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suspense_items_batch_id'))
    op.drop_table('suspense_items')
