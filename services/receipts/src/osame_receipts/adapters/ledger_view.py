"""Read model of one taxpayer's ledger (the person's 宛名番号 and those merged into it by 名寄せ):
調定 with every version (履歴), 期別 with what is owed per component, receipts in every state,
overpayments (held, appropriated, withdrawn), 充当 and suspense items naming their notices."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm
from osame_receipts.service_layer.addressees import survivor_of


async def taxpayer_ledger(session: AsyncSession, addressee_id: str) -> dict:
    person = await survivor_of(session, addressee_id)
    m = orm.addressee_merges.c
    merged = sorted(
        (
            await session.execute(select(m.merged_addressee_id).where(m.surviving_addressee_id == person))
        ).scalars()
    )
    ids = [person, *merged]
    n, i, h, r = orm.notices.c, orm.installments.c, orm.assessment_history.c, orm.receipts.c
    o, a = orm.overpayments.c, orm.appropriations.c

    async def rows(query):
        return [dict(x) for x in (await session.execute(query)).mappings().all()]

    notices = await rows(
        select(orm.notices).where(n.addressee_id.in_(ids)).order_by(n.fiscal_year, n.notice_number)
    )
    numbers = [x["notice_number"] for x in notices]
    installments = await rows(
        select(orm.installments)
        .where(i.notice_number.in_(numbers))
        .order_by(i.notice_number, i.installment_no)
    )
    history = await rows(
        select(orm.assessment_history)
        .where(h.notice_number.in_(numbers))
        .order_by(h.notice_number, h.revision, h.installment_no)
    )
    receipts = await rows(
        select(
            r.receipt_id,
            r.channel,
            r.notice_number,
            r.installment_no,
            r.amount,
            r.applied_principal_tax,
            r.applied_demand_fee,
            r.applied_late_fee,
            r.overpaid,
            r.paid_on,
            r.booked_on,
            r.state,
            r.reversed_on,
        )
        .where(r.notice_number.in_(numbers), r.matched.is_(True))
        .order_by(r.paid_on, r.recorded_at)
    )
    overpayments = await rows(select(orm.overpayments).where(o.addressee_id.in_(ids)).order_by(o.arose_on))
    for x in overpayments:
        x["held"] = x["amount"] - x["appropriated"] - x["withdrawn"]
    appropriations = await rows(
        select(orm.appropriations)
        .where(a.overpayment_id.in_([x["overpayment_id"] for x in overpayments]))
        .order_by(a.recorded_at)
    )
    by_notice: dict[str, dict] = {
        x["notice_number"]: {**x, "installments": [], "history": []} for x in notices
    }
    for x in installments:
        owed = {
            "principal_tax": max(x["principal_tax"] - x["paid"], 0),
            "demand_fee": max(x["demand_fee"] - x["demand_fee_paid"], 0),
            "late_fee": max(x["late_fee"] - x["late_fee_paid"], 0),
        }
        if x["written_off_on"] is not None:
            owed = dict.fromkeys(owed, 0)
        by_notice[x["notice_number"]]["installments"].append({**x, "owed": owed})
    for x in history:
        by_notice[x["notice_number"]]["history"].append(x)
    return {
        "addressee_id": person,
        "merged_addressee_ids": merged,
        "notices": list(by_notice.values()),
        "receipts": receipts,
        "overpayments": overpayments,
        "appropriations": appropriations,
    }
