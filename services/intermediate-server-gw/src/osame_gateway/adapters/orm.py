"""Gateway's own tables: the permitted-query list (as data) and the 情報提供等記録."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

permitted_queries = Table(
    "permitted_queries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("affair", String(80), nullable=False, doc="事務"),
    Column("item", String(40), nullable=False, doc="特定個人情報 item"),
    Column("legal_basis", Text, nullable=False, doc="e.g. 主務省令 第2条 表 48"),
    UniqueConstraint("affair", "item", name="uq_permitted_affair_item"),
)

query_records = Table(
    "query_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("query_id", String(36), nullable=False, index=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("requesting_service", String(40), nullable=False),
    Column("affair", String(80), nullable=False),
    Column("item", String(40), nullable=False),
    Column("staff_user", String(64), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("reason", String(200), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
