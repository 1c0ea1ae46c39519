"""保存期間 of what receipts holds, as retention rules (issue 13); run by `POST /ops/retention`.

A 通知書 (notice) and everything hanging on it (期別, 調定 history, receipts with their 収納訂正 and
証券, overpayments with their 充当, 口座振替 requests and 不能通知) go together, and only when the
notice is closed and quiet: nothing owed on any 期別 (paid, or 不納欠損 — 地方税法 §18②), and no 納期限,
収入日, 過誤納 or 振替日 within the period. An open notice never goes, however old.

| record | kept after | setting (default) | legal basis / need |
|---|---|---|---|
| notice ledger (above) | its last 納期限 / 収入日 / 過誤納 / 振替日 | `OSAME_RETENTION_LEDGER_YEARS` (5) | 地方税法 §18① (徴収権 5 years) and §18の3① (還付請求権 5 years); the city's 文書管理規程 may keep 収納簿 longer (set it; UNCONFIRMED [L]) |
| 口座振替 mandates | 解約日 / 停止日 | `OSAME_RETENTION_MANDATE_YEARS` (5) | 口座振替依頼書: city 文書管理規程 (UNCONFIRMED [L]); an active mandate never goes |
| import batches + errors | `imported_at` | `OSAME_RETENTION_IMPORT_YEARS` (5) | 収納 data files as 証拠書類 (地方自治法施行令 §160の2 et seq., period per 文書管理規程, UNCONFIRMED); never while a receipt or a held suspense item names the batch |
| suspense items resolved/returned | `recorded_at` | `OSAME_RETENTION_LEDGER_YEARS` | as the ledger; a held item (money not applied) never goes |
| 宛名 copy of a person gone | 死亡日 (`deceased_on`) | `OSAME_RETENTION_LEDGER_YEARS` | 個人情報保護法 §61② (保有の制限): nothing left to collect; only once no notice or mandate that stays names them (what goes in the same run does not count) |
"""

from __future__ import annotations

from osame_chassis.retention import Child, RetentionPeriods, Rule, years
from pydantic import Field
from sqlalchemy import exists, func, or_, select

from osame_receipts.adapters import orm


class ReceiptsRetention(RetentionPeriods):
    ledger_years: int = Field(
        default=5,
        ge=5,
        description="OSAME_RETENTION_LEDGER_YEARS: a closed notice's ledger kept this long after its last "
        "activity (地方税法 §18 / §18の3: 5-year 時効; at least 5)",
    )
    mandate_years: int = Field(
        default=5,
        ge=1,
        description="OSAME_RETENTION_MANDATE_YEARS: a cancelled/stopped 口座振替 mandate kept",
    )
    import_years: int = Field(
        default=5, ge=1, description="OSAME_RETENTION_IMPORT_YEARS: an import batch and its errors kept"
    )


def _quiet_closed_notice(cutoff, n=orm.notices):
    """The notice owes nothing and saw no activity since `cutoff` (a date bound for date columns)."""
    i, r, o, d = orm.installments, orm.receipts, orm.overpayments, orm.debit_requests
    day = cutoff.date()
    owed = (
        (i.c.paid < i.c.principal_tax)
        | (i.c.demand_fee_paid < i.c.demand_fee)
        | (i.c.late_fee_paid < i.c.late_fee)
    )
    open_or_recent = exists(
        select(i.c.notice_number).where(
            i.c.notice_number == n.c.notice_number,
            or_(i.c.written_off_on.is_(None) & owed, i.c.due_date >= day),
        )
    )
    return (
        ~open_or_recent
        & ~exists(select(r.c.receipt_id).where(r.c.notice_number == n.c.notice_number, r.c.booked_on >= day))
        & ~exists(
            select(o.c.overpayment_id).where(o.c.notice_number == n.c.notice_number, o.c.arose_on >= day)
        )
        & ~exists(select(d.c.request_id).where(d.c.notice_number == n.c.notice_number, d.c.debit_date >= day))
    )


def rules(periods: ReceiptsRetention | None = None) -> list[Rule]:
    p = periods or ReceiptsRetention()
    ledger = years(p.ledger_years)
    m, b, s, a = orm.mandates, orm.import_batches, orm.suspense_items, orm.addressees
    notice_children = (
        Child(orm.installments, "notice_number", "notice_number"),
        Child(orm.assessment_history, "notice_number", "notice_number"),
        Child(
            orm.receipts,
            "notice_number",
            "notice_number",
            children=(
                Child(orm.receipt_corrections, "receipt_id", "receipt_id"),
                Child(orm.security_instruments, "receipt_id", "receipt_id"),
            ),
        ),
        Child(
            orm.overpayments,
            "notice_number",
            "notice_number",
            children=(Child(orm.appropriations, "overpayment_id", "overpayment_id"),),
        ),
        Child(orm.debit_requests, "notice_number", "notice_number"),
        Child(orm.debit_failures, "notice_number", "notice_number"),
    )
    batch_in_use = exists(
        select(orm.receipts.c.receipt_id).where(orm.receipts.c.batch_id == b.c.batch_id)
    ) | exists(select(s.c.suspense_id).where(s.c.batch_id == b.c.batch_id, s.c.status == "held"))

    def still_named(cutoff):  # what stays after this same run names the person
        n2 = orm.notices.alias()
        ended = func.coalesce(m.c.cancelled_on, m.c.stopped_on) < cutoff.date()
        return exists(
            select(n2.c.notice_number).where(
                n2.c.addressee_id == a.c.addressee_id, ~_quiet_closed_notice(cutoff, n2)
            )
        ) | exists(select(m.c.mandate_id).where(m.c.addressee_id == a.c.addressee_id, ~ended))

    return [
        Rule(
            orm.notices,
            None,
            ledger,
            "地方税法 §18/§18の3: 5-year 時効; closed and quiet notices only",
            where=_quiet_closed_notice,
            children=notice_children,
        ),
        Rule(
            m,
            None,
            years(p.mandate_years),
            "口座振替依頼書 (文書管理規程, UNCONFIRMED); ended mandates only",
            where=lambda cutoff: func.coalesce(m.c.cancelled_on, m.c.stopped_on) < cutoff.date(),
        ),
        Rule(
            s,
            "recorded_at",
            ledger,
            "as the ledger; held items (money not applied) never go",
            where=lambda _cutoff: s.c.status != "held",
        ),
        Rule(
            b,
            "imported_at",
            years(p.import_years),
            "収納 files as 証拠書類 (文書管理規程, UNCONFIRMED)",
            where=lambda _cutoff: ~batch_in_use,
            children=(Child(orm.import_errors, "batch_id", "batch_id"),),
        ),
        Rule(
            a,
            "deceased_on",
            ledger,
            "個人情報保護法 §61②: a person gone, nothing left",
            where=lambda cutoff: ~still_named(cutoff),
        ),
    ]
