"""The nightly batch (夜間バッチ): 延滞金 accrued to the batch date, 督促 for what is due, 履行監視.

One unit of work: the batch sees the receipts committed before each of its statements (so at
least everything up to its own start) and issues no 督促 for an installment with a receipt dated
on or before the batch date, a pending 速報, a 督促停止 hold or a 口座振替 in flight whose 振替結果 is
not imported yet — that last wait ends at 法329's 20-day limit (``domain.demand``).
Progress is reported through ``progress(advance, total)``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from osame_law import LawError, RateTable, earliest_seizure_date, last_due_date_dunnable
from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update

from osame_collection.adapters import batch_sql, late_fee_segments, orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.demand import is_late
from osame_collection.domain.late_fee import accrued_late_fee, plan_segments, scaled_segments, segment_plan
from osame_collection.domain.late_fee_explained import explain
from osame_collection.service_layer import audit, pledges, postponements
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy
from osame_collection.service_layer.publishing import publish_bulk

log = logging.getLogger("osame.collection.nightly")
Progress = Callable[[int, int], None]
CHUNK = 2_000


class RunNightly(BaseModel):
    batch_date: date
    staff_user: str = Field(default="batch", max_length=64)
    batch_id: str | None = None


def _noop(_advance: int, _total: int) -> None:
    return None


async def run_nightly(
    command: RunNightly,
    uow: UnitOfWork,
    *,
    policy: CollectionPolicy = DEFAULT_POLICY,
    progress: Progress = _noop,
) -> dict:
    session = uow.session
    day = command.batch_date
    batch_id = command.batch_id or str(uuid.uuid4())
    policy.check_typed("batch_date", day)  # a future batch date would dun and charge ahead of time
    fees = await CollectionRepository(session).demand_fee_schedule(policy.demand_fees)  # + loaded rows
    fee = fees.fee_on(day)  # RateNotAvailableError when no rule covers the day: never a silent 0
    await session.execute(
        insert(orm.batches).values(
            batch_id=batch_id,
            kind="nightly",
            run_on=day,
            status="running",
            started_at=datetime.now(UTC),
            staff_user=command.staff_user,
        )
    )
    await batch_sql.tune_for_batch(session)
    groups = await batch_sql.distinct_due_dates(session)
    total = sum(n for _, n in groups)
    progress(0, total)

    # 1. 延滞金 to the batch date: plain rows set-based (one UPDATE), the rest through the law library.
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    plans = {}
    unpriced_due_dates = []
    rates = await CollectionRepository(session).rate_table()  # built-in + loaded by command
    for due_date, _count in groups:
        plan = segment_plan(due_date, day, policy.late_fee, rates)
        if plan is None:
            unpriced_due_dates.append(due_date.isoformat())
        else:
            plans[due_date] = plan
    plain = await batch_sql.accrue_plain(session, plans, day, policy.per_segment)
    set_based_share = sum(n for due, n in groups if due in plans)  # incl. not-late rows left as they are
    progress(set_based_share, total)
    timings["late_fee_set_based"] = time.perf_counter() - clock
    clock = time.perf_counter()
    detailed, review = await _accrue_detailed(uow, day, policy, rates)
    progress(total - set_based_share, total)

    timings["late_fee_detailed"] = time.perf_counter() - clock
    clock = time.perf_counter()

    # 2. 督促 for what is due, behind the 行き違い guard.
    params = await CollectionRepository(session).law_parameters(policy.demand_cutoff_business_days)
    cutoff_days = params.cutoff_days(day)  # the row in force on the batch date (law as data, B7)
    last_due = last_due_date_dunnable(day, cutoff_days)  # the data cut-off
    complete = await batch_sql.debit_dates_complete(session)  # 振替日 whose 振替結果 is in and shown
    withheld = await batch_sql.withheld_counts(session, day, last_due, complete)
    issued = await batch_sql.issue_demands(
        session, batch_id, day, last_due, fee, earliest_seizure_date(day), complete
    )
    at_limit = await batch_sql.issued_with_debit_in_flight(session, batch_id, complete)  # 法329: not later
    issued_rows = await batch_sql.issued_in_batch(session, batch_id)
    notices = [n for n in issued_rows if n["served_on"] is not None]
    late = sum(1 for n in notices if is_late(n["due_date"], day))
    timings["demand_notices"] = time.perf_counter() - clock
    clock = time.perf_counter()
    await _explain_notices(uow, issued_rows, day, policy, rates)  # what each 督促状 prints (B5)
    timings["demand_segments"] = time.perf_counter() - clock
    clock = time.perf_counter()

    # 3. 履行監視 of 分納誓約 and of 猶予 分割 (a missed amount: 取消し candidate, 法15条の3).
    breaches = await pledges.monitor(uow, day, policy)
    postponement_breaches = await postponements.monitor(uow, day, policy)

    await publish_bulk(
        uow,
        contract.DemandNoticesIssued,
        [_issued_item(n) for n in notices],
        lambda items: contract.DemandNoticesIssued(batch_id=batch_id, items=items),
    )
    await publish_bulk(
        uow,
        contract.LateFeesAssessed,
        [
            contract.AssessedLateFee(
                addressee_id=n["addressee_id"],
                notice_number=n["notice_number"],
                installment_no=n["installment_no"],
                late_fee=n["late_fee_accrued"],
                computed_to=day,
                fixed=False,
                version=n["late_fee_version"],
            )
            for n in notices
        ],
        lambda items: contract.LateFeesAssessed(items=items),
    )
    timings["pledges_and_events"] = time.perf_counter() - clock
    summary = {
        "batch_id": batch_id,
        "batch_date": day.isoformat(),
        "open_installments": total,
        "late_fee_set_based": plain,
        "late_fee_detailed": detailed,
        "late_fee_review": review,
        "not_late_yet": sum(n for due, n in groups if plans.get(due) == []),
        "unpriced_due_dates": unpriced_due_dates,
        "demand_notices": issued,
        "demand_notices_held": issued - len(notices),  # not mailed: no legal effect until served
        "demand_cutoff_due_date": last_due.isoformat(),  # latest 納期限 past its cut-off
        "demand_cutoff_business_days": cutoff_days,
        "demand_notices_late": late,
        "demand_fee": fee,
        "withheld": withheld,
        # issued on the last day of 法329's 20 days although the 振替結果 of their 振替日 is not in
        "issued_with_debit_in_flight": at_limit,
        "pledges_breached": breaches,
        "postponements_breached": postponement_breaches,  # flagged for 取消し / 継続 (worklist)
        "phase_seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    await session.execute(
        update(orm.batches)
        .where(orm.batches.c.batch_id == batch_id)
        .values(status="done", finished_at=datetime.now(UTC), total=total, processed=total, summary=summary)
    )
    if at_limit:
        log.warning(
            "nightly batch %s: %d 督促 issued at the 20-day limit with their 振替結果 not imported",
            batch_id,
            len(at_limit),
        )
    if unpriced_due_dates or review:  # never a silent 0: the rate table does not cover these days
        log.warning(
            "nightly batch %s: 延滞金 not priced for %d due dates and %d installments (rate table)",
            batch_id,
            len(unpriced_due_dates),
            review,
        )
    await audit.record(
        session,
        command.staff_user,
        "nightly_batch.run",
        None,
        {k: summary[k] for k in ("batch_id", "batch_date", "demand_notices")},
    )
    return summary


def _issued_item(n: dict) -> contract.IssuedDemandNotice:
    return contract.IssuedDemandNotice(
        demand_notice_id=n["demand_notice_id"],
        addressee_id=n["addressee_id"],
        notice_number=n["notice_number"],
        installment_no=n["installment_no"],
        issued_on=n["issued_on"],
        demand_fee=n["demand_fee"],
        principal_tax_due=n["principal_tax_due"],
        late_fee_accrued=n["late_fee_accrued"],
        earliest_seizure_on=n["earliest_seizure_on"],
    )


async def _explain_notices(
    uow: UnitOfWork, notices: list[dict], day: date, policy: CollectionPolicy, rates: RateTable
) -> None:
    """Store the segments of the 延滞金 each 督促状 of the batch prints (issue #12 B5), priced as the
    batch priced it: an installment with no payment and no stay scales its 納期限's plan (the same
    days and rates for all of them; ``domain.late_fee.scaled_segments``), the others go through
    the law library with their payments and stays."""
    if not notices:
        return
    repo = CollectionRepository(uow.session)
    keys = [(n["notice_number"], n["installment_no"]) for n in notices]
    payments = await repo.payments_for(keys)
    exempt = await repo.exempt_intervals_for(keys, day)
    plans: dict[date, tuple | None] = {}
    rows: list[dict] = []
    for n, key in zip(notices, keys, strict=True):
        if key in payments or key in exempt:
            try:
                segments = accrued_late_fee(
                    n["principal_tax"],
                    n["due_date"],
                    day,
                    payments.get(key, []),
                    exempt.get(key, []),
                    policy.late_fee,
                    rates,
                ).segments
            except LawError:
                continue  # unpriced: counted by the batch, never explained with a guess
        else:
            if n["due_date"] not in plans:
                plans[n["due_date"]] = plan_segments(n["due_date"], day, policy.late_fee, rates)
            if plans[n["due_date"]] is None:
                continue
            segments = scaled_segments(plans[n["due_date"]], n["principal_tax_due"])
        rows += late_fee_segments.rows_of(
            "demand_notice", n["demand_notice_id"], key, explain(segments, n["tax_item"])
        )
    await late_fee_segments.store(uow.session, rows, replace=False)  # one 督促 per 期別, ever: new rows


async def _accrue_detailed(
    uow: UnitOfWork, day: date, policy: CollectionPolicy, rates: RateTable
) -> tuple[int, int]:
    """Installments with partial payments or a 執行停止: priced by the law library.

    The rows and their payments are read in one query each (not per chunk: a keyset walk over the
    primary key re-read most of the table for every chunk); the fees are written back in chunks."""
    session = uow.session
    rows = await batch_sql.complex_rows(session)
    if not rows:
        return 0, 0
    payments = await batch_sql.complex_payments(session)
    exempt = await CollectionRepository(session).exempt_intervals_for(
        [(r["notice_number"], r["installment_no"]) for r in rows], day
    )
    done = review = 0
    for start in range(0, len(rows), CHUNK):
        values = []
        for r in rows[start : start + CHUNK]:
            key = (r["notice_number"], r["installment_no"])
            try:
                accrual = accrued_late_fee(
                    r["principal_tax"],
                    r["due_date"],
                    day,
                    payments.get(key, []),
                    exempt.get(key, []),
                    policy.late_fee,
                    rates,
                )
            except LawError:
                review += 1
                continue
            values.append(
                {
                    "k_notice": key[0],
                    "k_no": key[1],
                    "late_fee": accrual.late_fee,
                    "late_fee_on": accrual.computed_to,
                }
            )
        await batch_sql.write_late_fees(session, values)
        done += len(values)
    return done, review


async def run_and_record(
    unit_of_work: Callable[[], UnitOfWork],
    command: RunNightly,
    *,
    policy: CollectionPolicy,
    progress: Progress = _noop,
) -> dict:
    """Run the batch in one unit of work; if it fails, nothing of it stays (one transaction) and a
    ``failed`` row is written in a unit of work of its own — with the error's type only, no data —
    so the failure is visible (batch metrics → the failed-run alert) and the date can be re-run
    (a failed row never counts as done). Issue #12 defect 11."""
    batch_id = command.batch_id or str(uuid.uuid4())
    command = command.model_copy(update={"batch_id": batch_id})
    try:
        async with unit_of_work() as uow:
            summary = await run_nightly(command, uow, policy=policy, progress=progress)
            await uow.commit()
        return summary
    except Exception as exc:
        async with unit_of_work() as uow:
            await uow.session.execute(
                insert(orm.batches).values(
                    batch_id=batch_id,
                    kind="nightly",
                    run_on=command.batch_date,
                    status="failed",
                    started_at=datetime.now(UTC),
                    finished_at=datetime.now(UTC),
                    summary={"error": type(exc).__name__},
                    staff_user=command.staff_user,
                )
            )
            await audit.record(
                uow.session,
                command.staff_user,
                "nightly_batch.failed",
                None,
                {"batch_id": batch_id, "batch_date": command.batch_date, "error": type(exc).__name__},
            )
            await uow.commit()
        raise


async def batch_summary(uow: UnitOfWork, batch_id: str) -> dict | None:
    row = (
        (await uow.session.execute(select(orm.batches).where(orm.batches.c.batch_id == batch_id)))
        .mappings()
        .first()
    )
    return dict(row) if row else None
