"""給与特別徴収 ledger from the 税務システム: 決定, 税額変更 and 異動 (issue 15 phase 2 step 1).

Each employee's 通知書番号 is a notice of the ledger whose payer (``addressee_id``) is the
特別徴収義務者, with 期別 1..12 = 徴収月 June..May and each 期別's 納期限 = its 納入's (法321条の5①,
納期の特例 法321条の5の2①, shifted by 法20条の5②). The employee's 宛名番号 is kept on the line
(``withholding_employees``). A stale ``revision`` (per employee) is ignored; months already paid
keep their money, and an amount lowered below it makes a 過納 through the ordinary overpayment
path (OverpaymentDetected, cause 過納 by reassessment).

No installment events are published for these notices yet: collection's 延滞金 and 督促 for a
特別徴収 納入 run per 納入 against the 義務者 (design note §4, step 2), not per employee-month.
"""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts, taxation
from osame_contracts.messages import taxation_special_collection as sc
from osame_law.special_collection import remittance_for, remittances

from osame_receipts.adapters.repository import LedgerInstallment, LedgerRepository, Notice
from osame_receipts.adapters.withholding import Account, Employee, WithholdingRepository
from osame_receipts.domain import withholding
from osame_receipts.domain.ledger import classify_change
from osame_receipts.domain.reconciliation import excess_after_reduction
from osame_receipts.service_layer.handlers import add_overpayment

TAX_ITEM = taxation.TaxItem.RESIDENT_TAX.value


async def record_withholding(
    event: sc.SpecialCollectionDetermined | sc.SpecialCollectionChanged, uow: UnitOfWork
) -> None:
    """特別徴収税額の決定 (法321条の4②) or 税額変更: set each listed employee's 月割額 (from
    ``changed_from`` on for a change)."""
    account = await _account(uow, event)
    first = 0
    if isinstance(event, sc.SpecialCollectionChanged):
        first = withholding.installment_no(event.fiscal_year, withholding.parse_month(event.changed_from)) - 1
    wrepo = WithholdingRepository(uow.session)
    for line in sorted(event.employees, key=lambda e: e.notice_number):
        employee = await _employee(wrepo, account, line.notice_number, line.addressee_id)
        if employee.revision >= event.revision:
            continue  # stale (or already applied)
        ledger = await _ledger(uow, employee)
        current = [ledger[n].principal_tax for n in range(1, 13)] if len(ledger) == 12 else None
        amounts = withholding.rewrite_from(current, line.monthly_amounts, first)
        new = employee.revision == 0
        employee.revision = event.revision
        await wrepo.save_employee(employee, new=new)
        await _write_months(uow, account, employee, amounts, registered=new, on=event.notified_on)


async def record_separation(event: sc.SpecialCollectionSeparated, uow: UnitOfWork) -> None:
    """異動 (法321条の5②, 321条の7): the 義務者 withholds the month of the event and then nothing;
    a 一括徴収 is added to the month it is withheld."""
    account = await _account(uow, event, create=False)
    wrepo = WithholdingRepository(uow.session)
    employee = await wrepo.employee(event.notice_number, lock=True)
    if account is None or employee is None or employee.designation_number != event.designation_number:
        # no 決定 yet: dead-lettered, replayed once the 決定 has arrived (the order is not assumed)
        raise PermanentError("separation_before_determination")
    if employee.revision >= event.revision:
        return
    ledger = await _ledger(uow, employee)
    fy = event.fiscal_year
    amounts = withholding.after_separation(
        [ledger[n].principal_tax for n in range(1, 13)],
        withholding.installment_no(fy, withholding.parse_month(event.last_withheld_month)) - 1,
        event.lump_sum,
        withholding.installment_no(fy, withholding.parse_month(event.lump_sum_month)) - 1
        if event.lump_sum_month
        else None,
    )
    employee.revision = event.revision
    employee.separated_month = event.last_withheld_month
    await wrepo.save_employee(employee, new=False)
    await _write_months(uow, account, employee, amounts, registered=False, on=event.reported_on)


