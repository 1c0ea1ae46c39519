"""Receipts use cases: each a small function over a unit of work. No broker code here."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync, receipts, taxation
from osame_law.calendar import shift_due_date

from osame_receipts.adapters import bulk
from osame_receipts.adapters.repository import LedgerInstallment, LedgerRepository, Notice
from osame_receipts.domain.ledger import classify_change
from osame_receipts.domain.reconciliation import (
    DEFAULT_ORDER,
    Component,
    Reconciliation,
    allocate_in_turn,
    canonical_rank,
    excess_after_reduction,
    overpayment_reason,
)
from osame_receipts.service_layer import unmatched


def installment_state(
    notice: Notice, inst: LedgerInstallment, paid_on: dt.date, booked_on: dt.date | None
) -> receipts.InstallmentState:
    """The ledger state of one 期別 as collection projects it (remaining per component)."""
    owed = inst.owed()
    return receipts.InstallmentState(
        addressee_id=notice.addressee_id,
        notice_number=notice.notice_number,
        installment_no=inst.installment_no,
        tax_item=notice.tax_item,
        fiscal_year=notice.fiscal_year,
        due_date=inst.due_date,
        principal_tax=inst.principal_tax,
        paid=inst.paid,
        remaining=owed.principal_tax,
        demand_fee_remaining=owed.demand_fee,
        late_fee_remaining=owed.late_fee,
        last_paid_on=paid_on,
        last_booked_on=booked_on,
        ledger_version=notice.ledger_version,
    )


async def record_assessment(
    event: taxation.AssessmentRegistered | taxation.AssessmentChanged, uow: UnitOfWork
) -> None:
    """調定: register or change a notice's installments, keeping history; stale revisions are ignored.

    Due dates on closed days move to the next business day (地方税法20条の5②).
    A 減額更正 below what was already paid turns the excess into a 過納 overpayment.
    """
    repo = LedgerRepository(uow.session)
    notice = await repo.get_notice(event.notice_number, lock=True)
    if notice is not None and event.revision <= notice.revision:
        return
    is_new = notice is None
    if notice is None:
        notice = Notice(
            event.notice_number,
            event.addressee_id,
            event.tax_item,
            event.fiscal_year,
            event.tax_year,
            event.revision,
            0,
        )
    notice.revision = event.revision
    notice.ledger_version += 1
    if event.vehicle_plate is not None:
        notice.vehicle_plate = event.vehicle_plate
    await repo.save_notice(notice, new=is_new)

    existing = await repo.installments(event.notice_number)
    recorded = []
    incoming = {i.installment_no: i.principal_tax for i in event.installments}
    kind = classify_change(
        registered=isinstance(event, taxation.AssessmentRegistered) and is_new,
        total_before=sum(i.principal_tax for i in existing.values()),
        total_after=sum({**{n: i.principal_tax for n, i in existing.items()}, **incoming}.values()),
    )
    for item in event.installments:
        before = existing.get(item.installment_no)
        paid = before.paid if before else 0
        excess = excess_after_reduction(item.principal_tax, paid)
        inst = LedgerInstallment(
            event.notice_number,
            item.installment_no,
            item.principal_tax,
            shift_due_date(item.due_date),
            paid - excess,
            forest_environment_tax=item.forest_environment_tax,
        )
        await repo.upsert_installment(inst, item.due_date, new=before is None)
        await repo.add_history(
            notice_number=event.notice_number,
            revision=event.revision,
            kind=kind.value,
            assessed_on=event.assessed_on,
            installment_no=item.installment_no,
            principal_tax=item.principal_tax,
            due_date=inst.due_date,
            statutory_due_date=item.due_date,
            recorded_at=datetime.now(UTC),
        )
        if excess:
            # 過納 by 減額更正: 還付加算金 runs from the day after the payment (法17条の4①一), so the
            # event carries the 領収日 of the latest payment applied (the excess is the last money in).
            paid_on = await repo.latest_paid_on(event.notice_number, item.installment_no) or event.assessed_on
            await add_overpayment(
                uow,
                repo,
                notice,
                inst.installment_no,
                receipt_id=None,
                amount=excess,
                cause=receipts.OverpaymentCause.REASSESSMENT,
                reason=receipts.OverpaymentReason.AFTER_REDUCTION.value,
                arose_on=event.assessed_on,
                paid_on=paid_on,
            )
        recorded.append(
            receipts.RecordedInstallment(
                installment_no=inst.installment_no,
                principal_tax=inst.principal_tax,
                due_date=inst.due_date,
                paid=inst.paid,
            )
        )
    await uow.publish(
        receipts.AssessmentRecorded(
            addressee_id=notice.addressee_id,
            notice_number=notice.notice_number,
            tax_item=notice.tax_item,
            fiscal_year=notice.fiscal_year,
            ledger_version=notice.ledger_version,
            installments=recorded,
        )
    )


async def record_receipt(
    command: receipts.RecordReceipt,
    uow: UnitOfWork,
    *,
    order: tuple[Component, ...] = DEFAULT_ORDER,
    batch_id: str | None = None,
    raw_record: str | None = None,
) -> str | None:
    """収納 + 消込: record a receipt once per (channel, channel_key) and reconcile it.

    A receipt for an unknown notice or installment is kept as unmatched (nothing is lost).
    A 速報 (preliminary) receipt is recorded but not applied, and announced (ReceiptRecorded with
    preliminary=True) so collection holds back 督促; its 確報 (the same channel key,
    preliminary=False) confirms that row and applies it. Anything else seen again is a no-op.
    Returns the receipt id, or None when the same payment was already recorded.
    """
    repo = LedgerRepository(uow.session)
    existing = await repo.find_receipt(command.channel, command.channel_key)
    if existing is not None and not (existing.preliminary and not command.preliminary):
        return None
    notice = await repo.get_notice(command.notice_number, lock=True)
    inst = (await repo.installments(command.notice_number)).get(command.installment_no) if notice else None
    values = dict(
        channel=command.channel,
        channel_key=command.channel_key,
        notice_number=command.notice_number,
        installment_no=command.installment_no,
        amount=command.amount,
        paid_on=command.paid_on,
        booked_on=command.booked_on,
        preliminary=command.preliminary,
        state="preliminary" if command.preliminary else "final",
        recorded_at=datetime.now(UTC),
        matched=notice is not None and inst is not None,
        applied=0,
        overpaid=0,
        batch_id=batch_id,
        raw_record=raw_record,
    )
    receipt_id = existing.receipt_id if existing is not None else new_id()
    if notice is None or inst is None or command.preliminary:
        await repo.save_receipt(receipt_id, values, new=existing is None)
        if notice is not None and inst is not None:
            await uow.publish(_recorded(receipt_id, notice, command, preliminary=True))
        else:
            owner = notice.addressee_id if notice is not None else None
            await unmatched.announce(uow, [{**values, "receipt_id": receipt_id, "addressee_id": owner}])
        return receipt_id
    later = await _ranking_after(repo, inst, command, receipt_id)
    without = replace(inst)  # the installment as if the receipts ranking after this one were not booked
    for r in later:
        without.unbook(r["applied_principal_tax"], r["applied_demand_fee"], r["applied_late_fee"])
    [result, *rederived] = allocate_in_turn(
        without.owed(), [command.amount, *(r["amount"] for r in later)], order
    )
    if any(new.overpaid < r["overpaid"] for r, new in zip(later, rederived, strict=True)):
        # the 調定 grew after those receipts were booked: re-deriving would take back money already
        # held as 過誤納金 (refunds may have appropriated or refunded it), so the split stays as booked
        later, [result] = [], allocate_in_turn(inst.owed(), [command.amount], order)
    if later:
        inst = without
    values.update(_applied_columns(result))
    await repo.save_receipt(receipt_id, values, new=existing is None)
    await apply_receipt(uow, repo, notice, inst, command, receipt_id, result, publish_state=not later)
    if later:
        await _reapply(uow, repo, notice, inst, later, rederived)
    return receipt_id


async def _ranking_after(
    repo: LedgerRepository, inst: LedgerInstallment, command: receipts.RecordReceipt, receipt_id: str
) -> list[dict]:
    """The money receipts already applied to `inst` that rank after this one (canonical order),
    sorted; empty when the installment's paid amounts are not exactly the sum of its receipts
    (a 減額更正 moved paid money to 過納, a write-off…): then the split stays as booked. The caller
    also keeps the booked split when re-deriving would shrink an overpayment already announced
    (the 調定 grew in between): the canonical order never takes back 過誤納金."""
    if inst.written_off_on is not None:
        return []
    rank = canonical_rank(command.booked_on, command.paid_on, command.channel, command.channel_key)
    standing = await repo.standing_receipts(inst.notice_number, inst.installment_no)
    later = sorted(
        (
            r
            for r in standing
            if r["receipt_id"] != receipt_id
            and r["channel"] != receipts.Channel.APPROPRIATION
            and _rank(r) > rank
        ),
        key=_rank,
    )
    if not later:
        return []
    return later if books_exactly(inst, standing) else []


def _rank(r: dict) -> tuple:
    return canonical_rank(r["booked_on"], r["paid_on"], r["channel"], r["channel_key"])


async def _reapply(
    uow: UnitOfWork,
    repo: LedgerRepository,
    notice: Notice,
    inst: LedgerInstallment,
    later: list[dict],
    results: list[Reconciliation],
) -> None:
    """Re-book the receipts ranking after a newly applied one with their re-derived split, then
    announce the installment's state once."""
    for r, result in zip(later, results, strict=True):
        await _rebook(uow, repo, notice, inst, r, result)
    notice.ledger_version += 1
    await repo.set_paid(inst)
    await repo.save_notice(notice, new=False)
    last = later[-1]  # the receipt ranking last: the latest 収入日 (and 領収日 on it)
    paid_on = await repo.latest_paid_on(notice.notice_number, inst.installment_no) or last["paid_on"]
    await _publish_state(uow, notice, inst, paid_on, last["booked_on"])


