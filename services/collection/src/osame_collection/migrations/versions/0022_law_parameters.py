"""Law as versioned data: 督促 cut-off, 催告書 指定期限 days, 充当 order (issue #12 B7)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 00:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0022'
down_revision: Union[str, Sequence[str], None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'law_parameters',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('loaded_by', sa.String(length=64), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', 'effective_from', name='pk_law_parameters'),
    )


def downgrade() -> None:
    op.drop_table('law_parameters')