async def _account(uow: UnitOfWork, event, *, create: bool = True) -> Account | None:
    """The (指定番号, 年度) account; the 義務者 of a 指定番号 never changes within a year."""
    wrepo = WithholdingRepository(uow.session)
    account = await wrepo.account(event.designation_number, event.fiscal_year, lock=True)
    if account is not None and account.obligor_addressee_id != event.obligor_addressee_id:
        raise PermanentError("designation_number_of_another_obligor")
    if not create:
        return account
    schedule = getattr(event, "remittance_schedule", None)
    if account is None:
        account = Account(
            event.designation_number,
            event.fiscal_year,
            event.obligor_addressee_id,
            schedule.value,
            event.special_approved_on,
            event.notified_on,
        )
        await wrepo.save_account(account, new=True)
    elif event.notified_on >= account.notified_on:  # the latest notice sets the 納入 schedule
        account.remittance_schedule = schedule.value
        account.special_approved_on = event.special_approved_on
        account.notified_on = event.notified_on
        await wrepo.save_account(account, new=False)
    return account


async def _employee(wrepo: WithholdingRepository, account: Account, notice_number: str, addressee_id: str):
    employee = await wrepo.employee(notice_number, lock=True)
    if employee is None:
        if await LedgerRepository(wrepo.session).get_notice(notice_number) is not None:
            raise PermanentError("notice_number_is_not_special_collection")
        return Employee(notice_number, account.designation_number, account.fiscal_year, addressee_id, 0)
    if (employee.designation_number, employee.fiscal_year) != (
        account.designation_number,
        account.fiscal_year,
    ):
        raise PermanentError("notice_number_of_another_designation")
    return employee


async def _ledger(uow: UnitOfWork, employee: Employee) -> dict[int, LedgerInstallment]:
    return await LedgerRepository(uow.session).installments(employee.notice_number)


async def _write_months(
    uow: UnitOfWork, account: Account, employee: Employee, amounts: list[int], *, registered: bool, on
) -> None:
    """Write the 12 employee-months; paid money above a lowered amount becomes a 過納."""
    repo = LedgerRepository(uow.session)
    notice = await repo.get_notice(employee.notice_number, lock=True)
    is_new = notice is None
    if notice is None:
        notice = Notice(
            employee.notice_number,
            account.obligor_addressee_id,
            TAX_ITEM,
            account.fiscal_year,
            account.fiscal_year,
            employee.revision,
            0,
        )
    notice.revision = employee.revision
    notice.ledger_version += 1
    await repo.save_notice(notice, new=is_new)
    existing = await repo.installments(employee.notice_number)
    kind = classify_change(
        registered=registered,
        total_before=sum(i.principal_tax for i in existing.values()),
        total_after=sum(amounts),
    )
    schedule = remittances(account.fiscal_year, special_approved_on=account.special_approved_on)
    for no, amount in enumerate(amounts, 1):
        before = existing.get(no)
        if before is not None and before.principal_tax == amount:
            continue
        remittance = remittance_for(withholding.month_of(account.fiscal_year, no), schedule)
        paid = before.paid if before else 0
        excess = excess_after_reduction(amount, paid)
        inst = LedgerInstallment(employee.notice_number, no, amount, remittance.due, paid - excess)
        await repo.upsert_installment(inst, remittance.statutory_due, new=before is None)
        await repo.add_history(
            notice_number=employee.notice_number,
            revision=employee.revision,
            kind=kind.value,
            assessed_on=on,
            installment_no=no,
            principal_tax=amount,
            due_date=remittance.due,
            statutory_due_date=remittance.statutory_due,
            recorded_at=datetime.now(UTC),
        )
        if excess:
            paid_on = await repo.latest_paid_on(employee.notice_number, no) or on
            await add_overpayment(
                uow,
                repo,
                notice,
                no,
                receipt_id=None,
                amount=excess,
                cause=receipts.OverpaymentCause.REASSESSMENT,
                reason=receipts.OverpaymentReason.AFTER_REDUCTION.value,
                arose_on=on,
                paid_on=paid_on,
            )
