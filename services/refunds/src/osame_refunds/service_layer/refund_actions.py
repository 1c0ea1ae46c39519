"""Staff actions on refunds: 還付請求 (payee account), cause correction, approval (支出決定) with
還付加算金, payout files (全銀 総合振込), transfer results, and the 5-year expiry (法18条の3).

Each is a use case over a unit of work; HTTP routes and the CLI only call these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import UTC, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import refunds as refunds_msgs
from osame_law.calendar import add_months_civil, day_after
from osame_law.errors import LawError

from osame_refunds.adapters import bank_master, orm, zengin_transfer
from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.interest import CauseDates, total_interest
from osame_refunds.domain.overpayment import RefundStatus, refund_cause
from osame_refunds.service_layer.settlement import settle

UNCLAIMED_YEARS = 5  # 法18条の3: the right to a refund lapses after 5 years


class RefundActionError(PermanentError):
    """A staff action that cannot be done (reason carries ids and codes only)."""


@dataclass(frozen=True)
class PayeeAccount:
    addressee_id: str
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str
    claimed_on: dt.date


async def record_claim(account: PayeeAccount, uow: UnitOfWork) -> None:
    """還付請求: the taxpayer's account for transfers, checked against the bank master."""
    try:
        bank_master.check(account.bank_code, account.branch_code)
    except bank_master.UnknownBankCode as exc:
        raise RefundActionError(str(exc)) from None
    if account.account_type not in {"1", "2", "4", "9"} or not account.account_number.isdigit():
        raise RefundActionError("account type must be 1, 2, 4 or 9 and the account number digits")
    zengin_transfer.to_kana_field(account.holder_kana)
    await RefundsRepository(uow.session).save_payee(
        {**account.__dict__, "account_number": account.account_number.rjust(7, "0")}
    )


async def correct_cause(refund_id: str, cause: str, dates: CauseDates, uow: UnitOfWork) -> None:
    """Set the typed 法17条の4① cause (and its dates) before approval."""
    repo = RefundsRepository(uow.session)
    refund = await _refund(repo, refund_id)
    if refund["status"] != RefundStatus.PENDING_APPROVAL:
        raise RefundActionError(f"refund {refund_id} is {refund['status']}; the cause is fixed at approval")
    refund_cause(cause)
    await repo.update_refund(refund_id, cause=cause)
    await repo.update_overpayment(
        refund["overpayment_id"],
        cause=cause,
        requested_on=dates.requested_on,
        corrected_on=dates.corrected_on,
        notified_on=dates.notified_on,
    )


async def approve(
    refund_id: str, decided_on: dt.date, uow: UnitOfWork, *, claim: CauseDates | None = None
) -> dict:
    """支出決定: fix the 還付加算金 to `decided_on`. If the taxpayer owes something now, the refund is
    cancelled and the money appropriated instead (充当 is mandatory before any refund)."""
    repo = RefundsRepository(uow.session)
    refund = await _refund(repo, refund_id, lock=True)
    if refund["status"] != RefundStatus.PENDING_APPROVAL:
        raise RefundActionError(f"refund {refund_id} is {refund['status']}, not pending approval")
    overpayment = await repo.overpayment(refund["overpayment_id"], lock=True)
    if [d for d in await repo.debts(refund["addressee_id"]) if d.basis_date <= decided_on]:
        await _cancel(repo, refund, overpayment)
        await settle(overpayment["overpayment_id"], uow, decided_on)
        return {"refund_id": refund_id, "status": "cancelled", "reason": "debts_outstanding_appropriated"}
    dates = CauseDates(
        requested_on=overpayment["requested_on"],
        corrected_on=overpayment["corrected_on"],
        notified_on=overpayment["notified_on"],
        claim_notice_on=claim.claim_notice_on if claim else None,
        claimed_on=claim.claimed_on if claim else None,
    )
    try:
        interest, lines = total_interest(
            refund["amount"],
            decided_on,
            await repo.applied_parts(overpayment["overpayment_id"]),
            refund_cause(refund["cause"]),
            overpayment["paid_on"],
            dates,
        )
    except LawError as exc:  # e.g. no rate yet for the year, a missing date the cause needs
        raise RefundActionError(f"refund {refund_id}: {exc}") from None
    start = min((line.start for line in lines), default=None)
    await repo.update_refund(
        refund_id,
        status=RefundStatus.APPROVED,
        decided_on=decided_on,
        refund_interest=interest,
        interest_start=start,
    )
    await repo.add_notice(
        notice_id=new_id(),
        addressee_id=refund["addressee_id"],
        kind="refund_decided",
        reference=refund_id,
        amount=refund["amount"] + interest,
        created_at=datetime.now(UTC),
    )
    await uow.publish(
        refunds_msgs.RefundDecided(
            refund_id=refund_id,
            overpayment_id=refund["overpayment_id"],
            addressee_id=refund["addressee_id"],
            amount=refund["amount"],
            refund_interest=interest,
            decided_on=decided_on,
        ),
    )
    return {
        "refund_id": refund_id,
        "status": "approved",
        "amount": refund["amount"],
        "refund_interest": interest,
        "interest_start": start,
        "lines": [line.__dict__ for line in lines],
    }


