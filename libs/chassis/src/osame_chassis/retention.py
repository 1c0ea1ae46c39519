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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from osame_chassis.messaging.tables import inbox, outbox


@dataclass(frozen=True)
class Rule:
    table: Table
    column: str
    days: int
    basis: str


def plumbing_rules(settings) -> list[Rule]:
    return [
        Rule(
            outbox, "published_at", settings.retention_outbox_days, "published payload: re-send window only"
        ),
        Rule(inbox, "processed_at", settings.retention_inbox_days, "deduplication beyond every redelivery"),
    ]


async def apply(
    sessions: async_sessionmaker, rules: list[Rule], *, dry_run: bool, now: datetime | None = None
) -> dict[str, int]:
    """Rows older than each rule's period: counted (`dry_run`) or deleted; {table: count}."""
    now = now or datetime.now(UTC)
    counts: dict[str, int] = {}
    for rule in rules:
        column = rule.table.c[rule.column]
        expired = column.is_not(None) & (column < now - timedelta(days=rule.days))
        async with sessions() as session, session.begin():
            if dry_run:
                counts[rule.table.name] = (
                    await session.execute(select(func.count()).select_from(rule.table).where(expired))
                ).scalar_one()
            else:
                counts[rule.table.name] = (
                    await session.execute(delete(rule.table).where(expired))
                ).rowcount or 0
    return counts
