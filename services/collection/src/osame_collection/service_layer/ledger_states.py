"""Projection of receipts' ledger states (InstallmentsSettled / InstallmentsPartlyPaid), in batches.

A bulk import day (口座振替: hundreds of thousands of installments) arrives as messages of up to
1,000 installments; each message is applied with a handful of statements (chunked lookups and
executemany writes), not several queries per installment. Stale versions are ignored, unknown
installments are created (a state event may overtake the assessment), and a settled
installment's 延滞金 is fixed (確定延滞金) at its full-payment day by the law library.
"""

from __future__ import annotations

from datetime import date

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from osame_contracts.messages import receipts
from osame_law import LawError, PartialPayment, recompute_after_reduction

from osame_collection.adapters import late_fee_segments
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.domain.late_fee_explained import explain
from osame_collection.domain.projection import is_newer, status_for
from osame_collection.service_layer import merges
from osame_collection.service_layer.policy import CollectionPolicy
from osame_collection.service_layer.publishing import publish_bulk

Key = tuple[str, int]


def _newest(items) -> dict[Key, receipts.InstallmentState]:
    """One state per installment: the newest ledger_version in the message."""
    out: dict[Key, receipts.InstallmentState] = {}
    for item in items:
        key = (item.notice_number, item.installment_no)
        if key not in out or is_newer(item.ledger_version, out[key].ledger_version):
            out[key] = item
    return out


async def project_installment_states(
    event: receipts.InstallmentsSettled | receipts.InstallmentsPartlyPaid,
    uow: UnitOfWork,
    *,
    policy: CollectionPolicy,
) -> None:
    """Mark installments paid / partly paid (any arrival order, duplicates harmless)."""
    repo = CollectionRepository(uow.session)
    newest = _newest(event.items)
    held = await repo.installments_by_key(list(newest))
    fresh = {
        key: item
        for key, item in newest.items()
        if key not in held or is_newer(item.ledger_version, held[key]["ledger_version"])
    }
    if not fresh:
        return
    filed_under = await merges.current_all(uow, {item.addressee_id for item in fresh.values()})
    fixed = await _fix_late_fees(
        repo, [item for key, item in fresh.items() if key in held and item.remaining == 0], held, policy
    )
    marks = await repo.receipt_marks_for([key for key in fresh if key not in held])
    inserts, updates = [], []
    for key, item in fresh.items():
        values = dict(
            addressee_id=filed_under[item.addressee_id],
            tax_item=item.tax_item,
            fiscal_year=item.fiscal_year,
            principal_tax=item.principal_tax,
            due_date=item.due_date,
            paid=item.paid,
            status=status_for(item.principal_tax, item.paid),
            ledger_version=item.ledger_version,
        )
        if key in held:
            updates.append({"k_notice": key[0], "k_installment": key[1], **values})
        else:
            inserts.append(
                {
                    "notice_number": key[0],
                    "installment_no": key[1],
                    "last_receipt_on": marks.get(key),
                    **values,
                }
            )
    await repo.insert_installments(inserts)
    await repo.update_installments(updates)
    await repo.refresh_status(list(fresh))  # 本税 paid: still owed while 督促手数料 / 延滞金 are
    # a 更正 seen first on a ledger state (it may overtake its AssessmentRecorded)
    corrected = [
        key
        for key, item in fresh.items()
        if key in held and item.remaining > 0 and item.principal_tax != held[key]["principal_tax"]
    ]
    fixed += await recompute_after_correction(uow, corrected, policy)
    await publish_bulk(
        uow, contract.LateFeesAssessed, fixed, lambda items: contract.LateFeesAssessed(items=items)
    )


async def _fix_late_fees(
    repo: CollectionRepository,
    settled: list[receipts.InstallmentState],
    held: dict[Key, dict],
    policy: CollectionPolicy,
) -> list[contract.AssessedLateFee]:
    """確定延滞金 of settled installments from their receipts (the last payment completes each)."""
    if not settled:
        return []
    keys = [(item.notice_number, item.installment_no) for item in settled]
    payments = await repo.payments_for(keys)
    stays = await repo.exempting_by_installment()  # 執行停止 and 猶予
    rates = await repo.rate_table()
    out, writes, explained = [], [], []
    for key, item in zip(keys, settled, strict=True):
        paid = list(payments.get(key, []))
        short = item.principal_tax - sum(a for _, a in paid)
        if short > 0:
            paid.append((item.last_paid_on, short))
        exempt = [iv for s in stays.get(key, []) if (iv := s.exempt_interval(item.last_paid_on)) is not None]
        try:
            accrual = accrued_late_fee(
                item.principal_tax, item.due_date, item.last_paid_on, paid, exempt, policy.late_fee, rates
            )
        except LawError:
            continue  # outside the rate table: left for review, never guessed
        if accrual.late_fee == 0 and held[key]["late_fee"] == 0:
            continue  # paid in time (or under the thresholds) and nothing was charged: nothing to fix
        version = held[key]["late_fee_version"] + 1
        writes.append(
            {
                "k_notice": key[0],
                "k_installment": key[1],
                "late_fee": accrual.late_fee,
                "late_fee_on": accrual.computed_to,
                "late_fee_version": version,
            }
        )
        out.append(
            contract.AssessedLateFee(
                addressee_id=item.addressee_id,
                notice_number=item.notice_number,
                installment_no=item.installment_no,
                late_fee=accrual.late_fee,
                computed_to=accrual.computed_to,
                fixed=True,
                version=version,
            )
        )
        # the 確定延滞金 explains itself from the store (B5): its segments as priced now
        explained += late_fee_segments.rows_of(
            "fixed", str(version), key, explain(accrual.segments, item.tax_item)
        )
    await repo.update_installments(writes)
    await late_fee_segments.store(repo.session, explained)
    return out


