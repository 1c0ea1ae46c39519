"""audit_log onto the chassis chain: keyed, checkpointed, one audit code for all services (issue 13)

Collection's own chain (SHA-256 without a key, `seq`/`staff_user`/`action`/`detail`/`hash`) is
replaced by the chassis audit log (`osame_chassis.audit`, with its `detail` column). The old rows
are read in `seq` order and their chain is checked with the old rule (kept below, frozen); the
table is dropped and recreated in the chassis shape; `carry_over` then writes a genesis entry
(`audit.carried-over`: the old chain's length, its head hash and the first broken seq, if any)
followed by every old entry — at, staff user, action, 宛名番号, detail (an HTTP or operator entry's
outcome and client move from its detail to their own columns) — chained with the audit key
(OSAME_AUDIT_KEY / _FILE). The old rows are held in memory while this runs. Downgrade is refused:
the unkeyed chain cannot be rebuilt.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 23:10:00.000000

"""
import hashlib
import json
from datetime import UTC
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from osame_chassis.audit import audit_key, audit_log_table, migrate_append_only
from osame_chassis.audit_carry import carry_over, old_chain_state

# revision identifiers, used by Alembic.
revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None



def _old_hash(prev: str, row) -> str:
    """The rule of the unkeyed chain this migration retires (collection domain/audit.py, 0003–0018)."""
    at = row.at.replace(tzinfo=UTC) if row.at.tzinfo is None else row.at.astimezone(UTC)
    body = json.dumps(
        [prev, row.seq, at.isoformat(), row.staff_user, row.action, row.addressee_id, row.detail],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _entry(row) -> dict:
    detail = dict(row.detail or {})
    outcome, client = "ok", None
    if detail and set(detail) <= {"outcome", "client"}:  # an HTTP or operator entry: its own columns now
        outcome, client = str(detail.pop("outcome", "ok")), detail.pop("client", None)
    return {
        "at": row.at,
        "user_id": row.staff_user,
        "operation": row.action,
        "addressee_id": row.addressee_id,
        "outcome": outcome[:80],
        "client": None if client is None else str(client)[:64],
        "detail": detail or None,
    }


def upgrade() -> None:
    """Old chain checked and carried over onto a keyed chassis chain (see the module doc)."""
    bind = op.get_bind()
    old = sa.table(
        "audit_log",
        sa.column("seq"),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("staff_user"),
        sa.column("action"),
        sa.column("addressee_id"),
        sa.column("detail", sa.JSON),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    rows = bind.execute(sa.select(old).order_by(old.c.seq)).all()
    prev, first_broken = old_chain_state(rows, _old_hash)
    migrate_append_only(op, drop=True)
    op.drop_table("audit_log")
    table = audit_log_table(sa.MetaData(), detail=True)
    table.create(bind)
    migrate_append_only(op)
    carry_over(
        bind,
        table,
        [_entry(r) for r in rows],
        source="collection audit_log (unkeyed SHA-256, revisions 0003-0018)",
        old_head=prev,
        first_broken=first_broken,
        key=audit_key(),
    )


def downgrade() -> None:
    raise NotImplementedError("the unkeyed audit chain is retired; restore a backup instead")
