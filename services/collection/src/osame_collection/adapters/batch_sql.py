"""Set-based SQL of the nightly batch (PostgreSQL and SQLite): 延滞金 accrual and 督促 issue.

Nothing here goes row by row through the ORM: the plain 延滞金 of every unpaid installment with no
payment and no 執行停止 is one UPDATE per 納期限 (the segment days and rates, taken from the law
library, are constants of that statement); installments with partial payments or stays are priced
by the law library in chunks and written back with one executemany per chunk; the 督促 of the
batch is one INSERT … SELECT whose WHERE clause is the 行き違い guard
(``domain.demand.may_issue_demand``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm
from osame_collection.domain.projection import InstallmentStatus

I = orm.installments  # noqa: E741
R = orm.receipts
H = orm.demand_holds
S = orm.enforcement_stays
DENOMINATOR = 100 * 100 * 365  # rate in 1/100 %, days ÷ 365


def _open_and_live():
    return and_(I.c.status == InstallmentStatus.OPEN.value, I.c.written_off_on.is_(None))


def _has_stay():
    return exists().where(S.c.addressee_id == I.c.addressee_id)


def plain_condition():
    """Unpaid installments priced set-based: nothing paid and no 執行停止 for the addressee."""
    return and_(_open_and_live(), I.c.paid == 0, not_(_has_stay()))


def late_fee_expression(plan: list[tuple[int, int]], per_segment: bool = True):
    """SQL for 法20条の4の2 applied to Σ segments of base × rate × days ÷ 365 (integer yen)."""
    remaining = cast(I.c.principal_tax - I.c.paid, BigInteger)
    base = case((remaining < 2000, literal(0, BigInteger)), else_=(remaining // 1000) * 1000)
    if not plan:
        return literal(0, BigInteger)
    if per_segment:
        total = sum((base * r * d) // DENOMINATOR for r, d in plan)
    else:
        total = sum(base * r * d for r, d in plan) // DENOMINATOR
    return cast(case((total < 1000, literal(0, BigInteger)), else_=total - total % 100), Integer)


async def distinct_due_dates(session: AsyncSession) -> list[tuple[date, int]]:
    query = (
        select(I.c.due_date, func.count())
        .where(_open_and_live())
        .group_by(I.c.due_date)
        .order_by(I.c.due_date)
    )
    return [(d, n) for d, n in (await session.execute(query)).all()]


async def accrue_plain(
    session: AsyncSession, plans: dict[date, list[tuple[int, int]]], as_of: date, per_segment: bool
) -> int:
    """One UPDATE (one pass over the table) for every 納期限: CASE due_date WHEN … THEN <its plan>."""
    if not plans:
        return 0
    fee = case(
        *((I.c.due_date == due, late_fee_expression(plan, per_segment)) for due, plan in plans.items()),
        else_=I.c.late_fee,
    )
    statement = (
        update(I)
        .where(I.c.due_date.in_(list(plans)), plain_condition())
        .values(late_fee=fee, late_fee_on=as_of)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).rowcount


async def complex_rows(session: AsyncSession, chunk: int) -> AsyncIterator[list[dict]]:
    """Open installments needing the law library (partial payments or a stay), by keyset chunks."""
    cond = and_(_open_and_live(), or_(I.c.paid > 0, _has_stay()))
    last = ("", -1)
    while True:
        query = (
            select(I.c.notice_number, I.c.installment_no, I.c.addressee_id, I.c.principal_tax, I.c.due_date)
            .where(cond)
            .where(
                or_(
                    I.c.notice_number > last[0],
                    and_(I.c.notice_number == last[0], I.c.installment_no > last[1]),
                )
            )
            .order_by(I.c.notice_number, I.c.installment_no)
            .limit(chunk)
        )
        rows = [dict(r) for r in (await session.execute(query)).mappings()]
        if not rows:
            return
        yield rows
        last = (rows[-1]["notice_number"], rows[-1]["installment_no"])


async def write_late_fees(session: AsyncSession, values: list[dict], as_of_key: str = "late_fee_on") -> None:
    """values: [{k_notice, k_no, late_fee, late_fee_on}] written with one executemany."""
    if not values:
        return
    statement = (
        update(I)
        .where(I.c.notice_number == bindparam("k_notice"), I.c.installment_no == bindparam("k_no"))
        .values(late_fee=bindparam("late_fee"), late_fee_on=bindparam(as_of_key))
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement, values)


def _receipt_on_or_before(batch_date: date):
    return exists().where(
        R.c.notice_number == I.c.notice_number,
        R.c.installment_no == I.c.installment_no,
        R.c.paid_on <= batch_date,
    )


def _receipt_mark_on_or_before(batch_date: date):
    M = orm.receipt_marks
    return exists().where(
        M.c.notice_number == I.c.notice_number,
        M.c.installment_no == I.c.installment_no,
        M.c.last_receipt_on <= batch_date,
    )


def _pending_preliminary():
    return exists().where(
        R.c.notice_number == I.c.notice_number,
        R.c.installment_no == I.c.installment_no,
        R.c.preliminary.is_(True),
        R.c.cancelled.is_(False),
    )


def _held():
    return exists().where(H.c.notice_number == I.c.notice_number, H.c.installment_no == I.c.installment_no)


def candidate_condition(batch_date: date):
    """Overdue, open, never dunned, not written off (domain.demand.is_candidate)."""
    return and_(_open_and_live(), I.c.demand_issued_on.is_(None), I.c.due_date < batch_date)


def guard_condition(batch_date: date):
    """The 行き違い guard (domain.demand.withheld_reason is None)."""
    return and_(
        not_(_receipt_on_or_before(batch_date)),
        not_(_receipt_mark_on_or_before(batch_date)),
        not_(_pending_preliminary()),
        not_(_held()),
    )


async def withheld_counts(session: AsyncSession, batch_date: date) -> dict[str, int]:
    cand = candidate_condition(batch_date)
    receipt = or_(_receipt_on_or_before(batch_date), _receipt_mark_on_or_before(batch_date))
    out = {}
    for name, cond in (
        ("receipt", receipt),
        ("preliminary", and_(not_(receipt), _pending_preliminary())),
        ("hold", and_(not_(receipt), not_(_pending_preliminary()), _held())),
    ):
        out[name] = (
            await session.execute(select(func.count()).select_from(I).where(cand, cond))
        ).scalar_one()
    return out


async def issue_demands(
    session: AsyncSession, batch_id: str, batch_date: date, fee: int, earliest_seizure_on: date
) -> int:
    """INSERT the batch's 督促 set-based, then stamp the installments and their 時効 events."""
    dn_id = literal("dn-") + I.c.notice_number + literal("-") + cast(I.c.installment_no, String(3))
    chosen = select(
        dn_id,
        literal(batch_id),
        I.c.addressee_id,
        I.c.notice_number,
        I.c.installment_no,
        literal(batch_date),
        literal(fee),
        I.c.principal_tax - I.c.paid,
        I.c.late_fee,
        literal(earliest_seizure_on),
    ).where(candidate_condition(batch_date), guard_condition(batch_date))
    DN = orm.demand_notices
    result = await session.execute(
        insert(DN).from_select(
            [
                "demand_notice_id",
                "batch_id",
                "addressee_id",
                "notice_number",
                "installment_no",
                "issued_on",
                "demand_fee",
                "principal_tax_due",
                "late_fee_accrued",
                "earliest_seizure_on",
            ],
            chosen,
        )
    )
    issued = result.rowcount
    await session.execute(
        update(I)
        .where(
            DN.c.batch_id == batch_id,
            DN.c.notice_number == I.c.notice_number,
            DN.c.installment_no == I.c.installment_no,
        )
        .values(
            demand_issued_on=batch_date,
            demand_fee=fee,
            earliest_seizure_on=earliest_seizure_on,
            late_fee_version=I.c.late_fee_version + 1,  # the 督促 publishes the accrued 延滞金
        )
        .execution_options(synchronize_session=False)
    )
    L = orm.limitation_events
    await session.execute(
        insert(L).from_select(
            ["event_id", "notice_number", "installment_no", "kind", "occurred_on", "source_id"],
            select(
                DN.c.demand_notice_id,
                DN.c.notice_number,
                DN.c.installment_no,
                literal("demand"),
                DN.c.issued_on,
                DN.c.demand_notice_id,
            ).where(DN.c.batch_id == batch_id),
        )
    )
    return issued


async def issued_in_batch(session: AsyncSession, batch_id: str) -> list[dict]:
    DN = orm.demand_notices
    query = (
        select(DN, I.c.late_fee_version)
        .join(I, (I.c.notice_number == DN.c.notice_number) & (I.c.installment_no == DN.c.installment_no))
        .where(DN.c.batch_id == batch_id)
        .order_by(DN.c.notice_number, DN.c.installment_no)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()]
