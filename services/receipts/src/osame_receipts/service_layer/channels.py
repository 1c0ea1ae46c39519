"""Channel use cases: コンビニ file, normalized OCR/MPN/eLTAX files, 窓口, 証券 (with 不渡), unmatched list.

Every channel ends in one normalized receipt and the same 消込 (`handlers.record_receipt` for
single payments, `imports.apply_receipts` for files). Nothing here writes SQL by hand except
through the repository and the bulk adapter.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from osame_law.errors import ImplausibleDateError
from sqlalchemy import func, insert, select, update

from osame_receipts.adapters import cvs, normalized, orm
from osame_receipts.adapters.repository import LedgerRepository
from osame_receipts.domain.dates import check_receipt_dates, check_record_date
from osame_receipts.domain.reconciliation import DEFAULT_ORDER, Component, allocate
from osame_receipts.service_layer import handlers, imports, reversal, suspense


class ChannelError(ValueError):
    """A refused operator request (message free of personal data)."""


# ---- コンビニ ------------------------------------------------------------------------------------


async def import_cvs(
    uow: UnitOfWork, data: bytes, *, file: str, order: tuple[Component, ...] = DEFAULT_ORDER, progress=None
) -> imports.ImportReport:
    """01 速報 → provisional receipt (announced: it blocks 督促); 02 確報 → final and applied;
    03 速報取消 → provisional removed. A payment is identified by agent, store, 収納日時 and receipt
    number (`CvsRecord.channel_key`): the same record seen twice is one receipt, two real payments
    of one slip are two. Invalid records reporting money (bad check digit, unreadable amount) and
    records with an implausible 収納日/振込予定日 are held on the suspense list; the same bytes
    imported again are a no-op."""
    digest = await imports.digest_of(data)
    if (done := await imports.already_imported(uow, file=file, digest=digest)) is not None:
        return done
    parsed = await imports.off_loop(cvs.parse_agent_file, data, file)
    if parsed.file_errors:
        return await imports.refuse_file(
            uow,
            channel="convenience_store",
            file=file,
            digest=digest,
            errors=parsed.file_errors + parsed.record_errors,  # a trailer mismatch hides no record error
            records=0,
        )
    report = imports.ImportReport(
        batch_id=new_id(),
        file=file,
        status="applied",
        records=len(parsed.records) + len(parsed.record_errors),
        invalid=len({e.record_no for e in parsed.record_errors}),
        errors=[imports.LocatedError(e.file, e.record_no, e.field, e.message) for e in parsed.record_errors],
        paid_yen=parsed.paid_yen,
    )
    staged = uow.staged
    overpayments_before = await _overpayment_count(uow)
    held = [_held(r.record_no, r.amount, r.receipt, r.error) for r in parsed.rejected]
    repo = LedgerRepository(uow.session)
    today = uow.today()
    for i, rec in enumerate(parsed.records):
        try:
            check_receipt_dates(rec.paid_on, rec.booked_on, today, booked_field="transfer_on")
        except ImplausibleDateError as err:
            field_name = str(err).split(" ", 1)[0]
            report.errors.append(imports.LocatedError(file, rec.record_no, field_name, str(err)))
            report.invalid += 1
            if rec.kind != "cancel":
                held.append(
                    suspense.Held(
                        rec.record_no,
                        field_name,
                        str(err),
                        rec.barcode.amount,
                        rec.paid_on,
                        rec.booked_on,
                        rec.barcode.notice_number,
                        rec.barcode.installment_no,
                        rec.raw,
                    )
                )
            continue
        command = receipts.RecordReceipt(
            channel=receipts.Channel.CONVENIENCE_STORE,
            channel_key=rec.channel_key,
            notice_number=rec.barcode.notice_number,
            installment_no=rec.barcode.installment_no,
            amount=rec.barcode.amount,
            paid_on=rec.paid_on,
            booked_on=rec.booked_on,
            preliminary=rec.kind == "preliminary",
        )
        if rec.kind == "cancel":
            outcome = await handlers.cancel_preliminary(
                command, uow, batch_id=report.batch_id, raw_record=rec.raw
            )
            if outcome == "already_final":
                report.errors.append(
                    imports.LocatedError(
                        file, rec.record_no, "record_type", "03 速報取消 after the 確報 was applied"
                    )
                )
            continue
        receipt_id = await handlers.record_receipt(
            command, uow, order=order, batch_id=report.batch_id, raw_record=rec.raw
        )
        if receipt_id is None:
            report.duplicates += 1
            report.duplicate_yen += 0 if command.preliminary else command.amount
            continue
        row = await repo.get_receipt(receipt_id)
        if not row["matched"]:
            report.unmatched += 1
        elif not command.preliminary:
            report.applied += 1
        if progress and i % 1000 == 0:
            progress("applied", i)
    await imports.put_on_hold(uow, report, channel="convenience_store", held=held)
    # every overpayment the file made, also those of earlier receipts its payments outranked
    report.overpayments = await _overpayment_count(uow) - overpayments_before
    report.events = uow.staged - staged
    await imports.record_batch(uow, report, "convenience_store", digest)
    return report


async def _overpayment_count(uow: UnitOfWork) -> int:
    return (await uow.session.execute(select(func.count()).select_from(orm.overpayments))).scalar_one()


# ---- OCR / MPN / eLTAX ------------------------------------------------------------------------


async def import_normalized(
    uow: UnitOfWork,
    kind: str,
    data: bytes,
    *,
    file: str,
    order: tuple[Component, ...] = DEFAULT_ORDER,
    progress=None,
) -> imports.ImportReport:
    parsed = await imports.off_loop(normalized.parse, kind, data, file)
    channel = normalized.CHANNELS[kind]
    digest = await imports.digest_of(data)
    if (
        done := await imports.done_or_refused(uow, parsed, channel=channel, file=file, digest=digest)
    ) is not None:
        return done
    return await imports.apply_receipts(
        uow,
        parsed.receipts,
        channel=channel,
        file=file,
        digest=digest,
        invalid=parsed.record_errors,
        records=parsed.records,
        order=order,
        progress=progress,
        held=[_held(r.record_no, r.amount, r.receipt, r.error) for r in parsed.rejected],
        paid_yen=parsed.paid_yen,
    )


def _held(record_no: int, amount: int | None, receipt, error) -> suspense.Held:
    """A rejected record that reports money → a suspense item (what could be read is kept)."""

    def day(value):
        return value if value is not None and value != dt.date.min else None

    return suspense.Held(
        record_no,
        error.field,
        error.message,
        amount,
        day(getattr(receipt, "paid_on", None)),
        day(getattr(receipt, "booked_on", None)),
        getattr(receipt, "notice_number", None) or None,
        getattr(receipt, "installment_no", None),
        getattr(receipt, "raw", None) or None,
    )


# ---- 窓口 and 証券 -------------------------------------------------------------------------------

_KEY_PART = re.compile(r"^[0-9A-Za-z]{1,20}$")
_NOTICE = re.compile(r"^[0-9A-Za-z-]{1,20}$")


def check_payment_fields(*, receipt_no: str, notice_number: str, installment_no: int, amount: int) -> None:
    """The fields of a payment typed at the counter, with the problem in plain words (defect 11)."""
    problems = []
    if not re.match(r"^[0-9A-Za-z:_-]{1,40}$", receipt_no):
        problems.append("receipt_no: must be 1–40 letters, digits, '-', '_' or ':'")
    if not _NOTICE.match(notice_number):
        problems.append("notice_number: must be the 通知書番号 as printed (1–20 letters, digits or '-')")
    if not 0 <= installment_no <= 99:
        problems.append("installment_no: must be a 期別 from 0 to 99")
    if amount <= 0:
        problems.append("amount: must be more than 0 yen")
    if problems:
        raise ChannelError("; ".join(problems))


async def receive_receipt(
    command: receipts.RecordReceipt, uow: UnitOfWork, *, order: tuple[Component, ...] = DEFAULT_ORDER
) -> str | None:
    """A single payment from a channel adapter (bus): its 領収日/収入日 are checked against the
    business date; an implausible one is held on the suspense list (never applied, never dropped)."""
    try:
        check_receipt_dates(command.paid_on, command.booked_on, uow.today())
    except ImplausibleDateError as err:
        await suspense.hold(
            uow,
            [
                suspense.Held(
                    None,
                    str(err).split(" ", 1)[0],
                    str(err),
                    command.amount,
                    command.paid_on,
                    command.booked_on,
                    command.notice_number,
                    command.installment_no,
                    command.channel_key,
                )
            ],
            channel=command.channel.value,
            batch_id=None,
            file=None,
        )
        return None
    return await handlers.record_receipt(command, uow, order=order)


async def counter_payment(
    uow: UnitOfWork,
    *,
    receipt_no: str,
    notice_number: str,
    installment_no: int,
    amount: int,
    paid_on: dt.date,
    order: tuple[Component, ...] = DEFAULT_ORDER,
) -> dict:
    """窓口 cash payment: 領収日 = 収入日 = the day paid (cash goes to the 会計 the same day).

    The fields are checked here with messages a cashier understands (field and problem, no
    value); 領収日 against the business date (not in the future, not past 時効)."""
    check_payment_fields(
        receipt_no=receipt_no, notice_number=notice_number, installment_no=installment_no, amount=amount
    )
    check_receipt_dates(paid_on, paid_on, uow.today())
    command = receipts.RecordReceipt(
        channel=receipts.Channel.COUNTER,
        channel_key=receipt_no,
        notice_number=notice_number,
        installment_no=installment_no,
        amount=amount,
        paid_on=paid_on,
        booked_on=paid_on,
    )
    receipt_id = await handlers.record_receipt(command, uow, order=order)
    if receipt_id is None:
        return {"receipt_id": None, "duplicate": True, "status": "duplicate"}
    row = await LedgerRepository(uow.session).get_receipt(receipt_id)
    out = {
        "receipt_id": receipt_id,
        "duplicate": False,
        "applied": row["applied"],
        "overpaid": row["overpaid"],
    }
    if not row["matched"]:
        return {
            **out,
            "status": "unmatched",
            "message": "no such 通知書番号 × 期別 in the ledger: the money was recorded on the unmatched"
            " list (GET /api/unmatched) for a clerk to assign",
        }
    return {**out, "status": "overpaid" if row["overpaid"] else "applied"}


async def receive_security(
    uow: UnitOfWork,
    *,
    instrument_number: str,
    drawee_bank_code: str,
    notice_number: str,
    installment_no: int,
    amount: int,
    received_on: dt.date,
    order: tuple[Component, ...] = DEFAULT_ORDER,
) -> tuple[str, str]:
    """証券 (check) received: recorded and applied on receipt; reversed if it is dishonoured (不渡)."""
    if not _KEY_PART.match(instrument_number) or not (
        drawee_bank_code.isdigit() and len(drawee_bank_code) == 4
    ):
        raise ChannelError("instrument_number must be 1–20 letters or digits and drawee_bank_code 4 digits")
    check_payment_fields(
        receipt_no=instrument_number,
        notice_number=notice_number,
        installment_no=installment_no,
        amount=amount,
    )
    check_receipt_dates(received_on, received_on, uow.today(), paid_field="received_on")
    key = f"{drawee_bank_code}-{instrument_number}"
    command = receipts.RecordReceipt(
        channel=receipts.Channel.SECURITY_INSTRUMENT,
        channel_key=key,
        notice_number=notice_number,
        installment_no=installment_no,
        amount=amount,
        paid_on=received_on,
        booked_on=received_on,
    )
    receipt_id = await handlers.record_receipt(command, uow, order=order)
    if receipt_id is None:
        raise ChannelError("this instrument was already recorded")
    instrument_id = new_id()
    await uow.session.execute(
        insert(orm.security_instruments).values(
            instrument_id=instrument_id,
            receipt_id=receipt_id,
            instrument_number=instrument_number,
            drawee_bank_code=drawee_bank_code,
            received_on=received_on,
            status="received",
        )
    )
    return instrument_id, receipt_id


async def _instrument(uow: UnitOfWork, instrument_id: str) -> dict:
    s = orm.security_instruments.c
    row = (
        (await uow.session.execute(select(orm.security_instruments).where(s.instrument_id == instrument_id)))
        .mappings()
        .first()
    )
    if row is None or row["status"] != "received":
        raise ChannelError("no received instrument with this id")
    return dict(row)


async def clear_security(uow: UnitOfWork, instrument_id: str, cleared_on: dt.date) -> None:
    row = await _instrument(uow, instrument_id)
    check_record_date("on", cleared_on, uow.today(), not_before=("received_on", row["received_on"]))
    result = await uow.session.execute(
        update(orm.security_instruments)
        .where(
            orm.security_instruments.c.instrument_id == instrument_id,
            orm.security_instruments.c.status == "received",
        )
        .values(status="cleared", settled_on=cleared_on)
    )
    if result.rowcount != 1:
        raise ChannelError("no received instrument with this id")


async def dishonour_security(uow: UnitOfWork, instrument_id: str, dishonoured_on: dt.date) -> str:
    """不渡: the money never came — reverse the receipt and everything it caused (defect 7): the
    installment re-opened (never below zero, also after a 減額更正), the overpayments its money
    sits in withdrawn (and their 充当 reversed), announced to collection and refunds."""
    s = orm.security_instruments.c
    row = await _instrument(uow, instrument_id)
    check_record_date("on", dishonoured_on, uow.today(), not_before=("received_on", row["received_on"]))
    repo = LedgerRepository(uow.session)
    receipt = await repo.get_receipt(row["receipt_id"], lock=True)
    await uow.session.execute(
        update(orm.security_instruments)
        .where(s.instrument_id == instrument_id)
        .values(status="dishonoured", settled_on=dishonoured_on)
    )
    await repo.set_receipt_state(receipt["receipt_id"], "reversed", reversed_on=dishonoured_on)
    if not receipt["matched"]:
        return receipt["receipt_id"]
    await reversal.reverse_and_announce(
        uow, receipt, dishonoured_on, receipts.OverpaymentWithdrawalReason.DISHONOUR
    )
    return receipt["receipt_id"]


# ---- unmatched receipts -------------------------------------------------------------------------


async def unmatched(uow: UnitOfWork, limit: int = 500) -> list[dict]:
    r = orm.receipts.c
    rows = (
        (
            await uow.session.execute(
                select(
                    r.receipt_id,
                    r.channel,
                    r.channel_key,
                    r.notice_number,
                    r.installment_no,
                    r.amount,
                    r.paid_on,
                    r.booked_on,
                    r.state,
                    r.batch_id,
                )
                .where(r.matched.is_(False), r.state.in_(("final", "preliminary")))
                .order_by(r.recorded_at, r.receipt_id)
                .limit(limit)
            )
        )
        .mappings()
        .all()
    )
    return [dict(x) for x in rows]


async def assign_unmatched(
    uow: UnitOfWork,
    receipt_id: str,
    *,
    notice_number: str,
    installment_no: int,
    order: tuple[Component, ...] = DEFAULT_ORDER,
) -> dict:
    """Assign an unmatched receipt to an installment and reconcile it (from the list above)."""
    repo = LedgerRepository(uow.session)
    receipt = await repo.get_receipt(receipt_id, lock=True)
    if receipt is None or receipt["matched"]:
        raise ChannelError("no unmatched receipt with this id")
    notice = await repo.get_notice(notice_number, lock=True)
    inst = await repo.installment(notice_number, installment_no) if notice else None
    if notice is None or inst is None:
        raise ChannelError("no such installment in the ledger")
    values = dict(notice_number=notice_number, installment_no=installment_no, matched=True)
    command = receipts.RecordReceipt(
        channel=receipts.Channel(receipt["channel"]),
        channel_key=receipt["channel_key"],
        notice_number=notice_number,
        installment_no=installment_no,
        amount=receipt["amount"],
        paid_on=receipt["paid_on"],
        booked_on=receipt["booked_on"],
        preliminary=receipt["state"] == "preliminary",
    )
    if command.preliminary:
        await repo.save_receipt(receipt_id, values, new=False)
        await uow.publish(handlers._recorded(receipt_id, notice, command, preliminary=True))
        return {"receipt_id": receipt_id, "applied": 0, "overpaid": 0}
    result = allocate(inst.owed(), receipt["amount"], order)
    values.update(handlers._applied_columns(result))
    await repo.save_receipt(receipt_id, values, new=False)
    await handlers.apply_receipt(uow, repo, notice, inst, command, receipt_id, result)
    return {"receipt_id": receipt_id, "applied": result.applied, "overpaid": result.overpaid}


def now() -> datetime:
    return datetime.now(UTC)
