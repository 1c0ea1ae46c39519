"""a refused query may hold no fiscal year (out of any storable range)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 14:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('income_queries') as batch_op:
        batch_op.alter_column('fiscal_year', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('income_queries') as batch_op:
        batch_op.alter_column('fiscal_year', existing_type=sa.Integer(), nullable=False)
