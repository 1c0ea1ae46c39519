"""Paying refunds out: the 全銀 総合振込 file and the bank's results (paid / returned 振込不能).

A refund goes into a file only when its person owes nothing payable on the business date (法17条の2①,
checked again here), it has a payee account with a known bank/branch, and its payee name fits the
全銀 field after normalisation; anything else is left out and listed with the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import refunds as refunds_msgs
from osame_law.calendar import is_business_day
from osame_law.errors import LawError
from osame_zengin import banks
from osame_zengin import transfer as zengin

from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.approval import check_future_date
from osame_refunds.domain.overpayment import RefundStatus
from osame_refunds.service_layer.refund_actions import DateRefused, RefundActionError, check_date, get_refund
from osame_refunds.service_layer.settlement import back_to_approval, recheck_refunds, release_interest


@dataclass(frozen=True)
class PayoutResult:
    batch_id: str | None
    count: int
    total: int
    skipped: list[dict]
    file: bytes | None


async def build_payout(
    transfer_date: dt.date,
    approved_on: dt.date,
    remitter: zengin.Remitter,
    uow: UnitOfWork,
    *,
    user: str | None = None,
) -> PayoutResult:
    """The 総合振込 file for refunds approved on `approved_on`, paid on `transfer_date` (a bank
    business day from the business date on).

    Left out and listed (never cut or guessed): refunds whose person owes something payable now
    (cancelled and appropriated instead), refunds without a payee account, with an unknown
    bank/branch code, or whose payee name does not fit the 全銀 field.
    """
    repo = RefundsRepository(uow.session)
    today = uow.today()
    check_date("approved_on", approved_on, today)
    try:
        check_future_date("transfer_date", transfer_date, today)
    except LawError as exc:
        raise DateRefused(str(exc)) from None
    if not is_business_day(transfer_date):
        raise DateRefused(f"transfer_date {transfer_date.isoformat()} is not a bank business day")
    candidates = await repo.approved_refunds(approved_on)
    transfers, included, skipped = [], [], []
    for refund in candidates:
        if await recheck_refunds(refund["addressee_id"], uow, today, only=refund["refund_id"]):
            skipped.append({"refund_id": refund["refund_id"], "reason": "debts_outstanding_appropriated"})
            continue
        reason, transfer = await _transfer_for(repo, refund)
        if reason:
            skipped.append({"refund_id": refund["refund_id"], "reason": reason})
            continue
        transfers.append(transfer)
        included.append(refund)
    if not transfers:
        return PayoutResult(None, 0, 0, skipped, None)
    content = zengin.build(remitter, transfer_date, transfers)
    batch_id = new_id()
    total = sum(t.amount for t in transfers)
    await repo.add_batch(
        batch_id=batch_id,
        transfer_date=transfer_date,
        approved_on=approved_on,
        count=len(transfers),
        total=total,
        file=content,
        skipped=skipped,
        created_by=user,
        created_at=datetime.now(UTC),
    )
    for refund in included:
        await repo.update_refund(refund["refund_id"], status=RefundStatus.IN_PAYOUT, payout_batch_id=batch_id)
    return PayoutResult(batch_id, len(transfers), total, skipped, content)


async def _transfer_for(repo: RefundsRepository, refund) -> tuple[str | None, zengin.Transfer | None]:
    if refund["amount"] + (refund["refund_interest"] or 0) <= 0:
        return "nothing_to_pay", None  # never a 0-yen record: the bank refuses the whole file
    payee = await repo.payee(refund["addressee_id"])
    if payee is None:
        return "no_payee_account", None
    try:
        bank_kana = banks.bank_kana(payee["bank_code"])
        branch_kana = banks.branch_kana(payee["bank_code"], payee["branch_code"])
    except banks.UnknownBankCode:
        return "unknown_bank_or_branch", None
    try:
        name = zengin.check_payee_name(payee["holder_kana"])
    except zengin.PayeeNameTooLong:
        return "payee_name_over_30_bytes", None
    except zengin.TransferFileError:
        return "payee_name_characters", None
    transfer = zengin.Transfer(
        payee["bank_code"],
        bank_kana,
        payee["branch_code"],
        branch_kana,
        payee["account_type"],
        payee["account_number"],
        name,
        refund["amount"] + (refund["refund_interest"] or 0),
        "KANPU " + refund["refund_id"][-12:].upper(),
    )
    return None, transfer


async def record_transfer(
    refund_id: str, ok: bool, on: dt.date, reason: str, uow: UnitOfWork, *, user: str | None = None
) -> None:
    """The bank's result: paid, or returned (口座相違・解約…) → reopened, account dropped, taxpayer
    contacted; a recovery claim on the refund is offset against the money that came back."""
    repo = RefundsRepository(uow.session)
    today = uow.today()
    refund = await get_refund(repo, refund_id, lock=True)
    if refund["status"] != RefundStatus.IN_PAYOUT:
        raise RefundActionError(f"refund {refund_id} is {refund['status']}, not in a payout")
    batch = await repo.batch(refund["payout_batch_id"])

    check_date("on", on, today, ("the payout's transfer_date", batch["transfer_date"]))
    await repo.add_transfer_result(
        result_id=new_id(),
        refund_id=refund_id,
        batch_id=refund["payout_batch_id"],
        ok=ok,
        on=on,
        reason=reason[:60],
        recorded_by=user,
    )
    interest_total = refund["refund_interest"] or 0
    if ok:
        await repo.update_refund(refund_id, status=RefundStatus.PAID, closed_on=on)
        await uow.publish(
            refunds_msgs.RefundPaid(
                refund_id=refund_id,
                addressee_id=refund["addressee_id"],
                amount=refund["amount"],
                refund_interest=interest_total,
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
        overpayment_id=refund["overpayment_id"],
        amount=refund["amount"] + interest_total,
        issued_on=today,
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
    await _offset_claims(repo, refund, today)


async def _offset_claims(repo: RefundsRepository, refund, today: dt.date) -> None:
    """The money of a refund with an open recovery claim came back: the claimed yen are withdrawn
    from the refund instead, and the refund needs a new approval for what is left."""
    claims = await repo.open_claims(refund["refund_id"])
    if not claims:
        return
    principal = sum(c["amount"] for c in claims)
    overpayment = await repo.overpayment(refund["overpayment_id"], lock=True)
    for claim in claims:
        await repo.close_claim(claim["claim_id"], "offset", today)
    await repo.update_overpayment(
        overpayment["overpayment_id"],
        refunded=overpayment["refunded"] - principal,
        withdrawn=overpayment["withdrawn"] + principal,
    )
    left = refund["amount"] - principal
    await back_to_approval(repo, refund["refund_id"], amount=left)
    await release_interest(repo, refund["refund_id"])
    carried = [
        p for p in await repo.interest_parts(refund["overpayment_id"], "owed") if p["kind"] == "appropriated"
    ]
    if left == 0 and not carried:
        await repo.update_refund(
            refund["refund_id"], status=RefundStatus.CANCELLED, cancel_reason="withdrawn"
        )
    elif carried:
        await repo.update_interest_parts(
            [p["part_id"] for p in carried], status="in_refund", refund_id=refund["refund_id"]
        )
