"""Issue #12 defect 11: a crashed nightly batch leaves a trace (a ``failed`` run in ``batches``, for
the failed-run alert, and an audit entry), nothing half-applied, and the same date re-runs safely.
Reproduced on main: the failure rolled back with the batch and nothing recorded that it ran."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.adapters import orm
from osame_collection.service_layer import handlers
from osame_collection.service_layer.nightly import RunNightly, run_and_record
from osame_collection.service_layer.policy import CollectionPolicy

from .test_collection_nightly import assessment

D = dt.date
DAY = D(2026, 7, 15)
POLICY = CollectionPolicy(business_date=lambda: DAY)


class Crash(RuntimeError):
    pass


async def test_crashed_batch_is_recorded_and_re_runs_safely(service):
    await service.handle(handlers.project_assessment, assessment("N-X", [(1, 100_000, D(2026, 6, 30), 0)]))

    def crash(_advance, _total):  # the process dies in the middle of the batch
        raise Crash

    with pytest.raises(Crash):
        await run_and_record(
            service.runtime.unit_of_work, RunNightly(batch_date=DAY), policy=POLICY, progress=crash
        )
    [failed] = await service.rows(orm.batches)
    assert (failed["status"], failed["run_on"], failed["summary"]) == ("failed", DAY, {"error": "Crash"})
    assert await service.count(orm.demand_notices) == 0  # nothing half-applied
    [row] = await service.rows(orm.installments)
    assert row["late_fee_on"] is None
    assert any(e["operation"] == "nightly_batch.failed" for e in await service.rows(orm.audit_log))
    # the same date again: done, once
    summary = await run_and_record(service.runtime.unit_of_work, RunNightly(batch_date=DAY), policy=POLICY)
    assert summary["demand_notices"] == 1
    statuses = sorted(b["status"] for b in await service.rows(orm.batches))
    assert statuses == ["done", "failed"]