async def _rebook(
    uow: UnitOfWork,
    repo: LedgerRepository,
    notice: Notice,
    inst: LedgerInstallment,
    r: dict,
    result: Reconciliation,
) -> None:
    """Book one already recorded receipt with its re-derived split. It can only apply less than
    before (a receipt ranking earlier took part of what was owed), so its overpayment only grows:
    the growth is a new overpayment for refunds (OverpaymentDetected) and the receipt is announced
    again (ReceiptRecorded, same id, lower `applied`) for collection."""
    reason = overpayment_reason(
        owed_before=inst.owed(), assessed=inst.principal_tax, already_paid=inst.paid, written_off=False
    )
    inst.book(result)
    await repo.save_receipt(r["receipt_id"], _applied_columns(result), new=False)
    grown = result.overpaid - r["overpaid"]
    if grown <= 0:  # an unchanged receipt is not announced again
        return 0
    # the receipt as recorded (not re-validated as a command: file keys may use other characters)
    command = SimpleNamespace(
        channel=receipts.Channel(r["channel"]),
        installment_no=inst.installment_no,
        amount=r["amount"],
        paid_on=r["paid_on"],
        booked_on=r["booked_on"],
    )
    await uow.publish(_recorded(r["receipt_id"], notice, command, preliminary=False, result=result))
    await add_overpayment(
        uow,
        repo,
        notice,
        inst.installment_no,
        receipt_id=r["receipt_id"],
        amount=grown,
        cause=receipts.OverpaymentCause.ERRONEOUS_PAYMENT,
        reason=reason.value,
        arose_on=r["booked_on"],
        paid_on=r["paid_on"],
    )
    return 1


