"""Importing a channel file: parse → validate all → apply the valid records in bulk.

A file-level problem (structure, trailer totals) refuses the whole file: nothing is applied and
the batch is recorded as refused with its located errors. Otherwise the valid records are applied
with set-based SQL (`adapters/bulk.py`) and the invalid ones are listed on the batch; invalid or
implausible records that report money are put on the suspense list (`service_layer/suspense.py`).
Re-importing the same file changes nothing: a file whose SHA-256 was already imported (applied or
held) is a no-op reported as `already_imported`, and receipts are unique by (channel, channel key).
Events are batched: at most 1,000 installments per InstallmentsSettled/PartlyPaid message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from osame_law.errors import ImplausibleDateError
from pydantic import PrivateAttr
from sqlalchemy import insert, text

from osame_receipts.adapters import bulk, orm
from osame_receipts.adapters.repository import LedgerInstallment
from osame_receipts.domain.dates import check_receipt_dates
from osame_receipts.domain.receipt import NormalizedReceipt
from osame_receipts.domain.reconciliation import DEFAULT_ORDER, Component, Owed, overpayment_reason
from osame_receipts.service_layer import handlers, suspense, unmatched

BATCH = receipts.MAX_ITEMS_PER_MESSAGE


@dataclass(frozen=True)
class LocatedError:
    file: str
    record_no: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: record {self.record_no}: {self.field}: {self.message}"


@dataclass
class ImportReport:
    batch_id: str
    file: str
    status: str  # applied | refused | held | already_imported
    records: int = 0
    applied: int = 0
    duplicates: int = 0
    unmatched: int = 0
    invalid: int = 0
    overpayments: int = 0
    events: int = 0
    held: int = 0  # records put on the suspense list (保留)
    held_yen: int = 0
    paid_yen: int | None = None  # the file's own money total (日計 reconciles against it)
    duplicate_yen: int = 0
    previous_batch_id: str | None = None  # already_imported: the batch that imported these bytes
    errors: list[LocatedError] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["errors"] = [e.__dict__ for e in self.errors]
        return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def off_loop(function, /, *args, **kwargs):
    """Run CPU-bound file work (parsing, hashing an upload) in a worker thread, so the service's
    event loop keeps answering (/health, consumers) while a large file is read."""
    return await asyncio.to_thread(function, *args, **kwargs)


async def digest_of(data: bytes) -> str:
    """The file's SHA-256 (its identity for idempotent imports), computed off the event loop."""
    return await off_loop(sha256, data)


async def record_batch(uow: UnitOfWork, report: ImportReport, channel: str, digest: str) -> None:
    await uow.session.execute(
        insert(orm.import_batches).values(
            batch_id=report.batch_id,
            channel=channel,
            file_name=report.file[:255],
            file_sha256=digest,
            records=report.records,
            applied=report.applied,
            duplicates=report.duplicates,
            unmatched=report.unmatched,
            invalid=report.invalid,
            held=report.held,
            held_yen=report.held_yen,
            paid_yen=report.paid_yen,
            duplicate_yen=report.duplicate_yen,
            status=report.status,
            imported_at=datetime.now(UTC),
        )
    )
    if report.errors:
        await uow.session.execute(
            insert(orm.import_errors),
            [
                dict(
                    batch_id=report.batch_id,
                    record_no=e.record_no,
                    field=e.field[:40],
                    message=e.message[:200],
                )
                for e in report.errors
            ],
        )


async def already_imported(uow: UnitOfWork, *, file: str, digest: str) -> ImportReport | None:
    """The same bytes were imported before (applied or held): a no-op report, else None.

    Whatever the operator passes besides the file (e.g. `--year` for a 全銀 file), the bytes are
    the same money: importing them again must change nothing (defect 5)."""
    previous = await bulk.batch_with_digest(uow.session, digest)
    if previous is None:
        return None
    return ImportReport(batch_id="", file=file, status="already_imported", previous_batch_id=previous)


async def done_or_refused(
    uow: UnitOfWork, parsed, *, channel: str, file: str, digest: str
) -> ImportReport | None:
    """The report when a parsed file needs no applying: the same bytes were imported before
    (`already_imported`), or a file-level error refuses it whole; else None (apply it)."""
    if (done := await already_imported(uow, file=file, digest=digest)) is not None:
        return done
    if parsed.file_errors:
        return await refuse_file(
            uow,
            channel=channel,
            file=file,
            digest=digest,
            errors=parsed.file_errors + parsed.record_errors,  # a trailer mismatch hides no record error
            records=parsed.records,
        )
    return None


