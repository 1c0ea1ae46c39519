"""Collection persistence (SQLAlchemy Core)."""

from __future__ import annotations

from osame_chassis.db import count_rows
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm


class CollectionRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def installment(self, notice_number: str, installment_no: int):
        query = select(orm.installments).where(
            orm.installments.c.notice_number == notice_number,
            orm.installments.c.installment_no == installment_no,
        )
        return (await self.session.execute(query)).mappings().first()

    async def insert_installment(self, **values) -> None:
        await self.session.execute(insert(orm.installments).values(**values))

    async def update_installment(self, notice_number: str, installment_no: int, **values) -> None:
        await self.session.execute(
            update(orm.installments)
            .where(orm.installments.c.notice_number == notice_number)
            .where(orm.installments.c.installment_no == installment_no)
            .values(**values)
        )

    async def receipt_mark(self, notice_number: str, installment_no: int):
        query = select(orm.receipt_marks.c.last_receipt_on).where(
            orm.receipt_marks.c.notice_number == notice_number,
            orm.receipt_marks.c.installment_no == installment_no,
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def note_receipt(self, notice_number: str, installment_no: int, paid_on) -> None:
        """Remember the latest 領収日 (a 督促 is never issued on or after a receipt), whether or not
        the installment is known yet."""
        held = await self.receipt_mark(notice_number, installment_no)
        if held is None:
            await self.session.execute(
                insert(orm.receipt_marks).values(
                    notice_number=notice_number, installment_no=installment_no, last_receipt_on=paid_on
                )
            )
        elif held < paid_on:
            await self.session.execute(
                update(orm.receipt_marks)
                .where(orm.receipt_marks.c.notice_number == notice_number)
                .where(orm.receipt_marks.c.installment_no == installment_no)
                .values(last_receipt_on=paid_on)
            )
        current = orm.installments.c.last_receipt_on
        await self.session.execute(
            update(orm.installments)
            .where(orm.installments.c.notice_number == notice_number)
            .where(orm.installments.c.installment_no == installment_no)
            .where((current.is_(None)) | (current < paid_on))
            .values(last_receipt_on=paid_on)
        )

    async def addressee_version(self, addressee_id: str) -> int | None:
        query = select(orm.addressees.c.version).where(orm.addressees.c.addressee_id == addressee_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def upsert_addressee(self, values: dict, *, new: bool) -> None:
        if new:
            await self.session.execute(insert(orm.addressees).values(**values))
        else:
            await self.session.execute(
                update(orm.addressees)
                .where(orm.addressees.c.addressee_id == values["addressee_id"])
                .values(**values)
            )

    async def upsert_inquiry(self, query_id: str, **values) -> None:
        exists = (
            await self.session.execute(
                select(orm.asset_inquiries.c.query_id).where(orm.asset_inquiries.c.query_id == query_id)
            )
        ).first()
        if exists:
            await self.session.execute(
                update(orm.asset_inquiries).where(orm.asset_inquiries.c.query_id == query_id).values(**values)
            )
        else:
            await self.session.execute(insert(orm.asset_inquiries).values(query_id=query_id, **values))


async def stats(session: AsyncSession) -> dict[str, int]:
    out = await count_rows(
        session,
        {
            "installments": orm.installments,
            "addressees": orm.addressees,
            "asset_inquiries": orm.asset_inquiries,
        },
    )
    paid = select(func.count()).select_from(orm.installments).where(orm.installments.c.status == "paid")
    out["installments_paid"] = (await session.execute(paid)).scalar_one()
    return out
