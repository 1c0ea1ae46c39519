"""fillfactor for HOT updates of ledger tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 01:13:03.670989

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


TABLES = ("notices", "installments", "debit_requests", "mandates")


def upgrade() -> None:
    """PostgreSQL: leave 30 % free space in the pages of the tables bulk 消込 updates, so the updates
    are HOT (heap-only: the updated columns are not indexed) instead of new index entries."""
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
