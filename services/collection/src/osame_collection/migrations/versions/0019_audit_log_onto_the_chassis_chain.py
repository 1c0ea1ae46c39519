"""audit_log onto the chassis chain: keyed, checkpointed, one audit code for all services (issue 13)

Collection's own chain (SHA-256 without a key, `seq`/`staff_user`/`action`/`detail`/`hash`) is
replaced by the chassis audit log (`osame_chassis.audit`, with its `detail` column). The old rows
are read in `seq` order and their chain is checked with the old rule (kept below, frozen); the
table is dropped and recreated in the chassis shape; `carry_over` then writes a genesis entry
(`audit.carried-over`: the old chain's length, its head hash and the first broken seq, if any)
followed by every old entry — at, staff user, action, 宛名番号, detail (an HTTP or operator entry's
outcome and client move from its detail to their own columns) — chained with the audit key
(OSAME_AUDIT_KEY / _FILE). The old rows are held in memory while this runs.

Downgrade carries every entry back (carried-over ones and those written since): the keyed chain
must verify first (else refused: a rewritten chain is never laundered into an old one that
verifies); the chassis table and its triggers are dropped, the old table is recreated as 0003 and
0016 had it, and each entry except the `audit.carried-over` genesis is written back in chain order
(seq from 1; outcome and client back into the detail of an entry without one, or when not
ok/empty) chained with the old rule, so the old code verifies it. Where the old chain was already
broken (the genesis says `broken:<seq>`), the rebuilt one is intact: that finding is logged, and
the old hashes survive only in a backup.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 23:10:00.000000

"""
import hashlib
import json
import logging
from datetime import UTC
from types import SimpleNamespace
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from osame_chassis.audit import GENESIS, _utc, audit_key, audit_log_table, migrate_append_only
from osame_chassis.audit_carry import CARRIED_OVER, carry_over, keyed_chain_broken_at, old_chain_state

# revision identifiers, used by Alembic.
revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("osame.audit")


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


def _old_detail(row) -> dict:
    """`_entry` backwards: an HTTP or operator entry (no detail) gets its outcome and client back."""
    detail = dict(row.detail or {})
    if row.detail is None or row.outcome != "ok" or row.client is not None:
        detail.update(outcome=row.outcome, client=row.client)
    return detail


def downgrade() -> None:
    """Every entry back onto the unkeyed chain of 0003–0018 (see the module doc)."""
    bind = op.get_bind()
    chassis = audit_log_table(sa.MetaData(), detail=True)
    rows = bind.execute(sa.select(chassis).order_by(chassis.c.id)).all()
    broken = keyed_chain_broken_at(rows, audit_key())
    if broken is not None:
        raise RuntimeError(f"audit_log chain broken at id {broken}: downgrade refused, restore a backup")
    for row in rows:
        if row.operation == CARRIED_OVER and row.outcome != "ok":
            log.warning("the carried-over chain was %s; the rebuilt one is not (see a backup)", row.outcome)
    migrate_append_only(op, drop=True)
    op.drop_table("audit_log")
    old = op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_user", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("addressee_id", sa.String(length=15), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_addressee_id"), ["addressee_id"], unique=False)
    migrate_append_only(op)
    prev, back = GENESIS, []
    for seq, row in enumerate((r for r in rows if r.operation != CARRIED_OVER), start=1):
        entry = SimpleNamespace(
            seq=seq,
            at=_utc(row.at),
            staff_user=row.user_id,
            action=row.operation[:60],
            addressee_id=row.addressee_id,
            detail=_old_detail(row),
        )
        digest = _old_hash(prev, entry)
        back.append({**vars(entry), "prev_hash": prev, "hash": digest})
        prev = digest
    for start in range(0, len(back), 1000):  # in seq order
        bind.execute(old.insert(), back[start : start + 1000])
