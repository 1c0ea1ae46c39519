"""Set-based SQL of the nightly batch (PostgreSQL and SQLite): 延滞金 accrual and 督促 issue.

Nothing here goes row by row through the ORM: the plain 延滞金 of every unpaid installment with no
payment and no 執行停止 is one UPDATE per 納期限 (the segment days and rates, taken from the law
library, are constants of that statement); installments with partial payments or stays are priced
by the law library in chunks and written back with one executemany per chunk; the 督促 of the
batch is one INSERT … SELECT whose WHERE clause is the 行き違い guard
(``domain.demand.may_issue_demand``).
"""

from __future__ import annotations

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
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm
from osame_collection.domain.demand import last_due_date_at_limit
from osame_collection.domain.projection import OWING, InstallmentStatus

I = orm.installments  # noqa: E741
R = orm.receipts
H = orm.demand_holds
S = orm.enforcement_stays
PO, PI = orm.postponements, orm.postponement_items
DENOMINATOR = 100 * 100 * 365  # rate in 1/100 %, days ÷ 365
SEGMENT_DIVISOR = DENOMINATOR // 1000  # the base is k × 1,000 yen


def _open_and_live():
    return and_(I.c.status == InstallmentStatus.OPEN.value, I.c.written_off_on.is_(None))


def _exempting_addressees():
    """Addressees with a 執行停止 or an approved 猶予 (or one since cancelled): 延滞金 exemptions."""
    return select(S.c.addressee_id).union(
        select(PO.c.addressee_id).where(PO.c.status.in_(("approved", "cancelled")))
    )


def plain_condition():
    """Unpaid installments priced set-based: nothing paid and no 執行停止 or 猶予 for the addressee."""
    return and_(_open_and_live(), I.c.paid == 0, not_(I.c.addressee_id.in_(_exempting_addressees())))


