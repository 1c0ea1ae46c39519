"""Refunds' own tables: the 過誤納金 register, the projection of unpaid 徴収金, 充当 and 還付 decisions,
payee accounts (personal data: never logged), payout batches and taxpayer notice records."""

from __future__ import annotations

from osame_chassis.audit import audit_log_table
from sqlalchemy import (
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
    Column("cause", String(30), nullable=False),
    Column("arose_on", Date, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("requested_on", Date, nullable=True),
    Column("corrected_on", Date, nullable=True),
    Column("notified_on", Date, nullable=True),
    Column("status", String(20), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

# Projection of the same taxpayer's unpaid 徴収金, per installment component, from receipts' ledger
# events (本税) and collection's (督促手数料, 延滞金). `version` orders updates from one source.
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
    Column("status", String(20), nullable=False),  # requested | applied | refused
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
    Column("decided_on", Date, nullable=True),  # 支出決定日 (approval)
    Column("payout_batch_id", String(36), nullable=True),
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
    Column("created_at", DateTime(timezone=True), nullable=False),
)

taxpayer_notices = Table(
    "taxpayer_notices",
    metadata,
    Column("notice_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("kind", String(30), nullable=False),  # appropriation | refund_decided | transfer_failed | expired
    Column("reference", String(36), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
