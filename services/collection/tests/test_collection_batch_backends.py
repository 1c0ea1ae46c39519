"""The nightly batch's set-based SQL on both backends (SQLite and PostgreSQL): 延滞金 equal to the law
library for every 納期限 and both rounding conventions, not-late rows left as they are (a stale fee
reset), the 行き違い guard and its withheld counts; and the benchmark command on PostgreSQL (VACUUM +
CHECKPOINT between rounds, rolled-back rounds leave nothing behind)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from osame_collection.adapters import orm
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.entrypoints.cli import benchmark_command
from osame_collection.service_layer import handlers, holds
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_collection.service_layer.policy import CollectionPolicy
from osame_law import LateFeePolicy, SegmentRounding
from rich.console import Console
from sqlalchemy import update

from .test_collection_nightly import assessment, partly_paid, receipt

D = dt.date
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
DAY = D(2026, 11, 27)

# (principal, 納期限): thresholds (1,999 / 2,000 / 2,999), a leap day, year ends, old and recent dues
ROWS = [
    (1_999, D(2025, 6, 30)),
    (2_000, D(2025, 6, 30)),
    (2_999, D(2024, 12, 31)),
    (57_300, D(2024, 1, 31)),
    (1_234_567, D(2023, 12, 25)),
    (100_000, D(2026, 2, 28)),
    (88_800, D(2024, 2, 29)),
    (450_000, D(2021, 3, 31)),
    (999_999_000, D(2020, 5, 1)),  # large base: no integer overflow in the SQL
    (30_000, D(2026, 11, 26)),  # one day late
    (30_000, D(2026, 11, 27)),  # due on the batch date: not late
    (30_000, D(2026, 12, 31)),  # not late (left as it is)
    (30_000, D(2027, 1, 31)),  # not late, but carries a stale fee (reset to 0)
]


async def _service(backend, request, tmp_path, make_service):
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/collection-batch.db"
    else:
        pg_databases = request.getfixturevalue("pg_databases")
        (url,) = await asyncio.to_thread(pg_databases, 1)
    svc = make_service(url)
    await svc.migrate()
    return svc


async def _nightly(svc, day, **kw):
    return await svc.handle(lambda cmd, uow: run_nightly(cmd, uow, **kw), RunNightly(batch_date=day))


async def _stale_fee(message, uow):
    await uow.session.execute(
        update(orm.installments)
        .where(orm.installments.c.notice_number == message["notice"])
        .where(orm.installments.c.installment_no == message["no"])
        .values(late_fee=message["fee"], late_fee_on=message["on"])
    )


@pytest.mark.parametrize("rounding", [SegmentRounding.PER_SEGMENT, SegmentRounding.SUM_THEN_TRUNCATE])
@pytest.mark.parametrize("backend", BACKENDS)
async def test_set_based_late_fee_equals_the_law_library(backend, rounding, request, tmp_path, make_service):
    svc = await _service(backend, request, tmp_path, make_service)
    policy = CollectionPolicy(late_fee=LateFeePolicy(segment_rounding=rounding))
    await svc.handle(
        handlers.project_assessment, assessment("N-B", [(n, p, due, 0) for n, (p, due) in enumerate(ROWS, 1)])
    )
    stale = len(ROWS)
    await svc.handle(_stale_fee, {"notice": "N-B", "no": stale, "fee": 4_200, "on": D(2026, 1, 5)})
    summary = await _nightly(svc, DAY, policy=policy)
    got = {r["installment_no"]: r for r in await svc.rows(orm.installments)}
    for n, (principal, due) in enumerate(ROWS, 1):
        expected = accrued_late_fee(principal, due, DAY, [], [], policy.late_fee).late_fee
        assert got[n]["late_fee"] == expected, (n, principal, due)
        if due < DAY or n == stale:
            assert got[n]["late_fee_on"] == DAY, n
        else:  # not late and no 延滞金: not rewritten
            assert got[n]["late_fee_on"] is None, n
    assert any(got[n]["late_fee"] > 0 for n in got)
    assert summary["not_late_yet"] == 3 and summary["late_fee_set_based"] == len(ROWS) - 2


@pytest.mark.parametrize("backend", BACKENDS)
async def test_guard_and_withheld_counts(backend, request, tmp_path, make_service):
    svc = await _service(backend, request, tmp_path, make_service)
    due = D(2026, 6, 30)
    await svc.handle(
        handlers.project_assessment, assessment("N-W", [(n, 10_000, due, 0) for n in range(1, 8)])
    )
    await svc.handle(handlers.note_receipt, receipt("w-1", "N-W", 1, D(2026, 7, 10)))  # on the batch date
    await svc.handle(handlers.note_receipt, receipt("w-2", "N-W", 2, D(2026, 7, 20), preliminary=True))
    await svc.handle(handlers.note_receipt, receipt("w-3", "N-W", 3, D(2026, 7, 20)))  # after the batch
    # ... and shown by the ledger: the remainder is dunned (a partial payment never cancels the 督促)
    await svc.handle(handlers.project_installment_states, partly_paid("N-W", 3, 10_000, 1_000, due))
    await svc.handle(
        holds.set_hold, holds.DemandHold(notice_number="N-W", installment_no=4, reason="staff_hold")
    )
    # a receipt and a hold on the same installment count once, as a receipt
    await svc.handle(handlers.note_receipt, receipt("w-5", "N-W", 5, D(2026, 7, 1), applied=500))
    await svc.handle(
        holds.set_hold, holds.DemandHold(notice_number="N-W", installment_no=5, reason="staff_hold")
    )
    summary = await _nightly(svc, D(2026, 7, 10))
    notices = {r["installment_no"]: r for r in await svc.rows(orm.demand_notices)}
    assert set(notices) == {3, 6, 7}
    assert notices[3]["principal_tax_due"] == 9_000
    assert summary["withheld"] == {"receipt": 2, "preliminary": 1, "hold": 1, "debit_in_flight": 0}
    assert summary["demand_notices"] == 3 and summary["demand_notices_late"] == 0
    installments = {r["installment_no"]: r for r in await svc.rows(orm.installments)}
    for n in (3, 6, 7):
        assert installments[n]["demand_issued_on"] == D(2026, 7, 10)
        assert installments[n]["late_fee_version"] == 1
        assert notices[n]["late_fee_accrued"] == installments[n]["late_fee"]
    assert installments[1]["demand_issued_on"] is None
    assert sum(e["kind"] == "demand" for e in await svc.rows(orm.limitation_events)) == 3
    # a second run the same day issues nothing more and counts the same withheld rows
    again = await _nightly(svc, D(2026, 7, 10))
    assert again["demand_notices"] == 0 and again["withheld"] == summary["withheld"]


@pytest.mark.integration
async def test_benchmark_rounds_on_postgresql(request, make_service):
    pg_databases = request.getfixturevalue("pg_databases")
    (url,) = await asyncio.to_thread(pg_databases, 1)
    svc = make_service(url)
    figures = await benchmark_command(svc.runtime, 2_400, DAY, Console(quiet=True), rounds=2)
    assert figures["database"] == "postgresql" and figures["rounds"] == 2
    assert len(figures["batch_seconds"]) == len(figures["baseline_update_seconds"]) == 2
    assert figures["median_batch_seconds"] > 0 and figures["ratio_to_baseline"] > 0
    # both rounds saw the same data: the rolled-back first round left no 督促 behind
    assert await svc.count(orm.demand_notices) == figures["demand_notices"] > 0
    assert await svc.count(orm.batches) == 1
