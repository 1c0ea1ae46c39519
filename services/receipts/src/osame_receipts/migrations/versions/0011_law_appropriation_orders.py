"""充当 order as versioned law data (issue #12 B7)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 00:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'law_appropriation_orders',
        sa.Column('row_id', sa.String(length=36), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('kind_order', sa.JSON(), nullable=False),
        sa.Column('group_order', sa.String(length=20), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('loaded_by', sa.String(length=64), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('row_id'),
    )
    op.create_index(
        op.f('ix_law_appropriation_orders_effective_from'), 'law_appropriation_orders', ['effective_from']
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_law_appropriation_orders_effective_from'), table_name='law_appropriation_orders')
    op.drop_table('law_appropriation_orders')
