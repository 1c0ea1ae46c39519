"""Refunds persistence (SQLAlchemy Core over the unit of work's session)."""

from __future__ import annotations

import datetime as dt

from osame_chassis.db import count_rows
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_refunds.adapters import orm
from osame_refunds.domain.appropriation_plan import Debt

ACTIVE_APPROPRIATION = ("requested", "applied")


class RefundsRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    # --- overpayments -------------------------------------------------------------------
    async def overpayment(self, overpayment_id: str, *, lock: bool = False):
        query = select(orm.overpayments).where(orm.overpayments.c.overpayment_id == overpayment_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).mappings().first()

    async def has_overpayment(self, overpayment_id: str) -> bool:
        return await self.overpayment(overpayment_id) is not None

    async def add_overpayment(self, **values) -> None:
        await self.session.execute(insert(orm.overpayments).values(**values))

    async def update_overpayment(self, overpayment_id: str, **values) -> None:
        await self.session.execute(
            update(orm.overpayments)
            .where(orm.overpayments.c.overpayment_id == overpayment_id)
            .values(**values)
        )

    # --- projection of unpaid 徴収金 --------------------------------------------------------
    async def project(
        self,
        *,
        notice_number,
        installment_no,
        component,
        addressee_id,
        amount,
        basis_date,
        version,
        keep_basis=False,
    ):
        """Apply an absolute, versioned view of one debt; older versions are ignored.
        With `keep_basis`, a basis date already known (from a better source) is not replaced."""
        key = self._key(notice_number, installment_no, component)
        held = (
            await self.session.execute(select(orm.unpaid_items.c.version).where(key))
        ).scalar_one_or_none()
        values = {
            "addressee_id": addressee_id,
            "amount": amount,
            "basis_date": basis_date,
            "version": version,
        }
        if held is None:
            await self.session.execute(
                insert(orm.unpaid_items).values(
                    notice_number=notice_number, installment_no=installment_no, component=component, **values
                )
            )
        elif version > held:
            if keep_basis:
                values.pop("basis_date")
            await self.session.execute(update(orm.unpaid_items).where(key).values(**values))

    async def set_basis(
        self, notice_number, installment_no, component, addressee_id, basis_date, amount
    ) -> None:
        """Record a debt's 充当適状 basis date; create the debt (version 0) if the ledger has not shown it yet."""
        key = self._key(notice_number, installment_no, component)
        held = (
            await self.session.execute(select(orm.unpaid_items.c.version).where(key))
        ).scalar_one_or_none()
        if held is None:
            await self.session.execute(
                insert(orm.unpaid_items).values(
                    notice_number=notice_number,
                    installment_no=installment_no,
                    component=component,
                    addressee_id=addressee_id,
                    amount=amount,
                    basis_date=basis_date,
                    version=0,
                )
            )
        else:
            await self.session.execute(update(orm.unpaid_items).where(key).values(basis_date=basis_date))

    @staticmethod
    def _key(notice_number, installment_no, component):
        return (
            (orm.unpaid_items.c.notice_number == notice_number)
            & (orm.unpaid_items.c.installment_no == installment_no)
            & (orm.unpaid_items.c.component == component)
        )

    async def set_debt(self, notice_number: str, installment_no: int, component: str, amount: int) -> None:
        """Receipts said what the item still owes: plan with that until the ledger says otherwise."""
        await self.session.execute(
            update(orm.unpaid_items)
            .where(orm.unpaid_items.c.notice_number == notice_number)
            .where(orm.unpaid_items.c.installment_no == installment_no)
            .where(orm.unpaid_items.c.component == component)
            .values(amount=amount)
        )

    async def debts(self, addressee_id: str) -> list[Debt]:
        """What the taxpayer owes now, less what active 充当 already cover and the ledger has not yet shown.

        An appropriation item remembers the projection version it was planned against; once a newer
        ledger view arrives, that view already includes (or excludes) it, so it stops being subtracted.
        """
        rows = (
            await self.session.execute(
                select(orm.unpaid_items).where(orm.unpaid_items.c.addressee_id == addressee_id)
            )
        ).mappings()
        owed = {(r["notice_number"], r["installment_no"], r["component"]): dict(r) for r in rows}
        reserved = await self.session.execute(
            select(
                orm.appropriation_items.c.notice_number,
                orm.appropriation_items.c.installment_no,
                orm.appropriation_items.c.component,
                orm.appropriation_items.c.amount,
                orm.appropriation_items.c.seen_version,
            )
            .join(orm.appropriations)
            .where(orm.appropriations.c.addressee_id == addressee_id)
            .where(orm.appropriations.c.status.in_(ACTIVE_APPROPRIATION))
        )
        for r in reserved:
            row = owed.get((r.notice_number, r.installment_no, r.component))
            if row is not None and row["version"] == r.seen_version:
                row["amount"] -= r.amount
        return [
            Debt(n, i, c, max(row["amount"], 0), row["basis_date"])
            for (n, i, c), row in sorted(owed.items())
            if row["amount"] > 0
        ]

    async def debt_versions(self, addressee_id: str) -> dict[tuple[str, int, str], int]:
        rows = await self.session.execute(
            select(
                orm.unpaid_items.c.notice_number,
                orm.unpaid_items.c.installment_no,
                orm.unpaid_items.c.component,
                orm.unpaid_items.c.version,
            ).where(orm.unpaid_items.c.addressee_id == addressee_id)
        )
        return {(r.notice_number, r.installment_no, r.component): r.version for r in rows}

    # --- 充当 -----------------------------------------------------------------------------
    async def add_appropriation(self, values: dict, items: list[dict]) -> None:
        await self.session.execute(insert(orm.appropriations).values(**values))
        for line, item in enumerate(items, start=1):
            await self.session.execute(
                insert(orm.appropriation_items).values(
                    appropriation_id=values["appropriation_id"], line=line, **item
                )
            )

    async def appropriation(self, appropriation_id: str):
        query = select(orm.appropriations).where(orm.appropriations.c.appropriation_id == appropriation_id)
        return (await self.session.execute(query)).mappings().first()

    async def appropriation_items(self, appropriation_id: str) -> list[dict]:
        query = (
            select(orm.appropriation_items)
            .where(orm.appropriation_items.c.appropriation_id == appropriation_id)
            .order_by(orm.appropriation_items.c.line)
        )
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def set_appropriation_status(
        self, appropriation_id: str, status: str, reason: str | None = None
    ) -> None:
        await self.session.execute(
            update(orm.appropriations)
            .where(orm.appropriations.c.appropriation_id == appropriation_id)
            .values(status=status, reason=reason)
        )

    async def pending_appropriations(self, overpayment_id: str) -> int:
        query = select(func.count()).where(
            orm.appropriations.c.overpayment_id == overpayment_id, orm.appropriations.c.status == "requested"
        )
        return (await self.session.execute(query)).scalar_one()

    async def applied_parts(self, overpayment_id: str) -> list[tuple[int, dt.date]]:
        query = select(orm.appropriations.c.total, orm.appropriations.c.appropriable_on).where(
            orm.appropriations.c.overpayment_id == overpayment_id, orm.appropriations.c.status == "applied"
        )
        return [(r.total, r.appropriable_on) for r in await self.session.execute(query)]

    # --- 還付 -----------------------------------------------------------------------------
    async def add_refund(self, **values) -> None:
        await self.session.execute(insert(orm.refunds).values(**values))

    async def refund(self, refund_id: str, *, lock: bool = False):
        query = select(orm.refunds).where(orm.refunds.c.refund_id == refund_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).mappings().first()

    async def refund_for(self, overpayment_id: str):
        """The live (not cancelled) refund decision of an overpayment, if any."""
        query = select(orm.refunds).where(
            orm.refunds.c.overpayment_id == overpayment_id, orm.refunds.c.status != "cancelled"
        )
        return (await self.session.execute(query)).mappings().first()

    async def update_refund(self, refund_id: str, **values) -> None:
        await self.session.execute(
            update(orm.refunds).where(orm.refunds.c.refund_id == refund_id).values(**values)
        )

    async def refunds_where(self, *conditions) -> list[dict]:
        query = select(orm.refunds).where(*conditions).order_by(orm.refunds.c.refund_id)
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def payee(self, addressee_id: str):
        query = select(orm.payee_accounts).where(orm.payee_accounts.c.addressee_id == addressee_id)
        return (await self.session.execute(query)).mappings().first()

    async def save_payee(self, values: dict) -> None:
        held = await self.payee(values["addressee_id"])
        if held is None:
            await self.session.execute(insert(orm.payee_accounts).values(**values))
        else:
            await self.session.execute(
                update(orm.payee_accounts)
                .where(orm.payee_accounts.c.addressee_id == values["addressee_id"])
                .values(**values)
            )

    async def drop_payee(self, addressee_id: str) -> None:
        await self.session.execute(
            orm.payee_accounts.delete().where(orm.payee_accounts.c.addressee_id == addressee_id)
        )

    async def add_batch(self, **values) -> None:
        await self.session.execute(insert(orm.payout_batches).values(**values))

    async def batch_file(self, batch_id: str) -> bytes | None:
        query = select(orm.payout_batches.c.file).where(orm.payout_batches.c.batch_id == batch_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_notice(self, **values) -> None:
        await self.session.execute(insert(orm.taxpayer_notices).values(**values))

    # --- money ----------------------------------------------------------------------------
    async def money(self, addressee_id: str | None) -> dict[str, int]:
        """Σ refunded, Σ forfeited (expired) and Σ held, for one taxpayer or all."""
        o, r = orm.overpayments, orm.refunds
        op_filter = [o.c.addressee_id == addressee_id] if addressee_id else []
        rf_filter = [r.c.addressee_id == addressee_id] if addressee_id else []
        held = select(func.coalesce(func.sum(o.c.amount - o.c.appropriated - o.c.refunded), 0)).where(
            *op_filter
        )
        refunded = select(func.coalesce(func.sum(r.c.amount), 0)).where(
            r.c.status.not_in(["expired", "cancelled"]), *rf_filter
        )
        forfeited = select(func.coalesce(func.sum(r.c.amount), 0)).where(r.c.status == "expired", *rf_filter)
        appropriated = select(func.coalesce(func.sum(o.c.appropriated), 0)).where(*op_filter)
        return {
            "held": (await self.session.execute(held)).scalar_one(),
            "refunded": (await self.session.execute(refunded)).scalar_one(),
            "forfeited": (await self.session.execute(forfeited)).scalar_one(),
            "appropriated": (await self.session.execute(appropriated)).scalar_one(),
        }


async def stats(session: AsyncSession) -> dict[str, int]:
    out = await count_rows(
        session,
        {
            "overpayments": orm.overpayments,
            "appropriations": orm.appropriations,
            "refunds": orm.refunds,
            "payout_batches": orm.payout_batches,
            "unpaid_items": orm.unpaid_items,
        },
    )
    money = await RefundsRepository(session).money(None)
    out["held_yen"] = money["held"]
    out["appropriated_yen"] = money["appropriated"]
    out["refunded_yen"] = money["refunded"]
    return out
