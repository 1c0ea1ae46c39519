"""財産調査 answers with the holder as answered, for the F12 match (issue #12 capabilities)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'inquiry_answers',
        sa.Column('answer_id', sa.String(length=36), nullable=False),
        sa.Column('query_id', sa.String(length=36), nullable=False),
        sa.Column('addressee_id', sa.String(length=15), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('answered_on', sa.Date(), nullable=False),
        sa.Column('holder_name', sa.String(length=100), server_default='', nullable=False),
        sa.Column('holder_name_kana', sa.String(length=200), server_default='', nullable=False),
        sa.Column('holder_birth_date', sa.Date(), nullable=True),
        sa.Column('holder_address', sa.String(length=200), server_default='', nullable=False),
        sa.Column('property', sa.JSON(), nullable=False),
        sa.Column('match', sa.String(length=30), nullable=False),
        sa.Column('staff_user', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('answer_id'),
    )
    op.create_index(op.f('ix_inquiry_answers_query_id'), 'inquiry_answers', ['query_id'], unique=False)
    op.create_index(
        op.f('ix_inquiry_answers_addressee_id'), 'inquiry_answers', ['addressee_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_inquiry_answers_addressee_id'), table_name='inquiry_answers')
    op.drop_index(op.f('ix_inquiry_answers_query_id'), table_name='inquiry_answers')
    op.drop_table('inquiry_answers')
