"""Retention of the messaging plumbing every service keeps: outbox and inbox (issue 13, retention).

A published outbox row holds the message body (personal data: names, addresses, amounts) long
after the broker confirmed it; an inbox row only guards against a redelivery. Both are kept only
as long as they serve that purpose, then deleted:

| table  | kept after            | setting (default)                      | why (legal basis / need) |
|--------|-----------------------|----------------------------------------|--------------------------|
| outbox | `published_at`        | `OSAME_RETENTION_OUTBOX_DAYS` (7)      | 個人情報保護法 §65 (保有個人情報の利用目的達成後の消去努力) / 番号法 §20: the payload is needed only until the broker confirmed it and an operator could ask for a re-send |
| inbox  | `processed_at`        | `OSAME_RETENTION_INBOX_DAYS` (30)      | no personal data; must outlive every redelivery, so longer than the DLQ retention (`osame dlq`) and any replay |

Unpublished outbox rows are never deleted. `dry_run` counts only (what would go), the real run
deletes in batches; either way the result carries counts only, never contents. The service
command (`osame-<service> plumbing-retention [--dry-run]`) runs as a verified operator and is
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
from sqlalchemy import Date, Table, delete, func, select
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


async def _count_or_delete(session, table: Table, clause, dry_run: bool) -> int:
    if dry_run:
        return (await session.execute(select(func.count()).select_from(table).where(clause))).scalar_one()
    return (await session.execute(delete(table).where(clause))).rowcount or 0


async def _children(session, children, parent_keys: dict[str, list], dry_run: bool, counts: dict) -> None:
    """Count or delete each child (its own children first) of the parent rows given by their keys."""
    for child in children:
        values = parent_keys[child.parent_column]
        if not values:
            continue
        clause = child.table.c[child.column].in_(values)
        if child.children:
            wanted = {c.parent_column for c in child.children}
            rows = (await session.execute(select(*(child.table.c[w] for w in wanted)).where(clause))).all()
            keys = {w: sorted({getattr(r, w) for r in rows if getattr(r, w) is not None}) for w in wanted}
            await _children(session, child.children, keys, dry_run, counts)
        n = await _count_or_delete(session, child.table, clause, dry_run)
        counts[child.table.name] = counts.get(child.table.name, 0) + n


async def _apply_rule(session, rule: Rule, now: datetime, dry_run: bool, counts: dict) -> None:
    expired = expired_clause(rule, now)
    if not rule.children:
        n = await _count_or_delete(session, rule.table, expired, dry_run)
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
        await _children(session, rule.children, keys, dry_run, counts)
        n = await _count_or_delete(session, rule.table, rule.table.c[key].in_(keys[key]), dry_run)
        counts[rule.table.name] = counts.get(rule.table.name, 0) + n
    counts.setdefault(rule.table.name, 0)


async def apply(
    sessions: async_sessionmaker, rules: list[Rule], *, dry_run: bool, now: datetime | None = None
) -> dict[str, int]:
    """Rows past each rule's period: counted (`dry_run`) or deleted; {table: count}. One transaction
    per rule: a rule's rows and their children go together or not at all."""
    now = now or datetime.now(UTC)
    counts: dict[str, int] = {}
    for rule in rules:
        async with sessions() as session, session.begin():
            await _apply_rule(session, rule, now, dry_run, counts)
    return counts
