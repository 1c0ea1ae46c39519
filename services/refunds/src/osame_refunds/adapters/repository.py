"""Refunds persistence (SQLAlchemy Core over the unit of work's session)."""

from __future__ import annotations

import datetime as dt

from osame_chassis.audit import AuditLog
from osame_chassis.db import count_rows
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_refunds.adapters import orm
from osame_refunds.adapters.projection import ProjectionRepository
from osame_refunds.domain.overpayment import LIVE_REFUND, RefundStatus

# The refunds service's hash-chained audit log (staff actions and the service's own decisions).
AUDIT = AuditLog(orm.audit_log)


class RefundsRepository(ProjectionRepository):
    # --- audit ----------------------------------------------------------------------------
    async def audit(
        self, *, user: str, operation: str, outcome: str, addressee_id: str | None = None
    ) -> None:
        """One entry in the audit log, in this unit of work's transaction."""
        await AUDIT.append(
            self.session, user=user, operation=operation, outcome=outcome, addressee_id=addressee_id
        )

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

    async def overpayments_of(self, addressees: list[str]) -> list[dict]:
        query = (
            select(orm.overpayments)
            .where(orm.overpayments.c.addressee_id.in_(addressees))
            .order_by(orm.overpayments.c.arose_on, orm.overpayments.c.overpayment_id)
        )
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

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

    # --- 還付加算金 of each part --------------------------------------------------------------
    async def add_interest_part(self, **values) -> None:
        await self.session.execute(insert(orm.refund_interest_parts).values(**values))

    async def interest_parts(self, overpayment_id: str, *statuses: str) -> list[dict]:
        t = orm.refund_interest_parts
        query = select(t).where(t.c.overpayment_id == overpayment_id).order_by(t.c.start, t.c.part_id)
        if statuses:
            query = query.where(t.c.status.in_(statuses))
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def interest_parts_of(self, reference: str) -> list[dict]:
        t = orm.refund_interest_parts
        query = select(t).where((t.c.reference == reference) | (t.c.refund_id == reference))
        return [
            dict(r) for r in (await self.session.execute(query.order_by(t.c.start, t.c.part_id))).mappings()
        ]

    async def update_interest_parts(self, part_ids: list[str], **values) -> None:
        if part_ids:
            t = orm.refund_interest_parts
            await self.session.execute(update(t).where(t.c.part_id.in_(part_ids)).values(**values))

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
            orm.refunds.c.overpayment_id == overpayment_id, orm.refunds.c.status.in_(LIVE_REFUND)
        )
        return (await self.session.execute(query)).mappings().first()

    async def update_refund(self, refund_id: str, **values) -> None:
        await self.session.execute(
            update(orm.refunds).where(orm.refunds.c.refund_id == refund_id).values(**values)
        )

    async def refunds_where(self, *conditions) -> list[dict]:
        query = select(orm.refunds).where(*conditions).order_by(orm.refunds.c.refund_id)
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def approved_refunds(self, decided_on: dt.date) -> list[dict]:
        """Refunds approved on `decided_on` and not yet paid out (a payout batch's candidates)."""
        return await self.refunds_where(
            orm.refunds.c.status == RefundStatus.APPROVED, orm.refunds.c.decided_on == decided_on
        )

    async def unpaid_refunds(self) -> list[dict]:
        """Refunds still to be approved or paid (those that can lapse, 法18条の3)."""
        return await self.refunds_where(
            orm.refunds.c.status.in_([RefundStatus.PENDING_APPROVAL, RefundStatus.APPROVED])
        )

    async def refunds_of(self, addressees: list[str], statuses) -> list[dict]:
        return await self.refunds_where(
            orm.refunds.c.addressee_id.in_(addressees), orm.refunds.c.status.in_(list(statuses))
        )

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

    async def batch(self, batch_id: str):
        query = select(orm.payout_batches).where(orm.payout_batches.c.batch_id == batch_id)
        return (await self.session.execute(query)).mappings().first()

    async def batch_file(self, batch_id: str) -> bytes | None:
        query = select(orm.payout_batches.c.file).where(orm.payout_batches.c.batch_id == batch_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_transfer_result(self, **values) -> None:
        await self.session.execute(insert(orm.transfer_results).values(**values))

    async def add_notice(self, **values) -> None:
        await self.session.execute(insert(orm.taxpayer_notices).values(**values))

    async def acknowledgements(self, overpayment_id: str) -> list[dt.date]:
        """Days the city told the taxpayer of this money (還付通知書, 充当通知書): 承認 for 法18条の3."""
        t = orm.taxpayer_notices
        query = select(t.c.issued_on).where(
            t.c.overpayment_id == overpayment_id,
            t.c.kind.in_(("appropriation", "refund_decided")),
            t.c.issued_on.is_not(None),
        )
        return list((await self.session.execute(query)).scalars())

    # --- withdrawals and recovery claims ---------------------------------------------------
    async def add_withdrawal(self, **values) -> None:
        await self.session.execute(insert(orm.withdrawals).values(**values))

    async def unapplied_withdrawals(self, overpayment_id: str) -> list[dict]:
        t = orm.withdrawals
        query = (
            select(t)
            .where(t.c.overpayment_id == overpayment_id, t.c.applied.is_(False))
            .order_by(t.c.received_at, t.c.withdrawal_id)
        )
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def mark_withdrawal_applied(self, withdrawal_id: str) -> None:
        await self.session.execute(
            update(orm.withdrawals)
            .where(orm.withdrawals.c.withdrawal_id == withdrawal_id)
            .values(applied=True)
        )

    async def add_recovery_claim(self, **values) -> None:
        await self.session.execute(insert(orm.recovery_claims).values(**values))

    async def open_claims(self, refund_id: str) -> list[dict]:
        t = orm.recovery_claims
        query = select(t).where(t.c.refund_id == refund_id, t.c.status == "open")
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def close_claim(self, claim_id: str, status: str, on: dt.date) -> None:
        t = orm.recovery_claims
        await self.session.execute(
            update(t).where(t.c.claim_id == claim_id).values(status=status, closed_on=on)
        )

    # --- money ----------------------------------------------------------------------------
    async def money(self, addressee_id: str | None) -> dict[str, int]:
        """Σ refunded, forfeited (expired), held, appropriated, withdrawn and open recovery claims."""
        o, r, c = orm.overpayments, orm.refunds, orm.recovery_claims
        op_filter = [o.c.addressee_id == addressee_id] if addressee_id else []
        rf_filter = [r.c.addressee_id == addressee_id] if addressee_id else []
        cl_filter = [c.c.addressee_id == addressee_id] if addressee_id else []

        def total(expression, *where):
            return select(func.coalesce(func.sum(expression), 0)).where(*where)

        queries = {
            "held": total(o.c.amount - o.c.appropriated - o.c.refunded - o.c.withdrawn, *op_filter),
            "refunded": total(r.c.amount, r.c.status.not_in(["expired", "cancelled"]), *rf_filter),
            "forfeited": total(r.c.amount, r.c.status == "expired", *rf_filter),
            "appropriated": total(o.c.appropriated, *op_filter),
            "withdrawn": total(o.c.withdrawn, *op_filter),
            "recovery_claims": total(c.c.amount, c.c.status == "open", *cl_filter),
        }
        return {name: (await self.session.execute(q)).scalar_one() for name, q in queries.items()}


async def stats(session: AsyncSession) -> dict[str, int]:
    out = await count_rows(
        session,
        {
            "overpayments": orm.overpayments,
            "appropriations": orm.appropriations,
            "refunds": orm.refunds,
            "payout_batches": orm.payout_batches,
            "unpaid_items": orm.unpaid_items,
            "recovery_claims": orm.recovery_claims,
        },
    )
    money = await RefundsRepository(session).money(None)
    out["held_yen"] = money["held"]
    out["appropriated_yen"] = money["appropriated"]
    out["refunded_yen"] = money["refunded"]
    return out
