"""Ledger persistence (SQLAlchemy Core over the unit of work's session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm
from osame_receipts.domain.reconciliation import Owed, Reconciliation


@dataclass
class LedgerInstallment:
    """One 期別 of the 調定 ledger: 本税 and the 督促手数料/延滞金 charged on it, with what was paid."""

    notice_number: str
    installment_no: int
    principal_tax: int
    due_date: dt.date
    paid: int  # Σ applied to 本税
    demand_fee: int = 0
    demand_fee_paid: int = 0
    late_fee: int = 0
    late_fee_paid: int = 0
    forest_environment_tax: int = 0
    late_fee_version: int = 0
    demand_notice_id: str | None = None
    written_off_on: dt.date | None = None

    def owed(self) -> Owed:
        """What is still owed; nothing once written off (不納欠損, 法18②: money can no longer be taken)."""
        if self.written_off_on is not None:
            return Owed()
        return Owed(
            principal_tax=max(self.principal_tax - self.paid, 0),
            demand_fee=max(self.demand_fee - self.demand_fee_paid, 0),
            late_fee=max(self.late_fee - self.late_fee_paid, 0),
        )

    def book(self, result: Reconciliation) -> None:
        self.paid += result.principal_tax
        self.demand_fee_paid += result.demand_fee
        self.late_fee_paid += result.late_fee

    def unbook(self, principal_tax: int, demand_fee: int, late_fee: int) -> None:
        self.paid -= principal_tax
        self.demand_fee_paid -= demand_fee
        self.late_fee_paid -= late_fee


@dataclass
class Notice:
    notice_number: str
    addressee_id: str
    tax_item: str
    fiscal_year: int
    tax_year: int
    revision: int
    ledger_version: int
    vehicle_plate: str | None = None


class LedgerRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get_notice(self, notice_number: str, *, lock: bool = False) -> Notice | None:
        query = select(orm.notices).where(orm.notices.c.notice_number == notice_number)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        return Notice(**{k: row[k] for k in Notice.__dataclass_fields__})

    async def installments(self, notice_number: str) -> dict[int, LedgerInstallment]:
        rows = (
            await self.session.execute(
                select(orm.installments).where(orm.installments.c.notice_number == notice_number)
            )
        ).mappings()
        return {r["installment_no"]: _installment(r) for r in rows}

    async def installment(
        self, notice_number: str, installment_no: int, *, lock: bool = False
    ) -> LedgerInstallment | None:
        """One installment; `lock` takes its row lock (PostgreSQL) so a read-modify-write of its
        charges cannot lose a concurrent handler's update."""
        query = select(orm.installments).where(
            orm.installments.c.notice_number == notice_number,
            orm.installments.c.installment_no == installment_no,
        )
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _installment(row) if row is not None else None

    async def save_notice(self, notice: Notice, *, new: bool) -> None:
        values = {k: getattr(notice, k) for k in Notice.__dataclass_fields__}
        if new:
            await self.session.execute(insert(orm.notices).values(**values))
        else:
            await self.session.execute(
                update(orm.notices)
                .where(orm.notices.c.notice_number == notice.notice_number)
                .values(**values)
            )

    async def upsert_installment(
        self, inst: LedgerInstallment, statutory_due_date: dt.date, *, new: bool
    ) -> None:
        values = {
            "principal_tax": inst.principal_tax,
            "due_date": inst.due_date,
            "statutory_due_date": statutory_due_date,
            "paid": inst.paid,
            "forest_environment_tax": inst.forest_environment_tax,
        }
        if new:
            await self.session.execute(
                insert(orm.installments).values(
                    notice_number=inst.notice_number, installment_no=inst.installment_no, **values
                )
            )
        else:
            await self.session.execute(
                update(orm.installments)
                .where(orm.installments.c.notice_number == inst.notice_number)
                .where(orm.installments.c.installment_no == inst.installment_no)
                .values(**values)
            )

    async def set_paid(self, inst: LedgerInstallment) -> None:
        await self.session.execute(
            update(orm.installments)
            .where(orm.installments.c.notice_number == inst.notice_number)
            .where(orm.installments.c.installment_no == inst.installment_no)
            .values(paid=inst.paid, demand_fee_paid=inst.demand_fee_paid, late_fee_paid=inst.late_fee_paid)
        )

    async def set_charges(self, inst: LedgerInstallment) -> None:
        """督促手数料/延滞金 owed (from collection) and 不納欠損 of one installment."""
        await self.session.execute(
            update(orm.installments)
            .where(orm.installments.c.notice_number == inst.notice_number)
            .where(orm.installments.c.installment_no == inst.installment_no)
            .values(
                demand_fee=inst.demand_fee,
                demand_notice_id=inst.demand_notice_id,
                late_fee=inst.late_fee,
                late_fee_version=inst.late_fee_version,
                written_off_on=inst.written_off_on,
            )
        )

    async def add_history(self, **values) -> None:
        await self.session.execute(insert(orm.assessment_history).values(**values))

    async def find_receipt(self, channel: str, channel_key: str):
        """The receipt already recorded for this channel payment (receipt_id, preliminary), if any."""
        query = select(orm.receipts.c.receipt_id, orm.receipts.c.preliminary).where(
            orm.receipts.c.channel == channel, orm.receipts.c.channel_key == channel_key
        )
        return (await self.session.execute(query)).first()

    async def receipt_state(self, receipt_id: str) -> str | None:
        query = select(orm.receipts.c.state).where(orm.receipts.c.receipt_id == receipt_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def set_receipt_state(self, receipt_id: str, state: str, **values) -> None:
        await self.session.execute(
            update(orm.receipts).where(orm.receipts.c.receipt_id == receipt_id).values(state=state, **values)
        )

    async def get_receipt(self, receipt_id: str, *, lock: bool = False) -> dict | None:
        query = select(orm.receipts).where(orm.receipts.c.receipt_id == receipt_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row is not None else None

    async def save_receipt(self, receipt_id: str, values: dict, *, new: bool) -> None:
        if new:
            await self.session.execute(insert(orm.receipts).values(receipt_id=receipt_id, **values))
        else:
            await self.session.execute(
                update(orm.receipts).where(orm.receipts.c.receipt_id == receipt_id).values(**values)
            )

    async def standing_receipts(self, notice_number: str, installment_no: int) -> list[dict]:
        """The final, matched receipts booked on one installment (充当 receipts included)."""
        r = orm.receipts.c
        query = select(
            r.receipt_id,
            r.channel,
            r.channel_key,
            r.amount,
            r.paid_on,
            r.booked_on,
            r.applied_principal_tax,
            r.applied_demand_fee,
            r.applied_late_fee,
            r.overpaid,
            r.batch_id,
        ).where(
            r.notice_number == notice_number,
            r.installment_no == installment_no,
            r.state == "final",
            r.matched.is_(True),
        )
        return [dict(x) for x in (await self.session.execute(query)).mappings().all()]

    async def latest_paid_on(self, notice_number: str, installment_no: int) -> dt.date | None:
        """領収日 of the latest final receipt applied to an installment."""
        query = select(func.max(orm.receipts.c.paid_on)).where(
            orm.receipts.c.notice_number == notice_number,
            orm.receipts.c.installment_no == installment_no,
            orm.receipts.c.preliminary.is_(False),
            orm.receipts.c.applied > 0,
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_overpayment(self, **values) -> None:
        await self.session.execute(insert(orm.overpayments).values(**values))

    async def get_overpayment(self, overpayment_id: str, *, lock: bool = False) -> dict | None:
        query = select(orm.overpayments).where(orm.overpayments.c.overpayment_id == overpayment_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row is not None else None

    async def add_appropriated(self, overpayment_id: str, amount: int) -> None:
        await self.session.execute(
            update(orm.overpayments)
            .where(orm.overpayments.c.overpayment_id == overpayment_id)
            .values(appropriated=orm.overpayments.c.appropriated + amount)
        )

    async def overpayments_of_cheque(
        self, receipt_id: str, notice_number: str, installment_no: int
    ) -> list[dict]:
        """The overpayments a receipt's money may sit in: its own, then the 過納 overpayments of
        減額更正 on the same installment (no receipt), newest first."""
        o = orm.overpayments.c
        query = (
            select(orm.overpayments)
            .where(
                (o.receipt_id == receipt_id)
                | (
                    o.receipt_id.is_(None)
                    & (o.notice_number == notice_number)
                    & (o.installment_no == installment_no)
                )
            )
            .with_for_update()
        )
        rows = [dict(r) for r in (await self.session.execute(query)).mappings().all()]
        own = [r for r in rows if r["receipt_id"] == receipt_id]
        later = sorted(
            (r for r in rows if r["receipt_id"] is None), key=lambda r: r["arose_on"], reverse=True
        )
        return own + later

    async def applied_appropriations(self, overpayment_id: str) -> list[tuple[str, int]]:
        """(appropriation_id, total) of the 充当 applied from an overpayment, newest first."""
        a = orm.appropriations.c
        query = (
            select(a.appropriation_id, a.total)
            .where(a.overpayment_id == overpayment_id, a.outcome == "applied")
            .order_by(a.recorded_at.desc(), a.appropriation_id.desc())
        )
        return [(r.appropriation_id, r.total) for r in (await self.session.execute(query)).all()]

    async def appropriation_receipts(self, appropriation_id: str) -> list[dict]:
        r = orm.receipts.c
        query = select(orm.receipts).where(
            r.channel == "appropriation", r.channel_key.like(f"{appropriation_id}:%"), r.state == "final"
        )
        return [dict(x) for x in (await self.session.execute(query)).mappings().all()]

    async def reverse_appropriation(self, appropriation_id: str, overpayment_id: str, total: int) -> None:
        await self.session.execute(
            update(orm.appropriations)
            .where(orm.appropriations.c.appropriation_id == appropriation_id)
            .values(outcome="reversed")
        )
        await self.session.execute(
            update(orm.overpayments)
            .where(orm.overpayments.c.overpayment_id == overpayment_id)
            .values(appropriated=orm.overpayments.c.appropriated - total)
        )

    async def add_withdrawn(self, overpayment_id: str, amount: int) -> None:
        await self.session.execute(
            update(orm.overpayments)
            .where(orm.overpayments.c.overpayment_id == overpayment_id)
            .values(withdrawn=orm.overpayments.c.withdrawn + amount)
        )

    async def appropriation_recorded(self, appropriation_id: str) -> bool:
        query = select(orm.appropriations.c.appropriation_id).where(
            orm.appropriations.c.appropriation_id == appropriation_id
        )
        return (await self.session.execute(query)).first() is not None

    async def add_appropriation(self, **values) -> None:
        await self.session.execute(insert(orm.appropriations).values(**values))

    async def addressee_version(self, addressee_id: str) -> int | None:
        query = select(orm.addressees.c.version).where(orm.addressees.c.addressee_id == addressee_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def upsert_addressee(
        self, addressee_id: str, version: int, protected: bool, deceased_on, *, new: bool
    ):
        values = {"version": version, "protected": protected, "deceased_on": deceased_on}
        if new:
            await self.session.execute(insert(orm.addressees).values(addressee_id=addressee_id, **values))
        else:
            await self.session.execute(
                update(orm.addressees).where(orm.addressees.c.addressee_id == addressee_id).values(**values)
            )


def _installment(r) -> LedgerInstallment:
    return LedgerInstallment(
        r["notice_number"],
        r["installment_no"],
        r["principal_tax"],
        r["due_date"],
        r["paid"],
        r["demand_fee"],
        r["demand_fee_paid"],
        r["late_fee"],
        r["late_fee_paid"],
        r["forest_environment_tax"],
        r["late_fee_version"],
        r["demand_notice_id"],
        r["written_off_on"],
    )


async def stats(session: AsyncSession) -> dict[str, int]:
    """Counts for /stats (no personal data)."""
    out = {}
    for name, table in (
        ("notices", orm.notices),
        ("installments", orm.installments),
        ("overpayments", orm.overpayments),
        ("addressees", orm.addressees),
        ("addressee_merges", orm.addressee_merges),
        ("appropriations", orm.appropriations),
        ("mandates", orm.mandates),
        ("debit_failures", orm.debit_failures),
        ("import_batches", orm.import_batches),
    ):
        out[name] = (await session.execute(select(func.count()).select_from(table))).scalar_one()
    channel = orm.receipts.c.channel
    received = select(func.count()).select_from(orm.receipts).where(channel != "appropriation")
    out["receipts"] = (await session.execute(received)).scalar_one()  # money that came in, any state
    by_appropriation = select(func.count()).select_from(orm.receipts).where(channel == "appropriation")
    out["appropriation_receipts"] = (await session.execute(by_appropriation)).scalar_one()
    unmatched = (
        select(func.count())
        .select_from(orm.receipts)
        .where(orm.receipts.c.matched.is_(False), orm.receipts.c.state.in_(("final", "preliminary")))
    )
    out["unmatched_receipts"] = (await session.execute(unmatched)).scalar_one()
    preliminary = select(func.count()).select_from(orm.receipts).where(orm.receipts.c.state == "preliminary")
    out["preliminary_receipts"] = (await session.execute(preliminary)).scalar_one()
    total = select(func.coalesce(func.sum(orm.receipts.c.amount), 0)).where(
        orm.receipts.c.state == "final", channel != "appropriation"
    )
    out["receipts_yen"] = (await session.execute(total)).scalar_one()
    return out


async def money(session: AsyncSession, addressee_id: str | None) -> dict[str, int]:
    """Receipts' side of money conservation (for one 宛名番号, or the whole city).

    received: real money in (not 充当 receipts, not 速報, not reversed); applied: Σ paid on the
    ledger (本税 + 督促手数料 + 延滞金, 充当 included); unmatched: money matching no installment
    (city-wide only: it has no 宛名番号 yet).
    """
    r, i, n = orm.receipts, orm.installments, orm.notices
    standing = (r.c.state == "final",)  # not a 速報, not withdrawn, not reversed (不渡)
    received = select(func.coalesce(func.sum(r.c.amount), 0)).where(r.c.channel != "appropriation", *standing)
    applied = select(func.coalesce(func.sum(i.c.paid + i.c.demand_fee_paid + i.c.late_fee_paid), 0))
    unmatched = select(func.coalesce(func.sum(r.c.amount), 0)).where(r.c.matched.is_(False), *standing)
    if addressee_id:
        mine = select(n.c.notice_number).where(n.c.addressee_id == addressee_id)
        received = received.where(r.c.notice_number.in_(mine), r.c.matched.is_(True))
        applied = applied.where(i.c.notice_number.in_(mine))
        unmatched = unmatched.where(False)
    return {
        "received": (await session.execute(received)).scalar_one(),
        "applied": (await session.execute(applied)).scalar_one(),
        "unmatched": (await session.execute(unmatched)).scalar_one(),
    }


async def import_batches(
    session: AsyncSession, *, channel: str | None, status: str | None, limit: int
) -> list[dict]:
    """Import batches, newest first (counts only; no file contents)."""
    b = orm.import_batches.c
    query = select(orm.import_batches).order_by(b.imported_at.desc()).limit(limit)
    if channel:
        query = query.where(b.channel == channel)
    if status:
        query = query.where(b.status == status)
    return [dict(r) for r in (await session.execute(query)).mappings().all()]


async def import_batch(session: AsyncSession, batch_id: str) -> dict | None:
    """One batch with its located errors (file, record, field, message — never a value)."""
    b, e = orm.import_batches.c, orm.import_errors.c
    row = (await session.execute(select(orm.import_batches).where(b.batch_id == batch_id))).mappings().first()
    if row is None:
        return None
    errors = (
        await session.execute(
            select(e.record_no, e.field, e.message).where(e.batch_id == batch_id).order_by(e.record_no, e.id)
        )
    ).mappings()
    return {**dict(row), "errors": [dict(x) for x in errors]}
