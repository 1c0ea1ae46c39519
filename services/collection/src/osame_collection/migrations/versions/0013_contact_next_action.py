"""次回対応 on 折衝記録 (worklists, issue #12 capabilities)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('contact_records') as batch:
        batch.add_column(sa.Column('next_action_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('next_action', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact_records') as batch:
        batch.drop_column('next_action')
        batch.drop_column('next_action_on')
