"""口座振替 (direct_debit): mandates, the 種別91 request for a debit date, and the bank's result file.

- `register_mandate` / `cancel_mandate` / `stop_mandate`: the mandate lifecycle (申込日, 開始日, 解約日, 停止事由).
- `build_request`: every unpaid installment due on the debit date whose addressee has an active
  mandate for that tax → one 全銀 record each (顧客番号 = a per-date sequence kept in
  `debit_requests`). Refused for a past date, a closed day or another fiscal year (F9, F10).
  Building again for the same date returns the same file.
- `import_result`: parse → validate all → check the file answers a request of ours (委託者コード,
  振替日, each record's 顧客番号, amount and account — 銀行コード, 支店コード, 預金種目, 口座番号 of the
  request's mandate; mismatches are located errors and their money is held on the suspense list) → apply:
  code 0 → a receipt (領収日 = 収入日 = 引落日); any other code → an unpaid 不能通知 record
  (`debit_failures`) for the taxpayer letter; 3/4/8 also stop the mandate. A trailer mismatch
  refuses the whole file; the same bytes imported again are a no-op.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from osame_law.plausibility import check_not_before
from osame_zengin import banks
from osame_zengin import debit as zengin
from sqlalchemy import and_, bindparam, func, insert, select, update

from osame_receipts.adapters import orm
from osame_receipts.domain import dates
from osame_receipts.domain import direct_debit as rules
from osame_receipts.domain.receipt import NormalizedReceipt
from osame_receipts.domain.reconciliation import DEFAULT_ORDER, Component
from osame_receipts.service_layer import imports, suspense

CHANNEL = "direct_debit"


@dataclass(frozen=True)
class Creditor:
    """The city as 委託者 (from settings): 委託者コード, name, its bank/branch/account."""

    code: str = "0000000000"
    name: str = "ｼﾔｸｼﾖ"
    bank_code: str = "0001"
    branch_code: str = "001"
    account_type: str = "1"
    account_number: str = "0000000"


async def register_mandate(uow: UnitOfWork, values: dict) -> str:
    """口座振替依頼 accepted: store it (holder kana normalized for the bank file). Returns mandate_id."""
    terms = rules.MandateTerms(values["applied_on"], values["starts_on"], values.get("cancelled_on"))
    today = uow.today()
    dates.check_past("applied_on", terms.applied_on, today)
    dates.check_planned("starts_on", terms.starts_on, today)
    rules.check_mandate(terms)
    if not banks.known(values["bank_code"]):
        raise ValueError("unknown bank code (zengin-code master)")
    mandate_id = new_id()
    await uow.session.execute(
        insert(orm.mandates).values(
            mandate_id=mandate_id,
            addressee_id=values["addressee_id"],
            tax_item=values["tax_item"],
            bank_code=values["bank_code"],
            branch_code=values["branch_code"],
            account_type=values.get("account_type", "1"),
            account_number=values["account_number"],
            holder_kana=zengin.normalize_kana(values["holder_kana"]),
            applied_on=values["applied_on"],
            starts_on=values["starts_on"],
            cancelled_on=values.get("cancelled_on"),
            first_debit_done=False,
        )
    )
    return mandate_id


async def cancel_mandate(uow: UnitOfWork, mandate_id: str, cancelled_on: dt.date) -> bool:
    """解約: the 解約日 may lie ahead, but not before the mandate's 申込日 nor past the planning window."""
    applied_on = (
        await uow.session.execute(
            select(orm.mandates.c.applied_on).where(orm.mandates.c.mandate_id == mandate_id)
        )
    ).scalar_one_or_none()
    if applied_on is None:
        return False
    dates.check_planned("on", cancelled_on, uow.today())
    check_not_before("on", cancelled_on, "applied_on", applied_on)
    result = await uow.session.execute(
        update(orm.mandates).where(orm.mandates.c.mandate_id == mandate_id).values(cancelled_on=cancelled_on)
    )
    return result.rowcount == 1


