"""Property: the nightly batch never issues a 督促 for an installment with a pending 速報, a confirmed
receipt the ledger does not show yet (行き違い guard, practice F6–F8) or a hold — and it issues one
for every other overdue open installment, partly paid ones included, naming the remainder (issue #12
defect 1; the SQL agrees with ``domain.demand.may_issue_demand``)."""

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
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import receipts

from .conftest import Service

BATCH_DAY = dt.date(2026, 7, 10)
days = st.integers(min_value=-40, max_value=15).map(lambda n: BATCH_DAY + dt.timedelta(days=n))

installment = st.fixed_dictionaries(
    {
        "due": days,
        "principal": st.sampled_from([2_000, 5_000, 30_000]),  # > 3 receipts of 500
        "paid_all": st.booleans(),
        "receipts": st.lists(
            st.tuples(days, st.booleans(), st.booleans()),  # (paid_on, preliminary, confirmed later)
            max_size=3,
        ),
        "hold": st.booleans(),
        "staff_hold": st.booleans(),
        "reflected": st.booleans(),  # the ledger state of the confirmed receipts has arrived
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
            applied = sum(500 for _, preliminary, _ in case["receipts"] if not preliminary)
            if applied and case["reflected"] and not case["paid_all"]:
                await svc.handle(
                    handlers.project_installment_states,
                    receipts.InstallmentsPartlyPaid(
                        items=[
                            receipts.InstallmentState(
                                addressee_id="300001",
                                notice_number="PROP-1",
                                installment_no=n,
                                tax_item="resident_tax",
                                fiscal_year=2026,
                                due_date=case["due"],
                                principal_tax=case["principal"],
                                paid=applied,
                                remaining=case["principal"] - applied,
                                last_paid_on=BATCH_DAY,
                                ledger_version=2,
                            )
                        ]
                    ),
                )
            if case["hold"]:
                await svc.handle(
                    holds.set_hold,
                    holds.DemandHold(
                        notice_number="PROP-1", installment_no=n, reason="appropriation_pending"
                    ),
                )
            views[n] = DunningView(
                due_date=case["due"],
                open=not case["paid_all"],
                demanded=False,
                written_off=False,
                unreflected_receipt=applied > 0 and not case["reflected"] and not case["paid_all"],
                pending_preliminary=pending,
                held=case["hold"] or case["staff_hold"],
            )
        await svc.handle(lambda c, uow: run_nightly(c, uow), RunNightly(batch_date=BATCH_DAY))
        notices = await svc.rows(orm.demand_notices)
        for notice in notices:  # the 督促 names the remainder of a partly paid installment
            case = cases[notice["installment_no"] - 1]
            applied = sum(500 for _, preliminary, _ in case["receipts"] if not preliminary)
            assert notice["principal_tax_due"] == case["principal"] - applied
        return {r["installment_no"] for r in notices}, views
    finally:
        await svc.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(installment, min_size=1, max_size=12))
def test_demand_waits_for_unconfirmed_payments_and_duns_the_remainder(cases, template, tmp_path):
    db = tmp_path / "guard.db"
    shutil.copy(template, db)
    issued, views = asyncio.run(_run(db, cases))
    for n, v in views.items():
        if v.pending_preliminary or v.unreflected_receipt or v.held:
            assert n not in issued, f"督促 despite an unconfirmed payment or a hold: {cases[n - 1]}"
    assert issued == {
        n
        for n, v in views.items()
        if may_issue_demand(v, BATCH_DAY, CollectionPolicy().demand_cutoff_business_days)
    }
