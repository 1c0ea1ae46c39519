"""Collection persistence (SQLAlchemy Core)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from osame_chassis.db import count_rows
from osame_law import DemandFeeRule, DemandFeeSchedule, RateRow, RateTable
from osame_law.rates.table import RATE_ROWS
from sqlalchemy import bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm
from osame_collection.domain.law_parameters import LawParameters, ParameterRow, built_in
from osame_collection.domain.postponement import Postponement, PostponementGround, PostponementKind
from osame_collection.domain.projection import OWING, charges_paid, status_for
from osame_collection.domain.stay import Stay, StayGround

_EVENT_NAMESPACE = uuid.UUID("6f1c5d3e-2b7a-4c1e-9a51-0c0115ec7104")


def rate_row(r) -> RateRow:
    return RateRow(
        r["first_year"],
        r["last_year"],
        Decimal(r["late_fee_first_tier"]),
        Decimal(r["late_fee_second_tier"]),
        Decimal(r["refund_interest"]),
        Decimal(r["postponement"]) if r["postponement"] is not None else None,
        r["source"],
    )


def postponement_of(row) -> Postponement:
    """The domain 猶予 of a ``postponements`` row (approved or cancelled)."""
    return Postponement(
        PostponementKind(row["kind"]),
        PostponementGround(row["ground"]),
        row["starts_on"],
        row["ends_on"],
        row["cancelled_on"],
        row["exemption_ends_on"],
    )


def merge_fee_rules(base: DemandFeeSchedule, rules: list[DemandFeeRule]) -> DemandFeeSchedule:
    """``base`` with ``rules`` added; a rule replaces the one of the same effective date."""
    by_date = {r.effective_from: r for r in base.rules}
    by_date.update({r.effective_from: r for r in rules})
    return DemandFeeSchedule(base.city, tuple(sorted(by_date.values(), key=lambda r: r.effective_from)))


def event_id(kind: str, source_id: str, key: tuple[str, int]) -> str:
    """A stable id for a 時効 event (the same source and installment give the same id)."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{kind}:{source_id}:{key[0]}:{key[1]}"))


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

    async def receipt(self, receipt_id: str):
        query = select(orm.receipts).where(orm.receipts.c.receipt_id == receipt_id)
        return (await self.session.execute(query)).mappings().first()

    async def insert_receipt(self, **values) -> None:
        await self.session.execute(insert(orm.receipts).values(**values))

    async def confirm_receipt(self, receipt_id: str, **values) -> None:
        await self.session.execute(
            update(orm.receipts)
            .where(orm.receipts.c.receipt_id == receipt_id)
            .values(preliminary=False, **values)
        )

    async def cancel_receipt(self, receipt_id: str, *, also_final: bool = False) -> dict | None:
        """Mark a 速報 withdrawn (or, with `also_final`, a reversed receipt); returns the row."""
        held = await self.receipt(receipt_id)
        if held is None or (held["preliminary"] is False and not also_final):
            return None
        await self.session.execute(
            update(orm.receipts).where(orm.receipts.c.receipt_id == receipt_id).values(cancelled=True)
        )
        return dict(held)

    async def recompute_mark(self, notice_number: str, installment_no: int) -> None:
        """The latest 領収日 from the receipts still standing (a withdrawn 速報 or a dishonoured
        証券 no longer holds back the 督促)."""
        R, M = orm.receipts, orm.receipt_marks
        latest = (
            await self.session.execute(
                select(func.max(R.c.paid_on)).where(
                    R.c.notice_number == notice_number,
                    R.c.installment_no == installment_no,
                    R.c.cancelled.is_(False),
                )
            )
        ).scalar_one_or_none()
        where = (M.c.notice_number == notice_number, M.c.installment_no == installment_no)
        await self.session.execute(delete(M).where(*where))
        if latest is not None:
            await self.session.execute(
                insert(M).values(
                    notice_number=notice_number, installment_no=installment_no, last_receipt_on=latest
                )
            )
        await self.session.execute(
            update(orm.installments)
            .where(orm.installments.c.notice_number == notice_number)
            .where(orm.installments.c.installment_no == installment_no)
            .values(last_receipt_on=latest)
        )

    async def replace_mailing_overrides(self, addressee_id: str, overrides: list[dict]) -> None:
        M = orm.mailing_overrides
        await self.session.execute(delete(M).where(M.c.addressee_id == addressee_id))
        if overrides:
            await self.session.execute(insert(M), [{"addressee_id": addressee_id, **o} for o in overrides])

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

    # -- 延滞金 inputs --------------------------------------------------------------------------
    async def _installments_among(self, keys: list[tuple[str, int]], *columns) -> list[dict]:
        """Installments among `keys` (all columns, or the ones named), chunked: one query per 500 keys."""
        I = orm.installments  # noqa: E741
        out: list[dict] = []
        for start in range(0, len(keys), 500):
            query = select(*columns) if columns else select(I)
            query = query.where(tuple_(I.c.notice_number, I.c.installment_no).in_(keys[start : start + 500]))
            out.extend(dict(r) for r in (await self.session.execute(query)).mappings())
        return out

    async def installments_by_key(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], dict]:
        """The held installments among `keys` (the projection's columns)."""
        I = orm.installments  # noqa: E741
        rows = await self._installments_among(
            keys,
            I.c.notice_number,
            I.c.installment_no,
            I.c.ledger_version,
            I.c.late_fee,
            I.c.late_fee_version,
            I.c.principal_tax,
        )
        return {(r["notice_number"], r["installment_no"]): r for r in rows}

    async def installment_rows(self, keys: list[tuple[str, int]]) -> list[dict]:
        """Whole rows of the installments among `keys`."""
        return await self._installments_among(keys)

    async def receipt_marks_for(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], object]:
        """Latest 領収日 seen per installment among `keys` (receipts may arrive before the ledger)."""
        M = orm.receipt_marks
        out: dict[tuple[str, int], object] = {}
        for start in range(0, len(keys), 500):
            query = select(M.c.notice_number, M.c.installment_no, M.c.last_receipt_on).where(
                tuple_(M.c.notice_number, M.c.installment_no).in_(keys[start : start + 500])
            )
            out.update({(n, i): d for n, i, d in (await self.session.execute(query)).all()})
        return out

    async def insert_installments(self, rows: list[dict]) -> None:
        if rows:
            await self.session.execute(insert(orm.installments), rows)

    async def update_installments(self, rows: list[dict]) -> None:
        """Executemany UPDATE: each row has `k_notice`, `k_installment` and the same value columns."""
        if not rows:
            return
        I = orm.installments  # noqa: E741
        columns = [c for c in rows[0] if not c.startswith("k_")]
        await self.session.execute(
            update(I)
            .where(
                I.c.notice_number == bindparam("k_notice"), I.c.installment_no == bindparam("k_installment")
            )
            .values({c: bindparam(c) for c in columns}),
            rows,
            execution_options={"synchronize_session": False},
        )

    async def payments_for(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], list]:
        """Confirmed receipts applied to the 本税: {(notice, installment): [(paid_on, applied)]}."""
        R = orm.receipts
        out: dict[tuple[str, int], list] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            query = select(R.c.notice_number, R.c.installment_no, R.c.paid_on, R.c.applied).where(
                tuple_(R.c.notice_number, R.c.installment_no).in_(part),
                R.c.preliminary.is_(False),
                R.c.cancelled.is_(False),
                R.c.applied > 0,
            )
            for n, i, day, applied in (await self.session.execute(query)).all():
                out.setdefault((n, i), []).append((day, applied))
        return out

    async def applied_totals(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Σ confirmed receipts applied to each installment (every component), by key."""
        return {key: sum(a for _, a in paid) for key, paid in (await self.payments_for(keys)).items()}

    async def refresh_status(self, keys: list[tuple[str, int]]) -> None:
        """Recompute open / charges / paid of these installments from 本税 paid, the 督促手数料 and
        延滞金 charged and the money applied beyond the 本税 (domain.projection.status_for)."""
        I = orm.installments  # noqa: E741
        keys = list(dict.fromkeys(keys))
        totals = await self.applied_totals(keys)
        writes = []
        columns = (I.c.notice_number, I.c.installment_no, I.c.principal_tax, I.c.paid, I.c.demand_fee)
        for row in await self._installments_among(keys, *columns, I.c.late_fee, I.c.status):
            key = (row["notice_number"], row["installment_no"])
            status = status_for(
                row["principal_tax"],
                row["paid"],
                row["demand_fee"],
                row["late_fee"],
                charges_paid(totals.get(key, 0), row["paid"]),
            ).value
            if status != row["status"]:
                writes.append({"k_notice": key[0], "k_installment": key[1], "status": status})
        await self.update_installments(writes)

    async def rate_table(self) -> RateTable:
        """The built-in 延滞金 rate table plus the years loaded by command (``law_rates``)."""
        rows = (await self.session.execute(select(orm.law_rates))).mappings().all()
        return RateTable([*RATE_ROWS, *(rate_row(r) for r in rows)])

    async def demand_fee_schedule(self, base: DemandFeeSchedule) -> DemandFeeSchedule:
        """The city's 督促手数料 rules from its settings (``base``) plus the rows loaded by command
        (``law_demand_fees``; a loaded row replaces the settings' rule of the same date)."""
        rows = (await self.session.execute(select(orm.law_demand_fees))).mappings().all()
        return merge_fee_rules(
            base, [DemandFeeRule(r["effective_from"], r["fee"], r["source"]) for r in rows]
        )

    async def owing_with_demand_fee(self) -> list[dict]:
        """Owing installments carrying a 督促手数料 (what a 充当 order change can split differently)."""
        I = orm.installments  # noqa: E741
        query = select(I).where(I.c.status.in_(OWING), I.c.written_off_on.is_(None), I.c.demand_fee > 0)
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def undunned_open_due_since(self, since) -> list[dict]:
        """Open installments never dunned nor written off whose 納期限 is on or after ``since``."""
        I = orm.installments  # noqa: E741
        query = select(I).where(
            I.c.status == "open",
            I.c.demand_issued_on.is_(None),
            I.c.written_off_on.is_(None),
            I.c.due_date >= since,
        )
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def law_parameters(self, cutoff_days: int) -> LawParameters:
        """督促 cut-off, 催告書 指定期限 days and 充当 order in force by date: the built-in rows (the
        cut-off from the settings) plus the rows loaded by the law command (``law_parameters``)."""
        rows = (await self.session.execute(select(orm.law_parameters))).mappings().all()
        loaded = [ParameterRow(r["name"], r["effective_from"], r["value"], r["source"]) for r in rows]
        return LawParameters.of(built_in(cutoff_days), loaded)

    async def stays_by_installment(self) -> dict[tuple[str, int], list[Stay]]:
        S = orm.enforcement_stays
        out: dict[tuple[str, int], list[Stay]] = {}
        for row in (await self.session.execute(select(S))).mappings():
            stay = Stay(
                StayGround(row["ground"]), row["decided_on"], row["cancelled_on"], row["immediate_extinction"]
            )
            for n, i in row["installments"]:
                out.setdefault((n, i), []).append(stay)
        return out

    async def postponements_by_installment(
        self, excluding: str | None = None
    ) -> dict[tuple[str, int], list[Postponement]]:
        """Approved 猶予 (and approved ones since cancelled) by the installments they cover."""
        PO, PI = orm.postponements, orm.postponement_items
        query = (
            select(PI.c.notice_number, PI.c.installment_no, PO)
            .join(PO, PO.c.postponement_id == PI.c.postponement_id)
            .where(PO.c.status.in_(("approved", "cancelled")))
        )
        if excluding is not None:
            query = query.where(PO.c.postponement_id != excluding)
        out: dict[tuple[str, int], list[Postponement]] = {}
        for row in (await self.session.execute(query)).mappings():
            out.setdefault((row["notice_number"], row["installment_no"]), []).append(postponement_of(row))
        return out

    async def exempting_by_installment(self) -> dict[tuple[str, int], list[Stay | Postponement]]:
        """執行停止 and 猶予 by installment: each gives its 延滞金 ``exempt_interval(until)``."""
        out: dict[tuple[str, int], list[Stay | Postponement]] = {}
        for source in (await self.stays_by_installment(), await self.postponements_by_installment()):
            for key, found in source.items():
                out.setdefault(key, []).extend(found)
        return out

    async def exempt_intervals_for(self, keys: list[tuple[str, int]], as_of) -> dict[tuple[str, int], list]:
        stays = await self.exempting_by_installment()
        out = {}
        for key in keys:
            intervals = [iv for s in stays.get(key, []) if (iv := s.exempt_interval(as_of)) is not None]
            if intervals:
                out[key] = intervals
        return out

    async def open_installments(self, addressee_id: str | None = None) -> list[dict]:
        """Installments that still owe anything (本税, 督促手数料 or 延滞金) and are not written off."""
        I = orm.installments  # noqa: E741
        query = select(I).where(I.c.status.in_(OWING), I.c.written_off_on.is_(None))
        if addressee_id is not None:
            query = query.where(I.c.addressee_id == addressee_id)
        query = query.order_by(I.c.due_date, I.c.notice_number, I.c.installment_no)
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def installments_of(self, addressee_id: str) -> list[dict]:
        I = orm.installments  # noqa: E741
        query = (
            select(I)
            .where(I.c.addressee_id == addressee_id)
            .order_by(I.c.due_date, I.c.notice_number, I.c.installment_no)
        )
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def addressee(self, addressee_id: str) -> dict | None:
        row = (
            (
                await self.session.execute(
                    select(orm.addressees).where(orm.addressees.c.addressee_id == addressee_id)
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def mailing_override(self, addressee_id: str, tax_item: str) -> dict | None:
        M = orm.mailing_overrides
        row = (
            (
                await self.session.execute(
                    select(M).where(M.c.addressee_id == addressee_id, M.c.tax_item == tax_item)
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def add_limitation_event(
        self, event_id: str, key: tuple[str, int], kind: str, on, source_id=None
    ) -> None:
        L = orm.limitation_events
        held = (await self.session.execute(select(L.c.event_id).where(L.c.event_id == event_id))).first()
        if held is None:
            await self.session.execute(
                insert(L).values(
                    event_id=event_id,
                    notice_number=key[0],
                    installment_no=key[1],
                    kind=kind,
                    occurred_on=on,
                    source_id=source_id,
                )
            )

    async def limitation_events(self, key: tuple[str, int]) -> list[tuple[str, object, object]]:
        """(kind, occurred_on, ended_on) of the installment's 時効 events; ended_on is the day a 差押 /
        交付要求 ended (its 解除 or 配当, the earliest), None while in force or for other kinds."""
        return (await self.limitation_events_for([key])).get(key, [])

    async def limitation_events_for(
        self, keys: list[tuple[str, int]]
    ) -> dict[tuple[str, int], list[tuple[str, object, object]]]:
        """``limitation_events`` of many installments in one query (worklists)."""
        L, D = orm.limitation_events, orm.dispositions
        out: dict[tuple[str, int], list[tuple[str, object, object]]] = {}
        if not keys:
            return out
        ended = (
            select(func.min(D.c.executed_on))
            .where(D.c.related_id == L.c.source_id, D.c.kind.in_(("release", "distribution")))
            .scalar_subquery()
        )
        for start in range(0, len(keys), 500):
            query = select(L.c.notice_number, L.c.installment_no, L.c.kind, L.c.occurred_on, ended).where(
                tuple_(L.c.notice_number, L.c.installment_no).in_(keys[start : start + 500])
            )
            for n, i, k, d, e in (await self.session.execute(query)).all():
                out.setdefault((n, i), []).append((k, d, e if k in ("seizure", "claim_filing") else None))
        return out


async def stats(session: AsyncSession) -> dict[str, int]:
    out = await count_rows(
        session,
        {
            "installments": orm.installments,
            "addressees": orm.addressees,
            "addressee_merges": orm.addressee_merges,
            "asset_inquiries": orm.asset_inquiries,
            "demand_notices": orm.demand_notices,
            "reminders": orm.reminders,
            "pledges": orm.pledges,
            "dispositions": orm.dispositions,
            "enforcement_stays": orm.enforcement_stays,
            "write_offs": orm.write_offs,
            "audit_entries": orm.audit_log,
        },
    )
    paid = select(func.count()).select_from(orm.installments).where(orm.installments.c.status == "paid")
    out["installments_paid"] = (await session.execute(paid)).scalar_one()
    return out