async def build_request(
    uow: UnitOfWork,
    *,
    debit_date: dt.date,
    fiscal_year: int,
    creditor: Creditor,
    crlf: bool = True,
) -> bytes:
    """The 種別91 request file for `debit_date` (raises DebitRequestRefused for F9/F10 cases).

    "Today" is the server's business date (`uow.today()`, Asia/Tokyo), never a caller's value:
    a client-supplied today built last year's file (defect 3, F9/F10)."""
    rules.check_request(debit_date, fiscal_year, uow.today())
    session = uow.session
    existing = (
        await session.execute(select(func.count()).where(orm.debit_requests.c.debit_date == debit_date))
    ).scalar_one()
    if not existing:
        m, i, n = orm.mandates.c, orm.installments.c, orm.notices.c
        query = (
            select(
                m.mandate_id,
                m.first_debit_done,
                i.notice_number,
                i.installment_no,
                (i.principal_tax - i.paid).label("owed"),
            )
            .select_from(
                orm.installments.join(orm.notices, n.notice_number == i.notice_number).join(
                    orm.mandates, and_(m.addressee_id == n.addressee_id, m.tax_item == n.tax_item)
                )
            )
            .where(
                i.due_date == debit_date,
                n.fiscal_year == fiscal_year,
                i.principal_tax > i.paid,
                i.written_off_on.is_(None),
                m.starts_on <= debit_date,
                (m.cancelled_on.is_(None)) | (m.cancelled_on > debit_date),
                m.stopped_on.is_(None),
            )
            .order_by(i.notice_number, i.installment_no)
        )
        rows = (await session.execute(query)).all()
        seen = set()
        values = []
        for row in rows:
            key = (row.notice_number, row.installment_no)
            if key in seen:  # two active mandates for one tax: debit once
                continue
            seen.add(key)
            values.append(
                dict(
                    request_id=new_id(),
                    debit_date=debit_date,
                    customer_number=f"{len(values) + 1:020d}",
                    mandate_id=row.mandate_id,
                    notice_number=row.notice_number,
                    installment_no=row.installment_no,
                    amount=row.owed,
                )
            )
        if values:
            await session.execute(insert(orm.debit_requests), values)
            await _announce_request(uow, debit_date, values)
    return await request_file(uow, debit_date=debit_date, creditor=creditor, crlf=crlf)


async def request_file(
    uow: UnitOfWork, *, debit_date: dt.date, creditor: Creditor, crlf: bool = True
) -> bytes:
    r, m = orm.debit_requests.c, orm.mandates.c
    rows = (
        await uow.session.execute(
            select(
                r.customer_number,
                r.amount,
                m.bank_code,
                m.branch_code,
                m.account_type,
                m.account_number,
                m.holder_kana,
                m.first_debit_done,
            )
            .select_from(orm.debit_requests.join(orm.mandates, m.mandate_id == r.mandate_id))
            .where(r.debit_date == debit_date)
            .order_by(r.customer_number)
        )
    ).all()
    header = zengin.Header(
        creditor_code=creditor.code,
        creditor_name=creditor.name,
        debit_date=debit_date,
        bank_code=creditor.bank_code,
        branch_code=creditor.branch_code,
        account_type=creditor.account_type,
        account_number=creditor.account_number,
    )
    records = [
        zengin.DebitRecord(
            bank_code=row.bank_code,
            branch_code=row.branch_code,
            account_type=row.account_type,
            account_number=row.account_number,
            holder_kana=row.holder_kana,
            amount=row.amount,
            customer_number=row.customer_number,
            new_code=rules.new_code(row.first_debit_done),
        )
        for row in rows
    ]
    return zengin.build_file(header, records, crlf=crlf)


