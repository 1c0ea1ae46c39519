"""Issue #12 defect 10 (law as data): a 2027 rate row loaded by command (with its source, audited)
makes the nightly batch and the case view price 2027 days, with no release; before it, a 2027 day is
unpriced — counted and shown as an error, never a silent 0."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from osame_chassis.errors import PermanentError
from osame_collection.adapters import orm
from osame_collection.entrypoints import cli
from osame_collection.service_layer import cases, handlers, law_rates
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_collection.service_layer.policy import CollectionPolicy
from osame_law import RateRow, RateTable, compute_late_fee
from osame_law.rates.table import RATE_ROWS

from .test_collection_nightly import ADDRESSEE, assessment

D = dt.date
DAY = D(2027, 3, 1)
POLICY = CollectionPolicy(business_date=lambda: D(2027, 3, 2))
ROW_2027 = {
    "first_year": 2027,
    "last_year": 2027,
    "late_fee_first_tier": "2.9",
    "late_fee_second_tier": "9.2",
    "refund_interest": "1.4",
    "postponement": "1.4",
    "source": "test: 令和9年の特例基準割合 (illustrative figures)",
}


def pinned(handler):
    return lambda command, uow: handler(command, uow, policy=POLICY)


async def test_loading_a_2027_row_prices_2027_days_without_a_release(service):
    await service.handle(handlers.project_assessment, assessment("N-27", [(1, 1_000_000, D(2026, 6, 30), 0)]))
    before = await service.handle(pinned(run_nightly), RunNightly(batch_date=DAY))
    assert before["unpriced_due_dates"] == ["2026-06-30"]
    view = await service.handle(
        pinned(cases.delinquency_view), cases.ViewCase(addressee_id=ADDRESSEE, as_of=DAY, staff_user="s")
    )
    assert view["unpaid"][0]["late_fee"] is None and view["unpaid"][0]["late_fee_error"]
    assert view["totals"]["late_fee_unpriced"] == 1
    # the command (osame-collection rates --file …) on the service's database
    assert await cli.rates_command(service.runtime, [ROW_2027], "s-01") == {"loaded": [[2027, 2027]]}
    after = await service.handle(pinned(run_nightly), RunNightly(batch_date=D(2027, 3, 2)))
    assert after["unpriced_due_dates"] == []
    [row] = await service.rows(orm.installments)
    table = RateTable(
        [*RATE_ROWS, RateRow(2027, 2027, Decimal("2.9"), Decimal("9.2"), Decimal("1.4"), Decimal("1.4"), "t")]
    )
    expected = compute_late_fee(
        principal_tax=1_000_000, due_date=D(2026, 6, 30), paid_on=D(2027, 3, 2), rates=table
    ).late_fee
    assert row["late_fee"] == expected > 0
    assert any(e["operation"] == "law.rates.load" for e in await service.rows(orm.audit_log))


async def test_a_year_already_priced_or_over_the_caps_is_refused(service):
    for row in (
        {**ROW_2027, "first_year": 2026, "last_year": 2026},
        {**ROW_2027, "late_fee_second_tier": "15.0"},
    ):
        with pytest.raises(PermanentError, match="rates_refused"):
            await service.handle(
                law_rates.load_rates, law_rates.LoadRates(rows=[law_rates.RateYears(**row)], staff_user="s")
            )
    assert await service.count(orm.law_rates) == 0
