"""The projection of what each person owes (unpaid_items) and who is one person (名寄せ), in SQL.

Every ledger event of receipts carries absolute, versioned states; a component is replaced only
by a newer `ledger_version`. A person is every 宛名番号 joined by 名寄せ (`persons`).
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_refunds.adapters import orm
from osame_refunds.domain.appropriation_plan import Debt
from osame_refunds.domain.persons import join

ACTIVE_APPROPRIATION = ("requested", "applied")


class ProjectionRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    # --- 名寄せ ---------------------------------------------------------------------------
    async def person_of(self, addressee_id: str) -> str:
        query = select(orm.persons.c.person_id).where(orm.persons.c.addressee_id == addressee_id)
        return (await self.session.execute(query)).scalar_one_or_none() or addressee_id

    async def addressees_of(self, addressee_id: str) -> list[str]:
        """Every 宛名番号 of the person `addressee_id` belongs to (itself included)."""
        person = await self.person_of(addressee_id)
        query = select(orm.persons.c.addressee_id).where(orm.persons.c.person_id == person)
        return sorted({addressee_id, person, *(await self.session.execute(query)).scalars()})

    async def record_merge(self, merged: str, survivor: str, unified: str, merged_on) -> list[str]:
        """Record one 名寄せ (idempotent, any order); returns the person's 宛名番号 afterwards."""
        held = (
            await self.session.execute(
                select(orm.addressee_merges.c.merged_addressee_id).where(
                    orm.addressee_merges.c.merged_addressee_id == merged
                )
            )
        ).scalar_one_or_none()
        if held is None:
            await self.session.execute(
                insert(orm.addressee_merges).values(
                    merged_addressee_id=merged,
                    surviving_addressee_id=survivor,
                    unified_addressee_id=unified,
                    merged_on=merged_on,
                )
            )
        first, second = await self.person_of(merged), await self.person_of(survivor)
        rows = await self.session.execute(
            select(orm.persons.c.addressee_id, orm.persons.c.person_id).where(
                orm.persons.c.person_id.in_({first, second})
            )
        )
        groups = {r.addressee_id: r.person_id for r in rows}
        for addressee, person in ((merged, first), (survivor, second), (first, first), (second, second)):
            groups.setdefault(addressee, person)
        for addressee, person in join(groups, merged, survivor).items():
            exists = (
                await self.session.execute(
                    select(orm.persons.c.addressee_id).where(orm.persons.c.addressee_id == addressee)
                )
            ).scalar_one_or_none()
            if exists is None:
                await self.session.execute(
                    insert(orm.persons).values(addressee_id=addressee, person_id=person)
                )
            else:
                await self.session.execute(
                    update(orm.persons)
                    .where(orm.persons.c.addressee_id == addressee)
                    .values(person_id=person)
                )
        return await self.addressees_of(merged)

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
    ) -> bool:
        """Apply an absolute, versioned view of one debt; older versions are ignored (returns False).
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
            return True
        if version > held:
            if keep_basis:
                values.pop("basis_date")
            await self.session.execute(update(orm.unpaid_items).where(key).values(**values))
            return True
        return False

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
            .where(self._key(notice_number, installment_no, component))
            .values(amount=amount)
        )

    async def debts(self, addressee_id: str) -> list[Debt]:
        """What the person (every 宛名番号 joined by 名寄せ) owes now, less what active 充当 already
        cover and the ledger has not yet shown.

        An appropriation item remembers the projection version it was planned against; once a newer
        ledger view arrives, that view already includes (or excludes) it, so it stops being subtracted.
        """
        addressees = await self.addressees_of(addressee_id)
        rows = (
            await self.session.execute(
                select(orm.unpaid_items).where(orm.unpaid_items.c.addressee_id.in_(addressees))
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
            .where(orm.appropriations.c.addressee_id.in_(addressees))
            .where(orm.appropriations.c.status.in_(ACTIVE_APPROPRIATION))
        )
        for r in reserved:
            row = owed.get((r.notice_number, r.installment_no, r.component))
            if row is not None and row["version"] == r.seen_version:
                row["amount"] -= r.amount
        return [
            Debt(n, i, c, max(row["amount"], 0), row["basis_date"], row["addressee_id"])
            for (n, i, c), row in sorted(owed.items())
            if row["amount"] > 0
        ]

    async def debt_versions(self, addressee_id: str) -> dict[tuple[str, int, str], int]:
        addressees = await self.addressees_of(addressee_id)
        rows = await self.session.execute(
            select(
                orm.unpaid_items.c.notice_number,
                orm.unpaid_items.c.installment_no,
                orm.unpaid_items.c.component,
                orm.unpaid_items.c.version,
            ).where(orm.unpaid_items.c.addressee_id.in_(addressees))
        )
        return {(r.notice_number, r.installment_no, r.component): r.version for r in rows}
