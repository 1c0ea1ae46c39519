"""保管期限切れ削除: delete 情報提供等記録 and finished queries older than the retention period."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork

from osame_gateway.adapters.repository import AUDIT, GatewayRepository
from osame_gateway.domain.retention import retention_cutoff

log = logging.getLogger("osame.gateway.retention")


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    records_deleted: int
    queries_deleted: int


async def purge_expired(
    uow: UnitOfWork,
    retention_days: int,
    now: datetime | None = None,
    operator: str = "intermediate-server-gw",
) -> RetentionResult:
    """Delete what is past its 保管期限 in one transaction, with an audit entry (who, counts; never
    contents) in the same transaction, and log the counts (issue 13 item 9)."""
    cutoff = retention_cutoff(now or datetime.now(UTC), retention_days)
    repo = GatewayRepository(uow.session)
    records = await repo.delete_records_before(cutoff)
    queries = await repo.delete_finished_queries_before(cutoff)
    await AUDIT.append(
        uow.session,
        user=operator,
        operation="retention.purge",
        outcome=f"ok:records={records}:queries={queries}:before={cutoff.date().isoformat()}",
    )
    await uow.commit()
    log.info(
        "retention: deleted %d provision records and %d finished queries older than %s",
        records,
        queries,
        cutoff.date().isoformat(),
        extra={"count": records + queries},
    )
    return RetentionResult(cutoff, records, queries)