async def import_result(
    uow: UnitOfWork,
    data: bytes,
    *,
    file: str,
    creditor_code: str,
    year: int | None = None,
    order: tuple[Component, ...] = DEFAULT_ORDER,
    check_banks: bool = True,
    progress=None,
) -> imports.ImportReport:
    """Apply a bank's 種別91 result file (see the module docstring).

    The same bytes imported again (whatever `year`) are a no-op. The 引落日 is MMDD: its year is
    `year` when the operator gives one, else the year of the latest request for that MMDD on or
    before the business date. A file of another 委託者, for a 振替日 after the business date or for
    which no request was built is held as a whole (its paid records on the suspense list, nothing
    applied, no 不能 recorded); a paid record that does not answer a request of that date (unknown
    顧客番号, another amount, another bank/branch/預金種目/口座番号) or that is invalid (unknown bank
    code, unreadable amount) is held; a 不能 record naming another account records no 不能.
    """
    digest = await imports.digest_of(data)
    if (done := await imports.already_imported(uow, file=file, digest=digest)) is not None:
        return done
    today = uow.today()
    parsed = await imports.off_loop(
        zengin.parse_file, data, file, result=True, year=year or today.year, check_banks=check_banks
    )
    if progress:
        progress("parsed", len(parsed.file.records) if parsed.file else 0)
    if parsed.file is None:
        return await imports.refuse_file(
            uow, channel=CHANNEL, file=file, digest=digest, errors=parsed.errors, records=0
        )
    f = parsed.file
    debit_date = f.header.debit_date if year else await _year_of(uow, f.header.debit_date, today)
    invalid = list(parsed.record_errors)
    first_error = {}
    for e in parsed.record_errors:
        first_error.setdefault(e.record_no, e)
    held = [
        suspense.Held(
            no, first_error[no].field, first_error[no].message, amount, debit_date, debit_date, source=record
        )
        for no, amount, code, record in parsed.rejected
        if code == b"0" and (amount is None or amount > 0)
    ]
    refusal = await _file_refusal(uow, f.header, debit_date, creditor_code, today)
    if refusal is not None:
        field_name, message = refusal
        held = [
            suspense.Held(
                no,
                field_name,
                message,
                rec.amount,
                debit_date,
                debit_date,
                source=f"{debit_date:%Y%m%d}-{rec.customer_number}",
            )
            for rec, no in zip(f.records, f.record_numbers, strict=True)
            if rec.result_code == "0"
        ] + held
        report = imports.ImportReport(
            batch_id=new_id(),
            file=file,
            status="held",
            paid_yen=f.trailer.done_total,
            records=len(f.records) + len(parsed.rejected),
            invalid=len(invalid),
            errors=[imports.LocatedError(file, 1, field_name, message)]
            + [imports.LocatedError(e.file, e.record_no, e.field, e.message) for e in invalid],
        )
        await imports.put_on_hold(uow, report, channel=CHANNEL, held=held)
        await imports.record_batch(uow, report, CHANNEL, digest)
        return report
    key_date = debit_date.strftime("%Y%m%d")
    paid: list[NormalizedReceipt] = []
    failed = []
    accounts = await _requested_accounts(uow, debit_date, [rec.customer_number for rec in f.records])
    for rec, no in zip(f.records, f.record_numbers, strict=True):
        requested = accounts.get(rec.customer_number)
        mismatch = rules.account_mismatch(requested, rec) if requested is not None else None
        if mismatch is not None:
            # not the answer to our request for this 顧客番号: located, never applied (its money held)
            message = "differs from the 口座振替 request for this 顧客番号"
            invalid.append(zengin.FieldError(file, no, mismatch, message))
            if rec.result_code == "0":
                held.append(
                    suspense.Held(
                        no,
                        mismatch,
                        message,
                        rec.amount,
                        debit_date,
                        debit_date,
                        source=f"{key_date}-{rec.customer_number}",
                    )
                )
            continue
        if rec.result_code == "0":
            # money came in: never dropped. The installment is found in SQL from the 顧客番号; a
            # record answering no request of this date (or another amount) is held. Only the
            # 顧客番号 is kept as the raw record: the bank record also carries account data.
            paid.append(
                NormalizedReceipt(
                    channel=CHANNEL,
                    channel_key=f"{key_date}-{rec.customer_number}",
                    notice_number="",
                    installment_no=0,
                    amount=rec.amount,
                    paid_on=debit_date,
                    booked_on=debit_date,
                    record_no=no,
                    raw=rec.customer_number,
                )
            )
        else:
            failed.append((rec, no))
    failures = await _failed_requests(uow, failed, debit_date, file, invalid)
    params = {"debit_date": debit_date, "true": True}
    report = await imports.apply_receipts(
        uow,
        paid,
        channel=CHANNEL,
        file=file,
        digest=digest,
        invalid=invalid,
        records=len(f.records) + len(parsed.rejected),
        order=order,
        progress=progress,
        held=held,
        paid_yen=f.trailer.done_total,
        resolve=[
            (_HOLD_UNREQUESTED, params),
            (
                "DELETE FROM receipt_staging WHERE NOT EXISTS (SELECT 1 FROM debit_requests d"
                " WHERE d.debit_date = :debit_date AND d.customer_number = receipt_staging.raw_record"
                " AND d.amount = receipt_staging.amount)",
                params,
            ),
            (
                "UPDATE receipt_staging SET notice_number = d.notice_number, installment_no = d.installment_no"
                " FROM debit_requests d WHERE d.debit_date = :debit_date"
                " AND d.customer_number = receipt_staging.raw_record",
                params,
            ),
        ],
        after=[
            (
                "UPDATE debit_requests SET result_code = '0' FROM receipt_alloc a"
                " WHERE debit_requests.debit_date = :debit_date AND debit_requests.customer_number = a.raw_record"
                " AND debit_requests.result_code IS NULL",
                params,
            ),
            (
                "UPDATE mandates SET first_debit_done = :true FROM debit_requests d JOIN receipt_alloc a"
                " ON d.customer_number = a.raw_record WHERE d.debit_date = :debit_date"
                " AND mandates.mandate_id = d.mandate_id AND mandates.first_debit_done = :false",
                {**params, "false": False},
            ),
        ],
    )
    await _record_failures(uow, failures, debit_date)
    await _record_results(uow, failures, debit_date)
    # collection holds the 督促 of the installments debited on this 振替日 until now (issue #12 defect 2)
    await uow.publish(
        receipts.DirectDebitResultsImported(
            debit_date=debit_date, debited=report.applied, failed=len(failures), held=report.held
        )
    )
    return report


