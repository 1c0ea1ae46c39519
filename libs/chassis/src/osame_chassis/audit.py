"""Append-only, hash-chained audit log (操作ログ / アクセスログ) any service can keep in its own database.

Stable API::

    from osame_chassis.audit import AuditLog, audit_log_table

    # adapters/orm.py — the table joins the service's metadata, so its migrations create it
    audit_log = audit_log_table(metadata)
    AUDIT = AuditLog(audit_log)

    # in a unit of work (same transaction as the operation it records):
    await AUDIT.append(uow.session, user="staff-01", operation="provision-records.read",
                       outcome="ok", addressee_id="100009")

    # as the hook of osame_chassis.auth.Authenticator (one short transaction per call):
    Authenticator(settings, audit=AUDIT.hook(runtime.sessions))

    # check the chain: AuditVerification(ok, entries, first_broken_id)
    result = await AUDIT.verify(session)

Each row holds who (staff user id), when (UTC), operation, 宛名番号 (may be empty), outcome,
the client address, the previous row's hash and its own hash =
sha256(previous hash ‖ canonical JSON of the row). Editing, deleting or reordering any row
breaks the chain from there on, and `verify` names the first broken row. `prev_hash` is
unique, so two writers can never fork the chain, and writers wait for each other
(`osame_chassis.db.serialise_writers`) so none fails. Rows must never be
updated or deleted by the application; no personal data besides the 宛名番号 goes in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from osame_chassis.db import serialise_writers

GENESIS = "0" * 64


def operator_identity(explicit: str | None = None) -> str:
    """Who runs a maintenance command (key rotation, list loads, retention): the `--operator` given,
    else the operating-system login, marked `os:` (every action is audited under this name)."""
    import getpass

    return (explicit or f"os:{getpass.getuser()}")[:64]


def audit_log_table(metadata: MetaData, name: str = "audit_log") -> Table:
    """The audit table in a service's own metadata."""
    return Table(
        name,
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, doc="when (UTC)"),
        Column("user_id", String(64), nullable=False, doc="who: staff user id (職員), '-' if unknown"),
        Column("operation", String(120), nullable=False, doc="what"),
        Column("addressee_id", String(15), nullable=True, doc="宛名番号 touched, if any"),
        Column("outcome", String(80), nullable=False, doc="ok / refused:<code> / status:<n> / error"),
        Column("client", String(64), nullable=True, doc="client network address (端末)"),
        Column("prev_hash", String(64), nullable=False),
        Column("entry_hash", String(64), nullable=False),
        UniqueConstraint("prev_hash", name=f"uq_{name}_prev_hash"),
    )


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    entries: int
    first_broken_id: int | None = None


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:  # SQLite returns naive values; they were stored as UTC
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def entry_hash(prev_hash: str, at: datetime, user_id, operation, addressee_id, outcome, client) -> str:
    canonical = json.dumps(
        [
            _utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            user_id,
            operation,
            addressee_id,
            outcome,
            client,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


class AuditLog:
    """Appends to and verifies one hash-chained audit table."""

    def __init__(self, table: Table):
        self.table = table

    async def append(
        self,
        session: AsyncSession,
        *,
        user: str,
        operation: str,
        outcome: str,
        addressee_id: str | None = None,
        client: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """Add one entry in the caller's transaction; returns its hash."""
        t = self.table
        await serialise_writers(session, t.name)
        last = (
            await session.execute(select(t.c.entry_hash).order_by(t.c.id.desc()).limit(1))
        ).scalar_one_or_none()
        prev = last or GENESIS
        at = _utc(at or datetime.now(UTC))
        digest = entry_hash(prev, at, user, operation, addressee_id, outcome, client)
        await session.execute(
            insert(t).values(
                at=at,
                user_id=user,
                operation=operation,
                addressee_id=addressee_id,
                outcome=outcome,
                client=client,
                prev_hash=prev,
                entry_hash=digest,
            )
        )
        return digest

    async def verify(self, session: AsyncSession) -> AuditVerification:
        """Recompute the chain in id order; the first row whose link or hash is wrong breaks it."""
        t = self.table
        prev = GENESIS
        count = 0
        result = await session.stream(select(t).order_by(t.c.id))
        async for row in result.mappings():
            count += 1
            expected = entry_hash(
                prev,
                row["at"],
                row["user_id"],
                row["operation"],
                row["addressee_id"],
                row["outcome"],
                row["client"],
            )
            if row["prev_hash"] != prev or row["entry_hash"] != expected:
                return AuditVerification(ok=False, entries=count, first_broken_id=row["id"])
            prev = row["entry_hash"]
        return AuditVerification(ok=True, entries=count)

    async def entries(self, session: AsyncSession, *, addressee_id: str | None = None, limit: int = 1000):
        t = self.table
        query = select(t).order_by(t.c.id).limit(limit)
        if addressee_id is not None:
            query = query.where(t.c.addressee_id == addressee_id)
        return [dict(r) for r in (await session.execute(query)).mappings()]

    def writer(self, sessions: async_sessionmaker, client: str):
        """`write(user, operation, outcome)`: one entry in its own transaction (operator commands,
        `osame_chassis.operator.operator_action`)."""

        async def write(user: str, operation: str, outcome: str) -> None:
            async with sessions() as session, session.begin():
                await self.append(session, user=user, operation=operation, outcome=outcome, client=client)

        return write

    def hook(self, sessions: async_sessionmaker):
        """An `osame_chassis.auth` audit hook writing each AccessEvent in its own transaction."""

        async def write(event) -> None:
            async with sessions() as session, session.begin():
                await self.append(
                    session,
                    user=event.user,
                    operation=event.operation,
                    outcome=event.outcome,
                    addressee_id=event.addressee_id,
                    client=event.client,
                    at=event.at,
                )

        return write