async def rederive_batch(uow: UnitOfWork, batch_id: str, order: tuple[Component, ...] = DEFAULT_ORDER) -> int:
    """Bulk path, after the set-based 消込 of a file: where a receipt booked before the file ranks
    after one of the file, re-derive the installment's split in canonical order from the file's
    earliest-ranking receipt on. The file's receipts get their split (their overpayments are made
    from it afterwards); earlier-booked ones are re-booked as in `record_receipt` (and the split
    stays as booked when one of those would shrink, or the paid amounts are not the receipts' sum)."""
    repo = LedgerRepository(uow.session)
    grown = 0
    for notice_number, installment_no in await bulk.outranked_installments(uow.session, batch_id):
        notice = await repo.get_notice(notice_number, lock=True)
        inst = await repo.installment(notice_number, installment_no, lock=True)
        if notice is None or inst is None or inst.written_off_on is not None:
            continue
        standing = await repo.standing_receipts(notice_number, installment_no)
        if not books_exactly(inst, standing):
            continue
        first = min(_rank(r) for r in standing if r["batch_id"] == batch_id)
        suffix = sorted(
            (r for r in standing if r["channel"] != receipts.Channel.APPROPRIATION and _rank(r) >= first),
            key=_rank,
        )
        without = replace(inst)
        for r in suffix:
            without.unbook(r["applied_principal_tax"], r["applied_demand_fee"], r["applied_late_fee"])
        results = allocate_in_turn(without.owed(), [r["amount"] for r in suffix], order)
        pairs = list(zip(suffix, results, strict=True))
        if any(new.overpaid < r["overpaid"] for r, new in pairs if r["batch_id"] != batch_id):
            continue
        for r, result in pairs:
            if r["batch_id"] == batch_id:  # its overpayment is made from receipt_alloc afterwards
                without.book(result)
                await repo.save_receipt(r["receipt_id"], _applied_columns(result), new=False)
                await bulk.set_allocation(
                    uow.session, r["receipt_id"], result.principal_tax, result.demand_fee, result.late_fee
                )
            else:
                grown += await _rebook(uow, repo, notice, without, r, result)
        await repo.set_paid(without)
    return grown  # overpayments of earlier-booked receipts that grew


