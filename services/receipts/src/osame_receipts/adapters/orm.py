"""Receipts' own tables (the plumbing tables come from the chassis)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

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
)

installments = Table(
    "installments",
    metadata,
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("principal_tax", Integer, nullable=False),
    Column("statutory_due_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("paid", Integer, nullable=False),
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
    Column("applied", Integer, nullable=False),
    Column("overpaid", Integer, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("booked_on", Date, nullable=False),
    Column("preliminary", Boolean, nullable=False),
    Column("matched", Boolean, nullable=False),
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
    Column("cause", String(30), nullable=False),
    Column("arose_on", Date, nullable=False),
)

addressees = Table(
    "addressees",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("protected", Boolean, nullable=False),
    Column("deceased_on", Date, nullable=True),
)
