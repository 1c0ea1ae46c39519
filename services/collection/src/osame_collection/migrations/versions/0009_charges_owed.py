"""charges owed after the 本税 is paid (issue #12 defect 3): status 'charges', 督促手数料 on 催告 lines;
who placed a 督促停止 and why (defect 1)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('reminder_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('demand_fee_due', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('demand_holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_user', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
    # Installments marked paid on 本税 alone that still owe 督促手数料 / 延滞金 become debts again.
    op.execute(
        """
        UPDATE installments SET status = 'charges'
        WHERE status = 'paid' AND written_off_on IS NULL AND demand_fee + late_fee > 0
          AND demand_fee + late_fee > COALESCE((
                SELECT SUM(r.applied) FROM receipts r
                WHERE r.notice_number = installments.notice_number
                  AND r.installment_no = installments.installment_no
                  AND r.preliminary = false AND r.cancelled = false AND r.applied > 0), 0) - paid
        """
    )


def downgrade() -> None:
    with op.batch_alter_table('demand_holds', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('staff_user')
    op.execute("UPDATE installments SET status = 'paid' WHERE status = 'charges'")
    with op.batch_alter_table('reminder_items', schema=None) as batch_op:
        batch_op.drop_column('demand_fee_due')
