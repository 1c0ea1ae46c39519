"""延滞金 rates loaded by command (issue #12 defect 10)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'law_rates',
        sa.Column('first_year', sa.Integer(), nullable=False),
        sa.Column('last_year', sa.Integer(), nullable=False),
        sa.Column('late_fee_first_tier', sa.String(length=10), nullable=False),
        sa.Column('late_fee_second_tier', sa.String(length=10), nullable=False),
        sa.Column('refund_interest', sa.String(length=10), nullable=False),
        sa.Column('postponement', sa.String(length=10), nullable=True),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('loaded_by', sa.String(length=64), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('first_year'),
    )


def downgrade() -> None:
    op.drop_table('law_rates')
