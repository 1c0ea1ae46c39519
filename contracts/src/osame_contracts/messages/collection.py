"""Messages owned by collection (滞納管理)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from osame_contracts.base import AddresseeId, Event


class InformationItem(StrEnum):
    """情報照会 item requested through the intermediate server."""

    INCOME = "income"  # 地方税関係情報 / 所得


class IncomeQueryRequested(Event):
    """Collection asks the gateway for income data (財産調査 / 執行停止の判断)."""

    routing_key = "collection.income-query.requested.v1"

    query_id: str = Field(min_length=1, max_length=36)
    addressee_id: AddresseeId
    affair: str = Field(
        max_length=80, description="事務: e.g. 'local_tax_assessment_collection' (主務省令 第2条 表48)"
    )
    item: InformationItem
    fiscal_year: int
    purpose: str = Field(max_length=200)
    staff_user: str = Field(max_length=64)
    requested_on: dt.date


# Every message this module defines; the registry collects them.
MESSAGES = (IncomeQueryRequested,)