async def _announce_request(uow: UnitOfWork, debit_date: dt.date, values: list[dict]) -> None:
    """DirectDebitRequested in messages of ≤ 1,000: collection holds their 督促 until the result."""
    keys = [
        receipts.InstallmentKey(notice_number=v["notice_number"], installment_no=v["installment_no"])
        for v in values
    ]
    for start in range(0, len(keys), receipts.MAX_ITEMS_PER_MESSAGE):
        part = keys[start : start + receipts.MAX_ITEMS_PER_MESSAGE]
        await uow.publish(receipts.DirectDebitRequested(debit_date=debit_date, items=part))


# Paid records of a result file that answer no request of the 振替日 (unknown 顧客番号) or another
# amount than requested: onto the suspense list (keys already recorded are re-sends: left to the
# duplicate check). The staging row's receipt id becomes the suspense id.
_HOLD_UNREQUESTED = """
INSERT INTO suspense_items (suspense_id, batch_id, channel, file_name, record_no, field, reason, amount,
    paid_on, booked_on, notice_number, installment_no, status, source_key, recorded_at)
SELECT s.receipt_id, :batch_id, s.channel, :file, s.record_no,
    CASE WHEN d.request_id IS NULL THEN '顧客番号' ELSE '引落金額' END,
    CASE WHEN d.request_id IS NULL THEN 'no 口座振替 request with this 顧客番号 for the 振替日'
         ELSE 'differs from the amount requested for this 顧客番号' END,
    s.amount, s.paid_on, s.booked_on, d.notice_number, d.installment_no, 'held', s.channel_key,
    CURRENT_TIMESTAMP
FROM receipt_staging s
LEFT JOIN debit_requests d ON d.debit_date = :debit_date AND d.customer_number = s.raw_record
WHERE (d.request_id IS NULL OR d.amount <> s.amount)
  AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.channel = s.channel AND r.channel_key = s.channel_key)
  AND NOT EXISTS (SELECT 1 FROM suspense_items h WHERE h.channel = s.channel AND h.source_key = s.channel_key)
"""


async def _requested_accounts(uow: UnitOfWork, debit_date: dt.date, numbers: list[str]) -> dict:
    """顧客番号 → the account the request of `debit_date` named (its mandate's bank, branch, 預金種目,
    口座番号), for the records of a result file."""
    r, m = orm.debit_requests.c, orm.mandates.c
    out = {}
    for start in range(0, len(numbers), 5_000):
        rows = (
            await uow.session.execute(
                select(r.customer_number, m.bank_code, m.branch_code, m.account_type, m.account_number)
                .select_from(orm.debit_requests.join(orm.mandates, m.mandate_id == r.mandate_id))
                .where(r.debit_date == debit_date, r.customer_number.in_(numbers[start : start + 5_000]))
            )
        ).all()
        out.update({row.customer_number: row for row in rows})
    return out


