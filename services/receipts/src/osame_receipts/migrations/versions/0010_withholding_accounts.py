"""給与特別徴収: 義務者 accounts, employee lines, 納入 payments and their per-employee allocation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'withholding_accounts',
        sa.Column('designation_number', sa.String(length=20), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('obligor_addressee_id', sa.String(length=15), nullable=False),
        sa.Column('remittance_schedule', sa.String(length=12), nullable=False),
        sa.Column('special_approved_on', sa.Date(), nullable=True),
        sa.Column('notified_on', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('designation_number', 'fiscal_year', name='pk_withholding_accounts'),
    )
    op.create_index(
        op.f('ix_withholding_accounts_obligor_addressee_id'),
        'withholding_accounts',
        ['obligor_addressee_id'],
        unique=False,
    )
    op.create_table(
        'withholding_employees',
        sa.Column('notice_number', sa.String(length=20), nullable=False),
        sa.Column('designation_number', sa.String(length=20), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('addressee_id', sa.String(length=15), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('separated_month', sa.String(length=7), nullable=True),
        sa.PrimaryKeyConstraint('notice_number'),
    )
    op.create_table(
        'withholding_payments',
        sa.Column('payment_id', sa.String(length=36), nullable=False),
        sa.Column('channel', sa.String(length=30), nullable=False),
        sa.Column('channel_key', sa.String(length=64), nullable=False),
        sa.Column('batch_id', sa.String(length=36), nullable=True),
        sa.Column('designation_number', sa.String(length=20), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('salary_amount', sa.Integer(), nullable=False),
        sa.Column('retirement_amount', sa.Integer(), nullable=False),
        sa.Column('late_fee', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('headcount', sa.Integer(), nullable=True),
        sa.Column('listed', sa.Boolean(), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('booked_on', sa.Date(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('payment_id'),
        sa.UniqueConstraint('channel', 'channel_key', name='uq_withholding_payments_channel_key'),
    )
    op.create_index(
        op.f('ix_withholding_payments_batch_id'), 'withholding_payments', ['batch_id'], unique=False
    )
    op.create_table(
        'withholding_allocations',
        sa.Column('payment_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('notice_number', sa.String(length=20), nullable=False),
        sa.Column('installment_no', sa.Integer(), nullable=False),
        sa.Column('receipt_id', sa.String(length=36), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('applied', sa.Integer(), nullable=False),
        sa.Column('overpaid', sa.Integer(), nullable=False),
        sa.Column('listed', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('payment_id', 'seq', name='pk_withholding_allocations'),
    )
    op.create_index(
        op.f('ix_withholding_allocations_notice_number'),
        'withholding_allocations',
        ['notice_number'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_withholding_allocations_notice_number'), table_name='withholding_allocations')
    op.drop_table('withholding_allocations')
    op.drop_index(op.f('ix_withholding_payments_batch_id'), table_name='withholding_payments')
    op.drop_table('withholding_payments')
    op.drop_table('withholding_employees')
    op.drop_index(op.f('ix_withholding_accounts_obligor_addressee_id'), table_name='withholding_accounts')
    op.drop_table('withholding_accounts')
