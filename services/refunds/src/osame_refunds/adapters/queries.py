"""Read models for the staff API and the notices: each amount with its explanation.

- the overpayment queue (held money, why it waits, the interest it earned);
- 充当 (planned, applied, refused, reversed) with their items, each item's 令6条の14 date and the
  充当適状日, and the 還付加算金 of the appropriated part with its segments;
- refunds to prepare / approve / pay, with every interest part and its segments;
- payout batches (with the refunds left out and why), returned transfers, recovery claims.
No query returns payee account details except the payout file itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_refunds.adapters import orm
from osame_refunds.adapters.projection import ProjectionRepository

PART_KEYS = (
    "part_id",
    "kind",
    "reference",
    "base_amount",
    "cause",
    "start",
    "end",
    "interest",
    "excluded_days",
    "segments",
    "legal_basis",
    "status",
    "refund_id",
    "error",
)
APPROPRIATION_BASIS = (
    "地方税法17条の2① (充当), ③ (本税を延滞金より先に), ④ (充当適状日に遡る); "
    "令6条の14 (充当適状日 = 納期限等と過誤納の日のいずれか遅い日)"
)


@dataclass(frozen=True)
class Page:
    """A window of a queue (the staff console pages its lists): `limit` rows after `offset`."""

    limit: int
    offset: int = 0


def _paged(query, page: Page | None):
    return query if page is None else query.limit(page.limit).offset(page.offset)


def _part(row) -> dict:
    return {k: row[k] for k in PART_KEYS}


class RefundsQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def _rows(self, query) -> list[dict]:
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def _person_filter(self, column, addressee_id: str | None):
        if not addressee_id:
            return []
        return [column.in_(await ProjectionRepository(self.session).addressees_of(addressee_id))]

    async def interest_parts(self, **where) -> list[dict]:
        t = orm.refund_interest_parts
        query = select(t).order_by(t.c.start, t.c.part_id)
        for column, value in where.items():
            query = query.where(t.c[column] == value)
        return [_part(r) for r in await self._rows(query)]

    async def overpayments(
        self, addressee_id: str | None = None, status: str | None = None, page: Page | None = None
    ) -> list[dict]:
        o = orm.overpayments
        query = select(o).where(*await self._person_filter(o.c.addressee_id, addressee_id))
        if status:
            query = query.where(o.c.status == status)
        out = []
        for row in await self._rows(_paged(query.order_by(o.c.arose_on, o.c.overpayment_id), page)):
            row.pop("registered_at", None)
            row["held"] = row["amount"] - row["appropriated"] - row["refunded"] - row["withdrawn"]
            row["interest_parts"] = await self.interest_parts(overpayment_id=row["overpayment_id"])
            row["interest_owed"] = sum(p["interest"] for p in row["interest_parts"] if p["status"] == "owed")
            out.append(row)
        return out

    async def overpayment(self, overpayment_id: str) -> dict | None:
        o = orm.overpayments
        rows = await self._rows(select(o).where(o.c.overpayment_id == overpayment_id))
        if not rows:
            return None
        [row] = [
            r
            for r in await self.overpayments(rows[0]["addressee_id"])
            if r["overpayment_id"] == overpayment_id
        ]
        row["appropriations"] = await self.appropriations(overpayment_id=overpayment_id)
        row["refunds"] = await self.refunds(overpayment_id=overpayment_id)
        w, c = orm.withdrawals, orm.recovery_claims
        row["withdrawals"] = [
            {k: v for k, v in r.items() if k != "received_at"}
            for r in await self._rows(select(w).where(w.c.overpayment_id == overpayment_id))
        ]
        row["recovery_claims"] = await self._rows(select(c).where(c.c.overpayment_id == overpayment_id))
        return row

    async def appropriations(
        self,
        *,
        addressee_id: str | None = None,
        status: str | None = None,
        overpayment_id: str | None = None,
        page: Page | None = None,
    ) -> list[dict]:
        a, i = orm.appropriations, orm.appropriation_items
        query = select(a).where(*await self._person_filter(a.c.addressee_id, addressee_id))
        if status:
            query = query.where(a.c.status == status)
        if overpayment_id:
            query = query.where(a.c.overpayment_id == overpayment_id)
        out = []
        for row in await self._rows(_paged(query.order_by(a.c.appropriable_on, a.c.appropriation_id), page)):
            row.pop("decided_at", None)
            items = await self._rows(
                select(i).where(i.c.appropriation_id == row["appropriation_id"]).order_by(i.c.line)
            )
            row["items"] = [
                {
                    k: item[k]
                    for k in (
                        "notice_number",
                        "installment_no",
                        "component",
                        "amount",
                        "addressee_id",
                        "basis_date",
                    )
                }
                for item in items
            ]
            row["legal_basis"] = APPROPRIATION_BASIS
            row["interest_parts"] = await self.interest_parts(reference=row["appropriation_id"])
            out.append(row)
        return out

    async def appropriation(self, appropriation_id: str) -> dict | None:
        a = orm.appropriations
        rows = await self._rows(select(a.c.overpayment_id).where(a.c.appropriation_id == appropriation_id))
        if not rows:
            return None
        found = await self.appropriations(overpayment_id=rows[0]["overpayment_id"])
        return next(r for r in found if r["appropriation_id"] == appropriation_id)

    async def refunds(
        self,
        *,
        addressee_id: str | None = None,
        status: str | None = None,
        stage: str | None = None,
        overpayment_id: str | None = None,
        page: Page | None = None,
    ) -> list[dict]:
        """`stage`: to_prepare (pending, not prepared), to_approve (prepared, not approved), to_pay."""
        r = orm.refunds
        query = select(r).where(*await self._person_filter(r.c.addressee_id, addressee_id))
        if status:
            query = query.where(r.c.status == status)
        if overpayment_id:
            query = query.where(r.c.overpayment_id == overpayment_id)
        if stage == "to_prepare":
            query = query.where(r.c.status == "pending_approval", r.c.prepared_by.is_(None))
        elif stage == "to_approve":
            query = query.where(r.c.status == "pending_approval", r.c.prepared_by.is_not(None))
        elif stage == "to_pay":
            query = query.where(r.c.status == "approved")
        out = []
        for row in await self._rows(_paged(query.order_by(r.c.created_on, r.c.refund_id), page)):
            row["interest_parts"] = await self.interest_parts(refund_id=row["refund_id"])
            out.append(row)
        return out

    async def refund(self, refund_id: str) -> dict | None:
        r = orm.refunds
        rows = await self._rows(select(r.c.overpayment_id).where(r.c.refund_id == refund_id))
        if not rows:
            return None
        found = await self.refunds(overpayment_id=rows[0]["overpayment_id"])
        row = next(x for x in found if x["refund_id"] == refund_id)
        t = orm.transfer_results
        row["transfer_results"] = await self._rows(
            select(t).where(t.c.refund_id == refund_id).order_by(t.c.on)
        )
        return row

    async def payout_batches(self) -> list[dict]:
        b = orm.payout_batches
        columns = [c for c in b.c if c.name not in ("file",)]
        return await self._rows(select(*columns).order_by(b.c.created_at))

    async def returned_transfers(
        self, addressee_id: str | None = None, page: Page | None = None
    ) -> list[dict]:
        t, r = orm.transfer_results, orm.refunds
        query = (
            select(t, r.c.addressee_id, r.c.status.label("refund_status"))
            .join(r, r.c.refund_id == t.c.refund_id)
            .where(t.c.ok.is_(False), *await self._person_filter(r.c.addressee_id, addressee_id))
            .order_by(t.c.on, t.c.result_id)
        )
        return await self._rows(_paged(query, page))

    async def recovery_claims(self, addressee_id: str | None = None, status: str | None = None) -> list[dict]:
        c = orm.recovery_claims
        query = select(c).where(*await self._person_filter(c.c.addressee_id, addressee_id))
        if status:
            query = query.where(c.c.status == status)
        return await self._rows(query.order_by(c.c.opened_on, c.c.claim_id))
