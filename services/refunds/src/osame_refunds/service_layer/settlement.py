"""Deciding what happens to held 過誤納金: 充当 first (mandatory, 法17条の2①), then 還付.

`settle(overpayment_id, uow, today)` is called whenever something may have changed: a new
overpayment, a 充当 applied or refused. It waits while a 充当 is pending; otherwise it plans
against the taxpayer's current debts and sends one 充当 request per 充当適状日, or, when nothing
is owed, turns what is still held into a 還付 decision awaiting approval.
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts as receipts_msgs
from osame_contracts.messages import refunds as refunds_msgs

from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.appropriation_plan import plan
from osame_refunds.domain.overpayment import OverpaymentStatus, RefundStatus

log = logging.getLogger("osame.refunds")


def held(overpayment) -> int:
    return overpayment["amount"] - overpayment["appropriated"] - overpayment["refunded"]


async def settle(overpayment_id: str, uow: UnitOfWork, today: dt.date) -> None:
    repo = RefundsRepository(uow.session)
    overpayment = await repo.overpayment(overpayment_id, lock=True)
    if overpayment is None or await repo.pending_appropriations(overpayment_id):
        return
    remaining = held(overpayment)
    if remaining <= 0:
        await repo.update_overpayment(overpayment_id, status=_closed_status(overpayment))
        return
    addressee = overpayment["addressee_id"]
    # Mandatory 充当 is to 徴収金 already payable: a debt whose date has come (its 納期限, or the
    # notice date for 督促手数料). Installments not yet due are left to the taxpayer (予納/充当申出).
    debts = [d for d in await repo.debts(addressee) if d.basis_date <= today]
    result = plan(remaining, overpayment["arose_on"], debts)
    if result.requests:
        versions = await repo.debt_versions(addressee)
        for request in result.requests:
            await _request_appropriation(uow, repo, overpayment, request, result.rule, versions)
        return
    await _decide_refund(uow, repo, overpayment, remaining, today)


def _closed_status(overpayment) -> str:
    if overpayment["refunded"] == 0:
        return OverpaymentStatus.APPROPRIATED
    return OverpaymentStatus.CLOSED


async def _request_appropriation(uow, repo, overpayment, request, rule: str, versions) -> None:
    appropriation_id = new_id()
    items = [
        {
            "notice_number": i.notice_number,
            "installment_no": i.installment_no,
            "component": i.component,
            "amount": i.amount,
            "seen_version": versions[(i.notice_number, i.installment_no, i.component)],
        }
        for i in request.items
    ]
    await repo.add_appropriation(
        {
            "appropriation_id": appropriation_id,
            "overpayment_id": overpayment["overpayment_id"],
            "addressee_id": overpayment["addressee_id"],
            "appropriable_on": request.appropriable_on,
            "total": request.total,
            "rule": rule,
            "status": "requested",
            "decided_at": datetime.now(UTC),
        },
        items,
    )
    lines = [{k: i[k] for k in ("notice_number", "installment_no", "component", "amount")} for i in items]
    await uow.publish(
        receipts_msgs.AppropriateOverpayment(
            appropriation_id=appropriation_id,
            overpayment_id=overpayment["overpayment_id"],
            addressee_id=overpayment["addressee_id"],
            appropriable_on=request.appropriable_on,
            items=lines,
        )
    )
    await uow.publish(
        refunds_msgs.AppropriationDecided(
            appropriation_id=appropriation_id,
            overpayment_id=overpayment["overpayment_id"],
            addressee_id=overpayment["addressee_id"],
            appropriable_on=request.appropriable_on,
            items=lines,
        ),
    )
    log.info("appropriation requested", extra={"count": len(items)})


async def _decide_refund(uow, repo, overpayment, amount: int, today: dt.date) -> None:
    if await repo.refund_for(overpayment["overpayment_id"]) is not None:
        return
    refund_id = new_id()
    await repo.add_refund(
        refund_id=refund_id,
        overpayment_id=overpayment["overpayment_id"],
        addressee_id=overpayment["addressee_id"],
        amount=amount,
        cause=overpayment["cause"],
        status=RefundStatus.PENDING_APPROVAL,
        created_on=today,
    )
    await repo.update_overpayment(
        overpayment["overpayment_id"],
        refunded=overpayment["refunded"] + amount,
        status=OverpaymentStatus.REFUND_DECIDED,
    )
    await repo.add_notice(
        notice_id=new_id(),
        addressee_id=overpayment["addressee_id"],
        kind="refund_pending",
        reference=refund_id,
        amount=amount,
        created_at=datetime.now(UTC),
    )
