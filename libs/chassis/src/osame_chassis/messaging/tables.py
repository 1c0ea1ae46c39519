"""Outbox and inbox tables, present in every service's own database."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

plumbing_metadata = MetaData()

OUTBOX_ID = BigInteger().with_variant(Integer, "sqlite")

outbox = Table(
    "outbox",
    plumbing_metadata,
    Column("id", OUTBOX_ID, primary_key=True, autoincrement=True),
    Column("message_id", String(36), nullable=False, unique=True),
    Column("exchange", String(200), nullable=False),
    Column("routing_key", String(200), nullable=False),
    Column("message_type", String(200), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, default=0),
)

inbox = Table(
    "inbox",
    plumbing_metadata,
    Column("consumer", String(200), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("consumer", "message_id", name="pk_inbox"),
)
