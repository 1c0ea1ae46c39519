"""Carrying an older, unkeyed audit chain onto the chassis chain (`osame_chassis.audit`), in a
service's migration: check the old chain with its own (frozen) rule, then append a genesis entry
that records it and every old entry, keyed (collection 0019, address-sync 0006; runbook "Audit
chains").

    rows = bind.execute(select(old).order_by(old.c.seq)).all()
    head, first_broken = old_chain_state(rows, old_rule)
    carry_over(bind, audit_log_table(MetaData(), detail=True), [entry(r) for r in rows],
               source="…", old_head=head, first_broken=first_broken, key=audit_key())

A downgrade carries the entries back (`keyed_chain_broken_at` first: a keyed chain that no longer
verifies is never rewritten into an old one that would).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Table, insert, select

from osame_chassis.audit import GENESIS, _utc, entry_hash, normal_detail

log = logging.getLogger("osame.audit")

CARRIED_OVER = "audit.carried-over"


def old_chain_state(rows, link) -> tuple[str, int | None]:
    """(head hash, seq of the first broken row or None) of an older chain being retired: `rows` in
    order with `seq`, `prev_hash` and `hash`; `link(prev_hash, row)` is that chain's own rule."""
    prev, first_broken = GENESIS, None
    for row in rows:
        if first_broken is None and (row.prev_hash != prev or row.hash != link(prev, row)):
            first_broken = row.seq
        prev = row.hash
    return prev, first_broken


def keyed_chain_broken_at(rows, key: bytes) -> int | None:
    """In a migration: the id of the first row of a chassis chain (`rows` in id order, with `detail`
    when the table has one) whose link or keyed hash is wrong, or None when it verifies."""
    prev = GENESIS
    for row in rows:
        entry = row._mapping
        values = [entry[k] for k in ("at", "user_id", "operation", "addressee_id", "outcome", "client")]
        if entry["prev_hash"] != prev or entry["entry_hash"] != entry_hash(
            key, prev, *values, entry.get("detail")
        ):
            return entry["id"]
        prev = entry["entry_hash"]
    return None


def carry_over(
    connection, table: Table, entries: list[dict], *, source: str, old_head: str, first_broken, key: bytes
) -> int:
    """In a migration (a sync connection): move an older, unkeyed chain onto `table` (made with
    `detail=True`). First a genesis entry records the old chain — `source`, its length, its head hash
    (which commits to every old row, so a backup of the old table can still be checked) and where it
    was already broken (None = intact; a broken old chain is carried over, never hidden) — then each
    old entry (at, user_id, operation, addressee_id, outcome, client, detail) follows in order,
    chained with `key` after the table's current head. Returns the number of rows written (none, not
    even the genesis entry, for an empty old chain)."""
    if not entries:
        return 0
    if first_broken is not None:
        log.warning(
            "the old audit chain (%s) was already broken at seq %s; carried over as is", source, first_broken
        )
    t = table
    last = connection.execute(select(t.c.entry_hash).order_by(t.c.id.desc()).limit(1)).scalar_one_or_none()
    prev = last or GENESIS
    genesis = {
        "at": datetime.now(UTC),
        "user_id": "-",
        "operation": CARRIED_OVER,
        "addressee_id": None,
        "outcome": "ok" if first_broken is None else f"broken:{first_broken}",
        "client": "migration",
        "detail": {"source": source, "entries": len(entries), "head": old_head, "first_broken": first_broken},
    }
    rows = []
    for entry in [genesis, *entries]:
        values = {k: entry.get(k) for k in ("user_id", "operation", "addressee_id", "outcome", "client")}
        values["at"] = _utc(entry["at"])
        values["detail"] = normal_detail(entry.get("detail"))
        digest = entry_hash(key, prev, values["at"], *(values[k] for k in _HASHED[1:]))
        rows.append({**values, "prev_hash": prev, "entry_hash": digest})
        prev = digest
    for start in range(0, len(rows), 1000):  # in chain order: ids follow insertion order
        connection.execute(insert(t), rows[start : start + 1000])
    return len(rows)


_HASHED = ("at", "user_id", "operation", "addressee_id", "outcome", "client", "detail")
