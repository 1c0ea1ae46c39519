"""What receipts holds about one 宛名番号, for a 開示請求 (osame_chassis.disclosure): its notices with
their 期別, 調定 history, receipts (with 収納訂正 and 証券), overpayments and 充当, 口座振替 mandates,
requests and 不能通知, its 宛名 copy, 名寄せ records naming it, and the access log."""

from __future__ import annotations

from osame_chassis.disclosure import Source

from osame_receipts.adapters import orm

NOTICES = Source(orm.notices, title="通知書 (notices)")
RECEIPTS = Source(orm.receipts, "notice_number", via=(NOTICES, "notice_number"), title="収納 (receipts)")
MANDATES = Source(orm.mandates, title="口座振替 mandates")

SOURCES = [
    NOTICES,
    Source(orm.installments, "notice_number", via=(NOTICES, "notice_number"), title="期別 (installments)"),
    Source(orm.assessment_history, "notice_number", via=(NOTICES, "notice_number"), title="調定 history"),
    RECEIPTS,
    Source(orm.receipt_corrections, "receipt_id", via=(RECEIPTS, "receipt_id"), title="収納訂正"),
    Source(orm.security_instruments, "receipt_id", via=(RECEIPTS, "receipt_id"), title="証券"),
    Source(orm.overpayments, title="過誤納金 (overpayments)"),
    Source(orm.appropriations, title="充当 (appropriations)"),
    MANDATES,
    Source(orm.debit_requests, "mandate_id", via=(MANDATES, "mandate_id"), title="口座振替 requests"),
    Source(orm.debit_failures, title="口座振替 不能通知"),
    Source(orm.addressees, title="宛名 copy"),
    Source(orm.addressee_merges, "merged_addressee_id", title="名寄せ (as the merged 宛名番号)"),
    Source(orm.audit_log, omit=("prev_hash", "entry_hash"), title="access log (who looked, when)"),
]