def books_exactly(inst: LedgerInstallment, standing: list[dict]) -> bool:
    """The installment's paid amounts are exactly the sum of its receipts (no 減額更正 moved paid
    money to 過納, nothing clamped): only then can its split be re-derived."""
    sums = [sum(r[f"applied_{c}"] for r in standing) for c in ("principal_tax", "demand_fee", "late_fee")]
    return sums == [inst.paid, inst.demand_fee_paid, inst.late_fee_paid]


def _recorded(
    receipt_id: str,
    notice: Notice,
    command,
    *,
    preliminary: bool,
    cancelled: bool = False,
    result: Reconciliation | None = None,
):
    return receipts.ReceiptRecorded(
        receipt_id=receipt_id,
        addressee_id=notice.addressee_id,
        notice_number=notice.notice_number,
        installment_no=command.installment_no,
        channel=command.channel,
        amount=command.amount,
        applied=result.applied if result else 0,
        overpaid=result.overpaid if result else 0,
        paid_on=command.paid_on,
        booked_on=command.booked_on,
        preliminary=preliminary,
        cancelled=cancelled,
    )


async def cancel_preliminary(
    command: receipts.RecordReceipt,
    uow: UnitOfWork,
    *,
    batch_id: str | None = None,
    raw_record: str | None = None,
) -> str:
    """03 速報取消: the 速報 of this channel key is withdrawn (it no longer blocks 督促).

    Returns "cancelled", "already_final" (a 確報 was applied: nothing is undone, the operator sees
    it in the import errors) or "recorded" (no 速報 yet: a cancelled row is kept so a late 01 is
    ignored; a later 02 still applies).
    """
    repo = LedgerRepository(uow.session)
    existing = await repo.find_receipt(command.channel, command.channel_key)
    if existing is not None:
        state = await repo.receipt_state(existing.receipt_id)
        if state != "preliminary":
            return "already_final" if state == "final" else "cancelled"
        await repo.set_receipt_state(existing.receipt_id, "cancelled")
        notice = await repo.get_notice(command.notice_number)
        if notice is not None:
            await uow.publish(
                _recorded(existing.receipt_id, notice, command, preliminary=True, cancelled=True)
            )
        return "cancelled"
    notice = await repo.get_notice(command.notice_number)
    await repo.save_receipt(
        new_id(),
        dict(
            channel=command.channel,
            channel_key=command.channel_key,
            notice_number=command.notice_number,
            installment_no=command.installment_no,
            amount=command.amount,
            paid_on=command.paid_on,
            booked_on=command.booked_on,
            preliminary=True,
            state="cancelled",
            recorded_at=datetime.now(UTC),
            matched=notice is not None,
            applied=0,
            overpaid=0,
            batch_id=batch_id,
            raw_record=raw_record,
        ),
        new=True,
    )
    return "recorded"


