"""保管期限 of what the gateway holds, as retention rules (issue 13); run by `POST /ops/retention`.

| record | kept after | setting (default) | legal basis / need |
|---|---|---|---|
| 情報提供等記録 (query_records) | `recorded_at` | `OSAME_PROVISION_RECORD_RETENTION_DAYS` (7 years) | 番号法 §23 ③, 施行令 §29: 7 years (UNCONFIRMED [L]) |
| finished queries (answers with income figures) | `finished_at` | same | kept beside the records they explain; a pending query never goes |
| 符号 (linkage_codes) | `obtained_at` | `OSAME_RETENTION_LINKAGE_CODE_DAYS` (400) | 番号法 §20 (保管の制限) / 個人情報保護法 §61②: kept only while queries use it; re-obtained on the next query; never while a query for the person is pending |
"""

from __future__ import annotations

from osame_chassis.retention import RetentionPeriods, Rule
from pydantic import Field
from sqlalchemy import exists, select

from osame_gateway.adapters import orm
from osame_gateway.domain.query_progress import PENDING


class GatewayRetention(RetentionPeriods):
    linkage_code_days: int = Field(
        default=400,
        ge=1,
        description="OSAME_RETENTION_LINKAGE_CODE_DAYS: a 符号 not refreshed for this long is deleted "
        "(番号法 §20 保管の制限; re-obtained when needed)",
    )


def rules(provision_record_days: int, periods: GatewayRetention | None = None) -> list[Rule]:
    periods = periods or GatewayRetention()
    q, codes = orm.income_queries, orm.linkage_codes
    pending = exists(
        select(q.c.query_id).where(q.c.addressee_id == codes.c.addressee_id, q.c.status == PENDING)
    )
    return [
        Rule(
            orm.query_records,
            "recorded_at",
            provision_record_days,
            "番号法 §23: 情報提供等記録 (7 years, UNCONFIRMED)",
        ),
        Rule(
            q,
            "finished_at",
            provision_record_days,
            "finished query: kept with its 情報提供等記録",
            where=lambda _cutoff: q.c.status != PENDING,
        ),
        Rule(
            codes,
            "obtained_at",
            periods.linkage_code_days,
            "番号法 §20: 符号 kept only while used",
            where=lambda _cutoff: ~pending,
        ),
    ]
