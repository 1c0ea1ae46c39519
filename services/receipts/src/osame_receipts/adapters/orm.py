"""Receipts' own tables (the plumbing tables come from the chassis)."""

from __future__ import annotations

from osame_chassis.audit import audit_log_table
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

ZERO = text("0")

metadata = MetaData()

# Every staff action through the HTTP API (who, when, what, which 宛名番号): append-only, hash-chained.
audit_log = audit_log_table(metadata)

notices = Table(
    "notices",
    metadata,
    Column("notice_number", String(20), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("tax_item", String(40), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("tax_year", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("ledger_version", Integer, nullable=False),
    Column("vehicle_plate", String(20), nullable=True, index=True),  # 標識番号 (軽自動車税 種別割)
)

installments = Table(
    "installments",
    metadata,
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("principal_tax", Integer, nullable=False),
    Column("statutory_due_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("paid", Integer, nullable=False),  # Σ applied to 本税
    # part of 本税 that is 森林環境税 (collected inside 個人住民税, 森林環境税法7条)
    Column("forest_environment_tax", Integer, nullable=False, server_default=ZERO),
    # 督促手数料 and 延滞金 owed on this installment (fed by collection) and what was applied to them
    Column("demand_fee", Integer, nullable=False, server_default=ZERO),
    Column("demand_fee_paid", Integer, nullable=False, server_default=ZERO),
    Column("late_fee", Integer, nullable=False, server_default=ZERO),
    Column("late_fee_paid", Integer, nullable=False, server_default=ZERO),
    Column("late_fee_version", Integer, nullable=False, server_default=ZERO),  # collection's version
    Column("demand_notice_id", String(36), nullable=True),  # the one 督促 that charged demand_fee
    Column("written_off_on", Date, nullable=True),  # 不納欠損: nothing is owed any more (法18②)
    PrimaryKeyConstraint("notice_number", "installment_no", name="pk_installments"),
)

assessment_history = Table(
    "assessment_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_number", String(20), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("statutory_due_date", Date, nullable=True),
    Column("installment_no", Integer, nullable=False),
    Column("principal_tax", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

receipts = Table(
    "receipts",
    metadata,
    Column("receipt_id", String(36), primary_key=True),
    Column("channel", String(30), nullable=False),
    Column("channel_key", String(64), nullable=False),
    Column("notice_number", String(20), nullable=False, index=True),
    Column("installment_no", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("applied", Integer, nullable=False),  # Σ of the three parts below
    Column("applied_principal_tax", Integer, nullable=False, server_default=ZERO),
    Column("applied_demand_fee", Integer, nullable=False, server_default=ZERO),
    Column("applied_late_fee", Integer, nullable=False, server_default=ZERO),
    Column("overpaid", Integer, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("booked_on", Date, nullable=False),
    Column("preliminary", Boolean, nullable=False),
    Column("matched", Boolean, nullable=False),
    # preliminary (速報) | final | cancelled (速報取消) | reversed (不渡)
    Column("state", String(12), nullable=False, server_default="final"),
    Column("reversed_on", Date, nullable=True),
    Column("batch_id", String(36), nullable=True, index=True),
    Column("raw_record", Text, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "channel_key", name="uq_receipts_channel_key"),
)

overpayments = Table(
    "overpayments",
    metadata,
    Column("overpayment_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("receipt_id", String(36), nullable=True),
    Column("amount", Integer, nullable=False),
    Column("appropriated", Integer, nullable=False, server_default=ZERO),  # Σ 充当 applied from it
    # yen taken back because the money behind it never came (不渡) or moved (収納訂正)
    Column("withdrawn", Integer, nullable=False, server_default=ZERO),
    Column("cause", String(30), nullable=False),
    Column("reason", String(20), nullable=True),
    Column("arose_on", Date, nullable=False),
)

appropriations = Table(
    "appropriations",
    metadata,
    Column("appropriation_id", String(36), primary_key=True),
    Column("overpayment_id", String(36), nullable=False, index=True),
    Column("addressee_id", String(15), nullable=False),
    Column("appropriable_on", Date, nullable=False),
    Column("total", Integer, nullable=False),
    Column("outcome", String(10), nullable=False),  # applied | refused
    Column("reason", String(40), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# The 充当 order as versioned law data (issue #12 B7): from an effective date, with its source; rows
# are never replaced in place (a correction is a new row loaded later: the latest load wins), so the
# table is the history. Default without rows: osame_law.appropriation's order.
law_appropriation_orders = Table(
    "law_appropriation_orders",
    metadata,
    Column("row_id", String(36), primary_key=True),
    Column("effective_from", Date, nullable=False, index=True),
    Column("kind_order", JSON, nullable=False),
    Column("group_order", String(20), nullable=False),
    Column("source", String(300), nullable=False),
    Column("loaded_by", String(64), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

addressees = Table(
    "addressees",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("protected", Boolean, nullable=False),
    Column("deceased_on", Date, nullable=True),
)

# 名寄せ (AddresseesMerged): merged 宛名番号 → its final survivor (chains flattened). The ledger keeps
# the 納税義務者 the 税務システム assessed; this alias says which notices belong to one person.
addressee_merges = Table(
    "addressee_merges",
    metadata,
    Column("merged_addressee_id", String(15), primary_key=True),
    Column("surviving_addressee_id", String(15), nullable=False, index=True),  # final survivor
    Column("named_survivor_id", String(15), nullable=False),  # as the event named it
    Column("unified_addressee_id", String(15), nullable=False),  # 団体内統合宛名番号
    Column("reason", String(30), nullable=False),
    Column("merged_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# ---- channels -------------------------------------------------------------------------------

mandates = Table(
    "mandates",
    metadata,
    Column("mandate_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("tax_item", String(40), nullable=False),
    Column("bank_code", String(4), nullable=False),
    Column("branch_code", String(3), nullable=False),
    Column("account_type", String(1), nullable=False),
    Column("account_number", String(7), nullable=False),
    Column("holder_kana", String(30), nullable=False),  # 預金者名, half-width kana as sent to the bank
    Column("applied_on", Date, nullable=False),  # 申込日
    Column("starts_on", Date, nullable=False),  # 開始日
    Column("cancelled_on", Date, nullable=True),  # 解約日
    Column("stop_reason", String(20), nullable=True),  # 停止事由 (result code 3/4/8 or operator reason)
    Column("stopped_on", Date, nullable=True),
    Column("first_debit_done", Boolean, nullable=False, server_default="0"),  # 新規コード 1 until then
    UniqueConstraint("addressee_id", "tax_item", "starts_on", name="uq_mandates_addressee_item_start"),
)

debit_requests = Table(
    "debit_requests",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("debit_date", Date, nullable=False),
    Column("customer_number", String(20), nullable=False),  # 顧客番号 in the 全銀 record
    Column("mandate_id", String(36), nullable=False),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("result_code", String(1), nullable=True),
    Column("receipt_id", String(36), nullable=True),
    UniqueConstraint("debit_date", "customer_number", name="uq_debit_requests_date_customer"),
)

debit_failures = Table(  # 不能通知: one per failed debit, for the taxpayer letter
    "debit_failures",
    metadata,
    Column("failure_id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, unique=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("debit_date", Date, nullable=False),
    Column("result_code", String(1), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("letter_status", String(10), nullable=False, server_default="pending"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("channel", String(30), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("records", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("unmatched", Integer, nullable=False),
    Column("invalid", Integer, nullable=False),
    Column("held", Integer, nullable=False, server_default=ZERO),  # records put on the suspense list
    Column("held_yen", Integer, nullable=False, server_default=ZERO),
    # 日計: the file's own money total (trailer; 全銀: 振替済金額; コンビニ: 02 records) and the yen of
    # its records already recorded before (duplicates); None when an amount was unreadable
    Column("paid_yen", Integer, nullable=True),
    Column("duplicate_yen", Integer, nullable=False, server_default=ZERO),
    Column("status", String(10), nullable=False),  # applied | refused | held
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

import_errors = Table(
    "import_errors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(36), nullable=False, index=True),
    Column("record_no", Integer, nullable=False),
    Column("field", String(40), nullable=False),
    Column("message", String(200), nullable=False),
)

security_instruments = Table(  # 証券 (checks) received at the counter
    "security_instruments",
    metadata,
    Column("instrument_id", String(36), primary_key=True),
    Column("receipt_id", String(36), nullable=False, unique=True),
    Column("instrument_number", String(20), nullable=False),
    Column("drawee_bank_code", String(4), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("status", String(12), nullable=False),  # received | cleared | dishonoured
    Column("settled_on", Date, nullable=True),
)

# 保留 / 未確認入金: money a file or channel reported that could not be validated or matched to the
# request it answers (unknown bank code on a paid record, unreadable amount, bad check digit,
# implausible date, another 委託者 or 振替日, amount differing from the request). Held and visible
# until a clerk resolves it (assign → a receipt) or returns it; never dropped, never applied silently.
suspense_items = Table(
    "suspense_items",
    metadata,
    Column("suspense_id", String(36), primary_key=True),
    Column("batch_id", String(36), nullable=True, index=True),
    Column("channel", String(30), nullable=False),
    Column("file_name", String(255), nullable=True),
    Column("record_no", Integer, nullable=True),
    Column("field", String(40), nullable=False),
    Column("reason", String(200), nullable=False),  # located message, never a field value
    Column("amount", Integer, nullable=True),  # None: unreadable and not derivable from the trailer
    Column("paid_on", Date, nullable=True),
    Column("booked_on", Date, nullable=True),
    Column("notice_number", String(20), nullable=True),
    Column("installment_no", Integer, nullable=True),
    Column("status", String(10), nullable=False),  # held | resolved | returned
    Column("receipt_id", String(36), nullable=True),  # the receipt made when resolved
    Column("resolved_by", String(64), nullable=True),  # staff (token subject)
    Column("resolved_on", Date, nullable=True),
    Column("note", String(200), nullable=True),
    # SHA-256 of the channel and the record as received: the same record re-sent is held once
    Column("source_key", String(64), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "source_key", name="uq_suspense_items_channel_source"),
)


# 収納訂正: a proposed reversal or move of a receipt, decided by a second staff member.
receipt_corrections = Table(
    "receipt_corrections",
    metadata,
    Column("correction_id", String(36), primary_key=True),
    Column("receipt_id", String(36), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # reverse | move
    Column("target_notice_number", String(20), nullable=True),
    Column("target_installment_no", Integer, nullable=True),
    Column("reason", String(200), nullable=False),
    Column("status", String(10), nullable=False),  # pending | approved | rejected
    Column("proposed_by", String(64), nullable=False),  # staff (token subject)
    Column("proposed_on", Date, nullable=False),  # business date
    Column("decided_by", String(64), nullable=True),
    Column("decided_on", Date, nullable=True),
    Column("decision_note", String(200), nullable=True),
    Column("new_receipt_id", String(36), nullable=True),  # the receipt made on the target (move)
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


# ---- 給与特別徴収 (issue 15): the 義務者's accounts; employee-months live in notices/installments ------

# One per (指定番号, 年度): the 特別徴収義務者 (payer of every employee-month) and its 納入 schedule.
withholding_accounts = Table(
    "withholding_accounts",
    metadata,
    Column("designation_number", String(20), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("obligor_addressee_id", String(15), nullable=False, index=True),
    Column("remittance_schedule", String(12), nullable=False),  # monthly | semiannual (納期の特例)
    Column("special_approved_on", Date, nullable=True),
    Column("notified_on", Date, nullable=False),  # latest 決定/変更通知 that set the schedule
    PrimaryKeyConstraint("designation_number", "fiscal_year", name="pk_withholding_accounts"),
)

# One per employee 通知書番号: its account, the employee (for 特徴個人還付 / 普通徴収 switch), revision.
withholding_employees = Table(
    "withholding_employees",
    metadata,
    Column("notice_number", String(20), primary_key=True),
    Column("designation_number", String(20), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("addressee_id", String(15), nullable=False),  # the employee (not the payer)
    Column("revision", Integer, nullable=False),
    Column("separated_month", String(7), nullable=True),  # last 徴収月 withheld here (異動)
)

# One per 納入 (a 納入書 or an eLTAX payment): the money as the 義務者 declared it.
withholding_payments = Table(
    "withholding_payments",
    metadata,
    Column("payment_id", String(36), primary_key=True),
    Column("channel", String(30), nullable=False),
    Column("channel_key", String(64), nullable=False),
    Column("batch_id", String(36), nullable=True, index=True),
    Column("designation_number", String(20), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("month", String(7), nullable=False),  # 徴収月 of the 納入書 (YYYY-MM)
    Column("salary_amount", Integer, nullable=False),
    Column("retirement_amount", Integer, nullable=False),
    Column("late_fee", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("headcount", Integer, nullable=True),
    Column("listed", Boolean, nullable=False),  # with an eLTAX per-employee listing
    Column("paid_on", Date, nullable=False),
    Column("booked_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "channel_key", name="uq_withholding_payments_channel_key"),
)

# The split of a 納入 over employee-months, in fill order (seq); each line is one receipt.
withholding_allocations = Table(
    "withholding_allocations",
    metadata,
    Column("payment_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("notice_number", String(20), nullable=False, index=True),
    Column("installment_no", Integer, nullable=False),
    Column("receipt_id", String(36), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("overpaid", Integer, nullable=False),
    Column("listed", Boolean, nullable=False),
    PrimaryKeyConstraint("payment_id", "seq", name="pk_withholding_allocations"),
)
