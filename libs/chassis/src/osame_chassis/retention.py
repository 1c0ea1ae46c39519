"""Retention of the messaging plumbing every service keeps: outbox and inbox (issue 13, retention).

A published outbox row holds the message body (personal data: names, addresses, amounts) long
after the broker confirmed it; an inbox row only guards against a redelivery. Both are kept only
as long as they serve that purpose, then deleted:

| table  | kept after            | setting (default)                      | why (legal basis / need) |
|--------|-----------------------|----------------------------------------|--------------------------|
| outbox | `published_at`        | `OSAME_RETENTION_OUTBOX_DAYS` (7)      | 個人情報保護法 §65 (保有個人情報の利用目的達成後の消去努力) / 番号法 §20: the payload is needed only until the broker confirmed it and an operator could ask for a re-send |
| inbox  | `processed_at`        | `OSAME_RETENTION_INBOX_DAYS` (30)      | no personal data; must outlive every redelivery, so longer than the DLQ retention (`osame dlq`) and any replay |

Unpublished outbox rows are never deleted. `dry_run` counts only (what would go: the deletes run
in a transaction that is rolled back), the real run deletes; either way the result carries counts
only, never contents. The service command (`osame-<service> plumbing-retention [--dry-run]`) runs as a verified operator and is
audited (osame_chassis.operator).

Each service adds its own record types (ledgers, 滞納 records, 符号, 宛名 of people gone, …) as
more `Rule`s with the legal basis beside the configured period, and runs them all, with these two,
through its authenticated API (`POST /ops/retention`, osame_chassis.data_rights). A rule may
restrict what expires (`where`: e.g. only an addressee whose money is all settled and whose last
activity is past the period) and carry `children`: rows of other tables that belong to an expiring
row (a notice's installments and receipts) go with it, in the same transaction, children first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Date, Table, delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from osame_chassis.messaging.tables import inbox, outbox


class RetentionPeriods(BaseSettings):
    """Base of a service's retention periods (`OSAME_RETENTION_*`): each field's description names
    its legal basis; the service's `adapters/retention.py` turns them into rules."""

    model_config = SettingsConfigDict(env_prefix="OSAME_RETENTION_", extra="ignore")


BATCH = 500  # keys per statement: bounded IN lists on both SQLite and PostgreSQL


@dataclass(frozen=True)
class Child:
    """Rows of `table` whose `column` equals the parent row's `parent_column`; they go with it."""

    table: Table
    column: str
    parent_column: str
    children: tuple[Child, ...] = ()


@dataclass(frozen=True)
class Rule:
    """Rows of `table` whose `column` (a date or timestamp; None: no own date) is older than `days`,
    and for which `where(cutoff)` holds, expire. `basis` names the law or need behind the period."""

    table: Table
    column: str | None
    days: int
    basis: str
    where: Callable[[datetime], ColumnElement] | None = None
    children: tuple[Child, ...] = ()
    key: str | None = None  # the column children refer to (default: the first primary-key column)


def years(n: int) -> int:
    """Days covering `n` whole years whatever the leap days (a period in years is never cut short)."""
    return n * 365 + n // 4 + 1


def plumbing_rules(settings) -> list[Rule]:
    return [
        Rule(
            outbox, "published_at", settings.retention_outbox_days, "published payload: re-send window only"
        ),
        Rule(inbox, "processed_at", settings.retention_inbox_days, "deduplication beyond every redelivery"),
    ]


def expired_clause(rule: Rule, now: datetime) -> ColumnElement:
    cutoff = now - timedelta(days=rule.days)
    clauses = []
    if rule.column is not None:
        column = rule.table.c[rule.column]
        bound = cutoff.date() if isinstance(column.type, Date) else cutoff
        clauses.append(column.is_not(None) & (column < bound))
    if rule.where is not None:
        clauses.append(rule.where(cutoff))
    if not clauses:
        raise ValueError(f"retention rule on {rule.table.name} has neither a date column nor a condition")
    clause = clauses[0]
    for more in clauses[1:]:
        clause = clause & more
    return clause


async def _delete(session, table: Table, clause) -> int:
    return (await session.execute(delete(table).where(clause))).rowcount or 0


async def _children(session, children, parent_keys: dict[str, list], counts: dict) -> None:
    """Delete each child (its own children first) of the parent rows given by their keys."""
    for child in children:
        values = parent_keys[child.parent_column]
        if not values:
            continue
        clause = child.table.c[child.column].in_(values)
        if child.children:
            wanted = {c.parent_column for c in child.children}
            rows = (await session.execute(select(*(child.table.c[w] for w in wanted)).where(clause))).all()
            keys = {w: sorted({getattr(r, w) for r in rows if getattr(r, w) is not None}) for w in wanted}
            await _children(session, child.children, keys, counts)
        n = await _delete(session, child.table, clause)
        counts[child.table.name] = counts.get(child.table.name, 0) + n


async def _apply_rule(session, rule: Rule, now: datetime, counts: dict) -> None:
    expired = expired_clause(rule, now)
    if not rule.children:
        n = await _delete(session, rule.table, expired)
        counts[rule.table.name] = counts.get(rule.table.name, 0) + n
        return
    # Keys first, then children, then the rows: a condition that looks at the children (no open
    # installment) is decided once, before any of them goes.
    key = rule.key or rule.table.primary_key.columns.values()[0].name
    wanted = sorted({key, *(c.parent_column for c in rule.children)})
    rows = (await session.execute(select(*(rule.table.c[w] for w in wanted)).where(expired))).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        keys = {w: sorted({getattr(r, w) for r in batch if getattr(r, w) is not None}) for w in wanted}
        await _children(session, rule.children, keys, counts)
        n = await _delete(session, rule.table, rule.table.c[key].in_(keys[key]))
        counts[rule.table.name] = counts.get(rule.table.name, 0) + n
    counts.setdefault(rule.table.name, 0)


async def apply(
    sessions: async_sessionmaker, rules: list[Rule], *, dry_run: bool, now: datetime | None = None
) -> dict[str, int]:
    """Rows past each rule's period, deleted; {table: count}. The real run commits one transaction
    per rule (a rule's rows and their children go together or not at all). The dry run makes the
    same deletes, all rules in one transaction, and rolls it back: it counts exactly what the real
    run would delete — rows a rule frees for a later one included — and deletes nothing."""
    now = now or datetime.now(UTC)
    counts: dict[str, int] = {}
    if dry_run:
        async with sessions() as session:
            await session.begin()
            try:
                for rule in rules:
                    await _apply_rule(session, rule, now, counts)
            finally:
                await session.rollback()
        return counts
    for rule in rules:
        async with sessions() as session, session.begin():
            await _apply_rule(session, rule, now, counts)
    return counts
