"""不渡 reversal as a use case: take the cheque's money back from wherever it went (domain/dishonour.py).

Installments it paid are re-opened (InstallmentsPartlyPaid with a newer ledger_version, for
collection); the overpayments it created — its own, and those a later 減額更正 made of its money —
are withdrawn and announced to refunds as `receipts.overpayment.withdrawn.v1` (refunds stops
refunding or appropriating them, and turns a refund already paid into a visible claim); 充当 booked
from them are reversed first and listed in the event.
"""

from __future__ import annotations

import datetime as dt

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts

from osame_receipts.adapters.repository import LedgerRepository
from osame_receipts.domain.dishonour import HeldOverpayment, plan_dishonour
from osame_receipts.domain.reconciliation import Component
from osame_receipts.service_layer import handlers


async def reverse_receipt_money(
    uow: UnitOfWork, receipt: dict, on: dt.date, reason: receipts.OverpaymentWithdrawalReason
) -> None:
    """Reverse a final receipt (already marked reversed by the caller) and everything it caused."""
    repo = LedgerRepository(uow.session)
    notice = await repo.get_notice(receipt["notice_number"], lock=True)
    inst = await repo.installment(receipt["notice_number"], receipt["installment_no"]) if notice else None
    if notice is None or inst is None:
        return
    held = []
    for op in await repo.overpayments_of_cheque(
        receipt["receipt_id"], notice.notice_number, inst.installment_no
    ):
        held.append(
            HeldOverpayment(
                op["overpayment_id"],
                op["amount"],
                op["appropriated"],
                op["withdrawn"],
                tuple(await repo.applied_appropriations(op["overpayment_id"])),
            )
        )
    plan = plan_dishonour(
        receipt["amount"],
        {
            Component.PRINCIPAL_TAX: receipt["applied_principal_tax"],
            Component.DEMAND_FEE: receipt["applied_demand_fee"],
            Component.LATE_FEE: receipt["applied_late_fee"],
        },
        {
            Component.PRINCIPAL_TAX: inst.paid,
            Component.DEMAND_FEE: inst.demand_fee_paid,
            Component.LATE_FEE: inst.late_fee_paid,
        },
        held,
    )
    touched = {(notice.notice_number, inst.installment_no): (notice, inst)}
    inst.unbook(
        plan.taken[Component.PRINCIPAL_TAX], plan.taken[Component.DEMAND_FEE], plan.taken[Component.LATE_FEE]
    )
    for w in plan.withdrawals:
        for appropriation_id in w.appropriations_reversed:
            await _reverse_appropriation(uow, repo, appropriation_id, w.overpayment_id, on, touched)
        await repo.add_withdrawn(w.overpayment_id, w.amount)
        await uow.publish(
            receipts.OverpaymentWithdrawn(
                overpayment_id=w.overpayment_id,
                addressee_id=notice.addressee_id,
                amount=w.amount,
                withdrawn_on=on,
                reason=reason,
                appropriations_reversed=list(w.appropriations_reversed),
            )
        )
    states = []
    for n, i in touched.values():
        n.ledger_version += 1
        await repo.set_paid(i)
        await repo.save_notice(n, new=False)
        last_paid = await repo.latest_paid_on(n.notice_number, i.installment_no) or receipt["paid_on"]
        states.append(handlers.installment_state(n, i, last_paid, on))
    # collection re-opens the installments from the newer ledger_version (remaining > 0)
    await uow.publish(receipts.InstallmentsPartlyPaid(items=states))


async def reverse_and_announce(
    uow: UnitOfWork, receipt: dict, on: dt.date, reason: receipts.OverpaymentWithdrawalReason
) -> None:
    """Reverse a final, matched receipt (already marked reversed by the caller) with everything it
    caused, and announce it to collection (`ReceiptReversed`, its reason: 不渡 or 収納訂正)."""
    await reverse_receipt_money(uow, receipt, on, reason)
    notice = await LedgerRepository(uow.session).get_notice(receipt["notice_number"])
    await uow.publish(
        receipts.ReceiptReversed(
            receipt_id=receipt["receipt_id"],
            addressee_id=notice.addressee_id,
            notice_number=notice.notice_number,
            installment_no=receipt["installment_no"],
            channel=receipts.Channel(receipt["channel"]),
            amount=receipt["amount"],
            applied=receipt["applied"],
            paid_on=receipt["paid_on"],
            reversed_on=on,
            reason=reason.value,
        )
    )


async def _reverse_appropriation(uow, repo: LedgerRepository, appropriation_id, overpayment_id, on, touched):
    """Undo a 充当 booked from a withdrawn overpayment: its receipts are reversed, the installments
    they paid re-opened (clamped at what is booked)."""
    total = 0
    for r in await repo.appropriation_receipts(appropriation_id):
        key = (r["notice_number"], r["installment_no"])
        if key not in touched:
            notice = await repo.get_notice(r["notice_number"], lock=True)
            touched[key] = (notice, await repo.installment(*key))
        _, inst = touched[key]
        inst.unbook(
            min(r["applied_principal_tax"], inst.paid),
            min(r["applied_demand_fee"], inst.demand_fee_paid),
            min(r["applied_late_fee"], inst.late_fee_paid),
        )
        await repo.set_receipt_state(r["receipt_id"], "reversed", reversed_on=on)
        total += r["amount"]
    await repo.reverse_appropriation(appropriation_id, overpayment_id, total)
