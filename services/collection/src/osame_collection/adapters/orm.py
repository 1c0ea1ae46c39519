"""Collection's own tables: the installment projection, the addressee copy, asset inquiries, and the
delinquency work (督促, 延滞金, 催告, 折衝記録, 分納誓約, 財産調査, 処分, 執行停止, 時効, 不納欠損, audit)."""

from __future__ import annotations

from osame_chassis.audit import AuditLog, audit_log_table
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

_UNDUNNED = "status = 'open' AND demand_issued_on IS NULL AND written_off_on IS NULL"

installments = Table(
    "installments",
    metadata,
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("tax_item", String(40), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("principal_tax", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("paid", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # open | charges | paid (domain.projection)
    Column("last_receipt_on", Date, nullable=True),
    Column("ledger_version", Integer, nullable=False),
    # 督促 / 延滞金 / 不納欠損 state (the nightly batch updates these set-based).
    Column("demand_issued_on", Date, nullable=True),  # 督促状 発付日
    Column("demand_fee", Integer, nullable=False, server_default="0"),  # 督促手数料
    Column("earliest_seizure_on", Date, nullable=True),
    Column("late_fee", Integer, nullable=False, server_default="0"),  # 延滞金 accrued to late_fee_on
    Column("late_fee_on", Date, nullable=True),
    Column("late_fee_version", Integer, nullable=False, server_default="0"),
    Column("written_off_on", Date, nullable=True),  # 不納欠損
    Column("write_off_cause", String(30), nullable=True),
    PrimaryKeyConstraint("notice_number", "installment_no", name="pk_collection_installments"),
    Index("ix_collection_installments_due", "status", "due_date"),
    # 督促 candidates of the nightly batch (open, never dunned, not written off), by 納期限: the
    # batch finds them without scanning every installment (batch_sql.candidate_condition).
    Index(
        "ix_collection_installments_undunned",
        "due_date",
        postgresql_where=text(_UNDUNNED),
        sqlite_where=text(_UNDUNNED),
    ),
)

addressees = Table(
    "addressees",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("name_kana", String(200), nullable=False),
    Column("postal_code", String(8), nullable=False),
    Column("address", String(200), nullable=False),
    Column("protected", Boolean, nullable=False),
    Column("deceased_on", Date, nullable=True),
    # Birth date for the F12 seizure match, once address-sync publishes it (not yet on the bus).
    Column("birth_date", Date, nullable=True),
)

# 送付先 override per 税目 (AddresseeChangedV2.mailing_overrides): letters go here when present.
mailing_overrides = Table(
    "mailing_overrides",
    metadata,
    Column("addressee_id", String(15), nullable=False),
    Column("tax_item", String(40), nullable=False),
    Column("recipient", String(100), nullable=False),
    Column("postal_code", String(8), nullable=False),
    Column("address", String(200), nullable=False),
    PrimaryKeyConstraint("addressee_id", "tax_item", name="pk_mailing_overrides"),
)

# 名寄せ (AddresseesMerged): each merged 宛名番号 → its final survivor (chains flattened). The merged
# addressee's case file is moved to the survivor; what names it later is filed under the survivor.
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

# The latest 領収日 per installment, kept even before the installment itself is known
# (a ReceiptRecorded may overtake its AssessmentRecorded).
receipt_marks = Table(
    "receipt_marks",
    metadata,
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("last_receipt_on", Date, nullable=False),
    PrimaryKeyConstraint("notice_number", "installment_no", name="pk_receipt_marks"),
)

asset_inquiries = Table(
    "asset_inquiries",
    metadata,
    Column("query_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("reason", String(200), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(20), nullable=True),  # bank | employer | real_estate | income
    Column("requested_on", Date, nullable=True),
    Column("detail", JSON, nullable=True),
    Column("staff_user", String(64), nullable=True),
)

# 財産調査 answers (bank, employer): the holder as the answer gives them — personal data, kept here
# only (never logged, never in the audit detail) — the property, and the F12 match made on receipt.
inquiry_answers = Table(
    "inquiry_answers",
    metadata,
    Column("answer_id", String(36), primary_key=True),
    Column("query_id", String(36), nullable=False, index=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # bank | employer
    Column("answered_on", Date, nullable=False),
    Column("holder_name", String(100), nullable=False, server_default=""),
    Column("holder_name_kana", String(200), nullable=False, server_default=""),
    Column("holder_birth_date", Date, nullable=True),
    Column("holder_address", String(200), nullable=False, server_default=""),
    Column("property", JSON, nullable=False),  # bank: code, branch, account type, balance; employer: …
    Column("match", String(30), nullable=False),  # domain.seizure.MatchResult at receipt
    Column("staff_user", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Every receipt seen for an installment (ReceiptRecorded): partial payments lower the 延滞金 base;
# a 速報 not yet confirmed by its 確報 (or cancelled) holds back the 督促.
receipts = Table(
    "receipts",
    metadata,
    Column("receipt_id", String(36), primary_key=True),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("paid_on", Date, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("preliminary", Boolean, nullable=False),  # True while only the 速報 is known
    Column("cancelled", Boolean, nullable=False),
    Index("ix_collection_receipts_installment", "notice_number", "installment_no"),
)

# 督促停止: installments the batch must not dun (pending 充当, staff hold, ...).
demand_holds = Table(
    "demand_holds",
    metadata,
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False),
    Column("staff_user", String(64), nullable=True),  # who placed it (system for automatic holds)
    Column("note", Text, nullable=True),  # why (staff holds)
    PrimaryKeyConstraint("notice_number", "installment_no", "reason", name="pk_demand_holds"),
)

# 消込不能: a receipt that named this notice but matched none of its 期別 (receipts'
# ReceiptsUnmatched); the notice's installments are not dunned until the receipt is assigned.
unmatched_receipt_holds = Table(
    "unmatched_receipt_holds",
    metadata,
    Column("receipt_id", String(36), primary_key=True),
    Column("notice_number", String(20), nullable=False, index=True),
    Column("addressee_id", String(15), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False),
)

batches = Table(
    "batches",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),  # nightly | campaign
    Column("run_on", Date, nullable=False),
    Column("campaign_id", String(36), nullable=True),
    Column("status", String(20), nullable=False),  # running | done | failed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("processed", Integer, nullable=False, server_default="0"),
    Column("summary", JSON, nullable=True),
    Column("staff_user", String(64), nullable=False),
)

demand_notices = Table(
    "demand_notices",
    metadata,
    Column("demand_notice_id", String(36), primary_key=True),
    Column("batch_id", String(36), nullable=False, index=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("demand_fee", Integer, nullable=False),
    Column("principal_tax_due", Integer, nullable=False),
    Column("late_fee_accrued", Integer, nullable=False),
    Column("earliest_seizure_on", Date, nullable=True),  # null while the letter is held
    # 督促状 not mailed (支援措置, deceased, no address): no legal effect until served (issue #12 defect 7)
    Column("held_reason", String(30), nullable=True),
    Column("served_on", Date, nullable=True),  # the day it was served (mailed: issued_on)
    UniqueConstraint("notice_number", "installment_no", name="uq_demand_notice_installment"),
)

# 催告 (reminder letters): one per addressee per batch; items are the installments it names.
reminders = Table(
    "reminders",
    metadata,
    Column("reminder_id", String(36), primary_key=True),
    Column("batch_id", String(36), nullable=True, index=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("issued_on", Date, nullable=False),
    Column("reason", String(20), nullable=False),  # campaign | pledge_breach
    Column("campaign_id", String(36), nullable=True),
    Column("pledge_id", String(36), nullable=True),
    Column("total_due", Integer, nullable=False),
)

reminder_items = Table(
    "reminder_items",
    metadata,
    Column("reminder_id", String(36), nullable=False),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("principal_tax_due", Integer, nullable=False),
    Column("late_fee_accrued", Integer, nullable=False),
    # 督促手数料 still owed on the 催告 day (0 once paid)
    Column("demand_fee_due", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("reminder_id", "notice_number", "installment_no", name="pk_reminder_items"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("campaign_id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("criteria", JSON, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A delinquency case per addressee: who works it (担当者).
cases = Table(
    "cases",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("assignee", String(64), nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
)

contact_records = Table(
    "contact_records",
    metadata,
    Column("contact_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("contacted_on", Date, nullable=False),
    Column("channel", String(20), nullable=False),  # phone | visit | counter | letter
    Column("summary", Text, nullable=False),
    Column("staff_user", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # 次回対応: what the 担当 does next and when (the "next actions due" worklist)
    Column("next_action_on", Date, nullable=True),
    Column("next_action", String(40), nullable=True),
)

pledges = Table(
    "pledges",
    metadata,
    Column("pledge_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("signed_on", Date, nullable=False),
    Column("grace_days", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # active | breached | completed | cancelled
    Column("breached_on", Date, nullable=True),
    Column("staff_user", String(64), nullable=False),
)

# The 期別 a 分納誓約 covers (a pledge signed before this table covers every installment of its
# addressee: ``adapters.batch_sql.pledged``).
pledge_items = Table(
    "pledge_items",
    metadata,
    Column("pledge_id", String(36), nullable=False),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    PrimaryKeyConstraint("pledge_id", "notice_number", "installment_no", name="pk_pledge_items"),
    Index("ix_pledge_items_installment", "notice_number", "installment_no"),
)

pledge_payments = Table(
    "pledge_payments",
    metadata,
    Column("pledge_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("amount", Integer, nullable=False),
    PrimaryKeyConstraint("pledge_id", "seq", name="pk_pledge_payments"),
)

dispositions = Table(
    "dispositions",
    metadata,
    Column("disposition_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column(
        "kind", String(20), nullable=False
    ),  # seizure | claim_filing | joint_seizure | distribution | release
    Column("property_type", String(20), nullable=True),
    Column("executed_on", Date, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("protected_amount", Integer, nullable=False, server_default="0"),
    Column("related_id", String(36), nullable=True),  # the seizure a release/distribution refers to
    Column("installments", JSON, nullable=False),  # [[notice_number, installment_no], ...]
    Column("detail", JSON, nullable=True),
    Column("staff_user", String(64), nullable=False),
)

enforcement_stays = Table(
    "enforcement_stays",
    metadata,
    Column("stay_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("ground", String(30), nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("cancelled_on", Date, nullable=True),
    Column("immediate_extinction", Boolean, nullable=False),
    Column("installments", JSON, nullable=False),
    Column("staff_user", String(64), nullable=False),
)

# 徴収猶予 / 換価の猶予 (domain.postponement): applied → approved | refused; approved → cancelled.
# Only an approved one in force has effects (no 督促/催告/差押 for its items, 延滞金 exemption).
postponements = Table(
    "postponements",
    metadata,
    Column("postponement_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("ground", String(30), nullable=False),
    Column("applied_on", Date, nullable=False),
    Column("status", String(10), nullable=False),  # applied | approved | refused | cancelled
    Column("recorded_by", String(64), nullable=False),
    Column("decided_on", Date, nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
    Column("first_starts_on", Date, nullable=True),  # of the first grant (extensions: 2-year cap)
    Column("amount", Integer, nullable=True),  # 猶予金額 (本税)
    Column("cancelled_on", Date, nullable=True),
    # 取消 for a missed 分割: the last day the 延滞金 exemption still covers (法15条の9①ただし書)
    Column("exemption_ends_on", Date, nullable=True),
)

# The 期別 a 猶予 covers (the guards join here: one row per installment).
postponement_items = Table(
    "postponement_items",
    metadata,
    Column("postponement_id", String(36), nullable=False),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    PrimaryKeyConstraint("postponement_id", "notice_number", "installment_no", name="pk_postponement_items"),
    Index("ix_postponement_items_installment", "notice_number", "installment_no"),
)

# 分割納付 of an approved 猶予 (法15条③).
postponement_payments = Table(
    "postponement_payments",
    metadata,
    Column("postponement_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("amount", Integer, nullable=False),
    PrimaryKeyConstraint("postponement_id", "seq", name="pk_postponement_payments"),
)

# Every fixed 延滞金 explains itself (issue #12 B5): the segments of a 確定延滞金 (owner "fixed", id =
# its late_fee_version) and of the 延滞金 printed on a 督促状 ("demand_notice", its id) or 催告書
# ("reminder", the reminder id), as the law library priced them when the amount was fixed.
late_fee_segments = Table(
    "late_fee_segments",
    metadata,
    Column("owner_kind", String(16), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("from_on", Date, nullable=False),
    Column("to_on", Date, nullable=False),
    Column("days", Integer, nullable=False),
    Column("base", Integer, nullable=False),
    Column("rate", String(12), nullable=False),  # percent per year applied (after any relief)
    Column("normal_rate", String(12), nullable=False),
    Column("yen", Integer, nullable=False),
    Column("tier", String(10), nullable=True),
    Column("relief", String(40), nullable=True),
    Column("basis", String(300), nullable=False),
    PrimaryKeyConstraint(
        "owner_kind", "owner_id", "notice_number", "installment_no", "seq", name="pk_late_fee_segments"
    ),
    Index("ix_late_fee_segments_installment", "notice_number", "installment_no"),
)

# 履行監視 of a 猶予's 分割 (法15条の3①: a missed 分割 amount is a ground of 取消し): one row per missed
# payment flagged by the nightly batch, with the staff decision (cancel | continue) once taken.
postponement_breaches = Table(
    "postponement_breaches",
    metadata,
    Column("postponement_id", String(36), nullable=False),
    Column("missed_due_on", Date, nullable=False),
    Column("shortfall", Integer, nullable=False),
    Column("detected_on", Date, nullable=False),
    Column("decision", String(10), nullable=True),  # None = awaiting staff | cancel | continue
    Column("decided_on", Date, nullable=True),
    Column("decided_by", String(64), nullable=True),
    PrimaryKeyConstraint("postponement_id", "missed_due_on", name="pk_postponement_breaches"),
)

# Events that move the 5-year limitation clock of an installment (時効の更新・完成猶予).
limitation_events = Table(
    "limitation_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column(
        "kind", String(20), nullable=False
    ),  # demand | seizure | acknowledgement | reminder | claim_filing
    Column("occurred_on", Date, nullable=False),
    Column("source_id", String(36), nullable=True),
    Index("ix_limitation_events_installment", "notice_number", "installment_no"),
)

write_offs = Table(
    "write_offs",
    metadata,
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("cause", String(30), nullable=False),
    Column("principal_tax", Integer, nullable=False),
    Column("late_fee", Integer, nullable=False),
    Column("demand_fee", Integer, nullable=False),
    Column("extinguished_on", Date, nullable=False),
    Column("staff_user", String(64), nullable=False),
    PrimaryKeyConstraint("notice_number", "installment_no", name="pk_write_offs"),
)

# 不納欠損 runs: prepared by one staff user, applied only when another approves (issue #12 defect 6).
write_off_runs = Table(
    "write_off_runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("status", String(10), nullable=False),  # prepared | approved
    Column("prepared_by", String(64), nullable=False),
    Column("prepared_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", String(64), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("items", JSON, nullable=False),  # [[notice_number, installment_no], ...] as prepared
    Column("counts", JSON, nullable=False),  # per cause
)

# 延滞金 rates loaded by command (law as data, issue #12 defect 10): calendar years the built-in table
# of osame_law does not cover yet (e.g. 2027, announced in Nov/Dec 2026), with their source.
law_rates = Table(
    "law_rates",
    metadata,
    Column("first_year", Integer, primary_key=True),
    Column("last_year", Integer, nullable=False),
    Column("late_fee_first_tier", String(10), nullable=False),  # percent per year, as text (Decimal)
    Column("late_fee_second_tier", String(10), nullable=False),
    Column("refund_interest", String(10), nullable=False),
    Column("postponement", String(10), nullable=True),
    Column("source", String(300), nullable=False),
    Column("loaded_by", String(64), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

# 督促手数料 by 督促 issue date as the city sets it (issue #12 defect 12, B7), loaded by command with
# its source; a row here overrides the settings' rule of the same date. Changes are audited.
law_demand_fees = Table(
    "law_demand_fees",
    metadata,
    Column("effective_from", Date, primary_key=True),
    Column("fee", Integer, nullable=False),
    Column("source", String(300), nullable=False),
    Column("loaded_by", String(64), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

# Law / city practice as versioned data (issue #12 B7, ``domain.law_parameters``): the 督促 data
# cut-off, the 催告書 指定期限 days and the 充当 order, each from an effective date with its source;
# loaded (and replaced) by the law command, audited with the row each replaces.
law_parameters = Table(
    "law_parameters",
    metadata,
    Column("name", String(40), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("value", JSON, nullable=False),
    Column("source", String(300), nullable=False),
    Column("loaded_by", String(64), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("name", "effective_from", name="pk_law_parameters"),
)

# 口座振替 in flight (issue #12 defect 2): the installments a 種別91 request covered for a 振替日
# (receipts' DirectDebitRequested). While receipts has not reported that 振替日's 振替結果 imported
# (``debit_results``), their 督促 waits (batch_sql._debit_in_flight). Either event may arrive first.
debits_in_flight = Table(
    "debits_in_flight",
    metadata,
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("debit_date", Date, nullable=False),
    PrimaryKeyConstraint("notice_number", "installment_no", "debit_date", name="pk_debits_in_flight"),
)

# 振替結果 imported by receipts, one row per 振替日 (DirectDebitResultsImported): counts only.
debit_results = Table(
    "debit_results",
    metadata,
    Column("debit_date", Date, primary_key=True),
    Column("debited", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("held", Integer, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

# Append-only, keyed hash-chained audit trail of staff actions and data access (who, when, what,
# 宛名番号, detail of ids/codes/amounts): the chassis audit log (osame_chassis.audit).
audit_log = audit_log_table(metadata, detail=True)
AUDIT = AuditLog(audit_log)


# 充当 decisions from refunds seen here, so a "settled" that overtakes its "decided" (two queues, any
# order) leaves no stale 督促 hold behind.
appropriation_marks = Table(
    "appropriation_marks",
    metadata,
    Column("appropriation_id", String(36), primary_key=True),
    Column("settled", Boolean, nullable=False),
)

# Refund watch (domain/refund_watch.py): refunds' 還付 decisions as collection saw them, with the
# 充当 cross-check made at the decision (`unpaid_total` > 0 = alert: 本税 was owed and payable).
refund_watch = Table(
    "refund_watch",
    metadata,
    Column("refund_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("overpayment_id", String(36), nullable=True),
    Column("amount", Integer, nullable=True),  # 還付金 (null until the decision is seen)
    Column("refund_interest", Integer, nullable=True),  # 還付加算金
    Column("decided_on", Date, nullable=True),  # 支出決定日
    Column("paid_on", Date, nullable=True),
    Column("last_failed_on", Date, nullable=True),  # latest 振込不能
    # 本税 owed and payable at the decision (null = not checked yet) and the installments behind it
    Column("unpaid_total", Integer, nullable=True),
    Column("unpaid_at_decision", JSON, nullable=True),  # [{notice_number, installment_no, due_date, unpaid}]
    Column("checked_at", DateTime(timezone=True), nullable=True),
)

# 折衝 tasks from returned refund transfers: contact the taxpayer for a new 還付請求 account.
refund_contact_tasks = Table(
    "refund_contact_tasks",
    metadata,
    Column("refund_id", String(36), nullable=False),
    Column("failed_on", Date, nullable=False),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("reason", String(60), nullable=False),  # the bank's reason code as refunds recorded it
    Column("status", String(10), nullable=False),  # open | resolved
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("resolved_on", Date, nullable=True),  # the day the refund was paid
    PrimaryKeyConstraint("refund_id", "failed_on", name="pk_refund_contact_tasks"),
)
