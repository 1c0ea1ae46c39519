"""audit_log append-only: the database refuses UPDATE and DELETE (issue 13)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:40:00.000000

"""
from typing import Sequence, Union

from alembic import op

from osame_chassis.audit import migrate_append_only

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Triggers refusing UPDATE/DELETE (and TRUNCATE on PostgreSQL) of audit_log."""
    migrate_append_only(op)


def downgrade() -> None:
    migrate_append_only(op, drop=True)
