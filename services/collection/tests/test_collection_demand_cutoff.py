"""Issue #12 defect 2: no 督促 the night after the 納期限 — only after the configurable data cut-off
(N business days, OSAME_DEMAND_CUTOFF_BUSINESS_DAYS, default 3), within 法329's 20 days.
Reproduced on main: the 督促 went out the night after the 納期限 (the 行き違い incident pattern)."""

from __future__ import annotations

import datetime as dt

from osame_collection.service_layer import handlers
from osame_collection.service_layer.policy import CollectionPolicy

from .test_collection_nightly import assessment, demanded, nightly

D = dt.date


async def test_demand_waits_for_the_cutoff_then_goes_out_within_20_days(service):
    due = D(2026, 6, 30)  # Tue; cut-off with 3 business days: Fri 7/3
    await service.handle(handlers.project_assessment, assessment("N-CO", [(1, 100_000, due, 0)]))
    night_after = await nightly(service, D(2026, 7, 1))
    assert night_after["demand_notices"] == 0 and night_after["demand_cutoff_due_date"] < due.isoformat()
    assert (await nightly(service, D(2026, 7, 3)))["demand_notices"] == 0  # on the cut-off day
    assert (await nightly(service, D(2026, 7, 4)))["demand_notices"] == 1
    [notice] = (await demanded(service)).values()
    assert notice["issued_on"] <= D(2026, 7, 20)  # 法329: within 20 days


async def test_cutoff_is_a_city_setting(service):
    await service.handle(handlers.project_assessment, assessment("N-CO", [(1, 100_000, D(2026, 6, 30), 0)]))
    summary = await nightly(service, D(2026, 7, 1), policy=CollectionPolicy(demand_cutoff_business_days=0))
    assert summary["demand_notices"] == 1
