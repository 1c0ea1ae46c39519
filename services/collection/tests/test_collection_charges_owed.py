"""Issue #12 defect 3: 延滞金 and 督促手数料 stay debts after the 本税 is paid — in the case view and its
totals, in 催告 campaigns and in 不納欠損 — until money applied beyond the 本税 pays them
(督促手数料 first, then 延滞金; 法17条の2③ 本税 before 延滞金)."""

from __future__ import annotations

import datetime as dt

from osame_collection.adapters import orm
from osame_collection.domain.campaign import CampaignCriteria
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.domain.projection import InstallmentStatus, owed, status_for
from osame_collection.service_layer import cases, handlers, reminders, stays
from osame_collection.service_layer.policy import CollectionPolicy

from .test_collection_nightly import ADDRESSEE, assessment, ledger_state, nightly, receipt

D = dt.date
DUE = D(2024, 6, 30)
PRINCIPAL = 1_000_000
PAID_ON = D(2026, 6, 30)


async def principal_paid(service) -> int:
    """Dunned, then the 本税 paid two years late: the 確定延滞金 and the 100-yen fee are still owed."""
    await service.handle(handlers.project_assessment, assessment("N-C", [(1, PRINCIPAL, DUE, 0)]))
    await nightly(service, D(2024, 7, 10))
    await service.handle(handlers.note_receipt, receipt("r-1", "N-C", 1, PAID_ON, applied=PRINCIPAL))
    await service.handle(
        handlers.project_installment_states, ledger_state("N-C", 1, PRINCIPAL, PRINCIPAL, DUE, 2, PAID_ON)
    )
    late_fee = accrued_late_fee(PRINCIPAL, DUE, PAID_ON, [(PAID_ON, PRINCIPAL)], []).late_fee
    assert late_fee > 0
    return late_fee


async def view(service, as_of=D(2026, 7, 15)) -> dict:
    return await service.handle(
        cases.delinquency_view, cases.ViewCase(addressee_id=ADDRESSEE, as_of=as_of, staff_user="s-1")
    )


def test_status_is_not_computed_from_the_principal_alone():
    assert status_for(1000, 1000, 100, 0, 0) is InstallmentStatus.CHARGES
    assert status_for(1000, 1000, 0, 66_900, 0) is InstallmentStatus.CHARGES
    assert status_for(1000, 1000, 100, 66_900, 67_000) is InstallmentStatus.PAID
    assert status_for(1000, 999, 0, 0, 5_000) is InstallmentStatus.OPEN
    # money beyond the 本税 pays the fee first, then the 延滞金
    assert owed(1000, 1000, 100, 66_900, 150) == owed(1000, 1000, 0, 66_850, 0)


async def test_case_view_and_totals_keep_late_fee_and_demand_fee_after_principal_paid(service):
    late_fee = await principal_paid(service)
    body = await view(service)
    [line] = body["unpaid"]
    assert (line["unpaid"], line["late_fee"], line["demand_fee"]) == (0, late_fee, 100)
    assert line["status"] == "charges"
    assert body["totals"]["owed"] == late_fee + 100
    assert body["totals"]["late_fee"] == late_fee and body["totals"]["demand_fee"] == 100


async def test_payments_beyond_principal_pay_fee_then_late_fee_until_nothing_is_owed(service):
    late_fee = await principal_paid(service)
    await service.handle(handlers.note_receipt, receipt("r-2", "N-C", 1, D(2026, 7, 1), applied=100))
    [line] = (await view(service))["unpaid"]
    assert (line["demand_fee"], line["late_fee"]) == (0, late_fee)
    await service.handle(handlers.note_receipt, receipt("r-3", "N-C", 1, D(2026, 7, 2), applied=late_fee))
    assert (await view(service))["unpaid"] == []
    [row] = await service.rows(orm.installments)
    assert row["status"] == "paid"


async def test_campaign_sends_a_reminder_for_late_fee_and_fee_only(service):
    late_fee = await principal_paid(service)
    campaign_id = await service.handle(
        reminders.save_campaign,
        reminders.SaveCampaign(name="延滞金", criteria=CampaignCriteria(), staff_user="s-1"),
    )
    summary = await service.handle(
        reminders.run_campaign,
        reminders.RunCampaign(campaign_id=campaign_id, run_on=D(2026, 7, 20), staff_user="s-1"),
    )
    assert summary["reminders"] == 1
    [reminder] = await service.rows(orm.reminders)
    assert reminder["total_due"] == late_fee + 100
    [item] = await service.rows(orm.reminder_items)
    assert (item["principal_tax_due"], item["late_fee_accrued"], item["demand_fee_due"]) == (0, late_fee, 100)


async def test_write_off_covers_late_fee_and_fee_left_after_principal_paid(service):
    late_fee = await principal_paid(service)
    pinned = CollectionPolicy(business_date=lambda: D(2031, 12, 1))
    prepared = await service.handle(
        lambda c, uow: stays.run_write_offs(c, uow, policy=pinned),
        stays.RunWriteOffs(as_of=D(2031, 12, 1), staff_user="s-1"),
    )
    result = await service.handle(
        lambda c, uow: stays.approve_write_offs(c, uow, policy=pinned),
        stays.ApproveWriteOffs(run_id=prepared["run_id"], staff_user="s-2"),
    )
    assert result["written_off"]["limitation"] == 1
    [row] = await service.rows(orm.write_offs)
    assert (row["principal_tax"], row["late_fee"], row["demand_fee"]) == (0, late_fee, 100)
