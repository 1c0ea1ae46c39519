"""個人番号提供記録 onto the chassis audit chain: `my_number_releases` → `audit_log` (issue 13)

address-sync kept its releases in a chain of its own (SHA-256 without a key, no checkpoints).
They become entries of the chassis audit log (`osame_chassis.audit`): operation
`my-number.release`, user = the caller, outcome = the release outcome, detail = requested_by,
purpose and request_ref. `audit_log` gains its `detail` column; the old rows are read in `seq`
order and their chain checked with the old rule (kept below, frozen); `carry_over` appends after
the current head a genesis entry (`audit.carried-over`: the old chain's length, head hash and
first broken seq, if any) and then every old release, chained with the audit key
(OSAME_AUDIT_KEY / _FILE); `my_number_releases` is dropped.

Downgrade: the keyed chain must verify first (else refused: a rewritten chain is never laundered
into chains that verify). `my_number_releases` is recreated as 0002 had it and every
`my-number.release` entry (carried over or written since) goes back into it in chain order (seq
from 1, requested_by/purpose/request_ref from its detail), chained with the old rule, so the old
code verifies it. Those entries and the `audit.carried-over` genesis leave `audit_log` (0005's
shape has no `detail`, and their hashes cover it), with its append-only triggers dropped around
the delete; rows after the first one removed are re-linked with the audit key, so the remaining
chain verifies; `detail` is dropped. Where the old chain was already broken (the genesis says
`broken:<seq>`), the rebuilt one is intact: that finding is logged, the old hashes survive only
in a backup.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 23:20:00.000000

"""
import hashlib
import json
import logging
from datetime import UTC
from types import SimpleNamespace
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from osame_chassis.audit import GENESIS, _utc, audit_key, audit_log_table, entry_hash, migrate_append_only
from osame_chassis.audit_carry import CARRIED_OVER, carry_over, keyed_chain_broken_at, old_chain_state

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("osame.audit")
RELEASE = "my-number.release"
OLD_FIELDS = ("requested_at", "caller", "requested_by", "addressee_id", "purpose", "request_ref", "outcome")


def _canonical(value) -> str:
    if hasattr(value, "tzinfo"):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _old_hash(prev: str, row) -> str:
    """The rule of the chain this migration retires (address-sync domain/audit.py, 0002–0005)."""
    entry = row._mapping
    canonical = json.dumps({k: _canonical(entry[k]) for k in OLD_FIELDS}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def upgrade() -> None:
    """Releases carried onto the keyed audit chain (see the module doc)."""
    bind = op.get_bind()
    op.add_column("audit_log", sa.Column("detail", sa.JSON(), nullable=True))
    old = sa.table(
        "my_number_releases",
        *(sa.column(name) for name in ("seq", "caller", "requested_by", "addressee_id", "purpose")),
        *(sa.column(name) for name in ("request_ref", "outcome", "prev_hash", "hash")),
        sa.column("requested_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(sa.select(old).order_by(old.c.seq)).all()
    prev, first_broken = old_chain_state(rows, _old_hash)
    entries = [
        {
            "at": r.requested_at,
            "user_id": r.caller,
            "operation": "my-number.release",
            "addressee_id": r.addressee_id,
            "outcome": r.outcome,
            "client": None,
            "detail": {"requested_by": r.requested_by, "purpose": r.purpose, "request_ref": r.request_ref},
        }
        for r in rows
    ]
    carry_over(
        bind,
        audit_log_table(sa.MetaData(), detail=True),
        entries,
        source="address-sync my_number_releases (unkeyed SHA-256, revisions 0002-0005)",
        old_head=prev,
        first_broken=first_broken,
        key=audit_key(),
    )
    op.drop_table("my_number_releases")


def _releases_back(bind, rows) -> None:
    """`my_number_releases` as 0002 created it, refilled from the release entries, old rule."""
    old = op.create_table(
        "my_number_releases",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(length=60), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("addressee_id", sa.String(length=15), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("request_ref", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("hash"),
    )
    prev, back = GENESIS, []
    for seq, row in enumerate((r for r in rows if r.operation == RELEASE), start=1):
        detail = row.detail or {}
        entry = {
            "seq": seq,
            "requested_at": _utc(row.at),
            "caller": row.user_id,
            "requested_by": detail.get("requested_by", ""),
            "addressee_id": row.addressee_id,
            "purpose": detail.get("purpose", ""),
            "request_ref": detail.get("request_ref", ""),
            "outcome": row.outcome,
        }
        digest = _old_hash(prev, SimpleNamespace(_mapping=entry))
        back.append({**entry, "prev_hash": prev, "hash": digest})
        prev = digest
    for start in range(0, len(back), 1000):  # in seq order
        bind.execute(old.insert(), back[start : start + 1000])


def downgrade() -> None:
    """Releases back into `my_number_releases`, audit_log back to 0005's shape (see the module doc)."""
    bind = op.get_bind()
    key = audit_key()
    table = audit_log_table(sa.MetaData(), detail=True)
    rows = bind.execute(sa.select(table).order_by(table.c.id)).all()
    broken = keyed_chain_broken_at(rows, key)
    if broken is not None:
        raise RuntimeError(f"audit_log chain broken at id {broken}: downgrade refused, restore a backup")
    moved = {RELEASE, CARRIED_OVER}
    if any(r.detail is not None and r.operation not in moved for r in rows):
        raise RuntimeError("audit_log holds entries with a detail other than releases: downgrade refused")
    for row in rows:
        if row.operation == CARRIED_OVER and row.outcome != "ok":
            log.warning("the carried-over chain was %s; the rebuilt one is not (see a backup)", row.outcome)
    _releases_back(bind, rows)
    migrate_append_only(op, drop=True)
    bind.execute(table.delete().where(table.c.operation.in_(moved)))
    prev = GENESIS
    for row in (r for r in rows if r.operation not in moved):  # re-linked where a removed row was
        if row.prev_hash != prev:
            values = [row.at, row.user_id, row.operation, row.addressee_id, row.outcome, row.client]
            digest = entry_hash(key, prev, *values)
            bind.execute(table.update().where(table.c.id == row.id).values(prev_hash=prev, entry_hash=digest))
            prev = digest
        else:
            prev = row.entry_hash
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("detail")
    migrate_append_only(op)
