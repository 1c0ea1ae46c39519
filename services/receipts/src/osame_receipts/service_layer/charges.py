"""督促手数料, 延滞金 and 不納欠損 from collection reach the 調定 ledger (what is owed per component)."""

from __future__ import annotations

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection

from osame_receipts.adapters.repository import LedgerRepository


async def charge_demand_fees(event: collection.DemandNoticesIssued, uow: UnitOfWork) -> int:
    """督促: the 督促手数料 becomes owed on the installment (one 督促 per 期別; repeats are ignored).

    Returns how many installments were charged. Unknown installments are skipped (the assessment
    always precedes a 督促 in collection, so this only happens for foreign test data).
    """
    repo = LedgerRepository(uow.session)
    charged = 0
    for item in event.items:
        inst = await repo.installment(item.notice_number, item.installment_no, lock=True)
        if inst is None or inst.demand_notice_id is not None:
            continue
        inst.demand_notice_id = item.demand_notice_id
        inst.demand_fee = item.demand_fee
        await repo.set_charges(inst)
        charged += 1
    return charged


async def charge_late_fees(event: collection.LateFeesAssessed, uow: UnitOfWork) -> int:
    """確定延滞金: a fixed 延滞金 becomes owed on the installment; newer versions replace older ones.

    Amounts still accruing (`fixed=False`) are not owed yet and are not booked; money beyond the
    本税 then becomes an overpayment, as before collection fixes the 延滞金.
    """
    repo = LedgerRepository(uow.session)
    changed = 0
    for item in event.items:
        inst = await repo.installment(item.notice_number, item.installment_no, lock=True)
        if inst is None or item.version <= inst.late_fee_version:
            continue
        inst.late_fee_version = item.version
        if item.fixed:
            inst.late_fee = item.late_fee
        await repo.set_charges(inst)
        changed += 1
    return changed


async def write_off(event: collection.InstallmentsWrittenOff, uow: UnitOfWork) -> int:
    """不納欠損: nothing is owed on the installment any more; later money becomes an overpayment."""
    repo = LedgerRepository(uow.session)
    done = 0
    for item in event.items:
        inst = await repo.installment(item.notice_number, item.installment_no, lock=True)
        if inst is None or inst.written_off_on is not None:
            continue
        inst.written_off_on = item.extinguished_on
        await repo.set_charges(inst)
        done += 1
    return done
