"""Messages owned by the intermediate-server gateway (中間サーバ)."""

from __future__ import annotations

from pydantic import Field

from osame_contracts.base import AddresseeId, Event


class IncomeQueryRefused(Event):
    """An 情報照会 was refused (not on the permitted-query list, or failed); the refusal is recorded."""

    routing_key = "intermediate-server-gw.income-query.refused.v1"

    query_id: str = Field(min_length=1, max_length=36)
    addressee_id: AddresseeId
    reason: str = Field(max_length=200, description="Machine reason code, never personal data")


# Every message this module defines; the registry collects them.
MESSAGES = (IncomeQueryRefused,)