async def hold_rows(
    uow: UnitOfWork, rows: list[NormalizedReceipt], report: ImportReport, *, channel: str, held: list
) -> list[NormalizedReceipt]:
    """Check each receipt's 領収日/収入日 against the business date; implausible ones go to `held`
    (and the report's errors). Returns the plausible rows."""
    today = uow.today()
    kept = []
    for row in rows:
        try:
            check_receipt_dates(row.paid_on, row.booked_on, today)
        except ImplausibleDateError as err:
            field_name = str(err).split(" ", 1)[0]
            report.errors.append(LocatedError(report.file, row.record_no, field_name, str(err)))
            report.invalid += 1
            held.append(
                suspense.Held(
                    row.record_no,
                    field_name,
                    str(err),
                    row.amount,
                    row.paid_on,
                    row.booked_on,
                    row.notice_number,
                    row.installment_no,
                    row.channel_key,
                )
            )
            continue
        kept.append(row)
    return kept


async def put_on_hold(uow: UnitOfWork, report: ImportReport, *, channel: str, held: list) -> None:
    if held:
        count, yen, again = await suspense.hold(
            uow, held, channel=channel, batch_id=report.batch_id, file=report.file
        )
        report.held += count
        report.held_yen += yen
        report.duplicate_yen += again  # already on the suspense list: a re-sent record


async def refuse_file(
    uow: UnitOfWork, *, channel: str, file: str, digest: str, errors: list, records: int
) -> ImportReport:
    """Trailer mismatch / broken structure: record the refusal, apply nothing."""
    report = ImportReport(
        batch_id=new_id(),
        file=file,
        status="refused",
        records=records,
        errors=[LocatedError(e.file, e.record_no, e.field, e.message) for e in errors],
    )
    await record_batch(uow, report, channel, digest)
    return report


async def apply_receipts(
    uow: UnitOfWork,
    rows: list[NormalizedReceipt],
    *,
    channel: str,
    file: str,
    digest: str,
    invalid: list | None = None,
    records: int | None = None,
    order: tuple[Component, ...] = DEFAULT_ORDER,
    progress=None,
    resolve: list[tuple[str, dict]] = (),
    after: list[tuple[str, dict]] = (),
    held: list | None = None,
    paid_yen: int | None = None,
) -> ImportReport:
    """Apply valid normalized receipts in bulk and stage batched events, in the caller's transaction.

    `resolve`: channel SQL run on `receipt_staging` before 消込 (e.g. 顧客番号 → installment);
    `after`: channel SQL run with `receipt_alloc` (the receipts just recorded) afterwards.
    `held`: records reporting money that the caller found invalid (they go to the suspense list);
    receipts with an implausible 領収日/収入日 join them.
    """
    invalid = invalid or []
    held = list(held or [])
    batch_id = new_id()
    report = ImportReport(
        batch_id=batch_id,
        file=file,
        status="applied",
        records=records if records is not None else len(rows) + len(invalid),
        invalid=len(invalid),
        errors=[LocatedError(e.file, e.record_no, e.field, e.message) for e in invalid],
        paid_yen=paid_yen,
    )
    session = uow.session
    rows = await hold_rows(uow, rows, report, channel=channel, held=held)
    await put_on_hold(uow, report, channel=channel, held=held)
    if rows:
        ids = [new_id() for _ in rows]
        await bulk.load_staging(session, rows, ids)
        for statement, params in resolve:
            own = {k: v for k, v in (("batch_id", batch_id), ("file", file[:255])) if f":{k}" in statement}
            await session.execute(text(statement), {**params, **own})
        if progress:
            progress("staged", len(rows))
        outcome = await bulk.reconcile_staging(
            session, batch_id=batch_id, order=order, recorded_at=datetime.now(UTC)
        )
        for statement, params in after:
            await session.execute(text(statement), params)
        report.applied, report.duplicates, report.unmatched = (
            outcome.applied,
            outcome.duplicates,
            outcome.unmatched,
        )
        report.duplicate_yen += outcome.duplicate_yen
        if progress:
            progress("reconciled", len(rows))
        grown = await handlers.rederive_batch(uow, batch_id, order)  # canonical order across batches
        report.events += await _publish_states(uow)
        if outcome.unmatched:
            report.events += await unmatched.announce(uow, await bulk.unmatched_rows(session))
        report.overpayments = await _overpayments(uow, channel) + grown
        report.events += report.overpayments + grown  # a grown one is also announced again
    report.held, report.held_yen = await bulk.held_in_batch(session, batch_id)
    await record_batch(uow, report, channel, digest)
    return report


