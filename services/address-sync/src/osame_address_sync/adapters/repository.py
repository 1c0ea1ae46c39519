"""Address-sync persistence (SQLAlchemy Core)."""

from __future__ import annotations

import datetime as dt

from osame_chassis.db import count_rows, serialise_writers
from osame_contracts.messages.address_sync import ChangeKind
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_address_sync.adapters import orm
from osame_address_sync.adapters.sealing import Sealed
from osame_address_sync.domain.my_number_release import RELEASE_RECORD
from osame_address_sync.domain.protection import ProtectionDecision
from osame_address_sync.domain.resident_history import ChangeRecord


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AddresseeRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    # -- addressees -------------------------------------------------------------------------

    async def version(self, addressee_id: str) -> int | None:
        query = select(orm.addressees.c.version).where(orm.addressees.c.addressee_id == addressee_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get(self, addressee_id: str, *, lock: bool = False) -> dict | None:
        query = select(orm.addressees).where(orm.addressees.c.addressee_id == addressee_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row else None

    async def save(self, values: dict, *, new: bool) -> None:
        values = {**values, "updated_at": _now()}
        if new:
            await self.session.execute(insert(orm.addressees).values(**values))
        else:
            await self.session.execute(
                update(orm.addressees)
                .where(orm.addressees.c.addressee_id == values["addressee_id"])
                .values(**values)
            )

    async def by_corporate_number(self, corporate_number: str) -> list[str]:
        query = select(orm.addressees.c.addressee_id).where(
            orm.addressees.c.corporate_number == corporate_number
        )
        return list((await self.session.execute(query)).scalars())

    # -- 住基 異動 history ------------------------------------------------------------------

    async def history(self, addressee_id: str) -> list[ChangeRecord]:
        query = (
            select(orm.resident_changes)
            .where(orm.resident_changes.c.addressee_id == addressee_id)
            .order_by(orm.resident_changes.c.sequence)
        )
        return [_record(r) for r in (await self.session.execute(query)).mappings()]

    async def change_owner(self, change_id: str) -> str | None:
        query = select(orm.resident_changes.c.addressee_id).where(
            orm.resident_changes.c.change_id == change_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_change(self, addressee_id: str, change: ChangeRecord, sealed: Sealed | None) -> None:
        await self.session.execute(
            insert(orm.resident_changes).values(
                change_id=change.change_id,
                addressee_id=addressee_id,
                sequence=change.sequence,
                kind=change.kind.value,
                changed_on=change.changed_on,
                notified_on=change.notified_on,
                cancels_change_id=change.cancels_change_id,
                fields=change.fields,
                my_number_key_id=sealed.key_id if sealed else None,
                my_number_sealed=sealed.blob if sealed else None,
                received_at=_now(),
            )
        )

    async def sealed_of_change(self, change_id: str) -> Sealed | None:
        query = select(
            orm.resident_changes.c.my_number_key_id, orm.resident_changes.c.my_number_sealed
        ).where(orm.resident_changes.c.change_id == change_id)
        row = (await self.session.execute(query)).first()
        return Sealed(row[0], row[1]) if row and row[1] is not None else None

    # -- 個人番号 (sealed) and blind index -----------------------------------------------------

    async def my_number(self, addressee_id: str) -> tuple[Sealed, str] | None:
        query = select(orm.my_numbers.c.key_id, orm.my_numbers.c.sealed, orm.my_numbers.c.blind_index).where(
            orm.my_numbers.c.addressee_id == addressee_id
        )
        row = (await self.session.execute(query)).first()
        return (Sealed(row[0], row[1]), row[2]) if row else None

    async def set_my_number(self, addressee_id: str, sealed: Sealed | None, blind_index: str | None) -> None:
        table = orm.my_numbers
        await self.session.execute(table.delete().where(table.c.addressee_id == addressee_id))
        if sealed is not None:
            await self.session.execute(
                insert(table).values(
                    addressee_id=addressee_id,
                    key_id=sealed.key_id,
                    sealed=sealed.blob,
                    blind_index=blind_index,
                    updated_at=_now(),
                )
            )

    async def holders_of(self, indexes: list[str]) -> list[str]:
        """Addressees whose 個人番号 has one of these blind indexes (同一人 candidates)."""
        query = (
            select(orm.my_numbers.c.addressee_id)
            .where(orm.my_numbers.c.blind_index.in_(indexes))
            .order_by(orm.my_numbers.c.addressee_id)
        )
        return list((await self.session.execute(query)).scalars())

    # -- 団体内統合宛名番号 -----------------------------------------------------------------------

    async def allocate_unified_id(self, first_addressee_id: str) -> str:
        table = orm.unified_addressees
        await serialise_writers(self.session, table.name)  # the next number is read, then taken
        highest = (await self.session.execute(select(func.max(table.c.unified_addressee_id)))).scalar()
        next_id = f"{int(highest or 0) + 1:015d}"
        await self.session.execute(
            insert(table).values(
                unified_addressee_id=next_id, first_addressee_id=first_addressee_id, created_at=_now()
            )
        )
        return next_id

    async def members_of(self, unified_addressee_id: str) -> list[str]:
        query = select(orm.addressees.c.addressee_id).where(
            orm.addressees.c.unified_addressee_id == unified_addressee_id
        )
        return sorted((await self.session.execute(query)).scalars())

    # -- 送付先 -------------------------------------------------------------------------------

    async def override(self, addressee_id: str, tax_item: str) -> dict | None:
        table = orm.mailing_overrides
        query = select(table).where(table.c.addressee_id == addressee_id, table.c.tax_item == tax_item)
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row else None

    async def overrides(self, addressee_id: str) -> list[dict]:
        table = orm.mailing_overrides
        query = (
            select(table)
            .where(table.c.addressee_id == addressee_id, table.c.removed.is_(False))
            .order_by(table.c.tax_item)
        )
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def save_override(self, values: dict, *, new: bool) -> None:
        table = orm.mailing_overrides
        values = {**values, "updated_at": _now()}
        if new:
            await self.session.execute(insert(table).values(**values))
        else:
            await self.session.execute(
                update(table)
                .where(table.c.addressee_id == values["addressee_id"], table.c.tax_item == values["tax_item"])
                .values(**values)
            )

    # -- 支援措置 ---------------------------------------------------------------------------------

    async def protection(self, addressee_id: str) -> dict | None:
        table = orm.protections
        row = (
            (await self.session.execute(select(table).where(table.c.addressee_id == addressee_id)))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def save_protection(self, values: dict, *, new: bool) -> None:
        table = orm.protections
        values = {**values, "updated_at": _now()}
        if new:
            await self.session.execute(insert(table).values(**values))
        else:
            await self.session.execute(
                update(table).where(table.c.addressee_id == values["addressee_id"]).values(**values)
            )

    async def add_protection_decision(self, addressee_id: str, decision: ProtectionDecision) -> None:
        await self.session.execute(
            insert(orm.protection_decisions).values(
                addressee_id=addressee_id,
                revision=decision.revision,
                protected=decision.protected,
                effective_on=decision.effective_on,
                recorded_at=_now(),
            )
        )

    async def protection_decisions(self, addressee_id: str) -> list[ProtectionDecision]:
        t = orm.protection_decisions
        query = select(t.c.revision, t.c.protected, t.c.effective_on).where(t.c.addressee_id == addressee_id)
        return [ProtectionDecision(*r) for r in await self.session.execute(query)]

    async def protections_due(self, on: dt.date, limit: int) -> list[str]:
        """Addressees with a 支援措置 decision that takes effect on or before `on` and is not applied yet."""
        t = orm.protections
        query = (
            select(t.c.addressee_id)
            .where(t.c.next_change_on.is_not(None), t.c.next_change_on <= on)
            .order_by(t.c.addressee_id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    # -- 名寄せ ---------------------------------------------------------------------------------

    async def add_merge(self, **values) -> None:
        await self.session.execute(insert(orm.merges).values(**values, recorded_at=_now()))

    # -- 個人番号提供記録 (entries of the audit chain) ---------------------------------------------

    async def releases_since(self, caller: str, since: dt.datetime) -> int:
        t = orm.audit_log
        query = select(func.count()).where(
            t.c.operation == RELEASE_RECORD,
            t.c.user_id == caller,
            t.c.outcome == "released",
            t.c.at >= since,
        )
        return (await self.session.execute(query)).scalar_one()

    # -- income queries collection asked for ---------------------------------------------------

    async def note_income_query(self, query_id: str, addressee_id: str) -> None:
        t = orm.income_queries_noted
        if (await self.session.execute(select(t.c.query_id).where(t.c.query_id == query_id))).first() is None:
            await self.session.execute(
                insert(t).values(query_id=query_id, addressee_id=addressee_id, noted_at=_now())
            )

    async def income_query_noted(self, query_id: str, addressee_id: str, since: dt.datetime) -> bool:
        t = orm.income_queries_noted
        query = select(t.c.query_id).where(
            t.c.query_id == query_id, t.c.addressee_id == addressee_id, t.c.noted_at >= since
        )
        return (await self.session.execute(query)).first() is not None


def _record(row) -> ChangeRecord:
    return ChangeRecord(
        change_id=row["change_id"],
        sequence=row["sequence"],
        kind=ChangeKind(row["kind"]),
        changed_on=row["changed_on"],
        notified_on=row["notified_on"],
        cancels_change_id=row["cancels_change_id"],
        fields=row["fields"],
        carries_my_number=row["my_number_sealed"] is not None,
    )


class SealedRows:
    """Every sealed 個人番号 in the database, for key rotation (my_numbers + resident_changes)."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def count_not_under(self, key_id: str) -> int:
        a = select(func.count()).select_from(orm.my_numbers).where(orm.my_numbers.c.key_id != key_id)
        b = (
            select(func.count())
            .select_from(orm.resident_changes)
            .where(
                orm.resident_changes.c.my_number_sealed.is_not(None),
                orm.resident_changes.c.my_number_key_id != key_id,
            )
        )
        return (await self.session.execute(a)).scalar_one() + (await self.session.execute(b)).scalar_one()

    async def usage(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kid, n in await self.session.execute(
            select(orm.my_numbers.c.key_id, func.count()).group_by(orm.my_numbers.c.key_id)
        ):
            out[kid] = out.get(kid, 0) + n
        rc = orm.resident_changes
        for kid, n in await self.session.execute(
            select(rc.c.my_number_key_id, func.count())
            .where(rc.c.my_number_sealed.is_not(None))
            .group_by(rc.c.my_number_key_id)
        ):
            out[kid] = out.get(kid, 0) + n
        return out

    async def current_batch(self, key_id: str, limit: int) -> list[tuple[str, Sealed]]:
        t = orm.my_numbers
        query = select(t.c.addressee_id, t.c.key_id, t.c.sealed).where(t.c.key_id != key_id).limit(limit)
        return [(r[0], Sealed(r[1], r[2])) for r in await self.session.execute(query)]

    async def history_batch(self, key_id: str, limit: int) -> list[tuple[str, str, Sealed]]:
        t = orm.resident_changes
        query = (
            select(t.c.change_id, t.c.addressee_id, t.c.my_number_key_id, t.c.my_number_sealed)
            .where(t.c.my_number_sealed.is_not(None), t.c.my_number_key_id != key_id)
            .limit(limit)
        )
        return [(r[0], r[1], Sealed(r[2], r[3])) for r in await self.session.execute(query)]

    async def rewrite_current(self, addressee_id: str, sealed: Sealed, blind_index: str) -> None:
        t = orm.my_numbers
        await self.session.execute(
            update(t)
            .where(t.c.addressee_id == addressee_id)
            .values(key_id=sealed.key_id, sealed=sealed.blob, blind_index=blind_index, updated_at=_now())
        )

    async def rewrite_change(self, change_id: str, sealed: Sealed) -> None:
        t = orm.resident_changes
        await self.session.execute(
            update(t)
            .where(t.c.change_id == change_id)
            .values(my_number_key_id=sealed.key_id, my_number_sealed=sealed.blob)
        )


def _releases():
    return select(orm.audit_log.c.id).where(orm.audit_log.c.operation == RELEASE_RECORD).subquery()


async def stats(session: AsyncSession) -> dict[str, int]:
    return await count_rows(
        session,
        {
            "addressees": orm.addressees,
            "resident_changes": orm.resident_changes,
            "my_numbers": orm.my_numbers,
            "mailing_overrides": orm.mailing_overrides,
            "protections": orm.protections,
            "protection_decisions": orm.protection_decisions,
            "merges": orm.merges,
            "my_number_releases": _releases(),
            "income_queries_noted": orm.income_queries_noted,
        },
    )


async def append_audit(session: AsyncSession, **entry) -> str:
    """One entry in the service's keyed audit chain, in the caller's transaction."""
    return await orm.AUDIT.append(session, **entry)