def _applied_columns(result: Reconciliation) -> dict[str, int]:
    return dict(
        applied=result.applied,
        applied_principal_tax=result.principal_tax,
        applied_demand_fee=result.demand_fee,
        applied_late_fee=result.late_fee,
        overpaid=result.overpaid,
    )


async def apply_receipt(
    uow: UnitOfWork,
    repo: LedgerRepository,
    notice: Notice,
    inst: LedgerInstallment,
    command: receipts.RecordReceipt,
    receipt_id: str,
    result: Reconciliation,
    *,
    overpayment_cause: receipts.OverpaymentCause = receipts.OverpaymentCause.ERRONEOUS_PAYMENT,
    publish_state: bool = True,
) -> None:
    """Book a reconciled receipt on the ledger and stage its events (`publish_state=False`: the
    caller books more on the installment and announces its state once, at the end)."""
    reason = overpayment_reason(
        owed_before=inst.owed(),
        assessed=inst.principal_tax,
        already_paid=inst.paid,
        written_off=inst.written_off_on is not None,
    )
    inst.book(result)
    notice.ledger_version += 1
    await repo.set_paid(inst)
    await repo.save_notice(notice, new=False)
    await uow.publish(_recorded(receipt_id, notice, command, preliminary=False, result=result))
    if publish_state:
        await _publish_state(uow, notice, inst, command.paid_on, command.booked_on)
    if result.overpaid:
        await add_overpayment(
            uow,
            repo,
            notice,
            inst.installment_no,
            receipt_id=receipt_id,
            amount=result.overpaid,
            cause=overpayment_cause,
            reason=reason.value,
            arose_on=command.booked_on,
            paid_on=command.paid_on,
        )


async def _publish_state(
    uow: UnitOfWork, notice: Notice, inst: LedgerInstallment, paid_on, booked_on
) -> None:
    state = installment_state(notice, inst, paid_on, booked_on)
    if inst.owed().total == 0:
        await uow.publish(receipts.InstallmentsSettled(items=[state]))
    else:
        await uow.publish(receipts.InstallmentsPartlyPaid(items=[state]))


async def add_overpayment(
    uow: UnitOfWork,
    repo: LedgerRepository,
    notice: Notice,
    installment_no: int,
    *,
    receipt_id: str | None,
    amount: int,
    cause: receipts.OverpaymentCause,
    reason: str,
    arose_on: dt.date,
    paid_on: dt.date,
) -> None:
    """Hold `amount` yen as 過誤納金 and announce it to refunds."""
    overpayment_id = new_id()
    await repo.add_overpayment(
        overpayment_id=overpayment_id,
        addressee_id=notice.addressee_id,
        notice_number=notice.notice_number,
        installment_no=installment_no,
        receipt_id=receipt_id,
        amount=amount,
        cause=cause,
        reason=reason,
        arose_on=arose_on,
    )
    await uow.publish(
        receipts.OverpaymentDetected(
            overpayment_id=overpayment_id,
            addressee_id=notice.addressee_id,
            notice_number=notice.notice_number,
            installment_no=installment_no,
            amount=amount,
            cause=cause,
            arose_on=arose_on,
            paid_on=paid_on,
            reason=receipts.OverpaymentReason(reason),
        )
    )


async def apply_addressee_change(event: address_sync.AddresseeChanged, uow: UnitOfWork) -> None:
    """Keep the local addressee copy (protection flag, death) current; older versions are ignored."""
    repo = LedgerRepository(uow.session)
    version = await repo.addressee_version(event.addressee_id)
    if version is not None and event.version <= version:
        return
    await repo.upsert_addressee(
        event.addressee_id, event.version, event.protected, event.deceased_on, new=version is None
    )
