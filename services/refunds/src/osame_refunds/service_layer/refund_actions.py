"""Staff actions on refunds: 還付請求 (payee account), cause correction, preparation (起案) and
approval (決裁・支出決定) with 還付加算金 by two different people, the 5-year lapse (法18条の3), and
releasing money held for a person. Payout files and bank results: `payout.py`.

Each is a use case over a unit of work; HTTP routes and the CLI only call these. `user` is the
staff id from the verified token; "today" is always the server's business date (`uow.today()`);
every date a person gives is checked against it and the record's own dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import UTC, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import refunds as refunds_msgs
from osame_law.errors import LawError
from osame_zengin import banks
from osame_zengin import transfer as zengin

from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.approval import DutyError, check_approver, check_staff_date
from osame_refunds.domain.interest import CauseDates
from osame_refunds.domain.lapse import has_lapsed
from osame_refunds.domain.overpayment import RefundStatus, refund_cause
from osame_refunds.service_layer import interest
from osame_refunds.service_layer.settlement import recheck_refunds, settle


class RefundActionError(PermanentError):
    """A staff action that cannot be done (reason carries ids, codes and dates only)."""


class SeparationOfDutiesError(RefundActionError):
    """The staff member may not take this step (the same person prepared it)."""


class DateRefused(RefundActionError):
    """A date a person gave contradicts the business date or the record's own dates."""


@dataclass(frozen=True)
class PayeeAccount:
    addressee_id: str
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str
    claimed_on: dt.date


def check_date(field: str, value: dt.date | None, today: dt.date, *not_before) -> None:
    if value is None:
        return
    try:
        check_staff_date(field, value, today, not_before)
    except LawError as exc:
        raise DateRefused(str(exc)) from None


async def record_claim(account: PayeeAccount, uow: UnitOfWork) -> None:
    """還付請求: the taxpayer's account for transfers, checked against the bank master; the name is
    stored as the 全銀 file will carry it (refused, with its length, when over 30 bytes)."""
    check_date("claimed_on", account.claimed_on, uow.today())
    try:
        banks.check(account.bank_code, account.branch_code)
    except banks.UnknownBankCode as exc:
        raise RefundActionError(str(exc)) from None
    if account.account_type not in {"1", "2", "4", "9"} or not account.account_number.isdigit():
        raise RefundActionError("account type must be 1, 2, 4 or 9 and the account number digits")
    try:
        name = zengin.check_payee_name(account.holder_kana)
    except zengin.TransferFileError as exc:
        raise RefundActionError(f"holder_kana: {exc}; enter the name as the bank registers it") from None
    await RefundsRepository(uow.session).save_payee(
        {**account.__dict__, "holder_kana": name, "account_number": account.account_number.rjust(7, "0")}
    )


async def correct_cause(refund_id: str, cause: str, dates: CauseDates, uow: UnitOfWork) -> None:
    """Set the typed 法17条の4① cause (and its dates) before approval; the interest already earned by
    appropriated parts is recomputed, and the refund must be prepared again."""
    repo = RefundsRepository(uow.session)
    refund = await get_refund(repo, refund_id)
    if refund["status"] != RefundStatus.PENDING_APPROVAL:
        raise RefundActionError(f"refund {refund_id} is {refund['status']}; the cause is fixed at approval")
    try:
        refund_cause(cause)
    except ValueError as exc:
        raise RefundActionError(str(exc)) from None
    today = uow.today()
    check_date("requested_on", dates.requested_on, today)
    check_date("corrected_on", dates.corrected_on, today, ("requested_on", dates.requested_on))
    check_date("notified_on", dates.notified_on, today)
    await repo.update_refund(refund_id, cause=cause, prepared_by=None, prepared_on=None)
    await repo.update_overpayment(
        refund["overpayment_id"],
        cause=cause,
        requested_on=dates.requested_on,
        corrected_on=dates.corrected_on,
        notified_on=dates.notified_on,
    )
    await interest.recompute(repo, refund["overpayment_id"])


async def prepare(refund_id: str, user: str, uow: UnitOfWork) -> dict:
    """起案: a staff member prepares the refund for approval by someone else."""
    repo = RefundsRepository(uow.session)
    refund = await get_refund(repo, refund_id, lock=True)
    if refund["status"] != RefundStatus.PENDING_APPROVAL:
        raise RefundActionError(f"refund {refund_id} is {refund['status']}, not pending approval")
    await repo.update_refund(refund_id, prepared_by=user, prepared_on=uow.today())
    return {"refund_id": refund_id, "status": "prepared", "prepared_by": user, "prepared_on": uow.today()}


