"""income queries noted (a 個人番号 is released only for one of them)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 14:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('income_queries_noted',
    sa.Column('query_id', sa.String(length=36), nullable=False),
    sa.Column('addressee_id', sa.String(length=15), nullable=False),
    sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('query_id')
    )


def downgrade() -> None:
    op.drop_table('income_queries_noted')
