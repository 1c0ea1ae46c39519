"""充当 use case: apply an appropriation command from refunds as receipts of channel 充当, in the
充当 order in force on its 充当適状日 (``law_orders``, versioned law data)."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from osame_law import ClaimKind, first_out_of_order

from osame_receipts.adapters.repository import LedgerRepository
from osame_receipts.domain.appropriation import Debt, Line, Refusal, Verdict, check_appropriation
from osame_receipts.domain.reconciliation import Component, apply_to_component
from osame_receipts.service_layer import law_orders
from osame_receipts.service_layer.addressees import survivor_of
from osame_receipts.service_layer.handlers import installment_state


async def _check_order(uow: UnitOfWork, lines: list[Line], owed: dict, command) -> Verdict:
    """Refuse (``out_of_order``) a 充当 that pays a component of an installment while one ranked
    before it stays owed once the 充当 is booked — the 延滞金 before its tax (法17条の2③) or against
    the city's order loaded as data (``law_orders``). Refunds then holds the overpayment for staff."""
    policy, _source = await law_orders.order_on(uow.session, command.appropriable_on)
    after = {(str(k), ClaimKind(c.value)): o.of(c) for k, o in owed.items() for c in Component}
    for line in lines:
        after[(str(line.key), ClaimKind(line.component.value))] -= line.amount
    booked = [(str(line.key), ClaimKind(line.component.value), line.amount) for line in lines]
    index = first_out_of_order(booked, after, policy)
    if index is None:
        return Verdict(None)
    return Verdict(Refusal.OUT_OF_ORDER, item_index=index)


async def apply_appropriation(command: receipts.AppropriateOverpayment, uow: UnitOfWork) -> str:
    """充当: book every item as a receipt dated the 充当適状日, or refuse the whole command.

    Items on installments of a 宛名番号 merged (名寄せ) with the overpayment's are the same
    person's debts and accepted.

    Returns "applied", "refused" or "duplicate" (the appropriation_id was seen before). The outcome
    goes to refunds as AppropriationApplied/Refused, the ledger changes to collection.
    """
    repo = LedgerRepository(uow.session)
    if await repo.appropriation_recorded(command.appropriation_id):
        return "duplicate"
    overpayment = await repo.get_overpayment(command.overpayment_id, lock=True)
    available = overpayment["amount"] - overpayment["appropriated"] if overpayment else 0
    notices, debts = {}, {}
    for item in command.items:
        key = (item.notice_number, item.installment_no)
        if key in debts:
            continue
        notice = notices.get(item.notice_number) or await repo.get_notice(item.notice_number, lock=True)
        inst = await repo.installment(*key) if notice else None
        if notice is None or inst is None:
            continue
        notices[item.notice_number] = notice
        debts[key] = (notice, inst)
    lines = [
        Line((i.notice_number, i.installment_no), Component(i.component.value), i.amount)
        for i in command.items
    ]
    # 名寄せ: the 充当 may cover debts of the same person under a merged 宛名番号 (法17条の2①,
    # refunds plans across merges); receipts resolves every 宛名番号 to its person from its own
    # copy of address-sync's merges, so a debt under a merged number is the person's own.
    person = {}
    for addressee_id in {command.addressee_id, *(n.addressee_id for n, _ in debts.values())} | (
        {overpayment["addressee_id"]} if overpayment else set()
    ):
        person[addressee_id] = await survivor_of(uow.session, addressee_id)
    verdict = check_appropriation(
        lines,
        addressee_id=person[command.addressee_id],
        overpayment_addressee_id=person[overpayment["addressee_id"]] if overpayment else None,
        available=available,
        debts={k: Debt(person[n.addressee_id], inst.owed()) for k, (n, inst) in debts.items()},
    )
    if verdict.accepted:  # the 充当 order in force on the 充当適状日 (law data, issue #12 B7)
        verdict = await _check_order(uow, lines, {k: inst.owed() for k, (_, inst) in debts.items()}, command)
    total = sum(line.amount for line in lines)
    await repo.add_appropriation(
        appropriation_id=command.appropriation_id,
        overpayment_id=command.overpayment_id,
        addressee_id=command.addressee_id,
        appropriable_on=command.appropriable_on,
        total=total if verdict.accepted else 0,
        outcome="applied" if verdict.accepted else "refused",
        reason=verdict.refusal.value if verdict.refusal else None,
        recorded_at=datetime.now(UTC),
    )
    if not verdict.accepted:
        await uow.publish(
            receipts.AppropriationRefused(
                appropriation_id=command.appropriation_id,
                overpayment_id=command.overpayment_id,
                addressee_id=command.addressee_id,
                reason=receipts.AppropriationRefusal(verdict.refusal.value),
                item_index=verdict.item_index,
                owed=verdict.owed,
                available=verdict.available,
            )
        )
        return "refused"

    applied = []
    touched = {}
    day = command.appropriable_on
    for index, (item, line) in enumerate(zip(command.items, lines, strict=True)):
        notice, inst = debts[line.key]
        result = apply_to_component(inst.owed(), line.component, line.amount)
        inst.book(result)
        receipt_id = new_id()
        await repo.save_receipt(
            receipt_id,
            dict(
                channel=receipts.Channel.APPROPRIATION,
                channel_key=f"{command.appropriation_id}:{index}",
                notice_number=item.notice_number,
                installment_no=item.installment_no,
                amount=line.amount,
                applied=line.amount,
                applied_principal_tax=result.principal_tax,
                applied_demand_fee=result.demand_fee,
                applied_late_fee=result.late_fee,
                overpaid=0,
                paid_on=day,
                booked_on=day,
                preliminary=False,
                state="final",
                matched=True,
                recorded_at=datetime.now(UTC),
            ),
            new=True,
        )
        await uow.publish(
            receipts.ReceiptRecorded(
                receipt_id=receipt_id,
                addressee_id=notice.addressee_id,
                notice_number=item.notice_number,
                installment_no=item.installment_no,
                channel=receipts.Channel.APPROPRIATION,
                amount=line.amount,
                applied=line.amount,
                overpaid=0,
                paid_on=day,
                booked_on=day,
                preliminary=False,
            )
        )
        applied.append(
            receipts.AppliedAppropriationItem(
                notice_number=item.notice_number,
                installment_no=item.installment_no,
                component=item.component,
                amount=line.amount,
                receipt_id=receipt_id,
            )
        )
        touched[line.key] = (notice, inst)
    for notice in notices.values():
        notice.ledger_version += 1
        await repo.save_notice(notice, new=False)
    settled, partly = [], []
    for notice, inst in touched.values():
        await repo.set_paid(inst)
        state = installment_state(notice, inst, day, day)
        (settled if inst.owed().total == 0 else partly).append(state)
    if settled:
        await uow.publish(receipts.InstallmentsSettled(items=settled))
    if partly:
        await uow.publish(receipts.InstallmentsPartlyPaid(items=partly))
    await repo.add_appropriated(command.overpayment_id, total)
    await uow.publish(
        receipts.AppropriationApplied(
            appropriation_id=command.appropriation_id,
            overpayment_id=command.overpayment_id,
            addressee_id=command.addressee_id,
            appropriable_on=day,
            total=total,
            overpayment_unappropriated=available - total,
            items=applied,
        )
    )
    return "applied"
