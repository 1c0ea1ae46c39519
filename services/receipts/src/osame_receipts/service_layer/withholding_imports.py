"""Importing 特別徴収 納入 files: one 納入 over many employees (design note §3).

Each ``D`` row is one 納入 of one 義務者 (指定番号, 年度) for one 徴収月. Its 給与分 is split over
the employee-months of the 納入 (``domain.withholding``): with an eLTAX listing as listed (an
unknown or already separated employee's row is held), without one by filling the expected 月割額
in 通知書番号 order (recorded as ``seq``); the rest after every month is filled is the 義務者's
過納 (an overpayment on the last line, the ordinary overpayment path). Each line is a receipt of
the payment's channel (key ``<payment key>/<seq>``), so the money check and 収納訂正 see it.

Held (suspense, visible, never dropped): a 納入 of an unknown 指定番号/年度 or with no employee-month
to fill; the 退職手当等分 (分離課税: no 納入申告 ledger yet, design note §8 step 4) and the 延滞金
part (fixed by collection per 納入, step 2); a bad or implausible ``D`` row.

One file is one transaction (nothing half-applied); the same bytes again are ``already_imported``
with the first batch's id; a 納入 already recorded from another file is a duplicate.
"""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from osame_law.errors import ImplausibleDateError
from osame_law.special_collection import remittance_for, remittances

from osame_receipts.adapters import withholding_files as files
from osame_receipts.adapters.repository import LedgerRepository
from osame_receipts.adapters.withholding import WithholdingRepository
from osame_receipts.domain import withholding
from osame_receipts.domain.dates import check_receipt_dates
from osame_receipts.domain.reconciliation import Owed, overpayment_reason
from osame_receipts.service_layer import imports, suspense
from osame_receipts.service_layer.handlers import add_overpayment

KINDS = tuple(files.HEADERS)


async def import_withholding(uow: UnitOfWork, kind: str, data: bytes, *, file: str) -> imports.ImportReport:
    parsed = await imports.off_loop(files.parse, kind, data, file)
    channel = files.CHANNELS[kind]
    digest = await imports.digest_of(data)
    if (
        done := await imports.done_or_refused(uow, parsed, channel=channel, file=file, digest=digest)
    ) is not None:
        return done
    report = imports.ImportReport(
        batch_id=new_id(),
        file=file,
        status="applied",
        records=parsed.records,
        invalid=len(parsed.rejected),
        errors=[imports.LocatedError(e.file, e.record_no, e.field, e.message) for e in parsed.record_errors],
        paid_yen=parsed.paid_yen,
    )
    held = [
        suspense.Held(
            r.record_no, r.error.field, r.error.message, r.amount, r.paid_on, r.booked_on, source=r.raw
        )
        for r in parsed.rejected
    ]
    for payment in parsed.payments:
        await _import_payment(uow, payment, report, held)
    await imports.put_on_hold(uow, report, channel=channel, held=held)
    await imports.record_batch(uow, report, channel, digest)
    return report


async def _import_payment(uow, payment: files.Payment, report: imports.ImportReport, held: list) -> None:
    def hold(field: str, reason: str, amount: int, part: str) -> None:
        if amount:
            held.append(
                suspense.Held(
                    payment.record_no,
                    field,
                    reason,
                    amount,
                    payment.paid_on,
                    payment.booked_on,
                    source=f"{payment.channel_key}/{part}",
                )
            )

    try:
        check_receipt_dates(payment.paid_on, payment.booked_on, uow.today())
    except ImplausibleDateError as err:
        name = str(err).split(" ", 1)[0]
        report.errors.append(imports.LocatedError(report.file, payment.record_no, name, str(err)))
        report.invalid += 1
        hold(name, str(err), payment.amount, "all")
        return
    wrepo = WithholdingRepository(uow.session)
    if await wrepo.payment_recorded(payment.channel, payment.channel_key):
        report.duplicates += 1
        report.duplicate_yen += payment.amount
        return
    account = await wrepo.account(payment.designation_number, payment.fiscal_year, lock=True)
    if account is None:
        report.unmatched += 1
        hold("designation_number", "no 特別徴収 account for this 指定番号 and 年度", payment.amount, "all")
        return
    hold(
        "retirement_amount",
        "退職手当等分: no 納入申告 ledger yet (held for staff)",
        payment.retirement_amount,
        "ret",
    )
    hold(
        "late_fee",
        "延滞金 on a 納入 is not fixed by collection yet (held for staff)",
        payment.late_fee,
        "late",
    )
    payment_id = new_id()
    lines, unlisted = await _split(uow, account, payment)
    for line in unlisted:
        hold(
            "notice_number",
            "no such employee of this 義務者 for the month (or separated before it)",
            line.amount,
            f"E{line.record_no}",
        )
    if not lines and not payment.listing:
        hold("month", "no employee-month of this 納入 to apply it to", payment.salary_amount, "salary")
    await wrepo.add_payment(
        payment_id=payment_id,
        channel=payment.channel,
        channel_key=payment.channel_key,
        batch_id=report.batch_id,
        designation_number=payment.designation_number,
        fiscal_year=payment.fiscal_year,
        month=payment.month,
        salary_amount=payment.salary_amount,
        retirement_amount=payment.retirement_amount,
        late_fee=payment.late_fee,
        amount=payment.amount,
        headcount=payment.headcount,
        listed=bool(payment.listing),
        paid_on=payment.paid_on,
        booked_on=payment.booked_on,
        recorded_at=datetime.now(UTC),
    )
    rows = [await _book(uow, payment, payment_id, line, report) for line in lines]
    await wrepo.add_allocations(rows)
    report.applied += 1