async def _cancel(repo, refund, overpayment) -> None:
    """The refund decision is withdrawn (kept for the record); the money is held again."""
    await repo.update_refund(refund["refund_id"], status="cancelled")
    await repo.update_overpayment(
        overpayment["overpayment_id"], refunded=overpayment["refunded"] - refund["amount"], status="held"
    )


@dataclass(frozen=True)
class PayoutResult:
    batch_id: str | None
    count: int
    total: int
    skipped: list[dict]
    file: bytes | None


async def build_payout(
    transfer_date: dt.date, approved_on: dt.date, remitter: zengin_transfer.Remitter, uow: UnitOfWork
) -> PayoutResult:
    """The 総合振込 file for refunds approved on `approved_on`, paid on `transfer_date`.

    Refunds with no payee account or an unknown bank/branch code are left out and listed.
    """
    repo = RefundsRepository(uow.session)
    candidates = await repo.refunds_where(
        orm.refunds.c.status == RefundStatus.APPROVED, orm.refunds.c.decided_on == approved_on
    )
    transfers, included, skipped = [], [], []
    for refund in candidates:
        payee = await repo.payee(refund["addressee_id"])
        if payee is None:
            skipped.append({"refund_id": refund["refund_id"], "reason": "no_payee_account"})
            continue
        try:
            bank_kana = bank_master.bank_kana(payee["bank_code"])
            branch_kana = bank_master.branch_kana(payee["bank_code"], payee["branch_code"])
        except bank_master.UnknownBankCode:
            skipped.append({"refund_id": refund["refund_id"], "reason": "unknown_bank_or_branch"})
            continue
        transfers.append(
            zengin_transfer.Transfer(
                payee["bank_code"],
                bank_kana,
                payee["branch_code"],
                branch_kana,
                payee["account_type"],
                payee["account_number"],
                payee["holder_kana"],
                refund["amount"] + (refund["refund_interest"] or 0),
                "KANPU " + refund["refund_id"][-12:].upper(),
            )
        )
        included.append(refund)
    if not transfers:
        return PayoutResult(None, 0, 0, skipped, None)
    content = zengin_transfer.build(remitter, transfer_date, transfers)
    batch_id = new_id()
    total = sum(t.amount for t in transfers)
    await repo.add_batch(
        batch_id=batch_id,
        transfer_date=transfer_date,
        approved_on=approved_on,
        count=len(transfers),
        total=total,
        file=content,
        created_at=datetime.now(UTC),
    )
    for refund in included:
        await repo.update_refund(refund["refund_id"], status=RefundStatus.IN_PAYOUT, payout_batch_id=batch_id)
    return PayoutResult(batch_id, len(transfers), total, skipped, content)


async def record_transfer(refund_id: str, ok: bool, on: dt.date, reason: str, uow: UnitOfWork) -> None:
    """The bank's result: paid, or returned (口座相違・解約…) → reopened, account dropped, taxpayer contacted."""
    repo = RefundsRepository(uow.session)
    refund = await _refund(repo, refund_id, lock=True)
    if refund["status"] != RefundStatus.IN_PAYOUT:
        raise RefundActionError(f"refund {refund_id} is {refund['status']}, not in a payout")
    interest = refund["refund_interest"] or 0
    if ok:
        await repo.update_refund(refund_id, status=RefundStatus.PAID, closed_on=on)
        await uow.publish(
            refunds_msgs.RefundPaid(
                refund_id=refund_id,
                addressee_id=refund["addressee_id"],
                amount=refund["amount"],
                refund_interest=interest,
                paid_on=on,
            ),
        )
        return
    await repo.update_refund(refund_id, status=RefundStatus.APPROVED, payout_batch_id=None)
    await repo.drop_payee(refund["addressee_id"])
    await repo.add_notice(
        notice_id=new_id(),
        addressee_id=refund["addressee_id"],
        kind="transfer_failed",
        reference=refund_id,
        amount=refund["amount"] + interest,
        created_at=datetime.now(UTC),
    )
    await uow.publish(
        refunds_msgs.RefundFailed(
            refund_id=refund_id,
            addressee_id=refund["addressee_id"],
            reason=reason[:60],
            failed_on=on,
        ),
    )


async def expire_unclaimed(today: dt.date, uow: UnitOfWork) -> int:
    """法18条の3: a refund not paid within 5 years of when it could be claimed lapses; recorded."""
    repo = RefundsRepository(uow.session)
    cutoff_candidates = await repo.refunds_where(
        orm.refunds.c.status.in_([RefundStatus.PENDING_APPROVAL, RefundStatus.APPROVED])
    )
    expired = 0
    for refund in cutoff_candidates:
        # 初日不算入: the 5 years run from the day after the refund could first be claimed.
        last_day = add_months_civil(day_after(refund["created_on"]), 12 * UNCLAIMED_YEARS)
        if today > last_day:
            await repo.update_refund(refund["refund_id"], status=RefundStatus.EXPIRED, closed_on=today)
            await repo.add_notice(
                notice_id=new_id(),
                addressee_id=refund["addressee_id"],
                kind="expired",
                reference=refund["refund_id"],
                amount=refund["amount"],
                created_at=datetime.now(UTC),
            )
            expired += 1
    return expired


async def _refund(repo, refund_id: str, *, lock: bool = False):
    refund = await repo.refund(refund_id, lock=lock)
    if refund is None:
        raise RefundActionError(f"unknown refund {refund_id}")
    return refund
