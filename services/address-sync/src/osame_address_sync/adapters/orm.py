"""Address-sync's own tables: addressees (宛名)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

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
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
