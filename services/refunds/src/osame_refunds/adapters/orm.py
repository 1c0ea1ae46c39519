"""Refunds' own tables: the 過誤納金 register."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

overpayments = Table(
    "overpayments",
    metadata,
    Column("overpayment_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("notice_number", String(20), nullable=False),
    Column("installment_no", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("cause", String(30), nullable=False),
    Column("arose_on", Date, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)