async def _year_of(uow: UnitOfWork, header_date: dt.date, today: dt.date) -> dt.date:
    """The 引落日 of a result file whose header gives MMDD: the latest request date with that month
    and day on or before the business date; without one, the latest such date not after today."""
    r = orm.debit_requests.c
    dates = (
        await uow.session.execute(
            select(r.debit_date)
            .where(r.debit_date <= today)
            .distinct()
            .order_by(r.debit_date.desc())
            .limit(800)
        )
    ).scalars()
    for day in dates:
        if (day.month, day.day) == (header_date.month, header_date.day):
            return day
    for year in (today.year, today.year - 1):
        try:
            candidate = header_date.replace(year=year)
        except ValueError:  # 29 February
            continue
        if candidate <= today:
            return candidate
    return header_date


async def _file_refusal(
    uow: UnitOfWork, header: zengin.Header, debit_date: dt.date, creditor_code: str, today: dt.date
) -> tuple[str, str] | None:
    """Why a whole result file does not answer a request of this city: (field, message) or None."""
    if header.creditor_code != creditor_code:
        return "委託者コード", "not this city's 委託者コード: the file answers another creditor's request"
    if debit_date > today:
        return "引落日", f"振替日 {debit_date.isoformat()} is after the business date {today.isoformat()}"
    count = (
        await uow.session.execute(select(func.count()).where(orm.debit_requests.c.debit_date == debit_date))
    ).scalar_one()
    if not count:
        return "引落日", f"no 口座振替 request was built for 振替日 {debit_date.isoformat()}"
    return None


async def _failed_requests(uow: UnitOfWork, failed, debit_date: dt.date, file: str, invalid: list) -> list:
    """The requests behind the failed records (few): unknown 顧客番号 and repeats are reported/skipped."""
    r = orm.debit_requests.c
    numbers = [rec.customer_number for rec, _ in failed]
    requests = {}
    for start in range(0, len(numbers), 5_000):
        rows = (
            await uow.session.execute(
                select(
                    r.request_id,
                    r.customer_number,
                    r.notice_number,
                    r.installment_no,
                    r.mandate_id,
                    r.result_code,
                ).where(r.debit_date == debit_date, r.customer_number.in_(numbers[start : start + 5_000]))
            )
        ).all()
        requests.update({row.customer_number: row for row in rows})
    out = []
    for rec, no in failed:
        request = requests.get(rec.customer_number)
        if request is None:
            invalid.append(
                zengin.FieldError(file, no, "顧客番号", "no request with this number for the debit date")
            )
        elif request.result_code is None:
            out.append((request, rec, no))
    return out


async def _record_failures(uow: UnitOfWork, failures, debit_date: dt.date) -> None:
    """不能通知: one row per failed debit for the taxpayer letter (振替不能のお知らせ)."""
    if not failures:
        return
    n = orm.notices.c
    owners = dict(
        (
            await uow.session.execute(
                select(n.notice_number, n.addressee_id).where(
                    n.notice_number.in_({req.notice_number for req, _, _ in failures})
                )
            )
        ).all()
    )
    now = dt.datetime.now(dt.UTC)
    await uow.session.execute(
        insert(orm.debit_failures),
        [
            dict(
                failure_id=new_id(),
                request_id=req.request_id,
                addressee_id=owners.get(req.notice_number, ""),
                notice_number=req.notice_number,
                installment_no=req.installment_no,
                amount=rec.amount,
                debit_date=debit_date,
                result_code=rec.result_code,
                reason=rules.failure_reason(rec.result_code),
                letter_status="pending",
                recorded_at=now,
            )
            for req, rec, _ in failures
        ],
    )


async def _record_results(uow: UnitOfWork, failures, debit_date: dt.date) -> None:
    """Result codes of the failed requests; 3/4/8 stop the mandate (a new 依頼書 is needed)."""
    if not failures:
        return
    r, m = orm.debit_requests.c, orm.mandates.c
    await uow.session.execute(
        update(orm.debit_requests)
        .where(r.request_id == bindparam("rid"))
        .values(result_code=bindparam("code")),
        [{"rid": req.request_id, "code": rec.result_code} for req, rec, _ in failures],
        execution_options={"synchronize_session": False},
    )
    stops = [
        {"mid": req.mandate_id, "reason": f"result_code_{rec.result_code}"}
        for req, rec, _ in failures
        if rules.stops_mandate(rec.result_code)
    ]
    if stops:
        await uow.session.execute(
            update(orm.mandates)
            .where(m.mandate_id == bindparam("mid"), m.stopped_on.is_(None))
            .values(stopped_on=debit_date, stop_reason=bindparam("reason")),
            stops,
            execution_options={"synchronize_session": False},
        )
