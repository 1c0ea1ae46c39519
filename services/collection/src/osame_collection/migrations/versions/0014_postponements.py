"""徴収猶予 / 換価の猶予; the 期別 of a 分納誓約 (issue #12 capabilities)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'postponements',
        sa.Column('postponement_id', sa.String(length=36), nullable=False),
        sa.Column('addressee_id', sa.String(length=15), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('ground', sa.String(length=30), nullable=False),
        sa.Column('applied_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('first_starts_on', sa.Date(), nullable=True),
        sa.Column('amount', sa.Integer(), nullable=True),
        sa.Column('cancelled_on', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('postponement_id'),
    )
    op.create_index(
        op.f('ix_postponements_addressee_id'), 'postponements', ['addressee_id'], unique=False
    )
    op.create_table(
        'postponement_items',
        sa.Column('postponement_id', sa.String(length=36), nullable=False),
        sa.Column('notice_number', sa.String(length=20), nullable=False),
        sa.Column('installment_no', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            'postponement_id', 'notice_number', 'installment_no', name='pk_postponement_items'
        ),
    )
    op.create_index(
        'ix_postponement_items_installment',
        'postponement_items',
        ['notice_number', 'installment_no'],
        unique=False,
    )
    op.create_table(
        'postponement_payments',
        sa.Column('postponement_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('postponement_id', 'seq', name='pk_postponement_payments'),
    )
    op.create_table(
        'pledge_items',
        sa.Column('pledge_id', sa.String(length=36), nullable=False),
        sa.Column('notice_number', sa.String(length=20), nullable=False),
        sa.Column('installment_no', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('pledge_id', 'notice_number', 'installment_no', name='pk_pledge_items'),
    )
    op.create_index(
        'ix_pledge_items_installment', 'pledge_items', ['notice_number', 'installment_no'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_pledge_items_installment', table_name='pledge_items')
    op.drop_table('pledge_items')
    op.drop_table('postponement_payments')
    op.drop_index('ix_postponement_items_installment', table_name='postponement_items')
    op.drop_table('postponement_items')
    op.drop_index(op.f('ix_postponements_addressee_id'), table_name='postponements')
    op.drop_table('postponements')