async def recompute_after_correction(
    uow: UnitOfWork, keys: list[Key], policy: CollectionPolicy
) -> list[contract.AssessedLateFee]:
    """更正 (either way): the 延滞金 of each installment recomputed on its new 本税 and the change
    published with a new version (issue #12 defect 4: a 減額更正 after payment kept the old 延滞金).

    本税 fully paid after the 更正: the 確定延滞金 from the start on the corrected tax, the tax counting
    as paid on the day the payments reached it (``osame_law.recompute_after_reduction``; later money
    is 過誤納金). Still owed: the 延滞金 accrued to the business date on the corrected tax."""
    if not keys:
        return []
    repo = CollectionRepository(uow.session)
    today = policy.business_date()
    held = {(r["notice_number"], r["installment_no"]): r for r in await repo.installment_rows(keys)}
    payments = await repo.payments_for(keys)
    exempt = await repo.exempt_intervals_for(keys, today)
    rates = await repo.rate_table()
    out, writes, explained = [], [], []
    for key in keys:
        row = held.get(key)
        if row is None or row["written_off_on"] is not None:
            continue
        fully_paid = row["paid"] >= row["principal_tax"]
        try:
            late_fee, computed_to, segments = late_fee_now(
                row, payments.get(key, []), exempt.get(key, []), today, policy, rates
            )
        except LawError:
            continue  # outside the rate table: left for review (the batch counts it), never guessed
        if late_fee == row["late_fee"] and not fully_paid:
            continue
        version = row["late_fee_version"] + 1
        writes.append(
            {
                "k_notice": key[0],
                "k_installment": key[1],
                "late_fee": late_fee,
                "late_fee_on": computed_to,
                "late_fee_version": version,
            }
        )
        out.append(
            contract.AssessedLateFee(
                addressee_id=row["addressee_id"],
                notice_number=key[0],
                installment_no=key[1],
                late_fee=late_fee,
                computed_to=computed_to,
                fixed=fully_paid,
                version=version,
            )
        )
        if fully_paid:
            explained += late_fee_segments.rows_of(
                "fixed", str(version), key, explain(segments, row["tax_item"])
            )
    await repo.update_installments(writes)
    await late_fee_segments.store(repo.session, explained)
    await repo.refresh_status(keys)
    return out


def late_fee_now(
    row: dict, payments: list, exempt: list, today: date, policy: CollectionPolicy, rates
) -> tuple[int, date, tuple]:
    """(延滞金, computed to, the law library's segments) of a held installment row on its 本税 and receipts: the 確定延滞金 when
    the ledger shows the 本税 paid (the tax counting as paid on the day the payments reached it,
    ``osame_law.recompute_after_reduction``), else accrued to ``today``. Raises ``LawError``."""
    paid = [PartialPayment(d, a) for d, a in sorted(payments)]
    if row["paid"] >= row["principal_tax"]:
        short = row["principal_tax"] - sum(p.amount for p in paid)
        if short > 0:  # paid by 充当 or before collection saw the receipts: on the last 領収日
            paid.append(PartialPayment(row["last_receipt_on"] or row["due_date"], short))
        result = recompute_after_reduction(
            reduced_tax=row["principal_tax"],
            due_date=row["due_date"],
            payments=paid,
            calculation_date=today,
            exempt_intervals=exempt,
            policy=policy.late_fee,
            rates=rates,
        )
        return result.late_fee, _completed_on(paid, row["principal_tax"], today), tuple(result.segments)
    accrual = accrued_late_fee(
        row["principal_tax"],
        row["due_date"],
        today,
        [(p.paid_on, p.amount) for p in paid],
        exempt,
        policy.late_fee,
        rates,
    )
    return accrual.late_fee, accrual.computed_to, accrual.segments


def _completed_on(payments: list[PartialPayment], tax: int, otherwise: date) -> date:
    """The 領収日 on which the payments (in date order) reach ``tax`` (the 確定延滞金's last day)."""
    running = 0
    for p in sorted(payments, key=lambda p: p.paid_on):
        running += p.amount
        if running >= tax:
            return p.paid_on
    return otherwise
