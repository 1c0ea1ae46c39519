"""Deciding what happens to held 過誤納金: 充当 first (mandatory, 法17条の2①), then 還付.

`settle(overpayment_id, uow, today)` is called whenever something may have changed: a new
overpayment, a 充当 applied or refused, a withdrawal, a new ledger view of the person's debts. It
waits while a 充当 is pending or a person must look at the money (`hold_reason`); otherwise it plans
against the person's payable debts (every 宛名番号 joined by 名寄せ) and sends one 充当 request per
充当適状日, or, when nothing is payable, turns what is held — and the 還付加算金 earned by the parts
already appropriated — into a 還付 decision awaiting preparation and approval.

`recheck_refunds(addressee_id, uow, today)` withdraws refund decisions whose money has not left
the city when the person owes something payable (at a new ledger view, at approval, at payout).
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
from osame_refunds.domain.appropriation_plan import payable, plan
from osame_refunds.domain.overpayment import OverpaymentStatus, RefundStatus

log = logging.getLogger("osame.refunds")

# Interest parts that belong to the taxpayer and are not yet paid or appropriated.
OWED_INTEREST = ("owed",)


def held(overpayment) -> int:
    return (
        overpayment["amount"]
        - overpayment["appropriated"]
        - overpayment["refunded"]
        - overpayment["withdrawn"]
    )


async def settle(overpayment_id: str, uow: UnitOfWork, today: dt.date) -> None:
    repo = RefundsRepository(uow.session)
    overpayment = await repo.overpayment(overpayment_id, lock=True)
    if overpayment is None or overpayment["hold_reason"] or await repo.pending_appropriations(overpayment_id):
        return
    remaining = held(overpayment)
    # Interest still owed to the taxpayer (a part whose interest rounds to 0 yen owes nothing).
    parts = [
        p
        for p in await repo.interest_parts(overpayment_id, "owed", "uncomputed")
        if p["status"] == "uncomputed" or p["interest"] > 0
    ]
    if remaining <= 0 and not parts:
        await repo.update_overpayment(overpayment_id, status=_closed_status(overpayment))
        return
    debts = payable(await repo.debts(overpayment["addressee_id"]), today)
    if debts:
        if remaining > 0:
            result = plan(remaining, overpayment["arose_on"], debts)
            versions = await repo.debt_versions(overpayment["addressee_id"])
            for request in result.requests:
                await _request_appropriation(uow, repo, overpayment, request, result.rule, versions)
        # 還付加算金 earned by appropriated parts waits while debts are payable (it may not be refunded,
        # 17条の2①); receipts has no command to book a 充当 paid from it (see docs: not built).
        return
    if any(p["status"] == "uncomputed" for p in parts):
        return  # the interest is not known yet: no refund goes out without it
    await _decide_refund(uow, repo, overpayment, max(remaining, 0), parts, today)


async def resettle_person(addressee_id: str, uow: UnitOfWork, today: dt.date) -> None:
    """After the person's debts changed: withdraw refunds that may no longer go out, and settle
    every overpayment of the person that still holds money or unpaid interest."""
    repo = RefundsRepository(uow.session)
    overpayments = await repo.overpayments_of(await repo.addressees_of(addressee_id))
    if not overpayments:
        return  # most ledger events: a person with no overpayment at all
    await recheck_refunds(addressee_id, uow, today)
    for overpayment in await repo.overpayments_of(await repo.addressees_of(addressee_id)):  # fresh rows
        owed = [
            p
            for p in await repo.interest_parts(overpayment["overpayment_id"], *OWED_INTEREST)
            if p["interest"]
        ]
        if held(overpayment) > 0 or owed:
            if await repo.refund_for(overpayment["overpayment_id"]) is None:
                await settle(overpayment["overpayment_id"], uow, today)


async def recheck_refunds(
    addressee_id: str, uow: UnitOfWork, today: dt.date, *, only: str | None = None
) -> list:
    """法17条の2①: a refund whose money has not left the city is withdrawn when the person owes
    anything payable on `today`; the money is appropriated instead. Returns the refund ids withdrawn."""
    repo = RefundsRepository(uow.session)
    if not payable(await repo.debts(addressee_id), today):
        return []
    addressees = await repo.addressees_of(addressee_id)
    withdrawn = []
    refunds = await repo.refunds_of(addressees, (RefundStatus.PENDING_APPROVAL, RefundStatus.APPROVED))
    for refund in refunds:
        if only is not None and refund["refund_id"] != only:
            continue
        await cancel_refund(repo, refund, "debts_outstanding_appropriated")
        await settle(refund["overpayment_id"], uow, today)
        withdrawn.append(refund["refund_id"])
    if withdrawn:
        log.warning("refund withdrawn: debts payable", extra={"count": len(withdrawn)})
    return withdrawn


async def cancel_refund(repo: RefundsRepository, refund, reason: str) -> None:
    """The refund decision is withdrawn (kept for the record); its principal is held again, the
    interest of the appropriated parts it carried is owed again, its own interest is void."""
    overpayment = await repo.overpayment(refund["overpayment_id"], lock=True)
    await repo.update_refund(refund["refund_id"], status=RefundStatus.CANCELLED, cancel_reason=reason)
    await repo.update_overpayment(
        overpayment["overpayment_id"],
        refunded=overpayment["refunded"] - refund["amount"],
        status=OverpaymentStatus.HELD,
    )
    await release_interest(repo, refund["refund_id"])


async def back_to_approval(repo: RefundsRepository, refund_id: str, **values) -> None:
    """The amount of a refund not yet paid changed: its preparation, approval and the interest it
    fixed for the refunded part are void; it waits for a new 起案 and 決裁."""
    await repo.update_refund(
        refund_id,
        status=RefundStatus.PENDING_APPROVAL,
        prepared_by=None,
        prepared_on=None,
        approved_by=None,
        decided_on=None,
        refund_interest=None,
        interest_start=None,
        **values,
    )
    for part in await repo.interest_parts_of(refund_id):
        if part["kind"] == "refunded" and part["status"] == "in_refund":
            await repo.update_interest_parts([part["part_id"]], status="cancelled")


async def release_interest(repo: RefundsRepository, refund_id: str) -> None:
    """Undo what an approval fixed: credits carried by the refund are owed again; its own
    (refunded-part) interest is void (it is recomputed at the next approval)."""
    parts = await repo.interest_parts_of(refund_id)
    await repo.update_interest_parts(
        [p["part_id"] for p in parts if p["kind"] == "appropriated" and p["status"] == "in_refund"],
        status="owed",
        refund_id=None,
    )
    await repo.update_interest_parts(
        [p["part_id"] for p in parts if p["kind"] == "appropriated" and p["status"] == "uncomputed"],
        refund_id=None,
    )
    await repo.update_interest_parts(
        [p["part_id"] for p in parts if p["kind"] == "refunded" and p["status"] != "cancelled"],
        status="cancelled",
    )


def _closed_status(overpayment) -> str:
    if overpayment["withdrawn"] == overpayment["amount"]:
        return OverpaymentStatus.WITHDRAWN
    if overpayment["status"] == OverpaymentStatus.REFUND_DECIDED:
        # Its rest is a 還付 decision: a later settle (a 充当 refused, a new ledger view) leaves it so,
        # whatever order those messages came in (found by the fault suite's long form, seed 3).
        return OverpaymentStatus.REFUND_DECIDED
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
            "addressee_id": i.addressee_id or None,
            "basis_date": i.basis_date,
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


async def _decide_refund(uow, repo, overpayment, amount: int, credits: list[dict], today: dt.date) -> None:
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
    await repo.update_interest_parts([p["part_id"] for p in credits], status="in_refund", refund_id=refund_id)
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
        overpayment_id=overpayment["overpayment_id"],
        amount=amount + sum(p["interest"] for p in credits),
        issued_on=today,
        created_at=datetime.now(UTC),
    )
