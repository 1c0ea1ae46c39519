"""保存期間 of what refunds holds, as retention rules (issue 13); run by `POST /ops/retention`.

An overpayment (過誤納金) goes with everything about it (充当 and their items, 還付 decisions and
transfer results, 還付加算金 parts, withdrawals, recovery claims, letters) only when it is settled
and quiet: status appropriated, closed or withdrawn; no refund of it still in flight (pending,
approved, in payout, failed), no recovery claim open, no 還付加算金 part owed or uncomputed; and no
date of it or of those records within the period. A held overpayment never goes: money not yet
applied stays visible.

| record | kept after | setting (default) | legal basis / need |
|---|---|---|---|
| overpayment and its records (above) | its last date | `OSAME_RETENTION_REFUND_YEARS` (5) | 地方税法 §18の3① (還付請求権 5 years); 文書管理規程 may keep longer (UNCONFIRMED [L]) |
| 総合振込 payout files | `created_at` | `OSAME_RETENTION_PAYOUT_FILE_YEARS` (5) | 支出の証拠書類 (地方自治法施行令 §170の2 et seq.; period per 文書管理規程, UNCONFIRMED); never while a refund names the batch |
| payee accounts (還付口座) | `claimed_on` | `OSAME_RETENTION_REFUND_YEARS` | 個人情報保護法 §61②: only while an overpayment of the person remains |
"""

from __future__ import annotations

from osame_chassis.retention import Child, RetentionPeriods, Rule, years
from pydantic import Field
from sqlalchemy import exists, select

from osame_refunds.adapters import orm
from osame_refunds.domain.overpayment import OverpaymentStatus, RefundStatus

SETTLED = (OverpaymentStatus.APPROPRIATED, OverpaymentStatus.CLOSED, OverpaymentStatus.WITHDRAWN)
REFUND_DONE = (RefundStatus.PAID, RefundStatus.EXPIRED, RefundStatus.CANCELLED)


class RefundsRetention(RetentionPeriods):
    refund_years: int = Field(
        default=5,
        ge=5,
        description="OSAME_RETENTION_REFUND_YEARS: a settled overpayment and its records kept this long after "
        "their last date (地方税法 §18の3: 5-year 時効; at least 5)",
    )
    payout_file_years: int = Field(
        default=5, ge=1, description="OSAME_RETENTION_PAYOUT_FILE_YEARS: a 総合振込 file kept (証拠書類)"
    )


def _settled_and_quiet(cutoff):
    o, r, a, w, c, p = (
        orm.overpayments,
        orm.refunds,
        orm.appropriations,
        orm.withdrawals,
        orm.recovery_claims,
        orm.refund_interest_parts,
    )
    day = cutoff.date()
    mine = lambda t: t.c.overpayment_id == o.c.overpayment_id  # noqa: E731
    return (
        o.c.status.in_(SETTLED)
        & (o.c.arose_on < day)
        & (o.c.registered_at < cutoff)
        & ~exists(
            select(r.c.refund_id).where(
                mine(r),
                r.c.status.not_in(REFUND_DONE)
                | (r.c.created_on >= day)
                | (r.c.decided_on >= day)
                | (r.c.closed_on >= day),
            )
        )
        & ~exists(select(a.c.appropriation_id).where(mine(a), a.c.decided_at >= cutoff))
        & ~exists(select(w.c.withdrawal_id).where(mine(w), w.c.received_at >= cutoff))
        & ~exists(select(c.c.claim_id).where(mine(c), (c.c.status == "open") | (c.c.opened_on >= day)))
        & ~exists(select(p.c.part_id).where(mine(p), p.c.status.in_(("owed", "uncomputed"))))
    )


def rules(periods: RefundsRetention | None = None) -> list[Rule]:
    p = periods or RefundsRetention()
    period = years(p.refund_years)
    b, acc, o, r = orm.payout_batches, orm.payee_accounts, orm.overpayments, orm.refunds
    children = (
        Child(
            orm.appropriations,
            "overpayment_id",
            "overpayment_id",
            children=(Child(orm.appropriation_items, "appropriation_id", "appropriation_id"),),
        ),
        Child(orm.refund_interest_parts, "overpayment_id", "overpayment_id"),
        Child(
            r,
            "overpayment_id",
            "overpayment_id",
            children=(Child(orm.transfer_results, "refund_id", "refund_id"),),
        ),
        Child(orm.withdrawals, "overpayment_id", "overpayment_id"),
        Child(orm.recovery_claims, "overpayment_id", "overpayment_id"),
        Child(orm.taxpayer_notices, "overpayment_id", "overpayment_id"),
    )
    return [
        Rule(
            o,
            None,
            period,
            "地方税法 §18の3: 5-year 時効; settled and quiet overpayments only",
            where=_settled_and_quiet,
            children=children,
        ),
        Rule(
            b,
            "created_at",
            years(p.payout_file_years),
            "支出の証拠書類 (文書管理規程, UNCONFIRMED); unused files only",
            where=lambda _c: ~exists(select(r.c.refund_id).where(r.c.payout_batch_id == b.c.batch_id)),
        ),
        Rule(
            acc,
            "claimed_on",
            period,
            "個人情報保護法 §61②: no overpayment of the person left",
            where=lambda _c: (
                ~exists(select(o.c.overpayment_id).where(o.c.addressee_id == acc.c.addressee_id))
            ),
        ),
    ]
