"""延滞金 rates as data (issue #12 defect 10): a calendar year the built-in table does not cover
(2027, announced around Nov/Dec 2026) is loaded by command with its source, checked against the
statutory caps by ``osame_law.RateTable``, stored in ``law_rates`` and audited; every use case
prices with the built-in rows plus the loaded ones, with no release."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_law import LawError, RateRow, RateTable
from osame_law.rates.table import RATE_ROWS
from pydantic import BaseModel, Field
from sqlalchemy import insert, select

from osame_collection.adapters import orm
from osame_collection.adapters.repository import rate_row
from osame_collection.service_layer import audit

Percent = Field(pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$", description="percent per year, e.g. 2.8")


class RateYears(BaseModel):
    first_year: int = Field(ge=2000, le=2100)
    last_year: int = Field(ge=2000, le=2100)
    late_fee_first_tier: str = Percent
    late_fee_second_tier: str = Percent
    refund_interest: str = Percent
    postponement: str | None = Percent
    source: str = Field(min_length=3, max_length=300, description="告示 / 公表 the rates come from")


def to_rate_row(r: RateYears) -> RateRow:
    return RateRow(
        r.first_year,
        r.last_year,
        Decimal(r.late_fee_first_tier),
        Decimal(r.late_fee_second_tier),
        Decimal(r.refund_interest),
        Decimal(r.postponement) if r.postponement is not None else None,
        r.source,
    )


class LoadRates(BaseModel):
    rows: list[RateYears] = Field(min_length=1, max_length=20)
    staff_user: str = Field(min_length=1, max_length=64)


async def load_rates(command: LoadRates, uow: UnitOfWork) -> dict:
    """Add the rows (all or nothing): a year already priced is refused (a change of a published
    rate is not a load), as is a row over the statutory caps."""
    held = [rate_row(r) for r in (await uow.session.execute(select(orm.law_rates))).mappings()]
    new = [to_rate_row(r) for r in command.rows]
    try:
        RateTable([*RATE_ROWS, *held, *new])
    except LawError as exc:
        raise PermanentError(f"rates_refused:{exc}") from exc
    now = datetime.now(UTC)
    await uow.session.execute(
        insert(orm.law_rates),
        [{**r.model_dump(), "loaded_by": command.staff_user, "loaded_at": now} for r in command.rows],
    )
    years = [[r.first_year, r.last_year] for r in command.rows]
    await audit.record(
        uow.session,
        command.staff_user,
        "law.rates.load",
        None,
        {"years": years, "sources": [r.source for r in command.rows]},
    )
    return {"loaded": years}
