"""Refunds' own tables: the 過誤納金 register, the projection of unpaid 徴収金, 充当 and 還付 decisions,
payee accounts (personal data: never logged), payout batches and taxpayer notice records."""

from __future__ import annotations

from osame_chassis.audit import audit_log_table
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

metadata = MetaData()

# Every staff call to the HTTP API (who, when, what, which 宛名番号), hash-chained (DESIGN §4).
audit_log = audit_log_table(metadata)

overpayments = Table(
    "overpayments",
    metadata,
    Column("overpayment_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("appropriated", Integer, nullable=False, server_default="0"),
    Column("refunded", Integer, nullable=False, server_default="0"),
    # Taken away by receipts (不渡, 収納訂正: the money never came or moved); never refunded or appropriated.
    Column("withdrawn", Integer, nullable=False, server_default="0"),
    Column("cause", String(30), nullable=False),
    Column("arose_on", Date, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("requested_on", Date, nullable=True),
    Column("corrected_on", Date, nullable=True),
    Column("notified_on", Date, nullable=True),
    Column("status", String(20), nullable=False),
    # Why the money waits for a person rather than the automatic settlement (e.g. a 充当 refusal).
    Column("hold_reason", String(60), nullable=True),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

# 名寄せ: each AddresseesMerged as received, and the person each 宛名番号 belongs to (the smallest
# 宛名番号 of its merge group: union of merged/surviving pairs, the same in any arrival order).
addressee_merges = Table(
    "addressee_merges",
    metadata,
    Column("merged_addressee_id", String(15), primary_key=True),
    Column("surviving_addressee_id", String(15), nullable=False),
    Column("unified_addressee_id", String(15), nullable=False),
    Column("merged_on", Date, nullable=False),
)

persons = Table(
    "persons",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("person_id", String(15), nullable=False, index=True),
)

# Projection of the same taxpayer's unpaid 徴収金, per installment component (本税, 督促手数料, 延滞金),
# from receipts' ledger events (AssessmentRecorded, InstallmentsSettled/PartlyPaid/Charged);
# `version` is receipts' ledger_version. The 督促手数料's basis date is collection's 督促 issue date.
unpaid_items = Table(
    "unpaid_items",
    metadata,
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("component", String(20), nullable=False),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("amount", Integer, nullable=False),
    Column("basis_date", Date, nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("notice_number", "installment_no", "component", name="pk_unpaid_items"),
)

appropriations = Table(
    "appropriations",
    metadata,
    Column("appropriation_id", String(36), primary_key=True),
    Column(
        "overpayment_id", String(36), ForeignKey("overpayments.overpayment_id"), nullable=False, index=True
    ),
    Column("addressee_id", String(15), nullable=False),
    Column("appropriable_on", Date, nullable=False),
    Column("total", Integer, nullable=False),
    Column("rule", String(120), nullable=False),
    Column("status", String(20), nullable=False),  # requested | applied | refused | reversed
    Column("reason", String(60), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

appropriation_items = Table(
    "appropriation_items",
    metadata,
    Column("appropriation_id", String(36), ForeignKey("appropriations.appropriation_id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("component", String(20), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("seen_version", Integer, nullable=False),  # projection version the plan was made against
    Column("addressee_id", String(15), nullable=True),  # the debt's 宛名番号 (another one after 名寄せ)
    Column("basis_date", Date, nullable=True),  # 令6条の14 date of the debt (納期限 / 督促状 issue)
    PrimaryKeyConstraint("appropriation_id", "line", name="pk_appropriation_items"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("refund_id", String(36), primary_key=True),
    Column(
        "overpayment_id", String(36), ForeignKey("overpayments.overpayment_id"), nullable=False, index=True
    ),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("amount", Integer, nullable=False),
    Column("refund_interest", Integer, nullable=True),
    Column("interest_start", Date, nullable=True),
    Column("cause", String(30), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_on", Date, nullable=False),
    Column("prepared_by", String(64), nullable=True),  # 起案者 (staff id from the verified token)
    Column("prepared_on", Date, nullable=True),
    Column("approved_by", String(64), nullable=True),  # 決裁者: never the preparer
    Column("decided_on", Date, nullable=True),  # 支出決定日 (approval)
    Column("payout_batch_id", String(36), nullable=True),
    Column("closed_on", Date, nullable=True),
    Column("cancel_reason", String(60), nullable=True),
)

# 還付加算金 (法17条の4) of each part of an overpayment, with its explanation: the appropriated part
# from its start to the 充当適状日, the refunded part to the 支出決定日. `segments` is the law
# library's calculation (from, to, days, rate, base, yen); `status`: owed (earned, not yet paid
# or appropriated) | in_refund (paid with refund `refund_id`) | cancelled (the part no longer exists)
# | uncomputed (the law library refused, e.g. no rate yet for the year: `error` says why; no refund
# of the overpayment goes out until it is recomputed).
refund_interest_parts = Table(
    "refund_interest_parts",
    metadata,
    Column("part_id", String(36), primary_key=True),
    Column(
        "overpayment_id", String(36), ForeignKey("overpayments.overpayment_id"), nullable=False, index=True
    ),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # appropriated | refunded
    Column("reference", String(36), nullable=False),  # the appropriation or refund the part belongs to
    Column("base_amount", Integer, nullable=False),  # yen of the overpayment in this part
    Column("cause", String(30), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("interest", Integer, nullable=False),
    Column("unrounded", Integer, nullable=False),
    Column("excluded_days", Integer, nullable=False, server_default="0"),
    Column("segments", JSON, nullable=False),
    Column("legal_basis", String(300), nullable=False),
    Column("status", String(20), nullable=False),  # owed | in_refund | cancelled | uncomputed
    Column(
        "error", String(200), nullable=True
    ),  # why it could not be computed yet (e.g. no rate for the year)
    Column("refund_id", String(36), nullable=True, index=True),
    Column("computed_on", Date, nullable=False),
)

# OverpaymentWithdrawn as received (it may arrive before the OverpaymentDetected it names).
withdrawals = Table(
    "withdrawals",
    metadata,
    Column("withdrawal_id", String(36), primary_key=True),
    Column("overpayment_id", String(36), nullable=False, index=True),
    Column("addressee_id", String(15), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("withdrawn_on", Date, nullable=False),
    Column("reason", String(30), nullable=False),
    Column("appropriations_reversed", JSON, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# 返還請求: money refunded that was withdrawn afterwards (the cheque bounced after the payout).
recovery_claims = Table(
    "recovery_claims",
    metadata,
    Column("claim_id", String(36), primary_key=True),
    Column("overpayment_id", String(36), nullable=False, index=True),
    Column("refund_id", String(36), nullable=False),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("amount", Integer, nullable=False),  # principal refunded from withdrawn money
    Column("interest", Integer, nullable=False, server_default="0"),  # 還付加算金 paid on it
    Column("reason", String(30), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("status", String(20), nullable=False),  # open | offset (the transfer came back) | closed
    Column("closed_on", Date, nullable=True),
)

# 還付請求 with the payee account: personal data, stored for the payout only, never logged or published.
payee_accounts = Table(
    "payee_accounts",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("bank_code", String(4), nullable=False),
    Column("branch_code", String(3), nullable=False),
    Column("account_type", String(1), nullable=False),
    Column("account_number", String(7), nullable=False),
    Column("holder_kana", String(30), nullable=False),
    Column("claimed_on", Date, nullable=False),
)

payout_batches = Table(
    "payout_batches",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("transfer_date", Date, nullable=False),
    Column("approved_on", Date, nullable=False),
    Column("count", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("file", LargeBinary, nullable=False),
    Column("skipped", JSON, nullable=True),  # refunds left out, with the reason (no personal data)
    Column("created_by", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Each bank result for a refund in a payout (paid or returned 振込不能), kept for the returned-transfer list.
transfer_results = Table(
    "transfer_results",
    metadata,
    Column("result_id", String(36), primary_key=True),
    Column("refund_id", String(36), ForeignKey("refunds.refund_id"), nullable=False, index=True),
    Column("batch_id", String(36), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("on", Date, nullable=False),
    Column("reason", String(60), nullable=False),
    Column("recorded_by", String(64), nullable=True),
)

taxpayer_notices = Table(
    "taxpayer_notices",
    metadata,
    Column("notice_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    # appropriation (充当通知書) | refund_pending | refund_decided (還付通知書) | transfer_failed | expired
    Column("kind", String(30), nullable=False),
    Column("reference", String(36), nullable=False),
    Column("overpayment_id", String(36), nullable=True, index=True),
    Column("amount", Integer, nullable=False),
    Column("issued_on", Date, nullable=True),  # business date of the notice
    Column("created_at", DateTime(timezone=True), nullable=False),
)
