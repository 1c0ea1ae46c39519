"""Collection's own tables: the installment projection, the addressee copy, asset inquiries."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, PrimaryKeyConstraint, String, Table

metadata = MetaData()

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
    Column("status", String(10), nullable=False),
    Column("last_receipt_on", Date, nullable=True),
    Column("ledger_version", Integer, nullable=False),
    PrimaryKeyConstraint("notice_number", "installment_no", name="pk_collection_installments"),
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
)