class _SerializedSettled(receipts.InstallmentsSettled):
    """InstallmentsSettled whose JSON was built directly from ledger rows (bulk path: no per-item
    model objects). The rows come from receipts' own tables; a test validates the payloads
    against the contract model."""

    _payload: str = PrivateAttr(default="")

    def model_dump_json(self, **_: object) -> str:
        return self._payload


class _SerializedPartlyPaid(receipts.InstallmentsPartlyPaid):
    _payload: str = PrivateAttr(default="")

    def model_dump_json(self, **_: object) -> str:
        return self._payload


def _serialized(model: type, items: list[dict]):
    message = model.model_construct(items=[])
    message._payload = json.dumps({"items": items}, ensure_ascii=False, separators=(",", ":"))
    return message


async def _publish_states(uow: UnitOfWork) -> int:
    payloads = await bulk.state_payloads(uow.session, BATCH)
    if payloads is not None:  # PostgreSQL built the bodies
        for is_settled, payload in payloads:
            message = (_SerializedSettled if is_settled else _SerializedPartlyPaid).model_construct(items=[])
            message._payload = payload
            await uow.publish(message)
        return len(payloads)
    settled: list[dict] = []
    partly: list[dict] = []
    published = 0
    for r in await bulk.touched_installments(uow.session):
        inst = LedgerInstallment(
            r["notice_number"],
            r["installment_no"],
            r["principal_tax"],
            r["due_date"],
            r["paid"],
            r["demand_fee"],
            r["demand_fee_paid"],
            r["late_fee"],
            r["late_fee_paid"],
            written_off_on=r["written_off_on"],
        )
        owed = inst.owed()
        booked = _date(r["booked_on"])
        state = {
            "addressee_id": r["addressee_id"],
            "notice_number": r["notice_number"],
            "installment_no": r["installment_no"],
            "tax_item": r["tax_item"],
            "fiscal_year": r["fiscal_year"],
            "due_date": _date(r["due_date"]).isoformat(),
            "principal_tax": r["principal_tax"],
            "paid": r["paid"],
            "remaining": owed.principal_tax,
            "demand_fee_remaining": owed.demand_fee,
            "late_fee_remaining": owed.late_fee,
            "last_paid_on": _date(r["paid_on"]).isoformat(),
            "last_booked_on": booked.isoformat() if booked else None,
            "ledger_version": r["ledger_version"],
        }
        target = settled if owed.total == 0 else partly
        target.append(state)
        if len(target) == BATCH:
            model = _SerializedSettled if target is settled else _SerializedPartlyPaid
            await uow.publish(_serialized(model, target))
            target.clear()
            published += 1
    if settled:
        await uow.publish(_serialized(_SerializedSettled, settled))
        published += 1
    if partly:
        await uow.publish(_serialized(_SerializedPartlyPaid, partly))
        published += 1
    return published


def _date(value):
    import datetime as dt

    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


async def _overpayments(uow: UnitOfWork, channel: str) -> int:
    count = 0
    for r in await bulk.overpaid_rows(uow.session):
        reason = overpayment_reason(
            owed_before=Owed(principal_tax=max(r["owed_before"], 0)),
            assessed=r["assessed"],
            already_paid=r["paid_before"] + r["prior"],
            written_off=bool(r["written_off"]),
        )
        overpayment_id = new_id()
        paid_on, booked_on = _date(r["paid_on"]), _date(r["booked_on"])
        await uow.session.execute(
            insert(orm.overpayments).values(
                overpayment_id=overpayment_id,
                addressee_id=r["addressee_id"],
                notice_number=r["notice_number"],
                installment_no=r["installment_no"],
                receipt_id=r["receipt_id"],
                amount=r["overpaid"],
                cause=receipts.OverpaymentCause.ERRONEOUS_PAYMENT,
                reason=reason.value,
                arose_on=booked_on,
            )
        )
        await uow.publish(
            receipts.OverpaymentDetected(
                overpayment_id=overpayment_id,
                addressee_id=r["addressee_id"],
                notice_number=r["notice_number"],
                installment_no=r["installment_no"],
                amount=r["overpaid"],
                cause=receipts.OverpaymentCause.ERRONEOUS_PAYMENT,
                arose_on=booked_on,
                paid_on=paid_on,
                reason=receipts.OverpaymentReason(reason.value),
            )
        )
        count += 1
    return count
