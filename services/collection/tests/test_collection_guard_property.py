"""Property: the nightly batch never issues a 督促 for an installment with a receipt dated on or before
the batch date (行き違い guard, practice F6–F8), nor with a pending 速報 or a hold — and it issues one
for every other overdue open installment (the SQL agrees with ``domain.demand.may_issue_demand``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from osame_collection.adapters import orm
from osame_collection.domain.demand import DunningView, may_issue_demand
from osame_collection.service_layer import handlers, holds
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_contracts.messages import receipts

from .conftest import Service

BATCH_DAY = dt.date(2026, 7, 10)
days = st.integers(min_value=-40, max_value=15).map(lambda n: BATCH_DAY + dt.timedelta(days=n))

installment = st.fixed_dictionaries(
    {
        "due": days,
        "principal": st.sampled_from([1_000, 5_000, 30_000]),
        "paid_all": st.booleans(),
        "receipts": st.lists(
            st.tuples(days, st.booleans(), st.booleans()),  # (paid_on, preliminary, confirmed later)
            max_size=3,
        ),
        "hold": st.booleans(),
        "staff_hold": st.booleans(),
    }
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("guard") / "template.db"

    async def build():
        svc = Service(f"sqlite+aiosqlite:///{path}")
        await svc.migrate()
        await svc.close()

    asyncio.run(build())
    return path


async def _run(db_path, cases) -> tuple[set, dict]:
    svc = Service(f"sqlite+aiosqlite:///{db_path}")
    try:
        rows = []
        for n, case in enumerate(cases, start=1):
            paid = case["principal"] if case["paid_all"] else 0
            rows.append(
                receipts.RecordedInstallment(
                    installment_no=n, principal_tax=case["principal"], due_date=case["due"], paid=paid
                )
            )
        await svc.handle(
            handlers.project_assessment,
            receipts.AssessmentRecorded(
                addressee_id="300001",
                notice_number="PROP-1",
                tax_item="resident_tax",
                fiscal_year=2026,
                ledger_version=1,
                installments=rows,
            ),
        )
        views = {}
        for n, case in enumerate(cases, start=1):
            if case["staff_hold"]:
                await svc.handle(
                    holds.set_hold,
                    holds.DemandHold(notice_number="PROP-1", installment_no=n, reason="staff_hold"),
                )
            pending = False
            for k, (paid_on, preliminary, confirmed) in enumerate(case["receipts"]):
                rid = f"r-{n}-{k}"
                recorded = receipts.ReceiptRecorded(
                    receipt_id=rid,
                    addressee_id="300001",
                    notice_number="PROP-1",
                    installment_no=n,
                    channel=receipts.Channel.CONVENIENCE_STORE,
                    amount=500,
                    applied=0 if preliminary else 500,
                    overpaid=0,
                    paid_on=paid_on,
                    booked_on=paid_on,
                    preliminary=preliminary,
                )
                await svc.handle(handlers.note_receipt, recorded)
                if preliminary and confirmed:  # resolved: its 速報取消 (03) arrives
                    await svc.handle(handlers.note_receipt, recorded.model_copy(update={"cancelled": True}))
                pending = pending or (preliminary and not confirmed)
            if case["hold"]:
                await svc.handle(
                    holds.set_hold,
                    holds.DemandHold(
                        notice_number="PROP-1", installment_no=n, reason="appropriation_pending"
                    ),
                )
            dated = [r[0] for r in case["receipts"]]
            views[n] = DunningView(
                due_date=case["due"],
                open=not case["paid_all"],
                demanded=False,
                written_off=False,
                last_receipt_on=min((d for d in dated if d <= BATCH_DAY), default=max(dated, default=None)),
                pending_preliminary=pending,
                held=case["hold"] or case["staff_hold"],
            )
        await svc.handle(lambda c, uow: run_nightly(c, uow), RunNightly(batch_date=BATCH_DAY))
        issued = {r["installment_no"] for r in await svc.rows(orm.demand_notices)}
        return issued, views
    finally:
        await svc.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(installment, min_size=1, max_size=12))
def test_no_demand_for_an_installment_with_a_receipt_on_or_before_the_batch_date(cases, template, tmp_path):
    db = tmp_path / "guard.db"
    shutil.copy(template, db)
    issued, views = asyncio.run(_run(db, cases))
    for n, case in enumerate(cases, start=1):
        if any(paid_on <= BATCH_DAY for paid_on, _, _ in case["receipts"]):
            assert n not in issued, f"督促 despite a receipt dated ≤ batch date: {case}"
    assert issued == {n for n, v in views.items() if may_issue_demand(v, BATCH_DAY)}
