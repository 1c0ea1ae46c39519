"""Stored 延滞金 segments of each fixed 延滞金 and of the amounts printed on letters (issue #12 B5)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 23:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'late_fee_segments',
        sa.Column('owner_kind', sa.String(length=16), nullable=False),
        sa.Column('owner_id', sa.String(length=64), nullable=False),
        sa.Column('notice_number', sa.String(length=20), nullable=False),
        sa.Column('installment_no', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('from_on', sa.Date(), nullable=False),
        sa.Column('to_on', sa.Date(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('base', sa.Integer(), nullable=False),
        sa.Column('rate', sa.String(length=12), nullable=False),
        sa.Column('normal_rate', sa.String(length=12), nullable=False),
        sa.Column('yen', sa.Integer(), nullable=False),
        sa.Column('tier', sa.String(length=10), nullable=True),
        sa.Column('relief', sa.String(length=40), nullable=True),
        sa.Column('basis', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint(
            'owner_kind', 'owner_id', 'notice_number', 'installment_no', 'seq', name='pk_late_fee_segments'
        ),
    )
    op.create_index(
        'ix_late_fee_segments_installment', 'late_fee_segments', ['notice_number', 'installment_no']
    )


def downgrade() -> None:
    op.drop_index('ix_late_fee_segments_installment', table_name='late_fee_segments')
    op.drop_table('late_fee_segments')
