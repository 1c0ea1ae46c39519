"""Messages owned by the intermediate-server gateway (中間サーバ)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from osame_contracts.base import AddresseeId, Event, Part, Yen


class IncomeQueryRefused(Event):
    """An 情報照会 was refused (not on the permitted-query list, or failed); the refusal is recorded."""

    routing_key = "intermediate-server-gw.income-query.refused.v1"

    query_id: str = Field(min_length=1, max_length=36)
    addressee_id: AddresseeId
    reason: str = Field(max_length=200, description="Machine reason code, never personal data")


class IncomeFigures(Part):
    """地方税関係情報 (所得) of one person for one year, as the provider answered it."""

    total_income: Yen = Field(description="合計所得金額")
    salary_revenue: Yen = Field(description="給与収入金額")
    business_income: Yen = Field(description="事業所得金額")
    taxable_income: Yen = Field(description="課税標準額 (総所得金額等 − 所得控除)")
    municipal_income_levy: Yen = Field(description="市町村民税 所得割額")


class IncomeQueryAnswered(Event):
    """The 情報照会 was answered through the 情報提供ネットワークシステム (recorded as 情報提供等記録).

    `income` is None when the provider holds no data for the year (該当なし). Sent once per
    `query_id`. Carries no 個人番号 and no 符号.
    """

    routing_key = "intermediate-server-gw.income-query.answered.v1"

    query_id: str = Field(min_length=1, max_length=36)
    addressee_id: AddresseeId
    fiscal_year: int = Field(ge=2000, le=2200, description="年度 of the income data")
    certificate_id: str = Field(max_length=64, description="情報提供許可証 number the answer was given under")
    provider: str = Field(max_length=80, description="情報提供者 (e.g. another 市町村長)")
    answered_at: dt.datetime = Field(description="When the answer reached the gateway (timezone-aware)")
    income: IncomeFigures | None


# Every message this module defines; the registry collects them.
MESSAGES = (IncomeQueryRefused, IncomeQueryAnswered)
