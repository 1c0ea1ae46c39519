"""口座振替 in flight hold the 督促 until the 振替結果 is imported (issue #12 defect 2)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 17:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'debits_in_flight',
        sa.Column('notice_number', sa.String(length=20), nullable=False),
        sa.Column('installment_no', sa.Integer(), nullable=False),
        sa.Column('debit_date', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('notice_number', 'installment_no', 'debit_date', name='pk_debits_in_flight'),
    )
    op.create_table(
        'debit_results',
        sa.Column('debit_date', sa.Date(), nullable=False),
        sa.Column('debited', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('held', sa.Integer(), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('debit_date'),
    )


def downgrade() -> None:
    op.drop_table('debit_results')
    op.drop_table('debits_in_flight')
