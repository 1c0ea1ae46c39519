"""data_requests: the register of 訂正請求 and 利用停止請求 (個人情報保護法 §90, §98; issue 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 00:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'data_requests',
        sa.Column('request_id', sa.String(length=36), nullable=False),
        sa.Column('addressee_id', sa.String(length=15), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('target', sa.String(length=24), nullable=False),
        sa.Column('detail', sa.String(length=1000), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('disclosed_on', sa.Date(), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('registered_by', sa.String(length=64), nullable=False),
        sa.Column('ground', sa.String(length=30), nullable=True),
        sa.Column('basis', sa.String(length=200), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('decision_note', sa.String(length=500), nullable=True),
        sa.Column('applied_by', sa.String(length=64), nullable=True),
        sa.Column('applied_on', sa.Date(), nullable=True),
        sa.Column('applied_note', sa.String(length=500), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('request_id'),
    )
    op.create_index(op.f('ix_data_requests_addressee_id'), 'data_requests', ['addressee_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_data_requests_addressee_id'), table_name='data_requests')
    op.drop_table('data_requests')
