"""猶予 分割 monitoring: missed payments flagged for a 取消し decision (法15条の3, issue #12)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 23:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('postponements', sa.Column('exemption_ends_on', sa.Date(), nullable=True))
    op.create_table(
        'postponement_breaches',
        sa.Column('postponement_id', sa.String(length=36), nullable=False),
        sa.Column('missed_due_on', sa.Date(), nullable=False),
        sa.Column('shortfall', sa.Integer(), nullable=False),
        sa.Column('detected_on', sa.Date(), nullable=False),
        sa.Column('decision', sa.String(length=10), nullable=True),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('postponement_id', 'missed_due_on', name='pk_postponement_breaches'),
    )


def downgrade() -> None:
    op.drop_table('postponement_breaches')
    with op.batch_alter_table('postponements') as batch:
        batch.drop_column('exemption_ends_on')
