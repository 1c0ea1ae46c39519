"""収納訂正: receipt corrections proposed and decided by two staff members

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'receipt_corrections',
        sa.Column('correction_id', sa.String(length=36), nullable=False),
        sa.Column('receipt_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('target_notice_number', sa.String(length=20), nullable=True),
        sa.Column('target_installment_no', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('proposed_by', sa.String(length=64), nullable=False),
        sa.Column('proposed_on', sa.Date(), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('decision_note', sa.String(length=200), nullable=True),
        sa.Column('new_receipt_id', sa.String(length=36), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('correction_id'),
    )
    op.create_index(
        op.f('ix_receipt_corrections_receipt_id'), 'receipt_corrections', ['receipt_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_receipt_corrections_receipt_id'), table_name='receipt_corrections')
    op.drop_table('receipt_corrections')
