"""protection decisions in force from their effective date

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 14:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('protection_decisions',
    sa.Column('addressee_id', sa.String(length=15), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('addressee_id', 'revision')
    )
    op.create_index(op.f('ix_protection_decisions_effective_on'), 'protection_decisions', ['effective_on'], unique=False)
    with op.batch_alter_table('protections') as batch:
        batch.add_column(sa.Column('next_change_on', sa.Date(), nullable=True))
        batch.create_index(batch.f('ix_protections_next_change_on'), ['next_change_on'], unique=False)
    # Every decision held so far is evaluated again on (or after) its own date: an end applied
    # early before this version is undone until its date comes.
    op.execute("UPDATE protections SET next_change_on = effective_on")
    # The decisions held so far become the first history rows.
    op.execute(
        "INSERT INTO protection_decisions (addressee_id, revision, protected, effective_on, recorded_at) "
        "SELECT addressee_id, revision, protected, effective_on, updated_at FROM protections"
    )


def downgrade() -> None:
    with op.batch_alter_table('protections') as batch:
        batch.drop_index(batch.f('ix_protections_next_change_on'))
        batch.drop_column('next_change_on')
    op.drop_index(op.f('ix_protection_decisions_effective_on'), table_name='protection_decisions')
    op.drop_table('protection_decisions')
