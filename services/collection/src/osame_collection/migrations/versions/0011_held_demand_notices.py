"""held 督促状 have no legal effect until served (issue #12 defect 7)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('demand_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('served_on', sa.Date(), nullable=True))
        batch_op.alter_column('earliest_seizure_on', existing_type=sa.Date(), nullable=True)
    op.execute("UPDATE demand_notices SET served_on = issued_on")


def downgrade() -> None:
    with op.batch_alter_table('demand_notices', schema=None) as batch_op:
        batch_op.alter_column('earliest_seizure_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('served_on')
        batch_op.drop_column('held_reason')
