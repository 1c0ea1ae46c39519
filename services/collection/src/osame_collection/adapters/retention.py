"""保存期間 of collection's 滞納 records, as retention rules (issue 13); run by `POST /ops/retention`.

A person's 滞納 file (期別 copies, 督促・催告, 折衝記録, 分納誓約, 差押 and other 処分, 執行停止,
猶予, 不納欠損, receipts seen, 財産調査 and answers, refund watch, the case) goes only when the
person is dormant here: nothing open (every 期別 paid or 不納欠損, no active 分納誓約 or 猶予, no
unmatched receipt held for them) and nothing dated within the period. An open case never loses a
row, however old.

| record | kept after | setting (default) | legal basis / need |
|---|---|---|---|
| 滞納 file of a dormant person (above) | its last date | `OSAME_RETENTION_DELINQUENCY_YEARS` (5) | 地方税法 §18① (徴収権 5 years from 法定納期限; 不納欠損 §15の7, §18②); the city's 文書管理規程 may keep 滞納処分 records longer (set it; UNCONFIRMED [L]) |
| 宛名 copy (name, address, 送付先) of a person gone | 死亡日 | same | 個人情報保護法 §61② (保有の制限): only when the person is dormant here (their file goes in the same run) |
"""

from __future__ import annotations

from osame_chassis.retention import Child, RetentionPeriods, Rule, years
from pydantic import Field
from sqlalchemy import exists, or_, select

from osame_collection.adapters import orm


class CollectionRetention(RetentionPeriods):
    delinquency_years: int = Field(
        default=5,
        ge=5,
        description="OSAME_RETENTION_DELINQUENCY_YEARS: a dormant person's 滞納 file kept this long after its "
        "last date (地方税法 §18: 5-year 時効; at least 5)",
    )


def dormant(addressee_id, cutoff):
    """Nothing open and nothing dated since `cutoff` for the person `addressee_id` refers to. Each
    table is read through an alias, so the rule on that same table still compares person with person."""
    day = cutoff.date()

    def any_of(table, *conditions):
        t = table.alias()
        return exists(
            select(t.c.addressee_id).where(
                t.c.addressee_id == addressee_id, or_(*(c(t.c) for c in conditions))
            )
        )

    active = or_(
        any_of(
            orm.installments,
            lambda c: (c.status != "paid") & c.written_off_on.is_(None),
            lambda c: c.due_date >= day,
            lambda c: c.last_receipt_on >= day,
            lambda c: c.written_off_on >= day,
            lambda c: c.demand_issued_on >= day,
        ),
        any_of(orm.contact_records, lambda c: c.recorded_at >= cutoff),
        any_of(orm.pledges, lambda c: c.status == "active", lambda c: c.signed_on >= day),
        any_of(orm.dispositions, lambda c: c.executed_on >= day),
        any_of(orm.enforcement_stays, lambda c: c.decided_on >= day),
        any_of(
            orm.postponements, lambda c: c.status.in_(("applied", "approved")), lambda c: c.applied_on >= day
        ),
        any_of(orm.write_offs, lambda c: c.extinguished_on >= day),
        any_of(orm.receipts, lambda c: c.paid_on >= day),
        any_of(orm.unmatched_receipt_holds, lambda c: c.addressee_id.is_not(None)),  # held money: never
        any_of(orm.asset_inquiries, lambda c: c.updated_at >= cutoff),
        any_of(orm.inquiry_answers, lambda c: c.recorded_at >= cutoff),
        any_of(orm.refund_contact_tasks, lambda c: c.status == "open"),
    )
    return ~active


def rules(periods: CollectionRetention | None = None) -> list[Rule]:
    period = years((periods or CollectionRetention()).delinquency_years)
    basis = "地方税法 §18: 5-year 時効; dormant persons only"

    def file_rule(table, children=(), key=None):
        return Rule(
            table,
            None,
            period,
            basis,
            where=lambda cutoff: dormant(table.c.addressee_id, cutoff),
            children=children,
            key=key,
        )

    by_notice = ("notice_number", "notice_number")
    a = orm.addressees
    return [
        file_rule(
            orm.installments,
            children=(
                Child(orm.receipt_marks, *by_notice),
                Child(orm.demand_holds, *by_notice),
                Child(orm.limitation_events, *by_notice),
            ),
            key="notice_number",
        ),
        file_rule(orm.demand_notices),
        file_rule(orm.reminders, children=(Child(orm.reminder_items, "reminder_id", "reminder_id"),)),
        file_rule(orm.contact_records),
        file_rule(
            orm.pledges,
            children=(
                Child(orm.pledge_items, "pledge_id", "pledge_id"),
                Child(orm.pledge_payments, "pledge_id", "pledge_id"),
            ),
        ),
        file_rule(orm.dispositions),
        file_rule(orm.enforcement_stays),
        file_rule(
            orm.postponements,
            children=(
                Child(orm.postponement_items, "postponement_id", "postponement_id"),
                Child(orm.postponement_payments, "postponement_id", "postponement_id"),
            ),
        ),
        file_rule(orm.write_offs),
        file_rule(orm.receipts),
        file_rule(orm.inquiry_answers),
        file_rule(orm.asset_inquiries),
        file_rule(orm.refund_watch),
        file_rule(orm.refund_contact_tasks),
        file_rule(orm.cases),
        Rule(
            a,
            "deceased_on",
            period,
            "個人情報保護法 §61②: a person gone and dormant here",
            where=lambda cutoff: dormant(a.c.addressee_id, cutoff),
            children=(Child(orm.mailing_overrides, "addressee_id", "addressee_id"),),
        ),
    ]