def late_fee_expression(plan: list[tuple[int, int]], per_segment: bool = True):
    """SQL for 法20条の4の2 applied to Σ segments of base × rate × days ÷ 365 (integer yen).

    With base = 1,000 × k (k = remaining // 1000, the 1,000-yen floor), base × r × d ÷ 3,650,000 is
    exactly k × r × d ÷ 3,650, so each segment is one multiplication and one division; the 2,000-yen
    minimum is the caller's outer CASE (``fee_expression``)."""
    if not plan:
        return literal(0, BigInteger)
    k = cast(I.c.principal_tax - I.c.paid, BigInteger) // 1000
    if per_segment:
        total = sum(k * (r * d) // SEGMENT_DIVISOR for r, d in plan)
    else:
        total = k * sum(r * d for r, d in plan) // SEGMENT_DIVISOR
    # total under 1,000 → 0, else floored to 100 yen (the sum appears twice, not three times)
    return case((total >= 1000, (total // 100) * 100), else_=literal(0, BigInteger))


def fee_expression(plans: dict[date, list[tuple[int, int]]], per_segment: bool = True):
    """延滞金 of a plain row: 0 under a 2,000-yen base, else its 納期限's plan (CASE due_date …)."""
    whens = [
        (I.c.due_date == due, late_fee_expression(plan, per_segment)) for due, plan in plans.items() if plan
    ]
    if not whens:
        return literal(0, Integer)  # nothing late yet
    by_due = case(*whens, else_=literal(0, BigInteger))
    return cast(case((I.c.principal_tax - I.c.paid < 2000, literal(0, BigInteger)), else_=by_due), Integer)


async def distinct_due_dates(session: AsyncSession) -> list[tuple[date, int]]:
    query = (
        select(I.c.due_date, func.count())
        .where(_open_and_live())
        .group_by(I.c.due_date)
        .order_by(I.c.due_date)
    )
    return [(d, n) for d, n in (await session.execute(query)).all()]


async def tune_for_batch(session: AsyncSession) -> None:
    """PostgreSQL: no JIT for this transaction. The 延滞金 UPDATE is one large CASE expression that
    JIT spends seconds compiling (measured 6.5 s of 32 s at 1,000,000 rows) and never pays back."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))


async def accrue_plain(
    session: AsyncSession, plans: dict[date, list[tuple[int, int]]], as_of: date, per_segment: bool
) -> int:
    """One UPDATE (one pass over the table) for every 納期限: CASE due_date WHEN … THEN <its plan>.

    Installments not late yet (empty plan) that carry no 延滞金 are left as they are: their 0 is
    still right, and rewriting them would only cost a new row version each."""
    late = [due for due, plan in plans.items() if plan]
    not_late = [due for due, plan in plans.items() if not plan]
    which = []
    if late:
        which.append(I.c.due_date.in_(late))
    if not_late:
        which.append(and_(I.c.due_date.in_(not_late), I.c.late_fee != 0))
    if not which:
        return 0
    statement = (
        update(I)
        .where(or_(*which), plain_condition())
        .values(late_fee=fee_expression(plans, per_segment), late_fee_on=as_of)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).rowcount


def _complex_condition():
    """Open installments needing the law library: a partial payment or a 執行停止 / 猶予 of the
    addressee. (``IN (SELECT …)`` rather than EXISTS: PostgreSQL hashes the stays once instead of
    probing them for every row.)"""
    return and_(_open_and_live(), or_(I.c.paid > 0, I.c.addressee_id.in_(_exempting_addressees())))


async def complex_rows(session: AsyncSession) -> list[dict]:
    """Every open installment needing the law library, in one pass (they are few: ~1 %)."""
    query = (
        select(I.c.notice_number, I.c.installment_no, I.c.addressee_id, I.c.principal_tax, I.c.due_date)
        .where(_complex_condition())
        .order_by(I.c.notice_number, I.c.installment_no)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def complex_payments(session: AsyncSession) -> dict[tuple[str, int], list[tuple[date, int]]]:
    """Confirmed receipts applied to the 本税 of those installments, in one query:
    {(notice, installment): [(paid_on, applied)]} (as ``CollectionRepository.payments_for``)."""
    query = (
        select(R.c.notice_number, R.c.installment_no, R.c.paid_on, R.c.applied)
        .join(I, and_(I.c.notice_number == R.c.notice_number, I.c.installment_no == R.c.installment_no))
        .where(
            _complex_condition(),
            R.c.preliminary.is_(False),
            R.c.cancelled.is_(False),
            R.c.applied > 0,
        )
    )
    out: dict[tuple[str, int], list[tuple[date, int]]] = {}
    for n, i, day, applied in (await session.execute(query)).all():
        out.setdefault((n, i), []).append((day, applied))
    return out


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


def _unreflected_receipt():
    """Confirmed money applied to the installment that its 本税 paid does not show yet: the ledger
    state of that receipt has not reached collection (two queues, any order)."""
    applied = (
        select(func.coalesce(func.sum(R.c.applied), 0))
        .where(
            R.c.notice_number == I.c.notice_number,
            R.c.installment_no == I.c.installment_no,
            R.c.preliminary.is_(False),
            R.c.cancelled.is_(False),
        )
        .scalar_subquery()
    )
    return applied > I.c.paid + I.c.demand_fee


def _pending_preliminary():
    return exists().where(
        R.c.notice_number == I.c.notice_number,
        R.c.installment_no == I.c.installment_no,
        R.c.preliminary.is_(True),
        R.c.cancelled.is_(False),
    )


def postponed(on: date):
    """An approved 徴収猶予 / 換価の猶予 covering the installment is in force on ``on``
    (``domain.postponement.Postponement.in_force``): no 督促, 催告, 差押 or 換価 for it."""
    return exists().where(
        PI.c.notice_number == I.c.notice_number,
        PI.c.installment_no == I.c.installment_no,
        PO.c.postponement_id == PI.c.postponement_id,
        PO.c.status.in_(("approved", "cancelled")),
        PO.c.starts_on <= on,
        PO.c.ends_on >= on,
        or_(PO.c.cancelled_on.is_(None), PO.c.cancelled_on > on),
    )


def _held(on: date):
    """A 督促停止 on the installment, an unmatched receipt naming its notice (消込不能 hold), or a
    猶予 in force on ``on``."""
    return or_(
        exists().where(H.c.notice_number == I.c.notice_number, H.c.installment_no == I.c.installment_no),
        exists().where(orm.unmatched_receipt_holds.c.notice_number == I.c.notice_number),
        postponed(on),
    )


def pledged():
    """An active 分納誓約 covers the installment: it names it (``pledge_items``), or it names no
    期別 at all (signed before pledges named theirs: every installment of its addressee)."""
    P, PLI = orm.pledges, orm.pledge_items
    named = exists().where(PLI.c.pledge_id == P.c.pledge_id)
    return exists().where(
        P.c.status == "active",
        or_(
            exists()
            .where(
                PLI.c.pledge_id == P.c.pledge_id,
                PLI.c.notice_number == I.c.notice_number,
                PLI.c.installment_no == I.c.installment_no,
            )
            .correlate_except(PLI),
            and_(P.c.addressee_id == I.c.addressee_id, not_(named)),
        ),
    )


async def pledged_installments(session: AsyncSession) -> set[tuple[str, int]]:
    """Owing installments an active 分納誓約 covers (催告 campaigns leave them to 履行監視)."""
    query = select(I.c.notice_number, I.c.installment_no).where(
        I.c.status.in_(OWING), I.c.written_off_on.is_(None), pledged()
    )
    return {(n, i) for n, i in (await session.execute(query)).all()}


async def postponed_installments(session: AsyncSession, keys: list[tuple[str, int]], on: date) -> set:
    """Which of ``keys`` a 猶予 in force on ``on`` covers (差押 / 配当 refuse them)."""
    if not keys:
        return set()
    query = select(I.c.notice_number, I.c.installment_no).where(
        tuple_(I.c.notice_number, I.c.installment_no).in_(keys), postponed(on)
    )
    return {(n, i) for n, i in (await session.execute(query)).all()}


def _debit_in_flight(complete: list[date]):
    """A 口座振替 request covers the installment for a 振替日 not yet ``complete``
    (``debit_dates_complete``: its 振替結果 imported and shown by the ledger)."""
    F = orm.debits_in_flight
    return exists().where(
        F.c.notice_number == I.c.notice_number,
        F.c.installment_no == I.c.installment_no,
        F.c.debit_date.not_in(complete),
    )


def _debit_wait(batch_date: date, complete: list[date]):
    """The 口座振替 wait of the batch: in flight and not yet at the 20-day limit of 法329
    (``domain.demand.at_issue_limit``: 納期限 ≤ ``last_due_date_at_limit`` is at the limit)."""
    return and_(I.c.due_date > last_due_date_at_limit(batch_date), _debit_in_flight(complete))


async def debit_dates_complete(session: AsyncSession) -> list[date]:
    """振替日 whose 振替結果 receipts reported imported **and** whose debited installments the ledger
    already shows paid here: the result event and the ledger states of the debited installments
    come on two queues, so a result counting ``debited`` = 3 releases its 振替日 only once three of
    its installments show their 本税 paid (an installment paid otherwise meanwhile counts too)."""
    F, RES = orm.debits_in_flight, orm.debit_results
    shown = (
        select(F.c.debit_date, func.count())
        .select_from(
            F.join(I, and_(I.c.notice_number == F.c.notice_number, I.c.installment_no == F.c.installment_no))
        )
        .where(I.c.paid >= I.c.principal_tax, F.c.debit_date.in_(select(RES.c.debit_date)))
        .group_by(F.c.debit_date)
    )
    counts = dict((await session.execute(shown)).all())
    results = (await session.execute(select(RES.c.debit_date, RES.c.debited))).all()
    return [day for day, debited in results if counts.get(day, 0) >= debited]


def candidate_condition(batch_date: date, last_due: date):
    """Past its cut-off (納期限 ≤ ``last_due``, ``osame_law.last_due_date_dunnable``), open, never
    dunned, not written off (domain.demand.is_candidate).

    The status is rendered as a literal so that PostgreSQL can prove the partial index
    ``ix_collection_installments_undunned`` applies (a bound parameter would hide it)."""
    return and_(
        I.c.status == bindparam("open_status", InstallmentStatus.OPEN.value, literal_execute=True),
        I.c.written_off_on.is_(None),
        I.c.demand_issued_on.is_(None),
        I.c.due_date <= last_due,
    )


def guard_condition(batch_date: date, complete: list[date]):
    """The 行き違い guard (domain.demand.withheld_reason is None)."""
    return and_(
        not_(_unreflected_receipt()),
        not_(_pending_preliminary()),
        not_(_held(batch_date)),
        not_(_debit_wait(batch_date, complete)),
    )


async def guarded_installments(session: AsyncSession, on: date) -> set[tuple[str, int]]:
    """Owing installments the 督促 guards withhold on ``on`` (pending 速報, a receipt the ledger does
    not show yet, a 督促停止 hold, a 猶予 in force, a 口座振替 in flight): a 催告 campaign skips them
    too (issue #12 defect 9)."""
    complete = await debit_dates_complete(session)
    query = select(I.c.notice_number, I.c.installment_no).where(
        I.c.status.in_(OWING),
        I.c.written_off_on.is_(None),
        or_(
            and_(I.c.status == InstallmentStatus.OPEN.value, _unreflected_receipt()),
            _pending_preliminary(),
            _held(on),
            _debit_in_flight(complete),
        ),
    )
    return {(n, i) for n, i in (await session.execute(query)).all()}


async def withheld_counts(
    session: AsyncSession, batch_date: date, last_due: date, complete: list[date]
) -> dict[str, int]:
    """Candidates the guard withholds, by first reason (receipt, 速報, hold, then 口座振替 in
    flight, as ``domain.demand.withheld_reason``): one pass."""
    receipt = _unreflected_receipt()
    preliminary = _pending_preliminary()
    held = _held(batch_date)
    debit = _debit_wait(batch_date, complete)
    reason = case(
        (receipt, "receipt"), (preliminary, "preliminary"), (held, "hold"), else_="debit_in_flight"
    ).label("reason")
    reasons = (
        select(reason)
        .where(candidate_condition(batch_date, last_due), or_(receipt, preliminary, held, debit))
        .subquery()
    )
    query = select(reasons.c.reason, func.count()).group_by(reasons.c.reason)
    out = {"receipt": 0, "preliminary": 0, "hold": 0, "debit_in_flight": 0}
    out.update({name: n for name, n in (await session.execute(query)).all()})
    return out


AD, MO = orm.addressees, orm.mailing_overrides


def held_reason():
    """Why the 督促状 of the installment would be held (None: it is mailed), as ``mailing``."""
    override = exists().where(
        MO.c.addressee_id == I.c.addressee_id, MO.c.tax_item == I.c.tax_item, MO.c.address != ""
    )
    return case(
        (AD.c.protected.is_(True), literal("protected_address")),
        (AD.c.deceased_on.is_not(None), literal("deceased")),
        (and_(AD.c.addressee_id.is_not(None), AD.c.address == "", not_(override)), literal("no_address")),
        else_=literal(None, String),
    )


async def issue_demands(
    session: AsyncSession,
    batch_id: str,
    batch_date: date,
    last_due: date,
    fee: int,
    earliest_seizure_on: date,
    complete: list[date],
) -> int:
    """INSERT the batch's 督促 set-based, then stamp the installments and their 時効 events.

    A 督促状 that will not be mailed (addressee under 支援措置, deceased, or with no address and no
    送付先 for the 税目 — ``domain.letters.mailing``) is recorded as held: no fee, no earliest seizure
    date, no 時効 event until it is served (issue #12 defect 7; ``demand_service.serve``)."""
    dn_id = literal("dn-") + I.c.notice_number + literal("-") + cast(I.c.installment_no, String(3))
    held = held_reason()
    chosen = (
        select(
            dn_id,
            literal(batch_id),
            I.c.addressee_id,
            I.c.notice_number,
            I.c.installment_no,
            literal(batch_date),
            case((held.is_(None), literal(fee)), else_=literal(0)),
            I.c.principal_tax - I.c.paid,
            I.c.late_fee,
            case((held.is_(None), literal(earliest_seizure_on)), else_=literal(None)),
            held,
            case((held.is_(None), literal(batch_date)), else_=literal(None)),
        )
        .select_from(I.outerjoin(AD, AD.c.addressee_id == I.c.addressee_id))
        .where(candidate_condition(batch_date, last_due), guard_condition(batch_date, complete))
    )
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
                "held_reason",
                "served_on",
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
            demand_fee=DN.c.demand_fee,
            earliest_seizure_on=DN.c.earliest_seizure_on,
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
            ).where(DN.c.batch_id == batch_id, DN.c.served_on.is_not(None)),
        )
    )
    return issued


async def issued_with_debit_in_flight(
    session: AsyncSession, batch_id: str, complete: list[date]
) -> list[str]:
    """督促 of the batch issued at the 20-day limit although their 口座振替 result was still out."""
    DN = orm.demand_notices
    query = (
        select(DN.c.demand_notice_id)
        .join(I, (I.c.notice_number == DN.c.notice_number) & (I.c.installment_no == DN.c.installment_no))
        .where(DN.c.batch_id == batch_id, _debit_in_flight(complete))
        .order_by(DN.c.demand_notice_id)
    )
    return list((await session.execute(query)).scalars())


async def issued_in_batch(session: AsyncSession, batch_id: str) -> list[dict]:
    DN = orm.demand_notices
    query = (
        select(DN, I.c.late_fee_version, I.c.due_date, I.c.tax_item, I.c.principal_tax)
        .join(I, (I.c.notice_number == DN.c.notice_number) & (I.c.installment_no == DN.c.installment_no))
        .where(DN.c.batch_id == batch_id)
        .order_by(DN.c.notice_number, DN.c.installment_no)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()]
