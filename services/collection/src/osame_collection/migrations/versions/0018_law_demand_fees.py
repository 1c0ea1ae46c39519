"""督促手数料 history loaded by command (issue #12 defect 12, law as data)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 17:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'law_demand_fees',
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('fee', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('loaded_by', sa.String(length=64), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('effective_from'),
    )


def downgrade() -> None:
    op.drop_table('law_demand_fees')