async def approve(
    refund_id: str,
    user: str,
    uow: UnitOfWork,
    *,
    decided_on: dt.date | None = None,
    claim: CauseDates | None = None,
) -> dict:
    """決裁・支出決定 by someone other than the preparer: fix the 還付加算金 to the 支出決定日 (the
    business date unless an earlier one, not before the preparation, is given). If the person owes
    anything payable now, the refund is cancelled and the money appropriated instead (充当 is
    mandatory before any refund, 法17条の2①)."""
    repo = RefundsRepository(uow.session)
    today = uow.today()
    refund = await get_refund(repo, refund_id, lock=True)
    if refund["status"] != RefundStatus.PENDING_APPROVAL:
        raise RefundActionError(f"refund {refund_id} is {refund['status']}, not pending approval")
    if not refund["prepared_by"]:
        raise RefundActionError(f"refund {refund_id} has not been prepared (起案) yet; prepare it first")
    try:
        check_approver(refund["prepared_by"], user)
    except DutyError as exc:
        raise SeparationOfDutiesError(str(exc)) from None
    overpayment = await repo.overpayment(refund["overpayment_id"], lock=True)
    decided_on = decided_on or today
    check_date(
        "decided_on",
        decided_on,
        today,
        ("prepared_on", refund["prepared_on"]),
        ("the overpayment's arose_on", overpayment["arose_on"]),
    )
    claim = claim or CauseDates()
    check_date("claim_notice_on", claim.claim_notice_on, decided_on)
    check_date("claimed_on", claim.claimed_on, decided_on, ("claim_notice_on", claim.claim_notice_on))
    if await recheck_refunds(refund["addressee_id"], uow, today, only=refund_id):
        return {"refund_id": refund_id, "status": "cancelled", "reason": "debts_outstanding_appropriated"}
    if await repo.interest_parts(refund["overpayment_id"], "uncomputed"):
        raise RefundActionError(
            f"refund {refund_id}: the 還付加算金 of an appropriated part is not computed yet "
            "(see GET /overpayments/{id}); release the overpayment once it can be"
        )
    carried = [p for p in await repo.interest_parts_of(refund_id) if p["status"] == "in_refund"]
    try:
        own = await interest.fix_refunded_part(repo, overpayment, refund, decided_on, claim, today)
    except LawError as exc:  # e.g. no rate yet for the year, a missing date the cause needs
        raise RefundActionError(f"refund {refund_id}: {exc}") from None
    lines = [*carried, *([_part(own)] if own else [])]
    total = sum(p["interest"] for p in lines)
    start = min((p["start"] for p in lines), default=None)
    await repo.update_refund(
        refund_id,
        status=RefundStatus.APPROVED,
        approved_by=user,
        decided_on=decided_on,
        refund_interest=total,
        interest_start=start,
    )
    await repo.add_notice(
        notice_id=new_id(),
        addressee_id=refund["addressee_id"],
        kind="refund_decided",
        reference=refund_id,
        overpayment_id=refund["overpayment_id"],
        amount=refund["amount"] + total,
        issued_on=today,
        created_at=datetime.now(UTC),
    )
    await uow.publish(
        refunds_msgs.RefundDecided(
            refund_id=refund_id,
            overpayment_id=refund["overpayment_id"],
            addressee_id=refund["addressee_id"],
            amount=refund["amount"],
            refund_interest=total,
            decided_on=decided_on,
        ),
    )
    return {
        "refund_id": refund_id,
        "status": "approved",
        "amount": refund["amount"],
        "refund_interest": total,
        "interest_start": start,
        "decided_on": decided_on,
        "prepared_by": refund["prepared_by"],
        "approved_by": user,
        "lines": [_line_json(p) for p in lines],
    }


def _part(line) -> dict:
    return {
        "kind": line.kind,
        "base_amount": line.amount,
        "start": line.start,
        "end": line.end,
        "interest": line.interest,
        "segments": list(line.segments),
        "legal_basis": line.legal_basis,
    }


def _line_json(part: dict) -> dict:
    keys = ("kind", "base_amount", "start", "end", "interest", "segments", "legal_basis")
    return {k: part[k] for k in keys}


async def expire_unclaimed(uow: UnitOfWork) -> int:
    """法18条の3: a refund not paid within 5 years of when it could first be claimed (the day the
    overpayment arose, restarted by each 還付通知書/充当通知書) lapses; recorded with a notice."""
    repo = RefundsRepository(uow.session)
    today = uow.today()
    candidates = await repo.unpaid_refunds()
    expired = 0
    for refund in candidates:
        overpayment = await repo.overpayment(refund["overpayment_id"])
        if not has_lapsed(
            today, overpayment["arose_on"], await repo.acknowledgements(refund["overpayment_id"])
        ):
            continue
        await repo.update_refund(refund["refund_id"], status=RefundStatus.EXPIRED, closed_on=today)
        await repo.add_notice(
            notice_id=new_id(),
            addressee_id=refund["addressee_id"],
            kind="expired",
            reference=refund["refund_id"],
            overpayment_id=refund["overpayment_id"],
            amount=refund["amount"],
            issued_on=today,
            created_at=datetime.now(UTC),
        )
        expired += 1
    return expired


async def release_hold(overpayment_id: str, uow: UnitOfWork) -> dict:
    """A person looked at money held after a 充当 refusal (or recomputed its interest): settle it again."""
    repo = RefundsRepository(uow.session)
    overpayment = await repo.overpayment(overpayment_id, lock=True)
    if overpayment is None:
        raise RefundActionError(f"unknown overpayment {overpayment_id}")
    await repo.update_overpayment(overpayment_id, hold_reason=None)
    left = await interest.recompute(repo, overpayment_id)
    await settle(overpayment_id, uow, uow.today())
    return {"overpayment_id": overpayment_id, "released": True, "interest_uncomputed": left}


async def get_refund(repo, refund_id: str, *, lock: bool = False):
    refund = await repo.refund(refund_id, lock=lock)
    if refund is None:
        raise RefundActionError(f"unknown refund {refund_id}")
    return refund
