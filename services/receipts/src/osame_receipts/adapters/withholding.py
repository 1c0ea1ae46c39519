"""Persistence of the 給与特別徴収 accounts, employee lines, 納入 payments and allocations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm


@dataclass
class Account:
    designation_number: str
    fiscal_year: int
    obligor_addressee_id: str
    remittance_schedule: str
    special_approved_on: dt.date | None
    notified_on: dt.date


@dataclass
class Employee:
    notice_number: str
    designation_number: str
    fiscal_year: int
    addressee_id: str
    revision: int
    separated_month: str | None = None


class WithholdingRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def account(
        self, designation_number: str, fiscal_year: int, *, lock: bool = False
    ) -> Account | None:
        t = orm.withholding_accounts.c
        query = select(orm.withholding_accounts).where(
            t.designation_number == designation_number, t.fiscal_year == fiscal_year
        )
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return Account(**row) if row is not None else None

    async def save_account(self, account: Account, *, new: bool) -> None:
        values = dict(account.__dict__)
        if new:
            await self.session.execute(insert(orm.withholding_accounts).values(**values))
            return
        t = orm.withholding_accounts.c
        await self.session.execute(
            update(orm.withholding_accounts)
            .where(t.designation_number == account.designation_number, t.fiscal_year == account.fiscal_year)
            .values(**values)
        )

    async def employee(self, notice_number: str, *, lock: bool = False) -> Employee | None:
        query = select(orm.withholding_employees).where(
            orm.withholding_employees.c.notice_number == notice_number
        )
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return Employee(**row) if row is not None else None

    async def save_employee(self, employee: Employee, *, new: bool) -> None:
        values = dict(employee.__dict__)
        if new:
            await self.session.execute(insert(orm.withholding_employees).values(**values))
            return
        await self.session.execute(
            update(orm.withholding_employees)
            .where(orm.withholding_employees.c.notice_number == employee.notice_number)
            .values(**values)
        )

    async def employees(self, designation_number: str, fiscal_year: int) -> list[Employee]:
        t = orm.withholding_employees.c
        rows = (
            await self.session.execute(
                select(orm.withholding_employees)
                .where(t.designation_number == designation_number, t.fiscal_year == fiscal_year)
                .order_by(t.notice_number)
            )
        ).mappings()
        return [Employee(**r) for r in rows]

    async def payment_recorded(self, channel: str, channel_key: str) -> bool:
        t = orm.withholding_payments.c
        query = select(t.payment_id).where(t.channel == channel, t.channel_key == channel_key)
        return (await self.session.execute(query)).first() is not None

    async def add_payment(self, **values) -> None:
        await self.session.execute(insert(orm.withholding_payments).values(**values))

    async def add_allocations(self, rows: list[dict]) -> None:
        if rows:
            await self.session.execute(insert(orm.withholding_allocations), rows)

    async def allocations(self, payment_id: str) -> list[dict]:
        t = orm.withholding_allocations.c
        query = select(orm.withholding_allocations).where(t.payment_id == payment_id).order_by(t.seq)
        return [dict(r) for r in (await self.session.execute(query)).mappings()]
