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
HMAC-SHA256(audit key, previous hash ‖ canonical JSON of the row). Editing, deleting or
reordering any row breaks the chain from there on, and `verify` names the first broken row;
the key lives outside the database (`OSAME_AUDIT_KEY` = base64 of at least 32 bytes, or
`OSAME_AUDIT_KEY_FILE`; a fixed development key only when `OSAME_ENVIRONMENT` is
development), so someone who can write the table cannot recompute the chain. `prev_hash` is
unique, so two writers can never fork the chain, and writers wait for each other
(`osame_chassis.db.serialise_writers`) so none fails. The database itself refuses UPDATE,
DELETE (and on PostgreSQL TRUNCATE) of the table (`append_only_ddl`, one migration per
service); no personal data besides the 宛名番号 goes in.

Truncating the tail leaves a valid shorter chain, so the head is exported: `checkpoint` appends
a signed JSON line `{service, table, seq, head, at, signature}` to a file outside the service
(`OSAME_AUDIT_CHECKPOINT_FILE`, written every `OSAME_AUDIT_CHECKPOINT_INTERVAL_SECONDS` by the
runner), and `verify_checkpoints` checks every checkpoint still matches the row it names
(`osame audit verify`).

`audit_log_table(metadata, detail=True)` adds a JSON `detail` (ids, codes, amounts of the action;
collection, address-sync) that the HMAC covers too; rows without one hash as before. The read API
every service exposes is `osame_chassis.audit_http`; older unkeyed chains were moved onto this one
with `osame_chassis.audit_carry`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    JSON,
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

log = logging.getLogger("osame.audit")

GENESIS = "0" * 64
KEY_ENV, KEY_FILE_ENV = "OSAME_AUDIT_KEY", "OSAME_AUDIT_KEY_FILE"
# Public in this source: accepted only when OSAME_ENVIRONMENT is development (the default).
DEVELOPMENT_KEY = b"osame-development-only-audit-chain-key"


class AuditKeyError(RuntimeError):
    """No usable audit key (the message names the setting, never key material)."""


def _decode_key(text: str, setting: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuditKeyError(f"{setting}: not base64") from None
    if len(key) < 32:
        raise AuditKeyError(f"{setting}: at least 32 bytes")
    return key


def audit_key(environ: dict | None = None) -> bytes:
    """The HMAC key of the audit chains: OSAME_AUDIT_KEY, else the file OSAME_AUDIT_KEY_FILE, else
    (development only) the development key."""
    env = os.environ if environ is None else environ
    return _resolve_key(
        env.get(KEY_ENV) or "", env.get(KEY_FILE_ENV) or "", env.get("OSAME_ENVIRONMENT", "development")
    )


@functools.lru_cache(maxsize=8)
def _resolve_key(key_text: str, key_file: str, environment: str) -> bytes:
    env = {KEY_ENV: key_text, KEY_FILE_ENV: key_file, "OSAME_ENVIRONMENT": environment}
    if env.get(KEY_ENV):
        return _decode_key(env[KEY_ENV], KEY_ENV)
    if env.get(KEY_FILE_ENV):
        try:
            text = Path(env[KEY_FILE_ENV]).read_text(encoding="ascii")
        except OSError as exc:
            raise AuditKeyError(f"{KEY_FILE_ENV}: cannot read ({type(exc).__name__})") from None
        return _decode_key(text, KEY_FILE_ENV)
    if env.get("OSAME_ENVIRONMENT", "development") == "development":
        return DEVELOPMENT_KEY
    raise AuditKeyError(
        f"set {KEY_ENV} or {KEY_FILE_ENV}: the audit chain key is required outside development"
    )


def key_from_settings(settings) -> bytes:
    """The audit key a service's settings name (same rules as `audit_key`)."""
    return audit_key(
        {
            KEY_ENV: settings.audit_key.get_secret_value() if settings.audit_key else "",
            KEY_FILE_ENV: str(settings.audit_key_file) if settings.audit_key_file else "",
            "OSAME_ENVIRONMENT": settings.environment,
        }
    )


async def chassis_audit_table(engine) -> Table | None:
    """The service's `audit_log` table when it is a chassis chain (an `entry_hash` column), else None
    (with its `detail` column when it has one)."""
    from sqlalchemy import inspect

    def columns(conn) -> set[str]:
        inspector = inspect(conn)
        if not inspector.has_table("audit_log"):
            return set()
        return {c["name"] for c in inspector.get_columns("audit_log")}

    async with engine.connect() as conn:
        found = await conn.run_sync(columns)
    if "entry_hash" not in found:
        return None
    return audit_log_table(MetaData(), detail="detail" in found)


async def audit_checkpoints(runtime, stopping: asyncio.Event) -> None:
    """Runner task: every `audit_checkpoint_interval_seconds`, a signed checkpoint of the chain's head
    appended to `audit_checkpoint_file` (services without a chassis audit table write none)."""
    settings = runtime.settings
    table = await chassis_audit_table(runtime.engine)
    if table is None:
        return
    audit = AuditLog(table, key=key_from_settings(settings))
    while not stopping.is_set():
        try:
            async with runtime.sessions() as session:
                await audit.checkpoint(session, settings.service_name, settings.audit_checkpoint_file)
        except Exception as exc:  # a missed checkpoint must not stop the service; the next one follows
            log.warning("audit checkpoint failed (%s)", type(exc).__name__)
        try:
            await asyncio.wait_for(stopping.wait(), timeout=settings.audit_checkpoint_interval_seconds)
        except TimeoutError:
            pass


def audit_log_table(metadata: MetaData, name: str = "audit_log", *, detail: bool = False) -> Table:
    """The audit table in a service's own metadata; `detail` adds a JSON column of ids, codes and
    amounts (never names or addresses) that the chain covers too (collection, address-sync)."""
    extra = [Column("detail", JSON, nullable=True, doc="ids, codes, amounts of the action")] if detail else []
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
        *extra,
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


def normal_detail(detail: dict | None) -> dict | None:
    """`detail` as the database hands it back (JSON types only), so the hash written is the one read."""
    if detail is None:
        return None
    return json.loads(json.dumps(detail, ensure_ascii=False, default=str))


def entry_hash(
    key: bytes,
    prev_hash: str,
    at: datetime,
    user_id,
    operation,
    addressee_id,
    outcome,
    client,
    detail: dict | None = None,
) -> str:
    fields = [_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), user_id, operation, addressee_id, outcome, client]
    if detail is not None:  # rows without a detail hash as before, so existing chains still verify
        fields.append(detail)
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, (prev_hash + canonical).encode("utf-8"), hashlib.sha256).hexdigest()


