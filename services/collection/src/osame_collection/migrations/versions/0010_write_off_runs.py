"""不納欠損 runs prepared by one staff user and approved by another (issue #12 defect 6)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:10:00

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
        'write_off_runs',
        sa.Column('run_id', sa.String(length=36), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('prepared_by', sa.String(length=64), nullable=False),
        sa.Column('prepared_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('approved_by', sa.String(length=64), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('run_id'),
    )


def downgrade() -> None:
    op.drop_table('write_off_runs')
