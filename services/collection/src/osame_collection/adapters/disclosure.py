"""What collection holds about one 宛名番号, for a 開示請求 (osame_chassis.disclosure): the 宛名 copy
and 送付先, every record of the 滞納 file, and the audit trail entries naming the person.

The 財産調査 answers are included as held; whether a part is withheld (個人情報保護法 §78①七: 滞納
処分 work would be hindered) is the disclosure officer's decision on the export, not this list's."""

from __future__ import annotations

from osame_chassis.disclosure import Source

from osame_collection.adapters import orm

INSTALLMENTS = Source(orm.installments, title="期別 (installments owed)")
REMINDERS = Source(orm.reminders, title="催告 (reminders)")
PLEDGES = Source(orm.pledges, title="分納誓約 (pledges)")
POSTPONEMENTS = Source(orm.postponements, title="猶予 (postponements)")

SOURCES = [
    Source(orm.addressees, title="宛名 copy"),
    Source(orm.mailing_overrides, title="送付先 overrides"),
    Source(orm.addressee_merges, "merged_addressee_id", title="名寄せ (as the merged 宛名番号)"),
    Source(orm.cases, title="case"),
    INSTALLMENTS,
    Source(orm.limitation_events, "notice_number", via=(INSTALLMENTS, "notice_number"), title="時効 events"),
    Source(orm.demand_notices, title="督促 (demand notices)"),
    REMINDERS,
    Source(orm.reminder_items, "reminder_id", via=(REMINDERS, "reminder_id"), title="催告 items"),
    Source(orm.contact_records, title="折衝記録 (contact records)"),
    PLEDGES,
    Source(orm.pledge_items, "pledge_id", via=(PLEDGES, "pledge_id"), title="分納誓約 items"),
    Source(orm.pledge_payments, "pledge_id", via=(PLEDGES, "pledge_id"), title="分納誓約 payments"),
    Source(orm.dispositions, title="処分 (seizures, claims, releases)"),
    Source(orm.enforcement_stays, title="執行停止 (enforcement stays)"),
    POSTPONEMENTS,
    Source(
        orm.postponement_items, "postponement_id", via=(POSTPONEMENTS, "postponement_id"), title="猶予 items"
    ),
    Source(
        orm.postponement_payments,
        "postponement_id",
        via=(POSTPONEMENTS, "postponement_id"),
        title="猶予 payments",
    ),
    Source(orm.write_offs, title="不納欠損 (write-offs)"),
    Source(orm.receipts, title="receipts seen"),
    Source(orm.unmatched_receipt_holds, title="receipts held unmatched"),
    Source(orm.asset_inquiries, title="財産調査 (asset inquiries)"),
    Source(orm.inquiry_answers, title="財産調査 answers"),
    Source(orm.refund_watch, title="refund watch"),
    Source(orm.refund_contact_tasks, title="refund contact tasks"),
    Source(orm.audit_log, omit=("prev_hash", "hash"), title="audit trail (who did or looked, when)"),
]