def _signature(key: bytes, checkpoint: dict) -> str:
    body = {k: checkpoint[k] for k in ("service", "table", "seq", "head", "at")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, b"osame audit checkpoint v1|" + canonical.encode(), hashlib.sha256).hexdigest()


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@dataclass(frozen=True)
class CheckpointVerification:
    ok: bool
    checkpoints: int
    problems: list[str] = field(default_factory=list)  # e.g. "seq 41: row missing (truncated)"


def append_only_ddl(dialect: str, table: str = "audit_log") -> list[str]:
    """Statements making `table` refuse UPDATE and DELETE (PostgreSQL also TRUNCATE) in the database."""
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION osame_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit log is append-only: % refused on %', TG_OP, TG_TABLE_NAME "
            "USING ERRCODE = 'insufficient_privilege'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION osame_audit_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION osame_audit_append_only()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END",
    ]


def migrate_append_only(op, table: str = "audit_log", *, drop: bool = False) -> None:
    """In an alembic migration: add (or with `drop`, remove) the append-only triggers of `table`."""
    ddl = drop_append_only_ddl if drop else append_only_ddl
    for statement in ddl(op.get_bind().dialect.name, table):
        op.execute(statement)


def drop_append_only_ddl(dialect: str, table: str = "audit_log") -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


