"""個人番号提供記録 onto the chassis audit chain: `my_number_releases` → `audit_log` (issue 13)

address-sync kept its releases in a chain of its own (SHA-256 without a key, no checkpoints).
They become entries of the chassis audit log (`osame_chassis.audit`): operation
`my-number.release`, user = the caller, outcome = the release outcome, detail = requested_by,
purpose and request_ref. `audit_log` gains its `detail` column; the old rows are read in `seq`
order and their chain checked with the old rule (kept below, frozen); `carry_over` appends after
the current head a genesis entry (`audit.carried-over`: the old chain's length, head hash and
first broken seq, if any) and then every old release, chained with the audit key
(OSAME_AUDIT_KEY / _FILE); `my_number_releases` is dropped. Downgrade is refused: the unkeyed
chain cannot be rebuilt.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 23:20:00.000000

"""
import hashlib
import json
from datetime import UTC
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from osame_chassis.audit import audit_key, audit_log_table
from osame_chassis.audit_carry import carry_over, old_chain_state

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

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


def downgrade() -> None:
    raise NotImplementedError("the unkeyed release chain is retired; restore a backup instead")
