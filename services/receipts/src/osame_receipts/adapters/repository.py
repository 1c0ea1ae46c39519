"""Ledger persistence (SQLAlchemy Core over the unit of work's session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm


@dataclass
class LedgerInstallment:
    notice_number: str
    installment_no: int
    principal_tax: int
    due_date: dt.date
    paid: int


@dataclass
class Notice:
    notice_number: str
    addressee_id: str
    tax_item: str
    fiscal_year: int
    tax_year: int
    revision: int
    ledger_version: int


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
        return {
            r["installment_no"]: LedgerInstallment(
                r["notice_number"], r["installment_no"], r["principal_tax"], r["due_date"], r["paid"]
            )
            for r in rows
        }

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
            .values(paid=inst.paid)
        )

    async def add_history(self, **values) -> None:
        await self.session.execute(insert(orm.assessment_history).values(**values))

    async def find_receipt(self, channel: str, channel_key: str):
        """The receipt already recorded for this channel payment (receipt_id, preliminary), if any."""
        query = select(orm.receipts.c.receipt_id, orm.receipts.c.preliminary).where(
            orm.receipts.c.channel == channel, orm.receipts.c.channel_key == channel_key
        )
        return (await self.session.execute(query)).first()

    async def save_receipt(self, receipt_id: str, values: dict, *, new: bool) -> None:
        if new:
            await self.session.execute(insert(orm.receipts).values(receipt_id=receipt_id, **values))
        else:
            await self.session.execute(
                update(orm.receipts).where(orm.receipts.c.receipt_id == receipt_id).values(**values)
            )

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


async def stats(session: AsyncSession) -> dict[str, int]:
    """Counts for /stats (no personal data)."""
    out = {}
    for name, table in (
        ("notices", orm.notices),
        ("installments", orm.installments),
        ("receipts", orm.receipts),
        ("overpayments", orm.overpayments),
        ("addressees", orm.addressees),
    ):
        out[name] = (await session.execute(select(func.count()).select_from(table))).scalar_one()
    unmatched = select(func.count()).select_from(orm.receipts).where(orm.receipts.c.matched.is_(False))
    out["unmatched_receipts"] = (await session.execute(unmatched)).scalar_one()
    total = select(func.coalesce(func.sum(orm.receipts.c.amount), 0)).where(
        orm.receipts.c.preliminary.is_(False)
    )
    out["receipts_yen"] = (await session.execute(total)).scalar_one()
    return out