class AuditLog:
    """Appends to and verifies one hash-chained audit table."""

    def __init__(self, table: Table, key: bytes | None = None):
        self.table = table
        self._key = key  # None: `audit_key()` from the environment at each use

    @property
    def key(self) -> bytes:
        return self._key if self._key is not None else audit_key()

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
        detail: dict | None = None,
    ) -> str:
        """Add one entry in the caller's transaction; returns its hash. `detail` needs a table made
        with `detail=True`."""
        t = self.table
        if detail is not None and "detail" not in t.c:
            raise ValueError(f"{t.name} has no detail column")
        await serialise_writers(session, t.name)
        last = (
            await session.execute(select(t.c.entry_hash).order_by(t.c.id.desc()).limit(1))
        ).scalar_one_or_none()
        prev = last or GENESIS
        at = _utc(at or datetime.now(UTC))
        detail = normal_detail(detail)
        digest = entry_hash(self.key, prev, at, user, operation, addressee_id, outcome, client, detail)
        values = dict(
            at=at,
            user_id=user,
            operation=operation,
            addressee_id=addressee_id,
            outcome=outcome,
            client=client,
            prev_hash=prev,
            entry_hash=digest,
        )
        if "detail" in t.c:
            values["detail"] = detail
        await session.execute(insert(t).values(**values))
        return digest

    async def verify(self, session: AsyncSession) -> AuditVerification:
        """Recompute the chain in id order; the first row whose link or hash is wrong breaks it."""
        t = self.table
        key = self.key
        prev = GENESIS
        count = 0
        result = await session.stream(select(t).order_by(t.c.id))
        async for row in result.mappings():
            count += 1
            expected = entry_hash(
                key,
                prev,
                row["at"],
                row["user_id"],
                row["operation"],
                row["addressee_id"],
                row["outcome"],
                row["client"],
                row.get("detail"),
            )
            if row["prev_hash"] != prev or row["entry_hash"] != expected:
                return AuditVerification(ok=False, entries=count, first_broken_id=row["id"])
            prev = row["entry_hash"]
        return AuditVerification(ok=True, entries=count)

    async def checkpoint(self, session: AsyncSession, service: str, path: Path) -> dict:
        """Append the signed head of the chain to `path` (JSON lines) and return it."""
        t = self.table
        last = (
            await session.execute(select(t.c.id, t.c.entry_hash).order_by(t.c.id.desc()).limit(1))
        ).first()
        entry = {
            "service": service,
            "table": t.name,
            "seq": int(last[0]) if last else 0,
            "head": last[1] if last else GENESIS,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        entry["signature"] = _signature(self.key, entry)
        await asyncio.to_thread(_append_line, path, json.dumps(entry, sort_keys=True))
        return entry

    async def verify_checkpoints(
        self, session: AsyncSession, service: str, path: Path
    ) -> CheckpointVerification:
        """Every checkpoint of this service's chain must be signed and still match its row: a row
        missing behind a checkpoint is a truncation, a different hash a rewrite."""
        t = self.table
        key = self.key
        problems: list[str] = []
        count = 0
        lines = await asyncio.to_thread(_read_lines, path)
        for number, line in enumerate(lines, start=1):
            try:
                point = json.loads(line)
                mine = point["service"] == service and point["table"] == t.name
            except (ValueError, KeyError, TypeError):
                problems.append(f"line {number}: not a checkpoint")
                continue
            if not mine:
                continue
            count += 1
            if not hmac.compare_digest(str(point.get("signature", "")), _signature(key, point)):
                problems.append(f"line {number}: bad signature")
                continue
            if point["seq"] == 0:
                continue
            held = (
                await session.execute(select(t.c.entry_hash).where(t.c.id == point["seq"]))
            ).scalar_one_or_none()
            if held is None:
                problems.append(f"seq {point['seq']}: row missing (truncated or deleted)")
            elif held != point["head"]:
                problems.append(f"seq {point['seq']}: hash differs from the checkpoint (rewritten)")
        return CheckpointVerification(ok=not problems, checkpoints=count, problems=problems)

    def _where(self, query, *, addressee_id=None, operation=None, since=None, until=None):
        t = self.table
        if addressee_id is not None:
            query = query.where(t.c.addressee_id == addressee_id)
        if operation is not None:
            query = query.where(t.c.operation == operation)
        if since is not None:
            query = query.where(t.c.at >= since)
        if until is not None:
            query = query.where(t.c.at < until)
        return query

    async def entries(
        self,
        session: AsyncSession,
        *,
        addressee_id: str | None = None,
        operation: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 1000,
    ) -> list[dict]:
        """Entries in chain order, filtered (`since` inclusive, `until` exclusive, UTC)."""
        t = self.table
        query = select(t).order_by(t.c.id).offset(offset).limit(limit)
        query = self._where(query, addressee_id=addressee_id, operation=operation, since=since, until=until)
        rows = [dict(r) for r in (await session.execute(query)).mappings()]
        for row in rows:
            row["at"] = _utc(row["at"])
        return rows

    async def count(self, session: AsyncSession, **filters) -> int:
        """How many entries `entries` would page through with the same filters."""
        from sqlalchemy import func

        query = self._where(select(func.count()).select_from(self.table), **filters)
        return (await session.execute(query)).scalar_one()

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