async def _split(uow, account, payment: files.Payment):
    """The lines of the 給与分 (listed or filled) and the listing rows that match no employee-month."""
    repo = LedgerRepository(uow.session)
    wrepo = WithholdingRepository(uow.session)
    fy = account.fiscal_year
    schedule = remittances(fy, special_approved_on=account.special_approved_on)
    months = remittance_for(withholding.parse_month(payment.month), schedule).months
    numbers = [withholding.installment_no(fy, m) for m in months]
    employees = {e.notice_number: e for e in await wrepo.employees(account.designation_number, fy)}

    async def open_month(notice_number: str, no: int) -> withholding.OpenMonth | None:
        inst = await repo.installment(notice_number, no, lock=True)
        return None if inst is None else withholding.OpenMonth(notice_number, no, inst.owed().principal_tax)

    if not payment.listing:
        opened = [await open_month(n, no) for n in sorted(employees) for no in numbers]
        return withholding.fill(payment.salary_amount, [m for m in opened if m is not None]), []
    listed, unlisted = [], []
    for row in payment.listing:
        employee = employees.get(row.notice_number)
        opened = [await open_month(row.notice_number, no) for no in numbers] if employee is not None else []
        if (
            employee is None
            or None in opened
            or employee.addressee_id != row.addressee_id
            or (employee.separated_month is not None and employee.separated_month < payment.month)
        ):
            unlisted.append(row)
        else:
            listed.append((opened, row.amount))
    return withholding.apply_listed(listed), unlisted


async def _book(uow, payment: files.Payment, payment_id: str, line: withholding.Line, report) -> dict:
    """One line as a receipt on its employee-month; its 過納 through the overpayment path."""
    repo = LedgerRepository(uow.session)
    notice = await repo.get_notice(line.notice_number, lock=True)
    inst = await repo.installment(line.notice_number, line.installment_no, lock=True)
    reason = overpayment_reason(
        owed_before=Owed(principal_tax=inst.owed().principal_tax),
        assessed=inst.principal_tax,
        already_paid=inst.paid,
        written_off=inst.written_off_on is not None,
    )
    receipt_id = new_id()
    await repo.save_receipt(
        receipt_id,
        dict(
            channel=payment.channel,
            channel_key=f"{payment.channel_key}/{line.seq}",
            notice_number=line.notice_number,
            installment_no=line.installment_no,
            amount=line.amount,
            applied=line.applied,
            applied_principal_tax=line.applied,
            applied_demand_fee=0,
            applied_late_fee=0,
            overpaid=line.overpaid,
            paid_on=payment.paid_on,
            booked_on=payment.booked_on,
            preliminary=False,
            state="final",
            matched=True,
            batch_id=report.batch_id,
            raw_record=None,
            recorded_at=datetime.now(UTC),
        ),
        new=True,
    )
    inst.paid += line.applied
    await repo.set_paid(inst)
    notice.ledger_version += 1
    await repo.save_notice(notice, new=False)
    if line.overpaid:
        report.overpayments += 1
        await add_overpayment(
            uow,
            repo,
            notice,
            line.installment_no,
            receipt_id=receipt_id,
            amount=line.overpaid,
            cause=receipts.OverpaymentCause.ERRONEOUS_PAYMENT,
            reason=reason.value,
            arose_on=payment.booked_on,
            paid_on=payment.paid_on,
        )
    return dict(
        payment_id=payment_id,
        seq=line.seq,
        notice_number=line.notice_number,
        installment_no=line.installment_no,
        receipt_id=receipt_id,
        amount=line.amount,
        applied=line.applied,
        overpaid=line.overpaid,
        listed=line.listed,
    )
